"""`kg extract` end to end on a short report of our own: the draft is a valid record file that `kg build`
takes without edits, deterministic, atomic; encodings, folders and bad input give clear errors."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from kg.cli import cli
from kg.errors import InputError
from kg.extract import extract_text, to_yaml
from kg.extract.files import extract_dir
from kg.records import load_record
from kg.sources import SourceText, check_record

# A made-up report (not from any real source) in the shapes real reports use.
REPORT = """\
# 2024年沈阳市政府工作报告摘要

## 一、2024年主要预期目标

全市地区生产总值增长5.5%左右；城镇新增就业12万人以上；居民消费价格涨幅控制在3%以内；单位生产总值能耗下降2.5%。

## 二、重点任务

### （一）城市更新

一是改造老旧小区320个，惠及居民3.2万户；二是新建口袋公园两百座，打通断头路15条。

加快地铁3号线建设，推进浑南区和于洪区路网建设。启动青松湖湿地公园改造，建设北方动漫博物馆。

### （二）民生保障

城乡低保标准提高到每人每月850元。新增家庭养老床位不少于1,200张。为十二所农村学校配备校车。
"""


@pytest.fixture()
def report(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    path = src / "sy-2024.txt"
    path.write_text(REPORT, encoding="utf-8")
    return path


def draft_of(text=REPORT, **kw):
    kw.setdefault("doc_id", "sy-2024")
    return extract_text(text, **kw)


def test_statements_of_the_report():
    d = draft_of()
    got = [(s.value, s.unit, s.comparators, s.kind, s.as_written) for s in d.statements()]
    assert got == [
        (Decimal("5.5"), "percent", ("increase-by", "approximately"), "target", "5.5%左右"),
        (120000, "person", ("at-least",), "target", "12万人以上"),
        (3, "percent", ("increase-by", "at-most"), "target", "3%以内"),  # 涨幅: the rise, kept within 3%
        (Decimal("2.5"), "percent", ("decrease-by",), "target", "2.5%"),
        (320, "ge", ("exactly",), "target", "320个"),
        (32000, "hu", ("exactly",), "target", "3.2万户"),
        (200, "zuo", ("exactly",), "target", "两百座"),
        (15, "tiao", ("exactly",), "target", "15条"),
        (850, "yuan", ("exactly",), "target", "850元"),
        (1200, "zhang", ("at-least",), "target", "1,200张"),
        (12, "suo", ("exactly",), "target", "十二所"),
    ]
    for s in d.statements():
        assert s.as_written in REPORT[s.span[0]:s.span[1]]


def test_document_goals_measures_places():
    d = draft_of()
    assert (d.document.year, d.document.city, d.document.chars) == (2024, "shenyang", len(REPORT))
    assert d.document.sha256 == hashlib.sha256(REPORT.encode()).hexdigest()
    goals = {g.label: g for g in d.goals}
    assert goals["城市更新"].parent == goals["重点任务"].id and goals["城市更新"].ordinal == 1
    assert goals["改造老旧小区320个"].parent == goals["城市更新"].id  # 一是…
    by_label = {m.label: m for m in d.measures}
    assert by_label["改造老旧小区"].category == "old-residential-compounds"
    assert by_label["改造老旧小区"].goal == goals["改造老旧小区320个"].id
    assert by_label["新增家庭养老床位"].category == "home-elderly-care-beds"
    assert {(f.label, f.type) for f in d.facilities} == {
        ("地铁3号线", "metro-line"), ("青松湖湿地公园", "park"), ("北方动漫博物馆", "museum")}
    metro = by_label["加快地铁3号线建设"]  # a sentence without numbers that starts with a verb
    assert metro.goal == goals["城市更新"].id  # the inline items (一是/二是) ended with their paragraph
    assert metro.districts == ["浑南区", "于洪区"]  # named in the same sentence
    assert metro.facilities == [next(f.id for f in d.facilities if f.label == "地铁3号线")]
    assert [k for k, _ in d.district_refs] == ["hunnan", "yuhong"]


def test_draft_loads_with_the_record_loader_and_matches_its_text(tmp_path):
    d = draft_of()
    path = tmp_path / "sy-2024.yaml"
    path.write_bytes(to_yaml(d))
    record = load_record(path)
    assert not record.document.reviewed
    assert len(record.measures) == len(d.measures) and len(record.facilities) == 3
    src = SourceText("sy-2024", tmp_path / "sy-2024.txt", REPORT, d.document.sha256)
    assert check_record(record, src) == []
    text = path.read_text()
    assert "reviewed: true" not in text
    assert text.count("reviewed: false") == 1 + len(d.goals) + len(d.measures) + len(d.facilities) + \
        len(d.district_mentions) + sum(len(m.statements) for m in d.measures)


def test_kg_build_takes_the_draft_without_edits(runner, report, tmp_path):
    records = tmp_path / "records"
    r = runner.invoke(cli, ["extract", str(report), "--city", "沈阳", "-o", str(records / "sy-2024.yaml")])
    assert r.exit_code == 0, r.output
    assert "11 statements" in r.output
    for extra in ([], ["--no-sources"]):
        r = runner.invoke(cli, ["build", "--records", str(records), "--sources", str(report.parent),
                                "--out", str(tmp_path / "out"), "-q", *extra])
        assert r.exit_code == 0, r.output
    ttl = (tmp_path / "out" / "shenyang.ttl").read_text()
    assert "青松湖湿地公园" in ttl and "12万人以上" in ttl


def test_deterministic_and_atomic(runner, report, tmp_path):
    out = tmp_path / "sy-2024.yaml"
    runner.invoke(cli, ["extract", str(report), "-o", str(out)])
    first = out.read_bytes()
    r = runner.invoke(cli, ["extract", str(report), "-o", str(out)])
    assert r.exit_code == 0 and out.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["sy-2024.yaml", "src"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["src", "sy-2024.yaml"]  # no temp files left


def test_stdout_and_options(runner, report):
    r = runner.invoke(cli, ["extract", str(report), "--doc-id", "other", "--year", "2030", "--slug", "x-2030",
                            "--title", "测试报告", "--date", "2030-02-03", "--publisher", "某报"])
    assert r.exit_code == 0, r.output
    assert 'id: "other"' in r.output and "year: 2030" in r.output and 'date: "2030-02-03"' in r.output
    assert 'slug: "x-2030"' in r.output and 'publisher: "某报"' in r.output


def test_output_must_be_named_after_the_document(runner, report, tmp_path):
    r = runner.invoke(cli, ["extract", str(report), "-o", str(tmp_path / "wrong.yaml")])
    assert r.exit_code == 2 and "sy-2024.yaml" in r.output
    assert not (tmp_path / "wrong.yaml").exists()


def test_gbk_file_needs_encoding(runner, tmp_path):
    path = tmp_path / "gbk-2024.txt"
    path.write_bytes(REPORT.encode("gbk"))
    r = runner.invoke(cli, ["extract", str(path)])
    assert r.exit_code == 2
    assert "not UTF-8" in r.output and "--encoding gbk" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["extract", str(path), "--encoding", "gbk", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "gbk-2024.yaml").read_text()
    assert hashlib.sha256(REPORT.encode()).hexdigest() in text  # the UTF-8 text kg build will read
    r = runner.invoke(cli, ["extract", str(path), "--encoding", "no-such-codec"])
    assert r.exit_code == 2 and "unknown encoding" in r.output


def test_bad_input_is_one_clear_error(runner, tmp_path):
    empty_year = tmp_path / "noyear.txt"
    empty_year.write_text("沈阳市推进城市更新。\n", encoding="utf-8")
    r = runner.invoke(cli, ["extract", str(empty_year)])
    assert r.exit_code == 2 and "--year" in r.output
    nocity = tmp_path / "nocity.txt"
    nocity.write_text("2024年某地新建公园3座。\n", encoding="utf-8")
    r = runner.invoke(cli, ["extract", str(nocity)])  # names no place: still drafted, the reviewer is told
    assert r.exit_code == 0 and "jurisdiction unknown" in r.output and "--city" in r.output
    r = runner.invoke(cli, ["extract", str(nocity), "--city", "atlantis"])
    assert r.exit_code == 2 and "no administrative division is named 'atlantis'; nearest:" in r.output
    r = runner.invoke(cli, ["extract", str(nocity), "--city", "沈阳", "--date", "soon"])
    assert r.exit_code == 2 and "YYYY" in r.output
    r = runner.invoke(cli, ["extract"])
    assert r.exit_code == 2 and "--evaluate" in r.output
    with pytest.raises(InputError):
        extract_text("2024年", doc_id="bad id", city="shenyang")


def test_other_city_gazetteer(runner, tmp_path):
    gaz = tmp_path / "testcity.yaml"
    gaz.write_text("city: {key: testcity, zh: 测试市, en: Test City, short: [测试]}\n"
                   "divisions:\n  - {key: east, zh: 东湖区, en: East Lake District, kind: district, short: [东湖]}\n",
                   encoding="utf-8")
    path = tmp_path / "t-2024.txt"
    path.write_text("## 2024年测试市工作安排\n\n在东湖区新建学校3所，东湖新建公园2座。\n", encoding="utf-8")
    r = runner.invoke(cli, ["extract", str(path), "--gazetteer", str(gaz)])
    assert r.exit_code == 0, r.output
    assert 'city: "testcity"' in r.output and 'districts: ["东湖区"]' in r.output
    assert "data/gazetteer/testcity.yaml" in r.output  # told how to make kg build accept it


def test_folder_of_texts_in_parallel(runner, tmp_path):
    src = tmp_path / "texts"
    src.mkdir()
    for i in range(3):
        (src / f"doc-{i}.txt").write_text(REPORT.replace("320个", f"{300 + i}个"), encoding="utf-8")
    (src / "broken.txt").write_bytes(b"\xff\xfe\x00bad")
    out = tmp_path / "drafts"
    r = runner.invoke(cli, ["extract", str(src), "--jobs", "2", "-o", str(out)])
    assert r.exit_code == 1  # one file failed, the others were drafted
    assert "failed broken.txt" in r.output and "drafted 3 of 4" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["doc-0.yaml", "doc-1.yaml", "doc-2.yaml"]
    assert "value: 302" in (out / "doc-2.yaml").read_text()
    sequential = extract_dir(src, tmp_path / "seq", jobs=1)
    assert [i.record for i in sequential] == [None, "doc-0.yaml", "doc-1.yaml", "doc-2.yaml"]
    for name in ("doc-0.yaml", "doc-2.yaml"):
        assert (tmp_path / "seq" / name).read_bytes() == (out / name).read_bytes()


def test_unknown_units_are_listed_for_the_reviewer(runner, tmp_path):
    path = tmp_path / "u-2024.txt"
    path.write_text("## 2024年沈阳市工作安排\n\n供热管网压力提升至1.6兆帕，建设公园5座。\n", encoding="utf-8")
    r = runner.invoke(cli, ["extract", str(path), "-o", str(tmp_path)])
    assert r.exit_code == 0
    assert "skipped 1 number(s): unit '兆帕'" in r.output
    assert "# Numbers not drafted" in (tmp_path / "u-2024.yaml").read_text()


def test_sources_are_not_copied_into_the_draft(sources_dir):
    """Drafts hold short titles and facts, never the source's sentences: no text field of a seed draft is
    longer than 20 characters (and so never repeats a 24-character run of the text)."""
    import re

    for path in sorted(sources_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        yaml_text = to_yaml(extract_text(text, doc_id=path.stem)).decode()
        fields = re.findall(r'(?:label|zh|as_written): "([^"]*)"', yaml_text)
        assert fields and max(len(f) for f in fields) <= 20, max(fields, key=len)


def test_review_sections_indicators_and_continued_clauses():
    text = ("——2024年2月1日在某次会议上\n\n## 2023年工作回顾\n\n全市生产总值实现5000亿元，同比增长6.1%。\n\n"
            "## 2024年目标任务\n\n主要预期目标是：生产总值增长5%左右，失业率控制在5.5%以内。\n\n"
            "### 一、扩大需求\n\n实施重大项目800个，其中新开工300个。\n")
    d = extract_text(text, doc_id="r", city="shenyang")
    assert d.document.year == 2024 and d.document.date == "2024-02-01"
    assert [g.label for g in d.goals] == ["2023年工作回顾", "2024年目标任务", "扩大需求"]  # not the dateline
    got = [[(s.value, s.kind, s.year, s.comparators) for s in m.statements] for m in d.measures]
    assert got == [
        [(500_000_000_000, "outcome", 2023, ("exactly",)), (Decimal("6.1"), "outcome", 2023, ("increase-by",))],
        [(5, "target", None, ("increase-by", "approximately"))],
        [(Decimal("5.5"), "target", None, ("at-most",))],
        [(800, "target", None, ("exactly",)), (300, "target", None, ("exactly",))],  # 其中… continues
    ]
    assert [m.category for m in d.measures[:3]] == ["gdp-growth", "gdp-growth", "macro-indicators"]


def test_same_bytes_whatever_the_hash_seed(tmp_path):
    import subprocess
    import sys

    (tmp_path / "r.txt").write_text(REPORT, encoding="utf-8")
    code = ("import sys; from pathlib import Path; from kg.extract import extract_text, to_yaml; "
            "sys.stdout.buffer.write(to_yaml(extract_text(Path(sys.argv[1]).read_text(), doc_id='r')))")
    outs = {subprocess.run([sys.executable, "-c", code, str(tmp_path / "r.txt")], capture_output=True, check=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1 and b"reviewed: false" in outs.pop()
