"""Numbers, units and comparators as written in reports — short sentences of our own, many phrasings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kg.extract.numbers import find_quantities, parse_number
from kg.extract.tables import unit_table
from kg.vocab import load_vocab


@pytest.fixture(scope="module")
def table():
    return unit_table(load_vocab())


def q(table, text):
    found, _ = find_quantities(text, table)
    return [(x.value, x.unit, x.comparators, x.as_written) for x in found]


@pytest.mark.parametrize("written, value", [
    ("475", 475), ("1,234", 1234), ("12,345,678", 12345678), ("3.25", Decimal("3.25")),
    ("1,234.5", Decimal("1234.5")), ("3.5万", 35000), ("2亿", 200_000_000), ("1.2千万", 12_000_000),
    ("０.５万", 5000), ("两千", 2000), ("十二", 12), ("十", 10), ("二十三", 23), ("一百零五", 105),
    ("三万五千", 35000), ("一亿二千万", 120_000_000), ("万", 10000), ("百分之十五", 15), ("15%", 15),
])
def test_parse_number(written, value):
    assert parse_number(written) == Decimal(value)


@pytest.mark.parametrize("written", ["", "abc", "二〇二三", "三四", "十四五", "1.2.3", "万万万万万万万万万万万万万"])
def test_parse_number_rejects_non_numbers(written):
    assert parse_number(written) is None


@pytest.mark.parametrize("text, expected", [
    # plain counts with measure words from the vocabulary
    ("今年新建幼儿园12所", [(12, "suo", ("exactly",), "12所")]),
    ("铺设供水管道56.8公里", [(Decimal("56.8"), "km", ("exactly",), "56.8公里")]),
    ("改造农贸市场1,250个", [(1250, "ge", ("exactly",), "1,250个")]),
    ("新增停车位3.5万个", [(35000, "ge", ("exactly",), "3.5万个")]),
    ("帮扶困难家庭两千户", [(2000, "hu", ("exactly",), "两千户")]),
    ("建设十二条健身步道", [(12, "tiao", ("exactly",), "十二条")]),
    ("接待游客2800万人次", [(28_000_000, "person", ("exactly",), "2800万人次")]),
    ("新增绿地面积15平方公里", [(15, "km2", ("exactly",), "15平方公里")]),
    ("办结时限缩短至5个工作日", [(5, "working-day", ("exactly",), "5个工作日")]),
    ("走访慰问老人800名", [(800, "person", ("exactly",), "800名")]),
    ("万名干部下基层", [(10000, "person", ("exactly",), "万名")]),
    ("百余家企业参展", [(100, "jia", ("at-least",), "百余家")]),
    ("建成图书室30多间", [(30, "jian", ("at-least",), "30多间")]),
    # money and rates
    ("补贴标准提高到每人每月650元", [(650, "yuan", ("exactly",), "650元")]),
    ("救助标准达到840元/人月", [(840, "yuan-per-person-month", ("exactly",), "840元/人月")]),
    ("投入资金12.6亿元", [(1_260_000_000, "yuan", ("exactly",), "12.6亿元")]),
    # comparators
    ("培训人数不少于5000人", [(5000, "person", ("at-least",), "5000人")]),
    ("新增企业超过300家", [(300, "jia", ("at-least",), "300家")]),
    ("技术合同突破1500项", [(1500, "xiang", ("at-least",), "1500项")]),
    ("优良天数不低于290天", [(290, "day", ("at-least",), "290天")]),
    ("开工项目500个以上", [(500, "ge", ("at-least",), "500个以上")]),
    ("审批时间不超过15个工作日", [(15, "working-day", ("at-most",), "15个工作日")]),
    ("平均通勤控制在45天以内", [(45, "day", ("at-most",), "45天以内")]),
    ("专项债务压减至20项以下", [(20, "xiang", ("at-most",), "20项以下")]),
    ("每个网格500户左右", [(500, "hu", ("approximately",), "500户左右")]),
    ("约120座桥梁完成检测", [(120, "zuo", ("approximately",), "120座")]),
    # year-on-year changes
    ("居民收入提高3.5%", [(Decimal("3.5"), "percent", ("increase-by",), "3.5%")]),
    ("外贸进出口增长15%以上", [(15, "percent", ("increase-by", "at-least"), "15%以上")]),
    ("单位能耗下降3.2%", [(Decimal("3.2"), "percent", ("decrease-by",), "3.2%")]),
    ("财政支出减少8%左右", [(8, "percent", ("decrease-by", "approximately"), "8%左右")]),
    ("城镇化率提高1.2个百分点", [(Decimal("1.2"), "percentage-point", ("increase-by",), "1.2个百分点")]),
    ("就业率提高到96%", [(96, "percent", ("exactly",), "96%")]),
    ("覆盖率达到百分之九十", [(90, "percent", ("exactly",), "百分之九十")]),
    ("营业收入增长了12%", [(12, "percent", ("increase-by",), "12%")]),
    ("比上年增长8.5%", [(Decimal("8.5"), "percent", ("increase-by",), "8.5%")]),
    ("年均增长6%以上", [(6, "percent", ("increase-by", "at-least"), "6%以上")]),
    ("力争突破1.5万亿元", [(1_500_000_000_000, "yuan", ("at-least",), "1.5万亿元")]),
    ("带动就业3000余万人", [(30_000_000, "person", ("at-least",), "3000余万人")]),
    ("服务近3000人", [(3000, "person", ("approximately",), "3000人")]),
    # ranges: a lower and an upper bound
    ("每年培育10-15个示范村", [(10, "ge", ("at-least",), "10-15个"), (15, "ge", ("at-most",), "10-15个")]),
    ("吸纳就业3至5万人", [(30000, "person", ("at-least",), "3至5万人"), (50000, "person", ("at-most",), "3至5万人")]),
    # slogans counted with 大 / measure words outside the vocabulary
    ("聚焦“四大工程”", [(4, "ge", ("exactly",), "四大")]),
    ("写好“两篇文章”", [(2, "ge", ("exactly",), "两篇")]),
])
def test_quantities(table, text, expected):
    assert q(table, text) == [(Decimal(v), u, c, w) for v, u, c, w in expected]


@pytest.mark.parametrize("text", [
    "2024年全市经济稳中向好",      # a year
    "1月15日召开全会",              # a date
    "第三次全国普查",               # an ordinal
    "学习贯彻党的二十大精神",       # a party congress, not a slogan
    "建设一批示范项目",             # 一 as an article
    "推进一体化发展",
    "千家万户受益",                 # an idiom
    "数十个项目",                   # vague amounts
    "十几个部门",
    "引进宝马X5车型",               # a model name
    "建设5G基站",
    "“12345”热线",                  # a number without a unit
    "亿元以上项目",                 # a size class, not an amount
    "八家子村",                     # a place name
    "三是加强监管",                 # an inline item
    "2025-2027年行动计划",           # a range of years
    "“十四五”规划",
])
def test_not_quantities(table, text):
    assert q(table, text) == []


def test_numbers_inside_names_are_masked(table):
    text = "加快地铁2号线建设"
    found, _ = find_quantities(text, table, masked=[(2, 7)])
    assert found == []


def test_bare_number_with_multiplier_keeps_a_note(table):
    found, _ = find_quantities("下载量达200万以上", table)
    assert [(x.value, x.unit, x.comparators) for x in found] == [(2_000_000, "ge", ("at-least",))]
    assert "量词" in found[0].note


def test_unknown_units_are_reported_not_drafted(table):
    found, skipped = find_quantities("设计压力3兆帕，试验压力12兆帕", table)
    assert found == []
    assert [s.written for s in skipped] == ["3兆帕", "12兆帕"]
    assert all("units.yaml" in s.reason for s in skipped)


def test_spans_point_at_the_written_text(table):
    text = "全年新建改建农村公路１２０公里，改造桥梁18座以上。"
    found, _ = find_quantities(text, table)
    assert [text[x.start:x.end] for x in found] == [x.as_written for x in found] == ["１２０公里", "18座以上"]
    assert found[0].value == 120
