"""RDF serialisation with pyoxigraph's writers (Rust): sorted N-Triples in, deterministic Turtle, TriG, RDF/XML
and N-Quads out.

rdflib's writers spend seconds on ten thousand triples (prefix lookups per term, a pretty-printer walking the
store); pyoxigraph's stream the same triples in a few milliseconds each. Determinism comes from the input: the
triples arrive as sorted, unique N-Triples lines (as `kg build` makes them, or `sorted_ntriples` of an rdflib
graph), so subjects come out in order with their predicates grouped; the one thing pyoxigraph writes in
hash-map order, the prefix declarations, is sorted here. Every function takes and returns bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping


def _prefixes(prefixes: Mapping[str, str] | None) -> dict[str, str]:
    """kg's prefixes by default, without `id:`: pyoxigraph would escape each '/' of a minted IRI's local name
    (id:goal\\/shenyang-2023\\/ls), legal but unreadable; full IRIs read better."""
    from .namespaces import PREFIXES

    return dict(PREFIXES if prefixes is None else prefixes)


def _sort_header(data: bytes, marker: bytes) -> bytes:
    """Sort the leading lines that start with `marker` (prefix declarations) so their order is stable.
    Only the header is split (bytes: U+2028 and friends inside literals are not line breaks here): a Turtle
    file of ten million triples as line objects would take twice its size again."""
    end = 0
    while data.startswith(marker, end):
        newline = data.find(b"\n", end)
        if newline < 0:  # nothing but declarations
            return b"\n".join(sorted(data.split(b"\n")))
        end = newline + 1
    if end == 0:
        return data
    return b"\n".join(sorted(data[:end - 1].split(b"\n"))) + data[end - 1:]


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

    if len(nt) <= REUSE_BYTES:
        data = ox.serialize(_triples(nt), format=ox.RdfFormat.TURTLE, prefixes=_prefixes(prefixes))
        return _sort_header(data, b"@prefix ")
    out = _HeaderSorted(b"@prefix ")  # big: neither copied out of the writer nor copied to sort the prefixes
    ox.serialize(_triples(nt), out, format=ox.RdfFormat.TURTLE, prefixes=_prefixes(prefixes))
    return out.getvalue()


class _HeaderSorted:
    """A file-like sink that sorts the leading lines starting with `marker` as they stream past (`_sort_header`)
    and keeps the rest in a buffer that grows in place: the Turtle of ten million triples is neither copied out
    of the writer nor copied again to sort its few prefix lines."""

    def __init__(self, marker: bytes):
        self.marker = marker
        self.head: bytes | None = b""  # the start, until the lines with the marker are known; then None
        self.out = io.BytesIO()

    def write(self, data) -> int:
        if self.head is None:
            return self.out.write(data)
        self.head += bytes(data)
        end, marker = 0, self.marker
        while self.head.startswith(marker, end):
            newline = self.head.find(b"\n", end)
            if newline < 0:
                return len(data)  # a declaration not finished yet
            end = newline + 1
        rest = self.head[end:end + len(marker)]
        if len(rest) < len(marker) and marker.startswith(rest):
            return len(data)  # the next line may still be one
        self.out.write(_sort_header(self.head, marker))
        self.head = None
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        if self.head is not None:
            self.out.write(_sort_header(self.head, marker=self.marker))
            self.head = None
        return self.out.getvalue()


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
