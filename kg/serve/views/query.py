"""The query views: the HTML query page (`/`) and the SPARQL 1.1 Protocol endpoint (`/sparql`)."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl

import anyio

from ...query import QueryTimeout
from ..context import Server, with_defaults
from ..engine import QueryRequest
from ..html import page
from ..http import RequestRefused, read_body, respond
from ..negotiate import pick_format
from ..pool import Busy

MAX_QUERY_CHARS = 100_000


def check_query(sparql: str) -> None:
    """Refuse oversized queries (413) at once, in linear time. Updates, federation and syntax errors (400) are
    refused by the worker, whose parsing runs under the time limit (rdflib takes seconds on a big query)."""
    if len(sparql) > MAX_QUERY_CHARS:
        raise RequestRefused(f"the query has {len(sparql)} characters; the limit is {MAX_QUERY_CHARS}", 413)
    from ... import query as kgquery

    try:
        kgquery.check_size(sparql)
    except kgquery.QueryTooBig as e:
        raise RequestRefused(str(e), 413) from None


async def home(request):
    """The query page; `?q=NAME` loads the canned query NAME with its defaults bound."""
    server: Server = request.app.state.kg
    canned = server.canned()
    name = request.query_params.get("q", "")
    chosen = next((c for c in canned if c.name == name), None)
    text = ("SELECT ?class (COUNT(?s) AS ?n)\nWHERE { ?s a ?class }\nGROUP BY ?class ORDER BY DESC(?n)\n"
            if chosen is None else with_defaults(chosen, server.dataset))
    notice = (f'<p class="warn">No canned query named {escape(name)}.</p>' if name and not chosen else "")
    if chosen is not None:
        params = "".join(f"<li><code>?{escape(p.name)}</code> ({escape(p.type)}"
                         f"{', default ' + escape(p.default) if p.default is not None else ', optional'})"
                         f" {escape(p.description)}</li>" for p in chosen.params)
        notice += (f"<h2>{escape(chosen.title)}</h2><p>{escape(chosen.description)}</p>"
                   + (f"<p>Parameters (bound by the VALUES line before the closing brace of WHERE; edit it "
                      f"or use <code>kg query --name {escape(chosen.name)} --param …</code>):</p>"
                      f"<ul>{params}</ul>" if chosen.params else ""))
    body = (f"<h1>SPARQL query</h1><p>{server.dataset.triples} triples from <code>{escape(server.dataset.source.name)}"
            f"</code>. Endpoint: <code>/sparql</code> (SPARQL 1.1 Protocol, read-only, "
            f"{server.settings.timeout:g} s limit, at most {server.settings.max_rows} rows).</p>{notice}"
            + server.html.query_form(text, canned, chosen.name if chosen else ""))
    return respond(page("kg SPARQL", body), 200, "text/html; charset=utf-8")


async def sparql(request):
    """The SPARQL 1.1 Protocol endpoint."""
    server: Server = request.app.state.kg
    try:
        return await sparql_request(request, server)
    except RequestRefused as e:
        return server.error(str(e), e.status, False)


async def sparql_request(request, server: Server):
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
                return server.error("the query body is not UTF-8", 400, False)
        elif ctype == "application/sparql-update":
            return server.error("this endpoint is read-only: SPARQL Update is not accepted", 403, False)
        elif ctype == "application/x-www-form-urlencoded":
            raw = await read_body(request)
            try:
                form = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                return server.error("the form body is not UTF-8", 400, False)
        else:
            return server.error(f"unsupported Content-Type {ctype or '(none)'}: POST a query as "
                         f"application/sparql-query or application/x-www-form-urlencoded", 415, False)
    all_params = list(params.multi_items()) + form
    merged = dict(all_params)
    results_fmt, graph_fmt, explicit = pick_format(merged, accept)
    as_html = results_fmt == "html" or graph_fmt == "html"
    if any(k == "update" for k, _ in all_params):
        return server.error("this endpoint is read-only: SPARQL Update is not accepted", 403, as_html)
    queries = [v for k, v in all_params if k == "query"]
    if query_text is not None and queries:
        return server.error("give the query either in the body or as query=, not both", 400, False)
    if query_text is None:
        if len(queries) > 1:
            return server.error("more than one query= parameter", 400, as_html)
        if not queries:
            if as_html and not explicit:
                return await home(request)
            return respond(service_description(str(request.url_for("sparql")), server.dataset),
                           200, "text/turtle; charset=utf-8")
        query_text = queries[0]
    if results_fmt is None and graph_fmt is None:
        return server.error("406 Not Acceptable: ask for application/sparql-results+json, "
                     "application/sparql-results+xml, text/csv, text/tab-separated-values (SELECT, ASK) "
                     "or text/turtle, application/ld+json, application/n-triples, application/rdf+xml "
                     "(CONSTRUCT, DESCRIBE)", 406, False)
    try:
        await anyio.to_thread.run_sync(check_query, query_text)  # parsing can take a while: off the loop
    except RequestRefused as e:
        return server.error(str(e), e.status, as_html, query_text)
    req = QueryRequest(query_text, results_fmt, graph_fmt, server.settings.max_rows,
                       [server.dataset_graph_name(v) for k, v in all_params if k == "default-graph-uri"],
                       [v for k, v in all_params if k == "named-graph-uri"])
    try:
        reply = await anyio.to_thread.run_sync(server.pool.run, req)
    except QueryTimeout as e:
        return server.error(str(e), 503, as_html, query_text)
    except Busy as e:  # saturated: answered at once, with when to come back
        return server.error(str(e), 503, as_html, query_text, {"Retry-After": "1"})
    headers = {"Vary": "Accept"}
    if reply.truncated:
        headers["X-KG-Truncated"] = "true"
        headers["X-KG-Max-Rows"] = str(server.settings.max_rows)
    if reply.status != 200:
        retry = {"Retry-After": "1"} if reply.status == 503 else None
        return server.error(reply.body.decode("utf-8", "replace").strip(), reply.status, as_html, query_text, retry)
    if reply.content_type.startswith("text/html"):
        body = (f"<h1>SPARQL query</h1>{server.html.query_form(query_text, server.canned())}"
                f"{server.html.results(reply, server.settings.max_rows)}")
        return respond(page("kg SPARQL results", body), 200, reply.content_type, headers)
    return respond(reply.body, 200, reply.content_type, headers)


def service_description(endpoint: str, dataset) -> bytes:
    """A SPARQL 1.1 Service Description of this endpoint (Turtle): the default graph is the union of the
    named graphs, each listed with its name (the data is <BASE/dataset>)."""
    import pyoxigraph as ox

    results = " ,\n        ".join(f"<http://www.w3.org/ns/formats/{f}>" for f in
                                  ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                                   "SPARQL_Results_TSV", "Turtle", "JSON-LD", "N-Triples", "RDF_XML"))
    names = sorted({dataset.graph_iri, *(g.value for g in dataset.store.named_graphs()
                                         if isinstance(g, ox.NamedNode))})
    graphs = " ,\n        ".join(f"[ a sd:NamedGraph ; sd:name <{g}> ]" for g in names)
    return (f"@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\n"
            f"[] a sd:Service ;\n    sd:endpoint <{endpoint}> ;\n"
            f"    sd:supportedLanguage sd:SPARQL11Query ;\n"
            f"    sd:feature sd:UnionDefaultGraph ;\n"
            f"    sd:resultFormat {results} ;\n"
            f"    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ;\n"
            f"        sd:namedGraph {graphs} ] .\n"
            f"# Instances: {dataset.base}\n").encode()
