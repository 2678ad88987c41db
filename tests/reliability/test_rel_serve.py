"""`kg serve` under load and attack, on loopback: a real server process on a free port serving the seed graph
(plus one resource with a hostile label), driven by benchmarks/serve_load.py's load generator.

While the load runs: pathological queries (a cartesian product, a regex over every pair of literals) hit the
time limit (503) and every other request is still answered (0 errors); a huge result is cut at --max-rows and
flagged; /id/ paths that try to climb out are refused however they are encoded; every HTML page escapes what
it echoes. Counts only, no timed assertions (speed is the benchmark's business)."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import threading
import urllib.parse
from html import escape
from pathlib import Path

import pytest
from rdflib import Graph

from kg.export import serialize
from kg.namespaces import DEFAULT_BASE
from kg.serve.protocol import HEADER_TIMEOUT

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


# HTTP framing, slow clients, saturation, parsing and memory (issue 19)

CROSS_SORTED = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
UNION_1000 = "SELECT * WHERE { " + " UNION ".join(f"{{ ?s ?p {i} }}" for i in range(1000)) + " }"


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def _read_until_closed(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def test_content_length_with_transfer_encoding_closes_the_connection(server):
    """RFC 9112 §6.3: the request is refused and the connection closed, so the request smuggled in its body
    is never answered."""
    smuggled = b"GET /sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b"0\r\n\r\n" + smuggled
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as s:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                  b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(body) + body)
        data = _read_until_closed(s)
    assert data.startswith(b"HTTP/1.1 400") and data.count(b"HTTP/1.1 ") == 1


@pytest.mark.slow
def test_a_client_that_never_finishes_its_headers_is_cut_off(server):
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=HEADER_TIMEOUT + 30) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # … and never the blank line
        assert _read_until_closed(s) == b""  # closed by the server, not by our socket timeout
    status, _, _ = sparql(server, "ASK { ?s ?p ?o }")
    assert status == 200


def test_a_query_too_big_to_parse_is_413_with_its_own_message(server):
    status, _, body = sparql(server, UNION_1000, "text/plain")
    assert status == 413 and b"too big to parse" in body and b"syntax error" not in body


def test_saturation_is_answered_at_once_with_retry_after(server):
    """All workers busy with expensive queries: a cheap request gets 503 + Retry-After instead of a queue."""
    answers: list = []
    hogs = [threading.Thread(target=lambda: answers.append(sparql(server, CARTESIAN)[0])) for _ in range(4)]
    for t in hogs:
        t.start()
    try:
        statuses = [sparql(server, "ASK { ?s ?p ?o }") for _ in range(3)]
    finally:
        for t in hogs:
            t.join()
    busy = [(st, h) for st, h, _ in statuses if st == 503]
    assert busy and all(h.get("retry-after") == "1" for _, h in busy)
    assert set(answers) == {503}


@pytest.fixture(scope="module")
def small_server(seed_nt):
    with serve_load.ServeProcess(seed_nt, workers=1, timeout=60, extra=("--max-memory", "200")) as s:
        yield s.url


def test_a_query_over_the_memory_limit_is_stopped_with_503(small_server):
    status, headers, body = sparql(small_server, CROSS_SORTED, "text/plain")
    assert status == 503 and b"MB per query" in body and headers.get("retry-after") == "1"
    status, _, _ = sparql(small_server, "ASK { ?s ?p ?o }")  # a fresh worker took its place
    assert status == 200
