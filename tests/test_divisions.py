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
    for doc in g.subjects(RDF.type, SY.Document):
        assert g.value(doc, SY.issuedBy) == shenyang and g.value(doc, SY.city) == shenyang
    assert g.value(URIRef(D + "hunnan"), SY.divisionCode) == Literal("210112", datatype=SY.GBT2260Code)
    assert (URIRef(D + "xinmin"), RDFS.label, Literal("Xinmin", lang="en")) in g
    assert (URIRef(D + "liaozhong"), SKOS.altLabel, Literal("辽中县", lang="zh")) in g
    assert g.value(shenyang, GEO.sfWithin) == URIRef(D + "liaoning")
    assert bool(g.query("ASK { ?d a sy:District ; sy:inCity ?c ; geo:sfWithin ?c }", initNs=PREFIXES).askAnswer)
