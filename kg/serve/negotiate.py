"""Content negotiation: which format a request gets, from `format=`/`output=` or its Accept header."""

from __future__ import annotations


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


def pick_format(params, accept: str | None) -> tuple[str | None, str | None, bool]:
    """(results format, graph format, explicit) from `format=`/`output=` or else the Accept header."""
    for key in ("format", "output"):
        value = (params.get(key) or "").strip().lower()
        if value in FORMAT_PARAMS:
            r, g = FORMAT_PARAMS[value]
            return r, g, True
    r = negotiate(accept, RESULT_OFFERS)
    g = negotiate(accept, GRAPH_OFFERS)
    return (r[1] if r else None), (g[1] if g else None), False


def graph_format(params, accept: str | None) -> str | None:
    """The graph format of an RDF document request (`?format=` first, then Accept); None: not acceptable."""
    value = (params.get("format") or "").lower()
    if value in FORMAT_PARAMS and FORMAT_PARAMS[value][1]:
        return FORMAT_PARAMS[value][1]
    chosen = negotiate(accept, GRAPH_OFFERS)
    return chosen[1] if chosen else None
