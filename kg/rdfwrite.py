"""RDF serialisation with pyoxigraph's writers (Rust): sorted N-Triples in, deterministic Turtle, TriG, RDF/XML
and N-Quads out.

rdflib's writers spend seconds on ten thousand triples (prefix lookups per term, a pretty-printer walking the
store); pyoxigraph's stream the same triples in a few milliseconds each. Determinism comes from the input: the
triples arrive as sorted, unique N-Triples lines (as `kg build` makes them, or `sorted_ntriples` of an rdflib
graph), so subjects come out in order with their predicates grouped; the one thing pyoxigraph writes in
hash-map order, the prefix declarations, is sorted here. Every function takes and returns bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping


def _prefixes(prefixes: Mapping[str, str] | None) -> dict[str, str]:
    """kg's prefixes by default, without `id:`: pyoxigraph would escape each '/' of a minted IRI's local name
    (id:goal\\/shenyang-2023\\/ls), legal but unreadable; full IRIs read better."""
    from .namespaces import PREFIXES

    return dict(PREFIXES if prefixes is None else prefixes)


def _sort_header(data: bytes, marker: bytes) -> bytes:
    """Sort the leading lines that start with `marker` (prefix declarations) so their order is stable."""
    lines = data.split(b"\n")  # bytes: U+2028 and friends inside literals are not line breaks here
    n = next((i for i, line in enumerate(lines) if not line.startswith(marker)), len(lines))
    return b"\n".join(sorted(lines[:n]) + lines[n:])


#: N-Triples up to this size are parsed once into a list that every writer reuses (a build writes Turtle,
#: RDF/XML and TriG of the same lines; parsing is most of each writer's time). Bigger ones stream, in bounded
#: memory.
REUSE_BYTES = 32_000_000
_parsed: list = [None, None]  # [the N-Triples bytes object, its triples]


def _triples(nt: bytes):
    """The triples of N-Triples bytes: a list shared by the writers for small inputs, a parser otherwise."""
    import pyoxigraph as ox

    if len(nt) > REUSE_BYTES:
        return ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    if _parsed[0] is not nt:  # the same object, so the same bytes (it is kept alive here)
        _parsed[:] = [nt, list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))]
    return _parsed[1]


def turtle(nt: bytes, prefixes: Mapping[str, str] | None = None) -> bytes:
    """Turtle of sorted N-Triples: one block per subject (`;` between predicates), prefixes sorted."""
    import pyoxigraph as ox

    data = ox.serialize(_triples(nt), format=ox.RdfFormat.TURTLE, prefixes=_prefixes(prefixes))
    return _sort_header(data, b"@prefix ")


def nquads_of(graphs: Iterable[tuple[str, bytes]]) -> bytes:
    """N-Quads of named graphs given as (graph IRI, sorted N-Triples), graphs in IRI order."""
    out = []
    for name, nt in sorted(graphs):
        suffix = f" <{name}> .".encode()
        out.extend(line[:-2] + suffix for line in nt.split(b"\n") if line.endswith(b" ."))
    return b"\n".join(out) + b"\n" if out else b""


def trig(graphs: Iterable[tuple[str, bytes]], prefixes: Mapping[str, str] | None = None) -> bytes:
    """TriG of named graphs given as (graph IRI, sorted N-Triples): one block per graph in IRI order."""
    import pyoxigraph as ox

    def quads():
        for name, nt in sorted(graphs):
            graph = ox.NamedNode(name)
            for t in _triples(nt):
                yield ox.Quad(t.subject, t.predicate, t.object, graph)

    data = ox.serialize(quads(), format=ox.RdfFormat.TRIG, prefixes=_prefixes(prefixes))
    return _sort_header(data, b"@prefix ")


_ROOT = re.compile(rb"<rdf:RDF((?:\s+xmlns:[\w.-]+=\"[^\"]*\")*)\s*>")


_PREDICATE = re.compile(rb"^\S+ <([^>]*)> ", re.M)
_XML_NAME_END = re.compile(r"[A-Za-z_\u00c0-\ufffd][\w.\-\u00b7\u00c0-\ufffd]*$")


def rdfxml(nt: bytes, prefixes: Mapping[str, str] | None = None) -> bytes:
    """RDF/XML of sorted N-Triples: one rdf:Description per subject, namespace declarations sorted.

    Raises ValueError for a predicate that ends in no XML name (<http://example.org/1>): RDF/XML writes
    predicates as element names, and pyoxigraph would write a broken element for it."""
    import pyoxigraph as ox

    triples = _triples(nt)
    predicates = ({t.predicate.value for t in triples} if isinstance(triples, list) else
                  {p.decode("utf-8") for p in _PREDICATE.findall(nt)})
    for predicate in predicates:
        if not _XML_NAME_END.search(predicate):
            raise ValueError(f"the predicate <{predicate}> does not end in an XML name, "
                             "and RDF/XML writes predicates as element names")

    data = ox.serialize(_triples(nt), format=ox.RdfFormat.RDF_XML, prefixes=_prefixes(prefixes))
    # A raw carriage return would come back as a line feed (XML normalises line ends): write it as &#13;
    # (only literals hold one; IRIs cannot)
    data = data.replace(b"\r", b"&#13;")
    m = _ROOT.search(data, 0, 4096)
    if m:
        attrs = sorted(re.findall(rb"xmlns:[\w.-]+=\"[^\"]*\"", m.group(1)))
        data = data[:m.start()] + b"<rdf:RDF " + b" ".join(attrs) + b">" + data[m.end():]
    return data


def ntriples_of_turtle(path) -> bytes:
    """Sorted, unique N-Triples of a Turtle file (the ontology, for a named graph of the TriG export)."""
    import pyoxigraph as ox

    lines = ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
    unique = set(lines.split(b"\n")) - {b""}
    return b"\n".join(sorted(unique)) + b"\n" if unique else b""
