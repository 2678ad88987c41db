"""The /id/ view: one IRI's description as an HTML page or an RDF document, by content negotiation."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from urllib.parse import quote

from ..context import Server
from ..dataset import Dataset, label
from ..describe import describe, hash_nodes, resolve_id_path
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
    triples = describe(dataset, iri)
    headers = {"Vary": "Accept", "Link": ", ".join(
        f'<{quote(request.url.path, safe="/%")}?format={f}>; rel="alternate"; type="{GRAPH_FORMATS[k][0].split(";")[0]}"'
        for f, k in (("turtle", "turtle"), ("jsonld", "jsonld"), ("nt", "nt")))}
    if fmt == "html":
        return respond(resource_page(server.html, dataset, iri, triples), 200, "text/html; charset=utf-8", headers)
    import pyoxigraph as ox

    body = ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt][1]),
                        prefixes=used_prefixes(triples))
    return respond(body, 200, GRAPH_FORMATS[fmt][0], headers)


def resource_page(html: Html, dataset: Dataset, iri: str, triples: Iterable) -> bytes:
    groups: dict[str, list] = {}
    for t in triples:
        groups.setdefault(t.subject.value, []).append(t)
    name = label(dataset.store, iri)
    sections = []
    for subject in hash_nodes(dataset.store, iri):  # the labels of linked IRIs show in their links
        rows = "".join(f"<tr><td>{html.iri(t.predicate.value)}</td><td>{html.term(term_json(t.object))}</td></tr>"
                       for t in groups.get(subject, []))
        anchor = subject.split("#", 1)[1] if "#" in subject else ""
        heading = (f'<h2 id="{escape(anchor, quote=True)}">#{escape(anchor)}</h2>' if anchor else "")
        sections.append(f"{heading}<table><tr><th>property</th><th>value</th></tr>{rows}</table>")
    alternates = " · ".join(f'<a href="?format={f}">{name}</a>' for f, name in
                            (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples")))
    body = (f"<h1>{escape(name or html.curie(iri))}</h1><p><code>{escape(iri)}</code></p>"
            f"<p>Also as {alternates}.</p>{''.join(sections)}")
    return page(name or iri, body)
