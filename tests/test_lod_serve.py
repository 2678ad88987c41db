"""A build as a LOD portal takes it: `kg serve` on a build's exports, with the catalog rewritten for the
server's address by `kg catalog --site-url`. Every download URL and every IRI the catalog mints is followed;
the dataset graph has one name in kg serve, TriG and N-Quads; /id/ pages show the links into a resource."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from conftest import free_port, kg_serve
from kg.namespaces import DCAT, DEFAULT_BASE, SY

SITE_ROOT = DEFAULT_BASE.removesuffix("id/")  # https://w3id.org/shenyang-policy/
DATASET = DEFAULT_BASE + "dataset"
SPDX = "http://spdx.org/rdf/terms#"


def get(url: str, accept: str | None = None, data: bytes | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=data, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


@pytest.fixture(scope="module")
def site(built_exports, tmp_path_factory):
    """(server URL, exports dir): a copy of the build's exports, its catalog rewritten for this server."""
    from click.testing import CliRunner

    from kg.cli import cli

    exports = tmp_path_factory.mktemp("site") / "exports"
    shutil.copytree(built_exports, exports)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    r = CliRunner().invoke(cli, ["catalog", "--exports", str(exports), "--site-url", url, "--check"])
    assert r.exit_code == 0 and "0 violation(s)" in r.output, r.output
    with kg_serve(["--graph", str(exports / "shenyang.ttl"), "--workers", "1"], exports.parent / "serve.log",
                  port) as base:
        yield base + "/", exports


@pytest.fixture(scope="module")
def catalog(site) -> Graph:
    return Graph().parse(site[1] / "catalog.ttl", format="turtle")


def test_every_download_url_gives_the_stated_bytes_media_type_and_checksum(site, catalog):
    url, _ = site
    downloads = list(catalog.subject_objects(DCAT.downloadURL))
    assert len(downloads) >= 10
    for dist, download in downloads:
        assert str(download).startswith(url + "exports/")
        status, headers, body = get(str(download))
        assert status == 200, download
        media = str(catalog.value(dist, DCAT.mediaType)).removeprefix("https://www.iana.org/assignments/media-types/")
        assert headers["content-type"].split(";")[0] == media, download
        assert len(body) == int(catalog.value(dist, DCAT.byteSize)), download
        checksum = catalog.value(dist, URIRef(SPDX + "checksum"))
        assert hashlib.sha256(body).hexdigest() == str(catalog.value(checksum, URIRef(SPDX + "checksumValue")))
    assert get(url + "exports/catalog.ttl")[2] == (site[1] / "catalog.ttl").read_bytes()
    for other in ("serve.log", "..%2Fserve.log", "nope.ttl", ".catalog.ttl.tmp"):
        assert get(url + "exports/" + other)[0] == 404, other


def test_every_iri_the_catalog_mints_resolves(site, catalog):
    url, _ = site
    minted = {str(t).split("#")[0] for triple in catalog for t in triple
              if isinstance(t, URIRef) and str(t).startswith(SITE_ROOT)}
    assert {DEFAULT_BASE + "catalog", DATASET, DEFAULT_BASE + "service/sparql", SITE_ROOT + "ontology"} <= minted
    assert any("/distribution/" in i for i in minted) and any("/agent/" in i for i in minted)
    for iri in sorted(minted):
        status, headers, body = get(url + iri.removeprefix(SITE_ROOT), "text/turtle")
        assert status == 200, iri
        if iri != SITE_ROOT:  # the homepage is the query page
            assert headers["content-type"].startswith("text/turtle"), iri
            assert len(Graph().parse(data=body.decode(), format="turtle", publicID=iri)) > 0, iri
    # the site's own URLs in the catalog: the endpoint (and its description)
    for endpoint in {str(o) for o in catalog.objects(None, DCAT.endpointURL)}:
        assert endpoint == url + "sparql" and get(endpoint)[0] == 200
    status, headers, _ = get(url + "ontology", "text/html")
    assert status == 200 and headers["content-type"].startswith("text/html")


