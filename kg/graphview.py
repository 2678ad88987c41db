"""A read-only graph over sorted N-Triples: the part of rdflib's Graph API that kg's exporters read.

`kg build` holds its graph as sorted, unique N-Triples (kg.store). The exporters that walk a graph node by node
(the viz projection and its GraphML, JSON-LD, CSV, the catalog's statistics) were written against rdflib's
`Graph`; an rdflib Graph costs a second mapping of the records (~0.2 s for 17k triples) and answers each
`objects()` / `value()` through a generator stack with context bookkeeping (the exporters make ~150k such calls).
`GraphView` parses the N-Triples once into two dict indexes (subject → predicate → objects, predicate → object
→ subjects) of the same rdflib terms rdflib's own N-Triples parser makes, so the exporters run unchanged on it
and give the same bytes (tests/test_build_fast.py compares every export with the rdflib Graph's).

Only what the exporters use is here: `triples`, `objects`, `subjects`, `predicates`, `value`,
`subject_objects`, `in`, `len`, iteration and `namespaces`. Objects of a subject and predicate come in the order
of the N-Triples (sorted), rdflib's come in insertion order; the exporters sort whatever they pick from.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import BNode, Literal, URIRef

from .errors import InputError
from .namespaces import DEFAULT_BASE, PREFIXES

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_CHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape_match(m: re.Match) -> str:
    code = m.group(1) or m.group(2)
    if code:
        return chr(int(code, 16))
    ch = m.group(3)
    if ch not in _CHARS:
        raise ValueError(f"unknown escape \\{ch} in N-Triples")
    return _CHARS[ch]


def unescape(text: str) -> str:
    """An N-Triples string or IRI with its escapes (\\t, \\", \\uXXXX …) read; ValueError on an unknown one."""
    return _ESCAPE.sub(_unescape_match, text) if "\\" in text else text


def _under(index: dict, first, second) -> Iterator:
    """The terms at index[first][second], or at every index[first][…] when second is None."""
    inner = index.get(first)
    if inner is None:
        return iter(())
    if second is not None:
        return iter(inner.get(second, ()))
    return (term for terms in inner.values() for term in terms)


class GraphView:
    """Sorted N-Triples indexed for reading, with rdflib terms (URIRef, Literal; BNode for `_:` labels)."""

    def __init__(self, nt: bytes | str, base: str = DEFAULT_BASE,
                 namespaces: Iterable[tuple[str, URIRef]] | None = None):
        self.base = base
        self._namespaces = None if namespaces is None else sorted(namespaces)
        self.spo: dict = {}  # subject → predicate → [objects]
        self.pos: dict = {}  # predicate → object → [subjects]
        text = nt.decode("utf-8") if isinstance(nt, bytes) else nt
        terms: dict[str, object] = {}  # N-Triples text → term: each term made once

        def term(text: str):
            made = terms.get(text)
            if made is None:
                made = terms[text] = self._term(text)
            return made

        seen: set[str] = set()
        for line in text.split("\n"):
            if not line or line[0] == "#" or line in seen:  # (a duplicate line: the input is meant to be unique)
                continue
            seen.add(line)
            # "<s> <p> object ." — IRIs hold no space; an object is an IRI, a blank node or a literal
            s_text, p_text, o_text = line.split(" ", 2)
            if o_text.endswith(" ."):
                o_text = o_text[:-2]
            else:  # not as kg writes it (one space before the dot), but still N-Triples
                o_text = o_text.rstrip()
                if not o_text.endswith("."):
                    raise ValueError(f"not an N-Triples line: {line[:80]!r}")
                o_text = o_text[:-1].rstrip()
            s, p, o = term(s_text), term(p_text), term(o_text)
            self.spo.setdefault(s, {}).setdefault(p, []).append(o)
            self.pos.setdefault(p, {}).setdefault(o, []).append(s)
        self._len = len(seen)

    @staticmethod
    def _term(text: str):
        """The rdflib term of one N-Triples term, as rdflib's N-Triples parser makes it."""
        first = text[0]
        if first == "<":
            return URIRef(unescape(text[1:-1]))
        if first == "_":
            return BNode(text[2:])
        if first != '"':
            raise ValueError(f"not an N-Triples term: {text[:80]!r}")
        end = text.rfind('"')
        lexical = unescape(text[1:end])
        rest = text[end + 1:]
        if not rest:
            return Literal(lexical)
        if rest[0] == "@":
            return Literal(lexical, lang=rest[1:])
        if rest.startswith("^^<") and rest.endswith(">"):
            return Literal(lexical, datatype=URIRef(unescape(rest[3:-1])))
        raise ValueError(f"not an N-Triples literal: {text[:80]!r}")

    # -- the Graph API the exporters use

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple]:
        for s, by_p in self.spo.items():
            for p, objects in by_p.items():
                for o in objects:
                    yield s, p, o

    def __contains__(self, triple) -> bool:
        s, p, o = triple
        by_p = self.spo.get(s)
        if by_p is None:
            return False
        if p is None:
            return any(o is None or o in objects for objects in by_p.values())
        objects = by_p.get(p)
        return objects is not None and (o is None or o in objects)

    def triples(self, pattern) -> Iterator[tuple]:
        s, p, o = pattern
        if s is not None:
            by_p = self.spo.get(s, {})
            for p2, objects in ([(p, by_p.get(p, ()))] if p is not None else by_p.items()):
                for o2 in objects:
                    if o is None or o2 == o:
                        yield s, p2, o2
        elif p is not None:
            by_o = self.pos.get(p, {})
            for o2, subjects in ([(o, by_o.get(o, ()))] if o is not None else by_o.items()):
                for s2 in subjects:
                    yield s2, p, o2
        else:
            for t in self:
                if o is None or t[2] == o:
                    yield t

    def objects(self, subject=None, predicate=None) -> Iterator:
        if subject is not None:
            return _under(self.spo, subject, predicate)
        if predicate is not None:
            return (o for o, subjects in self.pos.get(predicate, {}).items() for _ in subjects)
        return (t[2] for t in self)

    def subjects(self, predicate=None, object=None) -> Iterator:  # noqa: A002  (rdflib's parameter name)
        if predicate is not None:
            return _under(self.pos, predicate, object)
        if object is None:  # every subject, once per triple as rdflib gives them
            return (s for s, by_p in self.spo.items() for objects in by_p.values() for _ in objects)
        return (t[0] for t in self.triples((None, None, object)))

    def predicates(self, subject=None, object=None) -> Iterator:  # noqa: A002
        if subject is None and object is None:  # every predicate, once per triple
            return (p for p, by_o in self.pos.items() for subjects in by_o.values() for _ in subjects)
        return (t[1] for t in self.triples((subject, None, object)))

    def subject_objects(self, predicate=None) -> Iterator[tuple]:
        return ((t[0], t[2]) for t in self.triples((None, predicate, None)))

    def value(self, subject=None, predicate=None, object=None, default=None, any=True):  # noqa: A002
        """The first object of (subject, predicate) — or the first subject of (predicate, object)."""
        if subject is not None and predicate is not None:
            by_p = self.spo.get(subject)
            objects = by_p.get(predicate) if by_p is not None else None
            return objects[0] if objects else default
        if predicate is not None and object is not None:
            subjects = self.pos.get(predicate, {}).get(object)
            return subjects[0] if subjects else default
        raise ValueError("value() needs a subject and a predicate, or a predicate and an object")

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        """The prefixes given, else kg's and `id:` (the base IRI of minted instances), as the build binds them."""
        if self._namespaces is not None:
            yield from self._namespaces
            return
        for prefix, ns in sorted({**PREFIXES, "id": self.base}.items()):
            yield prefix, URIRef(ns)


