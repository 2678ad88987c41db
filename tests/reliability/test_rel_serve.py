"""`kg serve` under load and attack, on loopback: a real server process on a free port serving the seed graph
(plus one resource with a hostile label), driven by benchmarks/serve_load.py's load generator.

While the load runs: pathological queries (a cartesian product, a regex over every pair of literals) hit the
time limit (503) and every other request is still answered (0 errors); a huge result is cut at --max-rows and
flagged; /id/ paths that try to climb out are refused however they are encoded; every HTML page escapes what
it echoes. Counts only, no timed assertions (speed is the benchmark's business)."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import urllib.parse
from html import escape
from pathlib import Path

import pytest
from rdflib import Graph

from kg.export import serialize
from kg.namespaces import DEFAULT_BASE

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("serve_load", ROOT / "benchmarks" / "serve_load.py")
serve_load = sys.modules.setdefault("serve_load", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(serve_load)

TIMEOUT = 3  # seconds: the server's --timeout
MAX_ROWS = 100
HOSTILE = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"
HOSTILE_IRI = DEFAULT_BASE + "test/hostile"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
REGEX_ALL = ('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?t ?q ?u '
             'FILTER(isLiteral(?o) && isLiteral(?u) && REGEX(CONCAT(STR(?o), STR(?u)), "^(a|aa)+(b|bb)+$", "i")) }')


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_graph):
    hostile = tmp_path_factory.mktemp("serve-load") / "seed-hostile.nt"
    text = HOSTILE.replace('"', '\\"')
    extra = (f'<{HOSTILE_IRI}> <http://www.w3.org/2000/01/rdf-schema#label> "{text}"@zh .\n'
             f'<{HOSTILE_IRI}> <http://www.w3.org/2000/01/rdf-schema#comment> "{text}" .\n')
    hostile.write_bytes(serialize(seed_graph, "nt") + extra.encode("utf-8"))
    with serve_load.ServeProcess(hostile, workers=3, timeout=TIMEOUT, max_rows=MAX_ROWS,
                                 log=hostile.with_suffix(".log")) as s:
        yield s.url


def get(base: str, path: str, accept: str = "application/sparql-results+json"):
    return serve_load.request(base, "GET", path, accept)


def sparql(base: str, query: str, accept: str = "application/sparql-results+json"):
    return get(base, serve_load.sparql_path(query), accept)


def test_bounded_load_has_no_errors(server):
    result = serve_load.run_load(server, requests=400, clients=16)
    assert result.errors == []
    assert len(result.latencies) == 400 and len(result.kinds) == 8  # every kind of request was answered
    assert 0 < result.percentile(50) <= result.percentile(99)


@pytest.mark.parametrize("query", [CARTESIAN, REGEX_ALL], ids=["cartesian", "regex-over-every-literal"])
def test_pathological_query_times_out_while_the_load_is_answered(server, query):
    stop = threading.Event()
    box = {}
    load = threading.Thread(target=lambda: box.update(result=serve_load.run_load(server, 100_000, 4, stop=stop)))
    load.start()
    try:
        status, _, body = sparql(server, query)
    finally:
        stop.set()
        load.join()
    result = box["result"]
    assert status == 503 and f"limit of {TIMEOUT:g} s" in body.decode()
    assert result.errors == []
    assert len(result.latencies) >= 4  # others were answered while the bad query ran
    # the killed worker was replaced: the server still answers
    status, _, body = sparql(server, "ASK { ?s a sy:District }")
    assert status == 200 and json.loads(body)["boolean"] is True


@pytest.mark.parametrize("query,accept", [
    ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", "application/sparql-results+json"),
    ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", "text/csv"),
    ("CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }", "application/n-triples"),
])
def test_a_huge_result_is_capped(server, seed_graph, query, accept):
    assert len(seed_graph) ** 2 > 1000 * MAX_ROWS
    status, headers, body = sparql(server, query, accept)
    assert status == 200 and headers.get("x-kg-truncated") == "true"
    if accept.endswith("json"):
        assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
    elif accept == "text/csv":
        assert len(body.decode().strip().splitlines()) == MAX_ROWS + 1  # header + rows
    else:
        assert len(Graph().parse(data=body, format="nt")) <= MAX_ROWS


@pytest.mark.parametrize("path", [
    "/id/../../etc/passwd", "/id/..%2f..%2fetc%2fpasswd", "/id/%2e%2e/%2e%2e/etc/passwd",
    "/id/%252e%252e%252f%252e%252e%252fetc%252fpasswd", "/id/.%2e/.%2e/etc/passwd", "/id/%2E%2E%5C%2E%2E%5Cetc",
    "/id/..\\..\\etc\\passwd", "/id/district/../../../etc/passwd", "/id//etc/passwd", "/id/%2fetc%2fpasswd",
    "/id/x%00/../../etc/passwd", "/id/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/../../etc/passwd",
    "/id/%25%32%65%25%32%65/etc/passwd",
])
def test_path_traversal_is_refused(server, path):
    for accept in ("text/html", "text/turtle"):
        status, _, body = get(server, path, accept)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body and b"/bin/" not in body


def test_the_query_page_escapes_what_it_echoes(server):
    status, headers, body = get(server, "/?q=" + urllib.parse.quote(HOSTILE), "text/html")
    assert status == 200 and "default-src 'none'" in headers.get("content-security-policy", "")
    check_escaped(body)


@pytest.mark.parametrize("query", [
    f"SELECT ?x WHERE {{ BIND({json.dumps(HOSTILE)} AS ?x) }}",           # in the results table
    f"SELECT * WHERE {{ ?s ?p {json.dumps(HOSTILE)} }} ORDER BY",           # in a syntax error and the form
    f"SELECT ?l WHERE {{ <{HOSTILE_IRI}> ?p ?l }}",                          # data from the graph
    f"CONSTRUCT {{ <{HOSTILE_IRI}> ?p ?l }} WHERE {{ <{HOSTILE_IRI}> ?p ?l }}",
    f"ASK {{ ?s ?p {json.dumps(HOSTILE)} }} # </textarea>{HOSTILE}",
])
def test_html_results_and_errors_escape_everything(server, query):
    status, headers, body = sparql(server, query, "text/html")
    assert status in (200, 400) and headers["content-type"].startswith("text/html")
    check_escaped(body)


def test_resource_page_escapes_labels(server):
    path = "/id/" + HOSTILE_IRI.removeprefix(DEFAULT_BASE)
    status, _, body = get(server, path, "text/html")
    assert status == 200
    check_escaped(body, must_echo=True)


def check_escaped(body: bytes, must_echo: bool = False) -> None:
    page = body.decode("utf-8")
    for raw in ("<script>alert(1)", "<img src=x", "'><script", "</textarea><script"):
        assert raw not in page, raw
    if must_echo or HOSTILE[:8] in page or escape(HOSTILE)[:20] in page:
        assert escape("<script>alert(1)</script>") in page or "&lt;script&gt;alert(1)" in page
