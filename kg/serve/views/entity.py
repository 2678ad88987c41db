"""The /id/ view: one IRI's description as an HTML page or an RDF document, by content negotiation."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from ..context import Server
from ..dataset import Dataset, label
from ..describe import PAGE_SIZE, Description, describe, resolve_id_path
from ..engine import term_json, used_prefixes
from ..html import Html, page
from ..http import RequestRefused, respond
from ..negotiate import GRAPH_FORMATS, graph_format


async def resource(request):
    """GET /id/PATH: the description of BASE/PATH (200), 404 when the graph says nothing about it."""
    server: Server = request.app.state.kg
    dataset = server.dataset
    raw = request.scope.get("raw_path") or request.url.path.encode()
    try:
        iri = resolve_id_path(raw.decode("latin-1").split("?", 1)[0], request.url.path, dataset)
    except RequestRefused as e:
        return server.error(str(e), e.status, False)
    fmt = graph_format(request.query_params, request.headers.get("accept"))
    if fmt is None:
        return server.error("406 Not Acceptable: ask for text/html, text/turtle, application/ld+json, "
                            "application/n-triples or application/rdf+xml", 406, False)
    if iri is None:
        return server.error(f"nothing is known about {request.url.path}", 404, fmt == "html")
    try:
        page_no = int(request.query_params.get("page", "1"))
    except ValueError:
        page_no = 0
    if not 1 <= page_no <= 1_000_000:
        return server.error("page= must be a whole number from 1", 400, fmt == "html")
    d = describe(dataset, iri, page_no)
    here = quote(request.url.path, safe="/%")
    links = [f'<{here}?format={f}>; rel="alternate"; type="{GRAPH_FORMATS[k][0].split(";")[0]}"'
             for f, k in (("turtle", "turtle"), ("jsonld", "jsonld"), ("nt", "nt"))]
    links += [f'<{here}?page={n}>; rel="{rel}"' for n, rel, show in
              ((page_no - 1, "prev", page_no > 1), (page_no + 1, "next", d.more)) if show]
    headers = {"Vary": "Accept", "Link": ", ".join(links)}
    if fmt == "html":
        return respond(resource_page(server.html, dataset, d), 200, "text/html; charset=utf-8", headers)
    triples = d.triples
    import pyoxigraph as ox

    body = ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt][1]),
                        prefixes=used_prefixes(triples))
    return respond(body, 200, GRAPH_FORMATS[fmt][0], headers)


def resource_page(html: Html, dataset: Dataset, d: Description) -> bytes:
    """The HTML page of a description: a table per node (the IRI, then its #hash nodes), then the incoming
    links grouped by property, each with its count, paged."""
    groups: dict[str, list] = {}
    for t in d.triples:
        groups.setdefault(t.subject.value, []).append(t)
    title = label(dataset.store, d.iri)
    sections = []
    for subject in d.subjects:  # the labels of linked IRIs show in their links
        rows = "".join(f"<tr><td>{html.iri(t.predicate.value)}</td><td>{html.term(term_json(t.object))}</td></tr>"
                       for t in groups.get(subject, []))
        anchor = subject.split("#", 1)[1] if "#" in subject else ""
        heading = (f'<h2 id="{escape(anchor, quote=True)}">#{escape(anchor)}</h2>' if anchor else "")
        sections.append(f"{heading}<table><tr><th>property</th><th>value</th></tr>{rows}</table>")
    alternates = " · ".join(f'<a href="?format={f}">{name}</a>' for f, name in
                            (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples")))
    body = (f"<h1>{escape(title or html.curie(d.iri))}</h1><p><code>{escape(d.iri)}</code></p>"
            f"<p>Also as {alternates}.</p>{''.join(sections)}{incoming_section(html, d)}")
    return page(title or d.iri, body)


def incoming_section(html: Html, d: Description) -> str:
    if not d.incoming:
        return "<h2 id=incoming>Incoming links</h2><p>No resource links here.</p>"
    total = sum(g.count for g in d.incoming)
    parts = [f"<h2 id=incoming>Incoming links ({total})</h2><p>Resources that link here, by property.</p>"]
    for g in d.incoming:
        first = (d.page - 1) * PAGE_SIZE
        shown = (f", {first + 1}–{first + len(g.subjects)} shown" if g.count > PAGE_SIZE else "")
        items = "".join(f"<li>{html.term(term_json(s))}</li>" for s in g.subjects)
        parts.append(f"<h3>{html.iri(g.predicate)} ({g.count}{shown})</h3><ul>{items}</ul>")
    nav = []
    if d.page > 1:
        nav.append(f'<a rel="prev" href="?page={d.page - 1}#incoming">previous page</a>')
    if d.more:
        nav.append(f'<a rel="next" href="?page={d.page + 1}#incoming">next page</a>')
    return "".join(parts) + (f"<p>{' · '.join(nav)}</p>" if nav else "")