_PREFIX_DECLARATION = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([^\s:]*):", re.M | re.I)


def turtle_view(path: Path, what: str = "ontology file") -> GraphView:
    """A Turtle file (the ontology) as a GraphView, parsed by pyoxigraph, with the prefixes an rdflib Graph parsed
    from it would have (rdflib's defaults, then the file's in the order declared): what the ontology page, the
    JSON-LD context and the viz legend read, without rdflib's Turtle parser. Cached until the file changes."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError as e:
        raise InputError(f"{path}: cannot read the {what}: {e.strerror}") from None
    return _turtle_view(Path(path), mtime, what)


@functools.lru_cache(maxsize=4)
def _turtle_view(path: Path, mtime: int, what: str) -> GraphView:
    import pyoxigraph as ox
    from rdflib import Graph

    try:
        parser = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        nt = ox.serialize(parser, format=ox.RdfFormat.N_TRIPLES)
        declared = parser.prefixes
    except (SyntaxError, ValueError, OSError) as e:
        raise InputError(f"{path}: cannot parse the {what} as Turtle: {str(e).strip().splitlines()[0][:300]}") from None
    names = Graph().namespace_manager
    text = path.read_text(encoding="utf-8")
    for prefix in dict.fromkeys(m.group(1) for m in _PREFIX_DECLARATION.finditer(text)):
        if prefix in declared:  # bound after parsing, in the order first declared, as rdflib's parser does
            names.bind(prefix, declared[prefix])
    return GraphView(nt or b"", namespaces=list(names.namespaces()))
