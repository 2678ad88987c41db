"""`kg push`: SPARQL 1.1 Graph Store HTTP Protocol uploads.

Two kinds of store: a minimal Graph Store written here (HTTP Basic auth, records what it receives, fails on
request) for the client's behaviour, and a real Virtuoso (Debian's virtuoso-opensource, HTTP Digest auth)
started on loopback with a throw-away database, where the pushed graph must answer canned queries as the
local graph does. The Virtuoso tests skip without virtuoso-t, and fail under CI=true (.ci/run installs it).
"""

from __future__ import annotations

import base64
import http.server
import subprocess
import threading
import urllib.parse
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from conftest import free_port, require_binary, sparql_json_rows, wait_until_answering
from kg.namespaces import ONTOLOGY_IRI, SY


@pytest.fixture(scope="module")
def graph_file(seed_ttl) -> Path:
    return seed_ttl


def dataset_of(seed_graph) -> str:
    (subject,) = set(seed_graph.subjects(OWL.imports, ONTOLOGY_IRI))
    return str(subject)


# ---------------------------------------------------------------------------------------------------------
# A minimal Graph Store: Basic auth under /auth/, a failing endpoint under /fail


class _Store(http.server.BaseHTTPRequestHandler):
    received: list = []
    credentials = ("curator", "s3cret")

    def log_message(self, *args):  # quiet
        pass

    def _authorised(self) -> bool:
        if not self.path.startswith("/auth/"):
            return True
        token = base64.b64encode(":".join(self.credentials).encode()).decode()
        if self.headers.get("Authorization") == f"Basic {token}":
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="graphs"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_HEAD(self):
        if self._authorised():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _write(self):
        if not self._authorised():
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/fail"):
            page = b"<html><head><title>Oops</title></head><body><h1>Error</h1><pre>Bad triple at line 3</pre></body></html>"
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        url = urllib.parse.urlsplit(self.path)
        self.received.append({"method": self.command, "path": url.path, "query": urllib.parse.parse_qs(url.query),
                              "content_type": self.headers.get("Content-Type"), "body": body,
                              "auth": self.headers.get("Authorization")})
        self.send_response(201 if self.command == "PUT" else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = _write
    do_POST = _write


@pytest.fixture()
def store():
    _Store.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Store.received
    server.shutdown()
    server.server_close()


def test_put_replaces_the_dataset_graph_with_basic_auth(store, graph_file, seed_graph):
    from kg.push import push

    url, received = store
    result = push(graph_file, url + "/auth/data", user="curator", password="s3cret")
    assert result.method == "PUT" and result.status == 201 and result.triples == len(seed_graph)
    (req,) = received
    assert req["method"] == "PUT"
    assert req["query"] == {"graph": [dataset_of(seed_graph)]}
    assert req["content_type"] == "application/n-triples; charset=utf-8"
    assert req["auth"].startswith("Basic ")
    sent = Graph().parse(data=req["body"].decode("utf-8"), format="nt")
    assert set(sent) == set(seed_graph)  # every triple, Chinese literals intact
    assert "replaced graph" in result.summary() and str(len(seed_graph)) in result.summary()


def test_append_posts_turtle_to_a_named_graph(store, graph_file, seed_graph):
    from kg.push import push

    url, received = store
    result = push(graph_file, url + "/data", graph="urn:example:g", append=True, body_format="turtle")
    assert result.method == "POST" and result.status == 204
    (req,) = received
    assert req["method"] == "POST" and req["query"] == {"graph": ["urn:example:g"]}
    assert req["content_type"].startswith("text/turtle") and req["auth"] is None
    assert len(Graph().parse(data=req["body"].decode("utf-8"), format="turtle")) == len(seed_graph)


def test_wrong_or_missing_credentials_send_nothing(store, graph_file):
    from kg.push import PushError, push

    url, received = store
    with pytest.raises(PushError) as err:
        push(graph_file, url + "/auth/data", user="curator", password="wrong")
    assert "401" in str(err.value) and "curator" in str(err.value) and "Nothing was sent" in str(err.value)
    with pytest.raises(PushError) as err:
        push(graph_file, url + "/auth/data")
    assert "--user" in str(err.value) and "Basic" in str(err.value)
    assert received == []


def test_store_errors_quote_the_store_and_claim_nothing(store, graph_file):
    from kg.push import PushError, push

    url, _ = store
    with pytest.raises(PushError) as err:
        push(graph_file, url + "/fail")
    message = str(err.value)
    assert "HTTP 500" in message and "Bad triple at line 3" in message and "<pre>" not in message
    assert "push again" in message


def test_connection_refused(graph_file):
    from kg.push import PushError, push

    with pytest.raises(PushError) as err:
        push(graph_file, f"http://127.0.0.1:{free_port()}/data")
    assert "cannot connect" in str(err.value) and "Nothing was sent" in str(err.value)


def test_cli_push(runner, store, graph_file, seed_graph, tmp_path):
    from kg.cli import cli

    url, received = store
    result = runner.invoke(cli, ["push", str(graph_file), "--endpoint", url + "/auth/data", "--user", "curator",
                                 "--password", "s3cret"])
    assert result.exit_code == 0, result.output
    assert f"with {len(seed_graph)} triples" in result.output and "HTTP 201" in result.output
    result = runner.invoke(cli, ["push", str(graph_file), "--endpoint", url + "/fail"])
    assert result.exit_code == 1 and result.output.startswith("Error: PUT") and "Traceback" not in result.output
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n")
    result = runner.invoke(cli, ["push", str(bad), "--endpoint", url + "/data"])
    assert result.exit_code == 2 and "bad.ttl" in result.output
    assert len(received) == 1


# ---------------------------------------------------------------------------------------------------------
# A real Virtuoso on loopback with a throw-away database

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 4
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 120
"""


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """Virtuoso (virtuoso-t from Debian's virtuoso-opensource) on two free loopback ports with a fresh
    database in a temporary directory; user dba/dba may write through /sparql-graph-crud-auth (Digest)."""
    binary = require_binary("virtuoso-t")
    d = tmp_path_factory.mktemp("virtuoso")
    http_port, sql_port = free_port(), free_port()
    (d / "virtuoso.ini").write_text(VIRTUOSO_INI.format(d=d, http_port=http_port, sql_port=sql_port))
    log = open(d / "stdout.log", "wb")
    proc = subprocess.Popen([binary, "+configfile", str(d / "virtuoso.ini"), "+foreground"], cwd=d,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_until_answering(proc, base + "/sparql?query=ASK%7B%7D", 180, "Virtuoso",
                             lambda: (d / "stdout.log").read_text()[-2000:])
        yield {"sparql": base + "/sparql", "crud": base + "/sparql-graph-crud-auth", "user": "dba",
               "password": "dba"}
    finally:
        proc.terminate()  # Virtuoso checkpoints and exits on SIGTERM
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def virtuoso_select(endpoint: str, query: str, graphs: list[str]) -> dict:
    from SPARQLWrapper import JSON, SPARQLWrapper

    from kg.query import prefix_declarations

    w = SPARQLWrapper(endpoint)
    w.setQuery(prefix_declarations() + "\n" + query)
    w.setReturnFormat(JSON)
    w.setMethod("POST")  # long queries; form-encoded UTF-8
    for g in graphs:
        w.addDefaultGraph(g)
    return w.query().convert()


def normalised_rows(data: dict, names: list[str]) -> list[tuple]:
    """Virtuoso's JSON rows as kg.query's canonical terms (decimals, integer types, xsd:string), sorted."""
    return sparql_json_rows(data, names)


def virtuoso_count(v, graph: str) -> int:
    data = virtuoso_select(v["sparql"], "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", [graph])
    return int(data["results"]["bindings"][0]["n"]["value"])


#: Canned queries compared with Virtuoso: aggregates with Chinese labels, decimals and year parameters,
#: and every quantified statement with its quoted source text. (goal-tree builds indented labels with
#: CONCAT of a non-ASCII literal, which Virtuoso 7.2 mis-encodes; category-values uses skos:broader*, whose
#: duplicates Virtuoso does not remove — both Virtuoso deviations, documented in docs/serve.md.)
COMPARED = ("targets-by-district", "compare-years", "provenance-audit")


@pytest.mark.store
def test_push_to_virtuoso_answers_as_the_local_graph(virtuoso, runner, graph_file, seed_graph):
    from kg import paths
    from kg import query as kgquery
    from kg.cli import cli

    data_graph = dataset_of(seed_graph)
    for args in ([str(graph_file)], [str(paths.ONTOLOGY), "--graph", str(ONTOLOGY_IRI), "--body-format", "turtle"]):
        result = runner.invoke(cli, ["push", *args, "--endpoint", virtuoso["crud"], "--user", virtuoso["user"],
                                     "--password", virtuoso["password"]])
        assert result.exit_code == 0, result.output
    assert virtuoso_count(virtuoso, data_graph) == len(seed_graph)

    # one dataset graph name: the same COUNT with default-graph-uri, with GRAPH and plainly (as on kg serve,
    # tests/test_lod_serve.py)
    pattern = "?s a sy:QuantifiedStatement ; sy:value ?v"
    expected_n = len(set(seed_graph.subjects(RDF.type, SY.QuantifiedStatement)))
    ways = {"default-graph-uri": (f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", [data_graph]),
            "GRAPH": (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{data_graph}> {{ {pattern} }} }}", []),
            "plainly": (f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", [])}
    counts = {way: int(virtuoso_select(virtuoso["sparql"], q, g)["results"]["bindings"][0]["n"]["value"])
              for way, (q, g) in ways.items()}
    assert counts == dict.fromkeys(ways, expected_n) and expected_n > 0, counts

    # Chinese literals survive the trip (the body is sent as UTF-8 and labelled so)
    labels = virtuoso_select(virtuoso["sparql"], 'SELECT ?d ?l WHERE { ?d a sy:District ; rdfs:label ?l '
                             'FILTER(LANG(?l) = "zh") }', [data_graph])
    expected = sorted((str(d), str(lab)) for d in seed_graph.subjects(RDF.type, SY.District)
                      for lab in seed_graph.objects(d, RDFS.label) if lab.language == "zh")
    assert normalised_rows(labels, ["d", "l"]) == expected and len(expected) >= 10

    local_store = kgquery.load_graph([graph_file], engine="oxigraph")  # data + ontology, as kg query sees it
    queries = kgquery.canned_queries()
    for name in COMPARED:
        canned = queries[name]
        local = kgquery.run(local_store, canned)
        text, _ = kgquery.bind_params(local_store, canned.text, {}, canned.params)
        remote = virtuoso_select(virtuoso["sparql"], text, [data_graph, str(ONTOLOGY_IRI)])
        want = sorted(tuple(str(row[v]) for v in local.vars) for row in local.rows)
        assert len(want) > 0, name
        assert normalised_rows(remote, local.vars) == want, name


@pytest.mark.store
def test_virtuoso_put_replaces_and_append_adds(virtuoso, graph_file, seed_graph, tmp_path):
    from kg.push import push

    small = tmp_path / "small.nt"
    small.write_text("<urn:kg:test:a> <urn:kg:test:p> \"一\" .\n<urn:kg:test:a> <urn:kg:test:p> \"二\" .\n"
                     "<urn:kg:test:b> <urn:kg:test:p> <urn:kg:test:a> .\n", encoding="utf-8")
    graph = "urn:kg:test:replace"
    auth = {"user": virtuoso["user"], "password": virtuoso["password"]}
    push(small, virtuoso["crud"], graph=graph, **auth)
    assert virtuoso_count(virtuoso, graph) == 3
    push(graph_file, virtuoso["crud"], graph=graph, **auth)  # PUT: the three triples are gone
    assert virtuoso_count(virtuoso, graph) == len(seed_graph)
    result = push(small, virtuoso["crud"], graph=graph, append=True, **auth)
    assert result.method == "POST"
    assert virtuoso_count(virtuoso, graph) == len(seed_graph) + 3


@pytest.mark.store
def test_virtuoso_digest_auth_errors(virtuoso, graph_file):
    from kg.push import PushError, push

    with pytest.raises(PushError) as err:
        push(graph_file, virtuoso["crud"], user="dba", password="not-the-password")
    assert "401" in str(err.value) and "Nothing was sent" in str(err.value)
    with pytest.raises(PushError) as err:
        push(graph_file, virtuoso["crud"])
    assert "Digest" in str(err.value) and "--user" in str(err.value)
