"""The published files: every download the catalog lists (`/exports/NAME`, with the bytes it checksums) and
the ontology document (`/ontology`, the IRI the catalog names as the dataset's standard)."""

from __future__ import annotations

from ...namespaces import ONTOLOGY_IRI
from ..context import Server
from ..engine import used_prefixes
from ..http import SECURITY_HEADERS, respond
from ..negotiate import GRAPH_FORMATS, graph_format

async def exported_file(request):
    """GET|HEAD /exports/NAME: the file as published, with the media type the catalog states."""
    from starlette.responses import FileResponse

    server: Server = request.app.state.kg
    entry = server.files.get(request.path_params["name"])
    if entry is None:
        return server.error(f"{request.url.path} is not a published file; the catalog lists "
                            f"{', '.join(server.files) or 'none'}", 404, False)
    path, media = entry
    ctype = f"{media}; charset=utf-8" if media.startswith("text/") or media.endswith(("+json", "+xml", "-triples",
                                                                                      "-quads")) else media
    return FileResponse(path, headers={**SECURITY_HEADERS, "Content-Type": ctype})


async def ontology(request):
    """GET /ontology (and /ontology/VERSION, its owl:versionIRI): the ontology, as its HTML documentation for browsers (exports/ontology.html) or as
    RDF (Turtle as written, or JSON-LD, N-Triples, RDF/XML) by content negotiation."""
    import pyoxigraph as ox

    server: Server = request.app.state.kg
    version = request.path_params.get("version")
    if version is not None and not _is_version_iri(server, f"{ONTOLOGY_IRI}/{version}"):
        return server.error(f"{request.url.path} is not the ontology's owl:versionIRI", 404, False)
    fmt = graph_format(request.query_params, request.headers.get("accept"))
    if fmt is None:
        return server.error("406 Not Acceptable: ask for text/html, text/turtle, application/ld+json, "
                            "application/n-triples or application/rdf+xml", 406, False)
    headers = {"Vary": "Accept"}
    page = server.settings.exports() / "ontology.html"
    if fmt == "html" and page.is_file():
        return respond(page.read_bytes(), 200, GRAPH_FORMATS["html"][0], headers)
    source = server.settings.ontology
    if fmt in ("turtle", "html") and source and source.is_file():
        return respond(source.read_bytes(), 200, GRAPH_FORMATS["turtle"][0], headers)
    triples = [q.triple for q in server.dataset.store.quads_for_pattern(None, None, None,
                                                                        ox.NamedNode(str(ONTOLOGY_IRI)))]
    if not triples and source and source.is_file():  # a store `kg build --store` wrote: no ontology graph
        triples = [q.triple for q in ox.parse(path=str(source), format=ox.RdfFormat.TURTLE)]
    if not triples:
        return server.error("this server was started without the ontology", 404, fmt == "html")
    fmt = "turtle" if fmt == "html" else fmt
    body = ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt][1]), prefixes=used_prefixes(triples))
    return respond(body, 200, GRAPH_FORMATS[fmt][0], headers)


def _is_version_iri(server: Server, iri: str) -> bool:
    import pyoxigraph as ox

    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    version_iri = ox.NamedNode("http://www.w3.org/2002/07/owl#versionIRI")
    return next(iter(server.dataset.store.quads_for_pattern(ox.NamedNode(str(ONTOLOGY_IRI)), version_iri, node)),
                None) is not None
