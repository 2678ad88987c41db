"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint, dereferenceable IRIs and an HTML query page.

An ASGI app (Starlette, run by uvicorn). Queries run in a small pool of worker processes, each holding the
graph in an in-memory pyoxigraph store; a query that passes the time limit is stopped by killing its worker
(a fresh one replaces it), so a runaway query never keeps a CPU busy and the other workers keep answering.

Routes
  GET /                 HTML query page; `?q=NAME` loads the canned query queries/NAME.rq
  GET|POST /sparql      SPARQL 1.1 Protocol: `query=` (GET or form POST) or an application/sparql-query body;
                        results as JSON, XML, CSV, TSV (SELECT/ASK) or Turtle, JSON-LD, N-Triples, RDF/XML
                        (CONSTRUCT/DESCRIBE) by Accept (or `format=`), HTML for browsers; 406 otherwise.
                        UPDATE (`update=` or application/sparql-update) → 403, SERVICE → 400, over the
                        time limit → 503, more than --max-rows rows → cut, with `X-KG-Truncated: true`.
  GET /id/PATH          the resource BASE/PATH: every triple with it (or a BASE/PATH#hash node of the same
                        document) as subject, plus the labels of the IRIs it points to. 200 with content
                        negotiation (HTML, Turtle, JSON-LD, N-Triples; `Vary: Accept`; `?format=` overrides),
                        404 when the graph says nothing about it, 400 for dot segments (path traversal).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import queue
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from itertools import islice
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

from . import paths
from .errors import InputError, KgError
from .namespaces import DEFAULT_BASE, ONTOLOGY_IRI, PREFIXES
from .query import QUERY_PREFIXES, QueryTimeout

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel")
MAX_QUERY_CHARS = 100_000
MAX_BODY_BYTES = 1_000_000  # a POSTed query (or form) larger than this is refused with 413

# --------------------------------------------------------------------------------------------------------
# Formats and content negotiation

#: format name → (canonical Content-Type, pyoxigraph format attribute or None for the ones rendered here)
RESULT_FORMATS = {
    "json": ("application/sparql-results+json", "JSON"),
    "xml": ("application/sparql-results+xml; charset=utf-8", "XML"),
    "csv": ("text/csv; charset=utf-8", "CSV"),
    "tsv": ("text/tab-separated-values; charset=utf-8", "TSV"),
    "html": ("text/html; charset=utf-8", None),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle; charset=utf-8", "TURTLE"),
    "jsonld": ("application/ld+json", "JSON_LD"),
    "nt": ("application/n-triples; charset=utf-8", "N_TRIPLES"),
    "rdfxml": ("application/rdf+xml; charset=utf-8", "RDF_XML"),
    "html": ("text/html; charset=utf-8", None),
}
#: media types a client may ask for → format name, in the server's order of preference (first wins ties)
RESULT_OFFERS = [
    ("application/sparql-results+json", "json"), ("application/json", "json"),
    ("application/sparql-results+xml", "xml"), ("application/xml", "xml"), ("text/xml", "xml"),
    ("text/csv", "csv"), ("text/tab-separated-values", "tsv"),
    ("text/html", "html"), ("application/xhtml+xml", "html"),
]
GRAPH_OFFERS = [
    ("text/turtle", "turtle"), ("application/turtle", "turtle"), ("application/x-turtle", "turtle"),
    ("application/ld+json", "jsonld"), ("application/x-json+ld", "jsonld"),
    ("application/n-triples", "nt"), ("text/plain", "nt"),
    ("application/rdf+xml", "rdfxml"),
    ("text/html", "html"), ("application/xhtml+xml", "html"),
]
#: `format=` / `output=` values (SPARQLWrapper sends these too) → (results format, graph format)
FORMAT_PARAMS = {
    "json": ("json", "jsonld"), "xml": ("xml", "rdfxml"), "csv": ("csv", None), "tsv": ("tsv", None),
    "html": ("html", "html"), "turtle": (None, "turtle"), "ttl": (None, "turtle"), "n3": (None, "turtle"),
    "json-ld": (None, "jsonld"), "jsonld": (None, "jsonld"), "nt": (None, "nt"), "ntriples": (None, "nt"),
    "rdf": (None, "rdfxml"), "rdf+xml": (None, "rdfxml"), "rdfxml": (None, "rdfxml"),
}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """An Accept header as (media range, q) pairs; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    out = []
    for part in header.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for p in params:
            if p.lower().startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(p[2:])))
                except ValueError:
                    q = 0.0
        out.append((media.lower(), q))
    return out or [("*/*", 1.0)]


def negotiate(accept: str | None, offers: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The offer (media type, format) the client prefers most (RFC 9110: the most specific matching range
    gives an offer its q; q=0 refuses it); ties go to the earlier offer. None: nothing acceptable."""
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for offer in offers:
        media = offer[0]
        major = media.split("/")[0]
        q, specificity = 0.0, -1
        for rng, rq in ranges:
            s = 3 if rng == media else 2 if rng == f"{major}/*" else 1 if rng == "*/*" else -1
            if s > specificity:
                specificity, q = s, rq
        if q > best_q:
            best, best_q = offer, q
    return best


