"""exports/catalog.ttl: DCAT-AP 3 (checked with SHACL) + VoID, describing the files it ships with."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from kg.catalog import DCATAP, KINDS, SPDX, build_catalog, catalog_for_directory, load_config, validate_catalog
from kg.namespaces import DCAT, SY, VOID

DATASET = URIRef("https://w3id.org/shenyang-policy/id/dataset")
CATALOG = URIRef("https://w3id.org/shenyang-policy/id/catalog")


@pytest.fixture(scope="module")
def exports(built_exports) -> Path:
    return built_exports


@pytest.fixture(scope="module")
def catalog(exports) -> Graph:
    return Graph().parse(exports / "catalog.ttl", format="turtle")


def test_catalog_publisher_runs_last():
    from kg.catalog import catalog_output
    from kg.pipeline import publishers

    assert publishers()[-1] is catalog_output


def test_catalog_conforms_to_dcat_ap_3_without_warnings(catalog):
    results = validate_catalog(catalog)
    assert results == [], "\n".join(f"{v.severity} {v.focus} {v.path} {v.message}" for v in results)


@pytest.mark.parametrize("drop,severity", [
    ((DATASET, DCTERMS.title), "Violation"),          # mandatory
    ((CATALOG, DCTERMS.publisher), "Violation"),      # mandatory
    ((DATASET, DCAT.keyword), "Warning"),             # recommended
    ((DATASET, DCTERMS.temporal), "Warning"),         # recommended
])
def test_shapes_catch_missing_properties(catalog, drop, severity):
    g = Graph()
    for t in catalog:
        g.add(t)
    g.remove((drop[0], drop[1], None))
    results = validate_catalog(g)
    assert any(v.severity == severity and v.path.endswith(str(drop[1])) and v.focus == str(drop[0])
               for v in results), results


def test_the_official_dcat_ap_3_0_1_shapes_are_run():
    from rdflib.namespace import SH

    from kg.catalog import DCAT_AP_DIR, DCAT_AP_SHAPES, shapes_graph

    g = shapes_graph()
    for name in DCAT_AP_SHAPES:
        official = Graph().parse(DCAT_AP_DIR / name)
        assert len(official) > 100 and all(t in g for t in official if not any(
            isinstance(x, BNode) for x in t)), name
    assert (DCAT_AP_DIR / "README.md").read_text(encoding="utf-8").count("CC-BY 4.0") == 1
    severities = {str(o).rsplit("#")[-1] for o in g.objects(None, SH.severity)}
    assert {"Violation", "Warning"} <= severities


@pytest.mark.parametrize("edit,path", [
    # range.ttl: a document where DCAT-AP wants a dcat:Dataset, an untyped availability concept
    (lambda g: g.add((DATASET, DCTERMS.source, URIRef("https://w3id.org/shenyang-policy/id/document/x"))),
     DCTERMS.source),
    (lambda g: g.remove((URIRef("http://publications.europa.eu/resource/authority/planned-availability/STABLE"),
                         RDF.type, None)), DCATAP.availability),
])
def test_official_range_shapes_catch_wrong_classes(catalog, edit, path):
    g = Graph()
    for t in catalog:
        g.add(t)
    edit(g)
    assert any(v.severity == "Violation" and v.path == str(path) for v in validate_catalog(g))


def test_shapes_reject_a_wrong_checksum(catalog):
    g = Graph()
    for t in catalog:
        g.add(t)
    cs = next(g.subjects(RDF.type, SPDX.Checksum))
    g.set((cs, SPDX.checksumValue, Literal("not-a-digest", datatype=XSD.hexBinary)))
    g.set((cs, SPDX.algorithm, SPDX.checksumAlgorithm_sha1))
    assert {v.path for v in validate_catalog(g) if v.severity == "Violation"} >= {
        str(SPDX.checksumValue), str(SPDX.algorithm)}


def test_one_distribution_per_file_with_matching_size_and_sha256(catalog, exports):
    files = {p.name: p.read_bytes() for p in exports.iterdir() if p.suffix in KINDS and p.name != "catalog.ttl"}
    dists = list(catalog.objects(DATASET, DCAT.distribution))
    assert len(dists) == len(files) >= 9
    seen = set()
    for d in dists:
        url = str(catalog.value(d, DCAT.downloadURL))
        assert catalog.value(d, DCAT.accessURL) == URIRef(url)
        name = url.rsplit("/", 1)[-1]
        assert url == f"http://127.0.0.1:8000/exports/{name}"
        data = files[name]
        assert int(catalog.value(d, DCAT.byteSize)) == len(data)
        cs = catalog.value(d, SPDX.checksum)
        assert catalog.value(cs, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(catalog.value(cs, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert str(catalog.value(d, DCAT.mediaType)).startswith("https://www.iana.org/assignments/media-types/")
        assert catalog.value(d, DCATAP.availability) is not None
        seen.add(name)
    assert seen == set(files)
    media = {str(catalog.value(d, DCAT.downloadURL)).rsplit("/", 1)[-1]: str(catalog.value(d, DCAT.mediaType))
             for d in dists}
    assert media["shenyang.ttl"].endswith("/text/turtle")
    assert media["shenyang.jsonld"].endswith("/application/ld+json")
    assert media["shenyang.rdf"].endswith("/application/rdf+xml")
    assert media["shenyang.csv"].endswith("/text/csv")


def test_void_statistics_match_the_data(catalog, exports):
    data = Graph().parse(exports / "shenyang.nt", format="nt")
    assert int(catalog.value(DATASET, VOID.triples)) == len(data)
    counts = {str(r.cls): int(r.n) for r in data.query(
        "SELECT ?cls (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?cls } GROUP BY ?cls")}
    parts = {str(catalog.value(p, VOID["class"])): int(catalog.value(p, VOID.entities))
             for p in catalog.objects(DATASET, VOID.classPartition)}
    assert parts == counts
    assert parts[str(SY.Goal)] == len(set(data.subjects(RDF.type, SY.Goal))) > 0
    assert catalog.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://127.0.0.1:8000/sparql")
    dumps = {str(u).rsplit("/", 1)[-1] for u in catalog.objects(DATASET, VOID.dataDump)}
    assert {"shenyang.ttl", "shenyang.nt", "shenyang.rdf", "shenyang.jsonld", "shenyang.trig",
            "shenyang.nq"} == dumps


def test_dataset_description(catalog, built):
    titles = {t.language: str(t) for t in catalog.objects(DATASET, DCTERMS.title)}
    descriptions = {t.language for t in catalog.objects(DATASET, DCTERMS.description)}
    assert set(titles) == descriptions == {"zh", "en"}
    years = sorted({r.document.year for r in built.corpus.records})
    period = catalog.value(DATASET, DCTERMS.temporal)
    assert catalog.value(period, RDF.type) == DCTERMS.PeriodOfTime
    # the years the data speaks of: the reports' plan years and the years their reviews report on (2012 …)
    spoken = sorted(int(str(y)) for y in built.graph.objects(None, URIRef("http://www.w3.org/2006/time#inXSDgYear")))
    assert catalog.value(period, DCAT.startDate) == Literal(f"{spoken[0]}-01-01", datatype=XSD.date)
    assert catalog.value(period, DCAT.endDate) == Literal(f"{spoken[-1]}-12-31", datatype=XSD.date)
    assert years == [2018, 2019, 2021, 2022, 2023, 2024, 2025]  # the nation's reports and Shenyang's
    place = catalog.value(DATASET, DCTERMS.spatial)
    assert place == URIRef("https://w3id.org/shenyang-policy/id/district/shenyang")
    assert (place, RDF.type, SY.City) in built.graph
    publisher = catalog.value(DATASET, DCTERMS.publisher)
    assert catalog.value(publisher, RDF.type) == FOAF.Agent and catalog.value(publisher, FOAF.name)
    assert catalog.value(DATASET, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    themes = set(catalog.objects(DATASET, DCAT.theme))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE") in themes
    assert {k.language for k in catalog.objects(DATASET, DCAT.keyword)} == {"zh", "en"}
    cfg = load_config()
    assert catalog.value(DATASET, DCTERMS.issued) == Literal(str(cfg["issued"]), datatype=XSD.date)


def test_catalog_is_deterministic_and_site_url_is_configurable(exports, built, monkeypatch):
    files = {p.name: p.read_bytes() for p in exports.iterdir() if p.name != "catalog.ttl"}
    assert catalog_for_directory(exports) == (exports / "catalog.ttl").read_bytes()
    other = build_catalog(built.graph, files, site="https://data.example.org/sy")
    assert other.value(DATASET, VOID.sparqlEndpoint) == URIRef("https://data.example.org/sy/sparql")
    urls = {str(u) for u in other.objects(None, DCAT.downloadURL)}
    assert urls and all(u.startswith("https://data.example.org/sy/exports/") for u in urls)
    monkeypatch.setenv("KG_SITE_URL", "https://mirror.example.org/")
    env = build_catalog(built.graph, files)
    assert env.value(DATASET, VOID.sparqlEndpoint) == URIRef("https://mirror.example.org/sparql")


def test_catalog_cli(runner, exports, tmp_path):
    from kg.cli import cli

    out = tmp_path / "catalog.ttl"
    r = runner.invoke(cli, ["catalog", "--exports", str(exports), "--site-url", "https://example.org/kg/",
                            "--out", str(out), "--check"])
    assert r.exit_code == 0, r.output
    assert "0 violation(s), 0 warning(s)" in r.output
    g = Graph().parse(out, format="turtle")
    assert g.value(DATASET, VOID.sparqlEndpoint) == URIRef("https://example.org/kg/sparql")
    r = runner.invoke(cli, ["catalog", "--exports", str(tmp_path / "none")])
    assert r.exit_code == 2 and "kg build" in r.output
    r = runner.invoke(cli, ["catalog", "--exports", str(exports), "--site-url", "ftp://x", "--out", "-"])
    assert r.exit_code == 2 and "http" in r.output