def test_the_ontology_version_iri_resolves(site):
    url, _ = site
    onto = Graph().parse(data=get(url + "ontology", "text/turtle")[2].decode(), format="turtle")
    version = str(onto.value(URIRef(SITE_ROOT + "ontology"), URIRef("http://www.w3.org/2002/07/owl#versionIRI")))
    assert version.startswith(SITE_ROOT + "ontology/")
    assert get(url + version.removeprefix(SITE_ROOT), "text/turtle")[0] == 200
    assert get(url + "ontology/0.0.0-none", "text/turtle")[0] == 404


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { %s }"
PATTERN = "?s a sy:QuantifiedStatement ; sy:value ?v"


def ask_count(url: str, query: str, **params) -> int:
    body = urllib.parse.urlencode({"query": query, **params}).encode()
    status, _, data = get(url + "sparql", "application/sparql-results+json", body)
    assert status == 200, data
    return int(json.loads(data)["results"]["bindings"][0]["n"]["value"])


def test_one_dataset_graph_name_in_kg_serve_trig_and_nquads(site, seed_graph):
    import pyoxigraph as ox

    url, exports = site
    expected = len(set(seed_graph.subjects(RDF.type, SY.QuantifiedStatement)))
    assert expected > 0
    plain = ask_count(url, COUNT % PATTERN)
    named = ask_count(url, COUNT % f"GRAPH <{DATASET}> {{ {PATTERN} }}")
    default = ask_count(url, COUNT % PATTERN, **{"default-graph-uri": DATASET})
    assert plain == named == default == expected
    assert ask_count(url, COUNT % PATTERN, **{"default-graph-uri": DEFAULT_BASE + "catalog"}) == 0
    for name in ("shenyang.trig", "shenyang.nq"):
        store = ox.Store()
        store.bulk_load(path=str(exports / name), format=ox.RdfFormat.from_extension(name.rsplit(".")[1]))
        q = "PREFIX sy: <https://w3id.org/shenyang-policy/ontology#> " + COUNT % f"GRAPH <{DATASET}> {{ {PATTERN} }}"
        assert int(next(iter(store.query(q)))["n"].value) == expected, name
        assert {g.value for g in store.named_graphs()} == {DATASET, SITE_ROOT + "ontology"}, name


def a_measure_with_statements(seed_graph) -> tuple[URIRef, set]:
    by_measure: dict = {}
    for s, m in seed_graph.subject_objects(SY.measure):
        by_measure.setdefault(m, set()).add(s)
    measure = max(sorted(by_measure), key=lambda m: len(by_measure[m]))
    return measure, by_measure[measure]


def test_a_measure_page_lists_its_statements_in_html_and_turtle(site, seed_graph):
    url, _ = site
    measure, statements = a_measure_with_statements(seed_graph)
    assert len(statements) >= 2
    path = url + str(measure).removeprefix(SITE_ROOT)
    status, _, body = get(path, "text/turtle")
    assert status == 200
    g = Graph().parse(data=body.decode(), format="turtle")
    assert set(g.subjects(SY.measure, measure)) == statements
    assert {t for t in g if t[0] == measure} == {t for t in seed_graph if t[0] == measure}  # its CBD too
    status, _, body = get(path, "text/html")
    page = body.decode()
    assert status == 200 and "Incoming links" in page
    section = page[page.index("id=incoming"):]
    assert f"({len(statements)})" in section
    for s in statements:
        assert "/id/" + str(s).removeprefix(DEFAULT_BASE) in section


def test_incoming_links_are_paged(site, seed_graph):
    from kg.serve.describe import PAGE_SIZE

    url, _ = site
    year = max(set(seed_graph.objects(None, SY.year)), key=lambda y: len(set(seed_graph.subjects(SY.year, y))))
    linking = set(seed_graph.subjects(SY.year, year))
    assert len(linking) > PAGE_SIZE, "the seed graph has a year with more links than a page"
    path = url + str(year).removeprefix(SITE_ROOT)
    seen, page, nexts = set(), 1, []
    while True:
        status, headers, body = get(f"{path}?page={page}", "text/turtle")
        assert status == 200
        got = set(Graph().parse(data=body.decode(), format="turtle").subjects(SY.year, year))
        assert len(got) <= PAGE_SIZE and not got & seen
        seen |= got
        nexts.append('rel="next"' in headers.get("link", ""))
        if not nexts[-1]:
            break
        page += 1
    assert seen == linking and nexts == [True] * (page - 1) + [False]
    assert get(f"{path}?page=0", "text/turtle")[0] == 400