# --------------------------------------------------------------------------------------------------------
# Read-only checks


class RequestRefused(KgError):
    """A request the endpoint will not run: `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def check_query(sparql: str) -> None:
    """Refuse what a read-only public endpoint must not run: updates (403), federation (SERVICE, 400),
    syntax errors and oversized queries (400). The query itself is parsed by the worker."""
    if len(sparql) > MAX_QUERY_CHARS:
        raise RequestRefused(f"the query has {len(sparql)} characters; the limit is {MAX_QUERY_CHARS}", 413)
    from . import query as kgquery

    try:
        kgquery.check_read_only(sparql)
    except (kgquery.ReadOnlyError, kgquery.QuerySyntaxError) as e:
        raise RequestRefused(str(e), 400) from None


# --------------------------------------------------------------------------------------------------------
# The graph


def _rdf_format(path: Path):
    import pyoxigraph as ox

    ext = path.suffix.lstrip(".").lower()
    try:
        return ox.RdfFormat.from_extension(ext) or ox.RdfFormat.TURTLE
    except ValueError:
        raise InputError(f"{path}: unknown RDF file extension .{ext}; use .ttl, .nt, .jsonld, .rdf, .trig "
                         f"or .nq") from None


@dataclass
class Dataset:
    """The served data and a store of it for the /id/ pages. Workers get either the N-Quads image of a graph
    file (each loads its own in-memory copy) or the path of an on-disk pyoxigraph store (each opens it
    read-only: one copy on disk, shared through the page cache, for graphs too big to copy per worker)."""

    base: str
    source: Path
    triples: int
    store: object = field(repr=False, default=None)
    nquads: bytes | None = field(repr=False, default=None)
    store_path: Path | None = None

    @classmethod
    def load(cls, graph_file: Path | None = None, ontology: Path | None = paths.ONTOLOGY) -> Dataset:
        """A graph file (exports/shenyang.ttl by default) in the default graph plus, when given, the ontology
        in the named graph <ONTOLOGY_IRI>; queries see their union, as `kg query` does. A directory is opened
        as an on-disk pyoxigraph store (read-only; served as it is)."""
        import pyoxigraph as ox

        source = Path(graph_file) if graph_file else paths.EXPORTS / "shenyang.ttl"
        if source.is_dir():
            try:
                store = ox.Store.read_only(str(source))
            except OSError as e:
                raise InputError(f"{source}: not a pyoxigraph store directory: {str(e).strip()[:300]}") from None
            return cls(_base_of(store), source, len(store), store, store_path=source)
        if not source.is_file():
            raise InputError(f"{source}: no such graph file; run `kg build` first or pass --graph FILE")
        from .validate import refuse_xml_entities

        refuse_xml_entities(source)
        store = ox.Store()
        try:
            store.bulk_load(path=str(source), format=_rdf_format(source))
        except (SyntaxError, ValueError, OSError) as e:
            raise InputError(f"{source}: cannot parse: {str(e).strip()[:300]}") from None
        triples = len(store)
        if ontology and Path(ontology).is_file():
            store.bulk_load(path=str(ontology), format=ox.RdfFormat.TURTLE,
                            to_graph=ox.NamedNode(str(ONTOLOGY_IRI)))
        return cls(_base_of(store), source, triples, store, nquads=ox.serialize(store, format=ox.RdfFormat.N_QUADS))


def _base_of(store) -> str:
    """The base IRI of the instances: the dataset IRI (the node that owl:imports the ontology) less 'dataset'."""
    import pyoxigraph as ox

    imports = ox.NamedNode("http://www.w3.org/2002/07/owl#imports")
    for q in store.quads_for_pattern(None, imports, ox.NamedNode(str(ONTOLOGY_IRI))):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.endswith("/dataset"):
            return q.subject.value[: -len("dataset")]
    return DEFAULT_BASE


# --------------------------------------------------------------------------------------------------------
# Worker processes


@dataclass
class QueryRequest:
    query: str
    results_format: str | None  # RESULT_FORMATS key, None = not acceptable
    graph_format: str | None  # GRAPH_FORMATS key, None = not acceptable
    max_rows: int
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


@dataclass
class QueryReply:
    status: int
    content_type: str
    body: bytes
    truncated: bool = False
    kind: str = ""  # "bindings", "boolean" or "graph"
    rows: int = 0


def term_json(t) -> dict:
    """A pyoxigraph term in the SPARQL 1.1 JSON results form."""
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value not in (XSD_STRING, RDF_LANGSTRING):
            d["datatype"] = t.datatype.value
        return d
    return {"type": "triple", "value": {"subject": term_json(t.subject), "predicate": term_json(t.predicate),
                                        "object": term_json(t.object)}}


def execute(store, req: QueryRequest, prefixes: dict[str, str]) -> QueryReply:
    """Run one query on a pyoxigraph store and serialise at most req.max_rows rows in the chosen format."""
    import pyoxigraph as ox

    try:
        # Default graph = the data and the ontology together, as `kg query` sees them (kg.query's engines);
        # the protocol's default-graph-uri / named-graph-uri narrow it to named graphs of the store.
        result = store.query(req.query, prefixes=prefixes, use_default_graph_as_union=not req.default_graphs,
                             default_graph=[ox.NamedNode(g) for g in req.default_graphs] or None,
                             named_graphs=[ox.NamedNode(g) for g in req.named_graphs] or None)
        if isinstance(result, ox.QueryBoolean):
            fmt = req.results_format
            if fmt is None:
                return _not_acceptable("an ASK query", RESULT_FORMATS)
            if fmt in ("json", "html"):
                body = json.dumps({"head": {}, "boolean": bool(result)}).encode()
            else:
                body = result.serialize(format=getattr(ox.QueryResultsFormat, RESULT_FORMATS[fmt][1]))
            return QueryReply(200, RESULT_FORMATS[fmt][0], body, kind="boolean", rows=1)
        if isinstance(result, ox.QuerySolutions):
            fmt = req.results_format
            if fmt is None:
                return _not_acceptable("a SELECT query", RESULT_FORMATS)
            variables = [v.value for v in result.variables]
            rows = list(islice(result, req.max_rows + 1))
            truncated = len(rows) > req.max_rows
            rows = rows[: req.max_rows]
            bindings = [{v: term_json(row[v]) for v in variables if row[v] is not None} for row in rows]
            body = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                              ensure_ascii=False).encode()
            if fmt not in ("json", "html"):
                parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
                body = parsed.serialize(format=getattr(ox.QueryResultsFormat, RESULT_FORMATS[fmt][1]))
            return QueryReply(200, RESULT_FORMATS[fmt][0], body, truncated, "bindings", len(rows))
        fmt = req.graph_format
        if fmt is None:
            return _not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_FORMATS)
        triples = list(islice(result, req.max_rows + 1))
        truncated = len(triples) > req.max_rows
        triples = triples[: req.max_rows]
        if fmt == "html":
            body = json.dumps([[term_json(t.subject), term_json(t.predicate), term_json(t.object)]
                               for t in triples], ensure_ascii=False).encode()
        else:
            body = ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt][1]),
                                prefixes=used_prefixes(triples))
        return QueryReply(200, GRAPH_FORMATS[fmt][0], body, truncated, "graph", len(triples))
    except SyntaxError as e:
        return QueryReply(400, "text/plain; charset=utf-8", f"SPARQL syntax error: {e}\n".encode())
    except Exception as e:  # evaluation errors (type errors are not errors in SPARQL; these are real faults)
        return QueryReply(500, "text/plain; charset=utf-8", f"query failed: {e}\n".encode())


def used_prefixes(triples: list, prefixes: dict[str, str] = PREFIXES) -> dict[str, str]:
    """The prefixes whose namespace some IRI of the triples starts with (so Turtle declares no unused ones)."""
    iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object) if hasattr(t, "value")
            and type(t).__name__ == "NamedNode"}
    return {p: ns for p, ns in sorted(prefixes.items()) if any(i.startswith(ns) for i in iris)}


def _not_acceptable(what: str, formats: dict) -> QueryReply:
    offered = ", ".join(ct.split(";")[0] for ct, _ in formats.values())
    return QueryReply(406, "text/plain; charset=utf-8",
                      f"406 Not Acceptable: {what} can be answered as {offered}\n".encode())


def _worker_main(conn, nquads: bytes | None, store_path: str | None,
                 prefixes: dict[str, str]) -> None:  # pragma: no cover - runs in the worker process
    import pyoxigraph as ox

    if store_path:
        store = ox.Store.read_only(store_path)
    else:
        store = ox.Store()
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    conn.send("ready")
    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = execute(store, req, prefixes)
        except Exception as e:  # never let one query take the worker down silently
            reply = QueryReply(500, "text/plain; charset=utf-8", f"query failed: {e}\n".encode())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class Busy(KgError):
    pass


class _Worker:
    def __init__(self, ctx, dataset: Dataset, prefixes: dict[str, str]):
        self.conn, child = ctx.Pipe()
        store_path = str(dataset.store_path) if dataset.store_path else None
        self.process = ctx.Process(target=_worker_main, args=(child, dataset.nquads, store_path, prefixes),
                                   daemon=True,
                                   name="kg-serve-worker")
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.conn.poll(0.1):
            if not self.process.is_alive():
                raise KgError(f"a query worker died while loading the graph (exit code {self.process.exitcode})")
            if time.monotonic() > deadline:
                self.kill()
                raise KgError(f"a query worker did not start within {timeout:g} s")
        try:
            ready = self.conn.recv()
        except (EOFError, OSError):
            ready = None
        if ready != "ready":
            self.kill()
            raise KgError(f"a query worker died while loading the graph (exit code {self.process.exitcode})")

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()


class QueryPool:
    """`size` worker processes, each with its own copy of the store. `run` (thread-safe, blocking) hands a
    query to an idle worker and waits at most `timeout` seconds in all; past that the worker is killed,
    so the query really stops, and a replacement is started in the background."""

    def __init__(self, dataset: Dataset, size: int = 2, timeout: float = 10.0, start_timeout: float = 120.0):
        self.dataset, self.size, self.timeout, self.start_timeout = dataset, size, timeout, start_timeout
        self.prefixes = {**QUERY_PREFIXES, "id": dataset.base}  # predeclared, as in `kg query`
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> QueryPool:
        workers = [self._new_worker() for _ in range(self.size)]
        for w in workers:
            w.wait_ready(self.start_timeout)
            self._idle.put(w)
        return self

    def _new_worker(self) -> _Worker:
        w = _Worker(self._ctx, self.dataset, self.prefixes)
        with self._lock:
            self._all.add(w)
        return w

    def _replace(self, dead: _Worker) -> None:
        dead.kill()
        with self._lock:
            self._all.discard(dead)
        if self._closed:
            return

        def respawn():
            try:
                w = self._new_worker()
                w.wait_ready(self.start_timeout)
            except Exception:  # pragma: no cover - the next replacement tries again
                return
            if self._closed:
                w.kill()
            else:
                self._idle.put(w)

        threading.Thread(target=respawn, daemon=True, name="kg-serve-respawn").start()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all if w.pid)

    def run(self, req: QueryRequest) -> QueryReply:
        deadline = time.monotonic() + self.timeout
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Busy(f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later") \
                from None
        try:
            worker.conn.send(req)
            if worker.conn.poll(max(0.0, deadline - time.monotonic())):
                reply = worker.conn.recv()
                self._idle.put(worker)
                return reply
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            return QueryReply(500, "text/plain; charset=utf-8", b"the query worker died; try again\n")
        self._replace(worker)
        raise QueryTimeout(f"the query ran longer than the server's limit of {self.timeout:g} s and was "
                           f"stopped; add a LIMIT or narrow the patterns (`kg serve --timeout` raises it)")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()


# --------------------------------------------------------------------------------------------------------
# Canned queries

def canned_queries(directory: Path = paths.QUERIES) -> list:
    """The canned queries (queries/*.rq) for the query page: kg.query's listing."""
    from . import query as kgquery

    return list(kgquery.canned_queries(directory).values())


def with_defaults(canned, dataset: Dataset) -> str:
    """A canned query's text with its parameters' defaults bound (as `kg query --name` runs it)."""
    from . import query as kgquery

    try:
        text, _ = kgquery.bind_params(dataset.store, canned.text, {}, canned.params, str(canned.path))
        return text
    except KgError:
        return canned.text


# --------------------------------------------------------------------------------------------------------
# HTML

STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;
color:#222}
a{color:#0645ad}textarea{width:100%;font-family:monospace;font-size:.9rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border:1px solid #ccc;padding:.25rem .4rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}.lang,.dt{color:#777;font-size:.8em}
.warn{background:#fff4ce;padding:.4rem}.err{background:#fde7e9;padding:.4rem;white-space:pre-wrap}
code{background:#f6f6f6}nav a{margin-right:1rem}
"""


def _page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f'<nav><a href="/">SPARQL query</a><a href="/id/dataset">dataset</a>'
            f'<a href="/sparql">service description</a></nav>{body}</body></html>\n').encode()


class Html:
    """Renders terms and pages; every string that comes from the data or the request is escaped."""

    def __init__(self, base: str, labels=None):
        self.base = base
        self.labels = labels or (lambda iri: None)

    def href(self, iri: str) -> str:
        if iri.startswith(self.base):
            return "/id/" + iri[len(self.base):]
        return iri if re.match(r"^https?://", iri) else "#"

    def iri(self, iri: str) -> str:
        label = self.labels(iri)
        short = self.curie(iri)
        text = f"{escape(label)} <span class=dt>{escape(short)}</span>" if label else escape(short)
        return f'<a href="{escape(self.href(iri), quote=True)}">{text}</a>'

    def curie(self, iri: str) -> str:
        for prefix, ns in {"id": self.base, **PREFIXES}.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def term(self, t: dict | None) -> str:
        if not t:
            return ""
        kind = t.get("type")
        if kind == "uri":
            return self.iri(t["value"])
        if kind == "bnode":
            return f"_:{escape(t['value'])}"
        if kind == "triple":
            v = t["value"]
            return f"&lt;&lt; {self.term(v['subject'])} {self.term(v['predicate'])} {self.term(v['object'])} &gt;&gt;"
        out = escape(t.get("value", ""))
        if "xml:lang" in t:
            out += f' <span class=lang>@{escape(t["xml:lang"])}</span>'
        elif "datatype" in t:
            out += f' <span class=dt>^^{escape(self.curie(t["datatype"]))}</span>'
        return out

    def query_form(self, text: str, canned: list, selected: str = "") -> str:
        options = "".join(
            f'<option value="{escape(c.name, quote=True)}"{" selected" if c.name == selected else ""}>'
            f"{escape(c.name)}: {escape(c.title)}</option>" for c in canned)
        picker = (f'<form method="get" action="/"><label>Canned query: <select name="q">{options}</select>'
                  f"</label> <button>Load</button></form>" if canned else
                  "<p>No canned queries (queries/*.rq) were found.</p>")
        formats = "".join(f'<option value="{f}">{label}</option>' for f, label in
                          [("html", "HTML table"), ("json", "JSON"), ("csv", "CSV"), ("tsv", "TSV"),
                           ("xml", "XML"), ("turtle", "Turtle (CONSTRUCT)"), ("jsonld", "JSON-LD (CONSTRUCT)")])
        prefixes = ", ".join(f"{p}:" for p in {**PREFIXES, "id": self.base})
        return (f"{picker}<form method=\"get\" action=\"/sparql\"><p><textarea name=\"query\" rows=\"16\" "
                f"spellcheck=\"false\">{escape(text)}</textarea></p><p><label>Results as "
                f"<select name=\"format\">{formats}</select></label> <button>Run query</button></p>"
                f"<p class=dt>Predeclared prefixes: {escape(prefixes)}</p></form>")

    def results(self, reply: QueryReply, max_rows: int) -> str:
        data = json.loads(reply.body)
        warn = (f'<p class="warn">Only the first {max_rows} rows are shown (the server\'s --max-rows); '
                f"add a LIMIT or ORDER BY to choose them.</p>" if reply.truncated else "")
        if reply.kind == "boolean":
            return f"<h2>Answer</h2><p><strong>{'true' if data['boolean'] else 'false'}</strong></p>"
        if reply.kind == "graph":
            rows = "".join(f"<tr><td>{self.term(s)}</td><td>{self.term(p)}</td><td>{self.term(o)}</td></tr>"
                           for s, p, o in data)
            return (f"<h2>{len(data)} triple(s)</h2>{warn}<table><tr><th>subject</th><th>predicate</th>"
                    f"<th>object</th></tr>{rows}</table>")
        variables = data["head"]["vars"]
        head = "".join(f"<th>?{escape(v)}</th>" for v in variables)
        rows = "".join("<tr>" + "".join(f"<td>{self.term(b.get(v))}</td>" for v in variables) + "</tr>"
                       for b in data["results"]["bindings"])
        n = len(data["results"]["bindings"])
        return f"<h2>{n} row(s)</h2>{warn}<table><tr>{head}</tr>{rows}</table>"


# --------------------------------------------------------------------------------------------------------
# The app


@dataclass
class Settings:
    graph_file: Path | None = None
    timeout: float = 10.0
    max_rows: int = 10_000
    workers: int = 2
    ontology: Path | None = paths.ONTOLOGY
    queries_dir: Path = paths.QUERIES


def _pick_format(params, accept: str | None) -> tuple[str | None, str | None, bool]:
    """(results format, graph format, explicit) from `format=`/`output=` or else the Accept header."""
    for key in ("format", "output"):
        value = (params.get(key) or "").strip().lower()
        if value in FORMAT_PARAMS:
            r, g = FORMAT_PARAMS[value]
            return r, g, True
    r = negotiate(accept, RESULT_OFFERS)
    g = negotiate(accept, GRAPH_OFFERS)
    return (r[1] if r else None), (g[1] if g else None), False


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
}


def create_app(settings: Settings, dataset: Dataset | None = None, pool: QueryPool | None = None):
    """The ASGI app. The dataset is loaded now (errors surface before the server starts); the worker pool
    starts with the app's lifespan and stops with it."""
    import anyio
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    dataset = dataset or Dataset.load(settings.graph_file, settings.ontology)
    state = {"pool": pool}
    html = Html(dataset.base, lambda iri: _label(dataset.store, iri))

    def respond(body: bytes, status: int = 200, content_type: str = "text/plain; charset=utf-8",
                headers: dict | None = None) -> Response:
        h = {**SECURITY_HEADERS, **(headers or {})}
        return Response(body, status_code=status, media_type=None, headers={**h, "Content-Type": content_type})

    def error(message: str, status: int, as_html: bool, query_text: str = "") -> Response:
        if as_html:
            body = (f"<h1>Error {status}</h1><p class=err>{escape(message)}</p>"
                    + html.query_form(query_text, canned_or_empty()))
            return respond(_page(f"Error {status}", body), status, "text/html; charset=utf-8")
        return respond(f"{status}: {message}\n".encode(), status)

    def canned_or_empty() -> list:
        try:
            return canned_queries(settings.queries_dir)
        except Exception:  # the page still works without them
            return []

    async def read_body(request: Request) -> bytes:
        """The request body, refusing (413) more than MAX_BODY_BYTES before reading it all."""
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise RequestRefused(f"the request body is over {MAX_BODY_BYTES} bytes", 413)
            chunks.append(chunk)
        return b"".join(chunks)

    async def home(request: Request) -> Response:
        canned = canned_or_empty()
        name = request.query_params.get("q", "")
        chosen = next((c for c in canned if c.name == name), None)
        text = ("SELECT ?class (COUNT(?s) AS ?n)\nWHERE { ?s a ?class }\nGROUP BY ?class ORDER BY DESC(?n)\n"
                if chosen is None else with_defaults(chosen, dataset))
        notice = (f'<p class="warn">No canned query named {escape(name)}.</p>' if name and not chosen else "")
        if chosen is not None:
            params = "".join(f"<li><code>?{escape(p.name)}</code> ({escape(p.type)}"
                             f"{', default ' + escape(p.default) if p.default is not None else ', optional'})"
                             f" {escape(p.description)}</li>" for p in chosen.params)
            notice += (f"<h2>{escape(chosen.title)}</h2><p>{escape(chosen.description)}</p>"
                       + (f"<p>Parameters (bound by the VALUES line before the closing brace of WHERE; edit it "
                          f"or use <code>kg query --name {escape(chosen.name)} --param …</code>):</p>"
                          f"<ul>{params}</ul>" if chosen.params else ""))
        body = (f"<h1>SPARQL query</h1><p>{dataset.triples} triples from <code>{escape(dataset.source.name)}"
                f"</code>. Endpoint: <code>/sparql</code> (SPARQL 1.1 Protocol, read-only, "
                f"{settings.timeout:g} s limit, at most {settings.max_rows} rows).</p>{notice}"
                + html.query_form(text, canned, chosen.name if chosen else ""))
        return respond(_page("kg SPARQL", body), 200, "text/html; charset=utf-8")

    async def sparql(request: Request) -> Response:
        try:
            return await sparql_request(request)
        except RequestRefused as e:
            return error(str(e), e.status, False)

    async def sparql_request(request: Request) -> Response:
        params = request.query_params
        accept = request.headers.get("accept")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        query_text: str | None = None
        form: list[tuple[str, str]] = []
        if request.method == "POST":
            if ctype == "application/sparql-query":
                raw = await read_body(request)
                try:
                    query_text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    return error("the query body is not UTF-8", 400, False)
            elif ctype == "application/sparql-update":
                return error("this endpoint is read-only: SPARQL Update is not accepted", 403, False)
            elif ctype == "application/x-www-form-urlencoded":
                raw = await read_body(request)
                try:
                    form = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
                except UnicodeDecodeError:
                    return error("the form body is not UTF-8", 400, False)
            else:
                return error(f"unsupported Content-Type {ctype or '(none)'}: POST a query as "
                             f"application/sparql-query or application/x-www-form-urlencoded", 415, False)
        all_params = list(params.multi_items()) + form
        merged = dict(all_params)
        results_fmt, graph_fmt, explicit = _pick_format(merged, accept)
        as_html = results_fmt == "html" or graph_fmt == "html"
        if any(k == "update" for k, _ in all_params):
            return error("this endpoint is read-only: SPARQL Update is not accepted", 403, as_html)
        queries = [v for k, v in all_params if k == "query"]
        if query_text is not None and queries:
            return error("give the query either in the body or as query=, not both", 400, False)
        if query_text is None:
            if len(queries) > 1:
                return error("more than one query= parameter", 400, as_html)
            if not queries:
                if as_html and not explicit:
                    return await home(request)
                return respond(service_description(str(request.url_for("sparql")), dataset.base),
                               200, "text/turtle; charset=utf-8")
            query_text = queries[0]
        if results_fmt is None and graph_fmt is None:
            return error("406 Not Acceptable: ask for application/sparql-results+json, "
                         "application/sparql-results+xml, text/csv, text/tab-separated-values (SELECT, ASK) "
                         "or text/turtle, application/ld+json, application/n-triples, application/rdf+xml "
                         "(CONSTRUCT, DESCRIBE)", 406, False)
        try:
            await anyio.to_thread.run_sync(check_query, query_text)  # parsing can take a while: off the loop
        except RequestRefused as e:
            return error(str(e), e.status, as_html, query_text)
        req = QueryRequest(query_text, results_fmt, graph_fmt, settings.max_rows,
                           [v for k, v in all_params if k == "default-graph-uri"],
                           [v for k, v in all_params if k == "named-graph-uri"])
        try:
            reply = await anyio.to_thread.run_sync(state["pool"].run, req)
        except QueryTimeout as e:
            return error(str(e), 503, as_html, query_text)
        except Busy as e:
            return error(str(e), 503, as_html, query_text)
        headers = {"Vary": "Accept"}
        if reply.truncated:
            headers["X-KG-Truncated"] = "true"
            headers["X-KG-Max-Rows"] = str(settings.max_rows)
        if reply.status != 200:
            return error(reply.body.decode("utf-8", "replace").strip(), reply.status, as_html, query_text)
        if reply.content_type.startswith("text/html"):
            body = (f"<h1>SPARQL query</h1>{html.query_form(query_text, canned_or_empty())}"
                    f"{html.results(reply, settings.max_rows)}")
            return respond(_page("kg SPARQL results", body), 200, reply.content_type, headers)
        return respond(reply.body, 200, reply.content_type, headers)

    async def resource(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        try:
            iri = resolve_id_path(raw.decode("latin-1").split("?", 1)[0], request.url.path, dataset)
        except RequestRefused as e:
            return error(str(e), e.status, False)
        fmt_param = (request.query_params.get("format") or "").lower()
        if fmt_param in FORMAT_PARAMS and FORMAT_PARAMS[fmt_param][1]:
            fmt = FORMAT_PARAMS[fmt_param][1]
        else:
            chosen = negotiate(request.headers.get("accept"), GRAPH_OFFERS)
            if chosen is None:
                return error("406 Not Acceptable: ask for text/html, text/turtle, application/ld+json, "
                             "application/n-triples or application/rdf+xml", 406, False)
            fmt = chosen[1]
        if iri is None:
            return error(f"nothing is known about {request.url.path}", 404, fmt == "html")
        triples = describe(dataset, iri)
        headers = {"Vary": "Accept", "Link": ", ".join(
            f'<{quote(request.url.path, safe="/%")}?format={f}>; rel="alternate"; type="{GRAPH_FORMATS[k][0].split(";")[0]}"'
            for f, k in (("turtle", "turtle"), ("jsonld", "jsonld"), ("nt", "nt")))}
        if fmt == "html":
            return respond(resource_page(html, dataset, iri, triples), 200, "text/html; charset=utf-8", headers)
        import pyoxigraph as ox

        body = ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt][1]),
                            prefixes=used_prefixes(triples))
        return respond(body, 200, GRAPH_FORMATS[fmt][0], headers)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        own = state["pool"] is None
        if own:
            state["pool"] = await anyio.to_thread.run_sync(
                lambda: QueryPool(dataset, settings.workers, settings.timeout).start())
        try:
            yield
        finally:
            if own:
                state["pool"].close()

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/sparql", sparql, methods=["GET", "POST"], name="sparql"),
        Route("/id/{rest:path}", resource, methods=["GET"]),
    ]
    # Anyone may query from a web page (YASGUI & co.): read-only, no cookies, so CORS is open.
    middleware = [Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"],
                             allow_headers=["Accept", "Content-Type"],
                             expose_headers=["X-KG-Truncated", "X-KG-Max-Rows"])]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.dataset = dataset
    app.state.settings = settings
    app.state.kg = state
    return app


# --------------------------------------------------------------------------------------------------------
# /id/ resolution and description

_DOT_SEGMENT = re.compile(r"(^|[/\\])\.{1,2}([/\\]|$)")


def _fully_unquote(s: str, rounds: int = 4) -> str:
    for _ in range(rounds):
        decoded = unquote(s)
        if decoded == s:
            break
        s = decoded
    return s


def resolve_id_path(raw_path: str, decoded_path: str, dataset: Dataset) -> str | None:
    """The IRI a /id/… request names, or None when the graph says nothing about it. Refuses (400) dot
    segments, backslashes and NUL however they are (multiply) percent-encoded: /id/ only names IRIs, it
    never opens files, but a request that tries path traversal gets a clear refusal, not a lookup."""
    import pyoxigraph as ox

    rest = raw_path[len("/id/"):] if raw_path.startswith("/id/") else quote(decoded_path[len("/id/"):])
    plain = _fully_unquote(rest)
    if _DOT_SEGMENT.search(plain) or "\x00" in plain or "\\" in plain or "//" in plain or plain.startswith("/"):
        raise RequestRefused("refused: the path has dot segments, backslashes or empty segments", 400)
    if not rest:
        return None
    minted = "/".join(quote(_fully_unquote(seg), safe="-_.~") for seg in rest.split("/"))
    for candidate in dict.fromkeys((rest, minted)):
        iri = dataset.base + candidate
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            continue
        if next(iter(dataset.store.quads_for_pattern(node, None, None)), None) is not None:
            return iri
    return None


def _label(store, iri: str, lang_order=("zh", "en", "")) -> str | None:
    import pyoxigraph as ox

    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return None
    found = {}
    for p in LABELS:
        for q in store.quads_for_pattern(node, ox.NamedNode(p), None):
            if isinstance(q.object, ox.Literal):
                found.setdefault(q.object.language or "", q.object.value)
    for lang in lang_order:
        if lang in found:
            return found[lang]
    return next(iter(sorted(found.values())), None)


def hash_nodes(store, iri: str) -> list[str]:
    """The IRI and the IRI#… nodes of the same document it leads to (its text spans and their selectors),
    found by following links, so the lookup uses the store's indexes and no scan."""
    import pyoxigraph as ox

    seen, todo = {iri}, [iri]
    while todo:
        for q in store.quads_for_pattern(ox.NamedNode(todo.pop()), None, None):
            o = q.object
            if isinstance(o, ox.NamedNode) and o.value.startswith(iri + "#") and o.value not in seen:
                seen.add(o.value)
                todo.append(o.value)
    return [iri, *sorted(seen - {iri})]


def describe(dataset: Dataset, iri: str) -> list:
    """The description of one resource: its triples, those of its #hash nodes, and the labels of every IRI
    they point to (sorted, so the same request gives the same bytes)."""
    import pyoxigraph as ox

    store = dataset.store
    subjects = hash_nodes(store, iri)
    out: dict[str, object] = {}
    objects: set[str] = set()
    for s in subjects:
        for q in store.quads_for_pattern(ox.NamedNode(s), None, None):
            out[str(q.triple)] = q.triple
            if isinstance(q.object, ox.NamedNode):
                objects.add(q.object.value)
    for o in sorted(objects - set(subjects)):
        for p in LABELS:
            for q in store.quads_for_pattern(ox.NamedNode(o), ox.NamedNode(p), None):
                out[str(q.triple)] = q.triple
    return [out[k] for k in sorted(out)]


def resource_page(html: Html, dataset: Dataset, iri: str, triples: Iterable) -> bytes:
    groups: dict[str, list] = {}
    for t in triples:
        groups.setdefault(t.subject.value, []).append(t)
    label = _label(dataset.store, iri)
    sections = []
    for subject in hash_nodes(dataset.store, iri):  # the labels of linked IRIs show in their links
        rows = "".join(f"<tr><td>{html.iri(t.predicate.value)}</td><td>{html.term(term_json(t.object))}</td></tr>"
                       for t in groups.get(subject, []))
        anchor = subject.split("#", 1)[1] if "#" in subject else ""
        heading = (f'<h2 id="{escape(anchor, quote=True)}">#{escape(anchor)}</h2>' if anchor else "")
        sections.append(f"{heading}<table><tr><th>property</th><th>value</th></tr>{rows}</table>")
    alternates = " · ".join(f'<a href="?format={f}">{name}</a>' for f, name in
                            (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples")))
    body = (f"<h1>{escape(label or html.curie(iri))}</h1><p><code>{escape(iri)}</code></p>"
            f"<p>Also as {alternates}.</p>{''.join(sections)}")
    return _page(label or iri, body)


def service_description(endpoint: str, base: str) -> bytes:
    """A SPARQL 1.1 Service Description of this endpoint (Turtle)."""
    results = " ,\n        ".join(f"<http://www.w3.org/ns/formats/{f}>" for f in
                                  ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                                   "SPARQL_Results_TSV", "Turtle", "JSON-LD", "N-Triples", "RDF_XML"))
    return (f"@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\n"
            f"[] a sd:Service ;\n    sd:endpoint <{endpoint}> ;\n"
            f"    sd:supportedLanguage sd:SPARQL11Query ;\n"
            f"    sd:resultFormat {results} ;\n"
            f"    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ;\n"
            f"        sd:namedGraph [ a sd:NamedGraph ; sd:name <{ONTOLOGY_IRI}> ] ] .\n"
            f"# Instances: {base}\n").encode()


def check_listen(host: str, port: int) -> None:
    """InputError unless (host, port) can be listened on, so a busy port is one clear line, not a log."""
    import socket

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
    except socket.gaierror as e:
        raise InputError(f"--host {host}: {e.strerror or e}") from None
    except OSError as e:
        raise InputError(f"cannot listen on {host}:{port}: {e.strerror or e}; choose another --port or stop "
                         f"the server using it") from None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, echo=print) -> None:
    """Load the graph, then run the app with uvicorn until interrupted."""
    import uvicorn

    check_listen(host, port)
    app = create_app(settings)
    ds = app.state.dataset
    echo(f"kg serve: {ds.triples} triples from {ds.source}; instances under {ds.base}")
    echo(f"  http://{host}:{port}/        query page ({len(canned_or_none(settings))} canned queries)")
    echo(f"  http://{host}:{port}/sparql  SPARQL 1.1 endpoint (read-only, {settings.timeout:g} s limit, "
         f"{settings.max_rows} rows max, {settings.workers} workers)")
    echo(f"  http://{host}:{port}/id/…    dereferenceable IRIs ({ds.base}…)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        echo(f"  note: listening on {host}, not loopback; put it behind a reverse proxy for public use")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def canned_or_none(settings: Settings) -> list:
    try:
        return canned_queries(settings.queries_dir)
    except Exception:
        return []
