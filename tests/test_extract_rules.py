"""Outline, districts, facilities and categories — on short texts of our own."""

from __future__ import annotations

import pytest

from kg.extract.classify import Categorizer, detect_date, detect_publisher, detect_year
from kg.extract.places import DistrictMatcher, FacilityFinder, place_context
from kg.extract.structure import clean_label, parse_outline
from kg.vocab import load_vocab


@pytest.fixture(scope="module")
def vocab():
    return load_vocab()


def labels(text):
    o = parse_outline(text)
    return [(h.style, h.ordinal, h.label, o.headings[h.parent].label if h.parent is not None else None)
            for h in o.headings]


def test_markdown_and_numbered_headings_nest():
    text = ("# 某市工作报告\n\n## 一、主要目标\n\n全年增长5%。\n\n## 二、重点任务\n\n"
            "### （一）城市建设\n\n1.改造老旧街区;年内完成20个。\n2.新建口袋公园\n\n### （二）民生保障\n\n扩大就业。\n")
    assert labels(text) == [
        ("md1", None, "某市工作报告", None),
        ("md2", 1, "主要目标", "某市工作报告"),
        ("md2", 2, "重点任务", "某市工作报告"),
        ("md3", 1, "城市建设", "重点任务"),
        ("arabic", 1, "改造老旧街区", "城市建设"),
        ("arabic", 2, "新建口袋公园", "城市建设"),
        ("md3", 2, "民生保障", "重点任务"),
    ]
    o = parse_outline(text)
    body = [text[s.start:s.end] for s in o.sentences]
    assert "年内完成20个" in body  # the rest of a numbered line is body under that item


def test_plain_numbered_lists_short_lines_and_lead_sentences():
    text = ("一、稳增长\n\n（一）扩大有效投资\n\n抓好重大项目。全年开工项目300个，完成投资500亿元。\n\n"
            "（二）促进消费\n\n发展夜间经济，培育新型消费。\n\n二、惠民生\n\n办好民生实事\n完善社会保障\n")
    got = labels(text)
    assert got[0] == ("cn", 1, "稳增长", None)
    assert got[1] == ("paren-cn", 1, "扩大有效投资", "稳增长")
    assert got[2] == ("lead", None, "抓好重大项目", "扩大有效投资")
    assert got[3] == ("paren-cn", 2, "促进消费", "稳增长")
    assert got[4] == ("cn", 2, "惠民生", None)
    assert got[5:] == [("short", None, "办好民生实事", "惠民生"), ("short", None, "完善社会保障", "惠民生")]


def test_inline_items_and_broken_headings():
    text = "围绕三项任务：一是建设智慧城市，推进数据共享；二是优化营商环境。\n\n1.加快转型  \n产业升级取得成效\n"
    got = labels(text)
    assert ("item", 1, "建设智慧城市", None) in got and ("item", 2, "优化营商环境", None) in got
    assert ("arabic", 1, "加快转型 产业升级取得成效", None) in got


def test_headings_are_never_bylines_or_sentences():
    text = "本报记者 张三 李四\n\n这是一个很长的段落，它有逗号也有句号，而且超过了三十个字的长度限制，所以不是标题。\n"
    assert labels(text) == []


def test_clean_label_is_short():
    long = "坚持创新驱动发展战略，全面提升城市综合竞争力和可持续发展水平以及人民群众生活质量"
    assert clean_label(long) == "坚持创新驱动发展战略"
    assert len(clean_label("一" * 100)) <= 20


def test_districts_full_names_short_forms_and_ambiguous_words(vocab):
    m = DistrictMatcher(vocab.gazetteers["shenyang"])
    text = "在铁西区和浑南建设新城；和平发展是主题；和平、皇姑两区联动。"
    hits = m.find(text)
    assert [h.key for h in hits] == ["tiexi", "hunnan", "heping", "heping", "huanggu"]
    accepted = [h.key for h in hits if not h.ambiguous or place_context(text, h, set())]
    assert accepted == ["tiexi", "hunnan", "heping", "huanggu"]  # 和平发展 is not a place
    assert m.prefix_key("浑南科技馆") == "hunnan" and m.prefix_key("中国工业博物馆") is None


def facilities(vocab, text):
    return [(f.label, f.type) for f in FacilityFinder(vocab).find(text)]


@pytest.mark.parametrize("text, expected", [
    ("启动青松湖湿地公园改造", [("青松湖湿地公园", "park")]),
    ("筹建北方动漫博物馆和滨江美术馆", [("北方动漫博物馆", "museum"), ("滨江美术馆", "museum")]),
    ("加快地铁9号线北延线建设", [("地铁9号线北延线", "metro-line")]),
    ("打通青年南路、白塔街等断头路", [("青年南路", "road"), ("白塔街", "road")]),
    ("推进长白山路东延线建设", [("长白山路东延线", "road")]),
    ("治理浑河、细河等重点流域", [("浑河", "river"), ("细河", "river")]),
    ("加快华润电厂、北郊变电站等输变电工程", [("华润电厂", "power-facility"), ("北郊变电站", "power-facility")]),
    ("推动创维智造、海尔云谷等重大项目落地", [("创维智造", "industrial-project"), ("海尔云谷", "industrial-project")]),
    ("依托中欧产业园深化合作", [("中欧产业园", "industrial-park")]),
    ("推广“城市大脑”服务App", [("服务App", "platform")]),
    ("扩大综合保税区开放", [("综合保税区", "industrial-park")]),
    ("12345热线接诉即办", [("12345热线", "platform")]),
])
def test_facilities_by_pattern_and_lexicon(vocab, text, expected):
    assert facilities(vocab, text) == expected


@pytest.mark.parametrize("text", [
    "新建口袋公园30座",                  # a kind, counted
    "建设一批创新创业基地",              # 一批: a kind
    "配建城市书房和社区书屋",
    "改善农村公路和城市道路",
    "完善公共服务平台",                  # only generic words before the suffix
    "发展平台经济",                      # 平台 inside another word
    "优化街道布局",
    "推进河湖长制",
    "共建一带一路",
    "浙江省来访",
])
def test_not_facilities(vocab, text):
    assert facilities(vocab, text) == []


def test_categories_longest_keyword_wins(vocab):
    c = Categorizer(vocab)
    assert c.classify("改造燃气管线50公里") == "gas-pipelines"      # 燃气管 beats 管线
    assert c.classify("地区生产总值增长5%") == "gdp-growth"          # beats 地区生产总值
    assert c.classify("新建口袋公园") == "pocket-parks"
    assert c.classify("毫无线索的句子", "但上级标题谈养老服务") == "elderly-care"  # falls back to the next text
    assert c.classify("毫无线索的句子") is None
    assert c.is_indicator("gdp-growth") and not c.is_indicator("pocket-parks")


def test_document_metadata():
    text = "某市晚报讯（记者 王五）3月2日，会议开幕。\n## 2025年工作安排\n## 2024年回顾\n## 2025年目标\n"
    assert detect_year(text, ["2025年工作安排", "2024年回顾", "2025年目标"]) == 2025
    assert detect_year("没有年份", []) is None
    assert detect_date(text, 2025) == "2025-03-02"
    assert detect_date("2月30日", 2025) == "2025"
    assert detect_publisher("本报讯 新城日报记者 赵六 报道") == "新城日报"
