"""`kg serve` tested as a client sees it: a real server process on a free loopback port, queried with
SPARQLWrapper and raw HTTP. Expected answers come from the seed graph itself (rdflib), not from the server."""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import kg_serve, sparql_json_rows
from kg.namespaces import DEFAULT_BASE, SY

MAX_ROWS = 50
TIMEOUT = 4  # seconds: the server's --timeout for these tests
# A pathological query: the cartesian product of the graph with itself three times (10^12 rows to count).
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def graph_file(seed_nt) -> Path:
    return seed_nt


@pytest.fixture(scope="module")
def server(graph_file):
    """`kg serve` in a subprocess on a free loopback port; stopped after the module's tests."""
    with kg_serve(["--graph", str(graph_file), "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS),
                   "--workers", "2"], graph_file.parent / "serve.log") as base:
        yield base


def client(server, query: str, fmt=JSON, method=None) -> SPARQLWrapper:
    w = SPARQLWrapper(server + "/sparql")
    w.setOnlyConneg(True)  # content negotiation by Accept only, no format= parameter
    w.setQuery(query)
    w.setReturnFormat(fmt)
    if method:
        w.setMethod(POST)
        if method == POSTDIRECTLY:
            w.setRequestMethod(POSTDIRECTLY)
    return w


def raw_get(server: str, path: str, accept: str | None = None) -> tuple[int, dict, bytes]:
    """GET with the path sent exactly as written (no client-side normalisation of dot segments)."""
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    if accept:
        conn.putheader("Accept", accept)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def http_request(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


DISTRICT_LABELS = """
SELECT ?d ?label WHERE { ?d a sy:District ; rdfs:label ?label FILTER(LANG(?label) = "zh") }
"""


def expected_district_labels(seed_graph) -> set[tuple[str, str]]:
    return {(str(d), str(label)) for d in seed_graph.subjects(RDF.type, SY.District)
            for label in seed_graph.objects(d, RDFS.label) if label.language == "zh"}


# ---------------------------------------------------------------------------------------------------------
# SPARQL 1.1 Protocol: methods and content negotiation


@pytest.mark.parametrize("method", [None, POST, POSTDIRECTLY], ids=["GET", "POST-form", "POST-direct"])
def test_select_json_matches_the_graph(server, seed_graph, method):
    res = client(server, DISTRICT_LABELS, JSON, method).query()
    assert res.info()["content-type"].startswith("application/sparql-results+json")
    data = res.convert()
    got = {(b["d"]["value"], b["label"]["value"]) for b in data["results"]["bindings"]}
    expected = expected_district_labels(seed_graph)
    assert len(expected) >= 10 and got == expected
    assert all(b["label"].get("xml:lang") == "zh" for b in data["results"]["bindings"])


def test_select_xml_csv_tsv_give_the_same_rows(server, seed_graph):
    expected = expected_district_labels(seed_graph)

    res = client(server, DISTRICT_LABELS, XML).query()
    assert res.info()["content-type"].startswith("application/sparql-results+xml")
    doc = res.convert()
    rows = set()
    for result in doc.getElementsByTagName("result"):
        vals = {b.getAttribute("name"): b.firstChild.firstChild.data for b in result.getElementsByTagName("binding")}
        rows.add((vals["d"], vals["label"]))
    assert rows == expected

    res = client(server, DISTRICT_LABELS, CSV).query()
    assert res.info()["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(res.convert().decode("utf-8"))))
    assert table[0] == ["d", "label"] and {tuple(r) for r in table[1:]} == expected

    res = client(server, DISTRICT_LABELS, TSV).query()
    assert res.info()["content-type"].startswith("text/tab-separated-values")
    lines = res.convert().decode("utf-8").splitlines()
    assert lines[0] == "?d\t?label"
    assert {tuple(line.split("\t")) for line in lines[1:]} == {(f"<{d}>", f'"{lab}"@zh') for d, lab in expected}


def test_ask(server):
    w = client(server, "ASK { ?s a sy:Goal }", JSON)
    assert w.query().convert()["boolean"] is True
    w = client(server, "ASK { ?s a sy:NoSuchClass }", XML)
    assert "<boolean>false</boolean>" in w.query().convert().toxml()


CONSTRUCT_DISTRICTS = "CONSTRUCT { ?d rdfs:label ?l } WHERE { ?d a sy:District ; rdfs:label ?l }"


def expected_construct(seed_graph) -> Graph:
    g = Graph()
    for d in seed_graph.subjects(RDF.type, SY.District):
        for label in seed_graph.objects(d, RDFS.label):
            g.add((d, RDFS.label, label))
    return g


@pytest.mark.parametrize("fmt,media,rdflib_format", [(TURTLE, "text/turtle", "turtle"),
                                                     (JSONLD, "application/ld+json", "json-ld")])
def test_construct_turtle_and_jsonld(server, seed_graph, fmt, media, rdflib_format):
    from rdflib.compare import isomorphic

    res = client(server, CONSTRUCT_DISTRICTS, fmt).query()
    assert res.info()["content-type"].startswith(media)
    g = Graph().parse(data=res.response.read(), format=rdflib_format)
    expected = expected_construct(seed_graph)
    assert len(expected) > 10 and isomorphic(g, expected)


def test_construct_ntriples_by_accept(server, seed_graph):
    from urllib.parse import urlencode

    status, headers, body = http_request(server + "/sparql?" + urlencode({"query": CONSTRUCT_DISTRICTS}),
                                         headers={"Accept": "application/n-triples"})
    assert status == 200 and headers["content-type"].startswith("application/n-triples")
    g = Graph().parse(data=body.decode("utf-8"), format="nt")
    assert set(g) == set(expected_construct(seed_graph))


@pytest.mark.parametrize("query,accept", [
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "image/png"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "text/turtle"),  # a graph format for a table
    (CONSTRUCT_DISTRICTS, "text/csv"),  # a table format for a graph
    (CONSTRUCT_DISTRICTS, "application/sparql-results+json"),
])
def test_unacceptable_formats_get_406(server, query, accept):
    from urllib.parse import urlencode

    status, _, body = http_request(server + "/sparql?" + urlencode({"query": query}), headers={"Accept": accept})
    assert status == 406, body
    assert b"Not Acceptable" in body


def test_accept_q_values_are_honoured(server):
    from urllib.parse import urlencode

    url = server + "/sparql?" + urlencode({"query": "SELECT * WHERE { ?s a sy:City }"})
    status, headers, _ = http_request(url, headers={"Accept": "application/sparql-results+json;q=0.5, text/csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    status, headers, _ = http_request(url, headers={"Accept": "text/csv;q=0, */*;q=0.1"})
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")


def test_service_description_without_query(server):
    status, headers, body = http_request(server + "/sparql", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=body.decode(), format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "endpoint"), URIRef(server + "/sparql")) in g


def test_cors_lets_web_pages_query(server):
    from urllib.parse import urlencode

    status, headers, _ = http_request(server + "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"}),
                                      headers={"Origin": "https://example.org", "Accept": "application/json"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert "x-kg-truncated" in headers["access-control-expose-headers"].lower()


# ---------------------------------------------------------------------------------------------------------
# Read-only, federation, limits


def test_oversized_bodies_are_refused(server):
    from kg.serve import MAX_BODY_BYTES

    query = "ASK { ?s ?p ?o }\n#" + "x" * MAX_BODY_BYTES
    status, _, body = http_request(server + "/sparql", query.encode(), {"Content-Type": "application/sparql-query"})
    assert status == 413 and b"bytes" in body


def count_triples(server) -> int:
    return int(client(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").query().convert()
               ["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "LOAD <http://127.0.0.1:9/x.ttl>",
])
def test_updates_are_refused(server, update):
    before = count_triples(server)
    # SPARQLWrapper sends an update as `update=` in a form POST: the protocol's update operation → 403
    w = client(server, update, JSON, POST)
    with pytest.raises(urllib.error.HTTPError) as err:
        w.query()
    assert err.value.code == 403 and b"read-only" in err.value.read()
    # the same text smuggled in as query= is a malformed query → 400
    from urllib.parse import urlencode

    status, _, body = http_request(server + "/sparql", urlencode({"query": update}).encode(),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400
    # and as an application/sparql-update body → 403
    status, _, body = http_request(server + "/sparql", update.encode(),
                                   {"Content-Type": "application/sparql-update"})
    assert status == 403
    assert count_triples(server) == before


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s a sy:District OPTIONAL { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } } } }",
])
def test_service_is_refused(server, query):
    with pytest.raises(QueryBadFormed) as err:
        client(server, query).query()
    assert "SERVICE" in str(err.value)


def test_the_word_service_in_a_literal_is_fine(server):
    res = client(server, 'SELECT ?x WHERE { BIND("SERVICE <http://x/> { }" AS ?x) }').query().convert()
    assert res["results"]["bindings"][0]["x"]["value"].startswith("SERVICE")


def test_syntax_error_is_400_with_position(server):
    with pytest.raises(QueryBadFormed) as err:
        client(server, "SELECT ?s WHERE { ?s ?p }").query()
    assert "line 1" in str(err.value)


def test_row_cap_is_flagged(server, seed_graph):
    assert len(seed_graph) > MAX_ROWS
    res = client(server, "SELECT * WHERE { ?s ?p ?o }").query()
    assert res.info().get("x-kg-truncated") == "true"
    assert len(res.convert()["results"]["bindings"]) == MAX_ROWS
    res = client(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 7").query()
    assert res.info().get("x-kg-truncated") is None
    assert len(res.convert()["results"]["bindings"]) == 7
    res = client(server, "CONSTRUCT WHERE { ?s ?p ?o }", TURTLE).query()
    assert res.info().get("x-kg-truncated") == "true"
    assert len(Graph().parse(data=res.response.read(), format="turtle")) == MAX_ROWS


def test_timeout_stops_the_query_while_others_are_answered(server):
    outcome = {}

    def slow():
        w = client(server, CARTESIAN)
        try:
            w.query()
            outcome["slow"] = 200
        except urllib.error.HTTPError as e:
            outcome["slow"] = e.code
            outcome["message"] = e.read().decode()

    t = threading.Thread(target=slow)
    t.start()
    answered_meanwhile = 0
    while t.is_alive():
        rows = client(server, "SELECT ?c WHERE { ?c a sy:Country }").query().convert()["results"]["bindings"]
        if t.is_alive():  # the slow query was still running when this answer came back
            assert len(rows) == 1
            answered_meanwhile += 1
    t.join()
    assert outcome["slow"] == 503
    assert f"limit of {TIMEOUT:g} s" in outcome["message"] and "stopped" in outcome["message"]
    assert answered_meanwhile >= 1
    # the killed worker is replaced: the server goes on answering
    assert count_triples(server) > 0


# ---------------------------------------------------------------------------------------------------------
# Dereferenceable IRIs


def a_district(seed_graph) -> URIRef:
    return sorted(seed_graph.subjects(RDF.type, SY.District))[0]


def expected_description(seed_graph, iri: URIRef) -> set:
    triples = {(s, p, o) for s, p, o in seed_graph if s == iri or str(s).startswith(str(iri) + "#")}
    for _, _, o in list(triples):
        if isinstance(o, URIRef):
            triples |= {(o, RDFS.label, label) for label in seed_graph.objects(o, RDFS.label)}
    return triples


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                        ("application/n-triples", "nt"), ("*/*", "turtle"), (None, "turtle")])
def test_id_conneg_rdf(server, seed_graph, accept, fmt):
    iri = a_district(seed_graph)
    path = "/id/" + str(iri)[len(DEFAULT_BASE):]
    status, headers, body = raw_get(server, path, accept)
    assert status == 200 and "Accept" in headers["vary"]
    g = Graph().parse(data=body.decode("utf-8"), format=fmt)
    got = set(g)
    assert expected_description(seed_graph, iri) <= got  # ontology labels of classes may come on top
    assert {t for t in got if t[0] == iri} == {t for t in seed_graph if t[0] == iri}


def test_id_html_for_browsers(server, seed_graph):
    iri = a_district(seed_graph)
    path = "/id/" + str(iri)[len(DEFAULT_BASE):]
    status, headers, body = raw_get(server, path, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert status == 200 and headers["content-type"].startswith("text/html") and "Accept" in headers["vary"]
    page = body.decode("utf-8")
    for label in seed_graph.objects(iri, RDFS.label):
        assert str(label) in page
    assert str(iri) in page


def test_id_hash_nodes_and_non_ascii_iris(server, seed_graph):
    hashed = sorted({s for s in seed_graph.subjects() if "#" in str(s) and str(s).startswith(DEFAULT_BASE)})
    doc = URIRef(str(hashed[0]).split("#")[0])
    status, _, body = raw_get(server, "/id/" + str(doc)[len(DEFAULT_BASE):], "text/turtle")
    assert status == 200
    g = Graph().parse(data=body.decode(), format="turtle")
    assert {t for t in seed_graph if t[0] == hashed[0]} <= set(g)
    # an IRI minted from Chinese text, percent-encoded (upper- or lower-case hex both resolve)
    non_ascii = sorted(s for s in seed_graph.subjects() if "%" in str(s) and "#" not in str(s))[0]
    rest = str(non_ascii)[len(DEFAULT_BASE):]
    for variant in (rest, rest.lower().replace(rest.split("/")[0].lower(), rest.split("/")[0])):
        status, _, body = raw_get(server, "/id/" + variant, "application/n-triples")
        assert status == 200, variant
        assert {t for t in seed_graph if t[0] == non_ascii} <= set(Graph().parse(data=body.decode(), format="nt"))


def test_id_unknown_is_404(server):
    for accept in ("text/turtle", "text/html"):
        status, _, _ = raw_get(server, "/id/district/no-such-district", accept)
        assert status == 404


@pytest.mark.parametrize("path", [
    "/id/../../etc/passwd",
    "/id/%2e%2e/%2e%2e/etc/passwd",
    "/id/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/id/..%2f..%2fetc%2fpasswd",
    "/id/%252e%252e/%252e%252e/etc/passwd",
    "/id/district/../../../../etc/passwd",
    "/id/..\\..\\etc\\passwd",
    "/id/.%2e/.%2e/etc/passwd",
])
def test_path_traversal_is_refused(server, path):
    status, _, body = raw_get(server, path, "text/turtle")
    assert status in (400, 404)
    assert b"root:" not in body


# ---------------------------------------------------------------------------------------------------------
# HTML query page


def test_query_page_lists_canned_queries(server):
    from kg import paths

    status, headers, body = raw_get(server, "/", "text/html")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    names = sorted(p.stem for p in paths.QUERIES.glob("*.rq"))
    assert names, "queries/*.rq should hold the canned queries"
    for name in names:
        assert f'value="{name}"' in page
    status, _, body = raw_get(server, f"/?q={names[0]}", "text/html")
    assert status == 200 and "<textarea" in body.decode()


def test_html_escapes_what_it_echoes(server):
    from urllib.parse import quote

    evil = '</textarea><script>alert(1)</script>'
    query = f'SELECT ?x WHERE {{ BIND("{evil}" AS ?x) }}'
    status, _, body = raw_get(server, "/sparql?format=html&query=" + quote(query), "text/html")
    page = body.decode()
    assert status == 200
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # an error page echoes the query too
    status, _, body = raw_get(server, "/sparql?query=" + quote("SELECT " + evil), "text/html")
    assert status == 400 and "<script>" not in body.decode()
    status, _, body = raw_get(server, "/?q=" + quote(evil), "text/html")
    assert "<script>" not in body.decode()


def test_html_results_table(server, seed_graph):
    from urllib.parse import quote

    status, _, body = raw_get(server, "/sparql?query=" + quote(DISTRICT_LABELS),
                              "text/html,application/xhtml+xml,*/*;q=0.8")
    page = body.decode()
    assert status == 200
    for _, label in expected_district_labels(seed_graph):
        assert label in page
    assert f"{len(expected_district_labels(seed_graph))} row(s)" in page


# ---------------------------------------------------------------------------------------------------------
# Every canned query: the endpoint gives the rows `kg query` gives


def canned_rows(result_json: dict):
    return sparql_json_rows(result_json)


def test_canned_queries_answer_as_kg_query(server, graph_file):
    from kg import query as kgquery
    from kg.serve import Dataset, with_defaults

    store = kgquery.load_graph([graph_file], engine="oxigraph")
    dataset = Dataset.load(graph_file)
    checked = 0
    for name, canned in kgquery.canned_queries().items():
        if canned.kind != "select":
            continue
        local = kgquery.run(store, canned)
        if len(local.rows) > MAX_ROWS:
            continue
        got = client(server, with_defaults(canned, dataset)).query().convert()
        expected = sorted(tuple(str(row[v]) for v in local.vars) for row in local.rows)
        assert canned_rows(got) == expected, name
        checked += 1
    assert checked >= 3


# ---------------------------------------------------------------------------------------------------------
# The worker pool: a timed-out query's process is really gone


def test_pool_kills_the_worker_of_a_query_over_time(graph_file):
    from kg.serve import Dataset, QueryPool, QueryRequest, QueryTimeout
    from kg.serve.pool import Busy

    pool = QueryPool(Dataset.load(graph_file), size=1, timeout=1.0).start()
    try:
        (pid,) = pool.worker_pids()
        regex = ('SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f '
                 'FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(a|aa)+$")) }')
        with pytest.raises(QueryTimeout):
            pool.run(QueryRequest(regex, "json", None, 10))
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid)
        reply = None
        for _ in range(600):  # the replacement is loading the graph: the pool says Busy until it is ready
            try:
                reply = pool.run(QueryRequest("ASK { ?s a sy:City }", "json", None, 10))
                break
            except Busy:
                time.sleep(0.1)
        assert json.loads(reply.body)["boolean"] is True
        assert pool.worker_pids() != [pid]
    finally:
        pool.close()


def test_pool_serves_an_on_disk_store_read_only(graph_file, tmp_path, seed_graph):
    """A pyoxigraph store directory is opened read-only by the server and by every worker (no copies)."""
    import pyoxigraph as ox

    from kg.serve import Dataset, QueryPool, QueryRequest, describe

    disk = ox.Store(str(tmp_path / "store"))
    disk.bulk_load(path=str(graph_file), format=ox.RdfFormat.N_TRIPLES)
    disk.flush()
    del disk
    dataset = Dataset.load(tmp_path / "store")
    assert dataset.store_path is not None and dataset.nquads is None and dataset.triples == len(seed_graph)
    assert dataset.base == DEFAULT_BASE
    pool = QueryPool(dataset, size=2, timeout=30).start()
    try:
        reply = pool.run(QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s a sy:District }", "json", None, 10))
        n = json.loads(reply.body)["results"]["bindings"][0]["n"]["value"]
        assert int(n) == len(set(seed_graph.subjects(RDF.type, SY.District)))
    finally:
        pool.close()
    district = a_district(seed_graph)
    assert {(t.subject.value, t.predicate.value) for t in describe(dataset, str(district))} >= \
        {(str(s), str(p)) for s, p, _ in seed_graph.triples((district, None, None))}


def test_a_worker_that_cannot_load_fails_the_start_at_once(tmp_path):
    from kg.errors import KgError
    from kg.serve import Dataset, QueryPool

    broken = Dataset(DEFAULT_BASE, tmp_path / "broken.nq", 0, nquads=b"<urn:a> this is not N-Quads\n")
    with pytest.raises(KgError, match="died while loading"):
        QueryPool(broken, size=1, timeout=1, start_timeout=600).start()


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_serve_without_a_graph_is_a_clear_error(runner, tmp_path):
    from kg.cli import cli

    result = runner.invoke(cli, ["serve", "--graph", str(tmp_path / "missing.ttl")])
    assert result.exit_code == 2
    assert "missing.ttl" in result.output and "kg build" in result.output


def test_serve_on_a_busy_port_is_a_clear_error(runner, graph_file):
    from kg.cli import cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(cli, ["serve", "--graph", str(graph_file), "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


@pytest.mark.skipif(os.name != "posix", reason="loopback default checked on POSIX")
def test_serve_defaults_to_loopback(runner):
    from kg.cli import cli

    result = runner.invoke(cli, ["serve", "--help"])
    assert "127.0.0.1" in result.output
