"""What the graph says about one IRI: the triples of its description, found through the store's indexes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from .dataset import LABELS, Dataset
from .http import RequestRefused

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


#: incoming links shown per property and page (`?page=N`)
PAGE_SIZE = 100


@dataclass
class Incoming:
    """The resources that link to an IRI through one property: how many, and those of the asked page."""

    predicate: str
    count: int
    subjects: list  # pyoxigraph terms of this page, sorted


@dataclass
class Description:
    """What /id/ answers for one IRI: the triples (its own and its #hash nodes', the labels of what they link
    to, and this page of the links into it with the labels of their subjects) and the incoming links grouped
    by property with their counts."""

    iri: str
    subjects: list[str]
    triples: list
    incoming: list[Incoming]
    page: int
    more: bool  # a later page has more incoming links

    def __iter__(self):  # a Description reads as its triples
        return iter(self.triples)


def describe(dataset: Dataset, iri: str, page: int = 1, size: int = PAGE_SIZE) -> Description:
    """The description of one resource: a concise bounded description (its triples and those of its #hash
    nodes) plus the inverse links, `size` per property from page `page`, and the labels of every IRI either
    side (sorted, so the same request gives the same bytes)."""
    import pyoxigraph as ox

    store = dataset.store
    subjects = hash_nodes(store, iri)
    out: dict[str, object] = {}
    linked: set[str] = set()
    for s in subjects:
        for q in store.quads_for_pattern(ox.NamedNode(s), None, None):
            out[str(q.triple)] = q.triple
            if isinstance(q.object, ox.NamedNode):
                linked.add(q.object.value)
    incoming, more = [], False
    for predicate, sources in sorted(_links_into(store, iri, set(subjects)).items()):
        ordered = sorted(sources, key=str)
        shown = ordered[(page - 1) * size: page * size]
        more = more or len(ordered) > page * size
        incoming.append(Incoming(predicate, len(ordered), shown))
        for source in shown:
            t = ox.Triple(source, ox.NamedNode(predicate), ox.NamedNode(iri))
            out[str(t)] = t
            if isinstance(source, ox.NamedNode):
                linked.add(source.value)
    for o in sorted(linked - set(subjects)):
        for p in LABELS:
            for q in store.quads_for_pattern(ox.NamedNode(o), ox.NamedNode(p), None):
                out[str(q.triple)] = q.triple
    return Description(iri, subjects, [out[k] for k in sorted(out)], incoming, page, more)


def _links_into(store, iri: str, own: set[str]) -> dict[str, set]:
    """{property IRI: subjects} of the triples that point at the IRI, but not from its own #hash nodes."""
    import pyoxigraph as ox

    links: dict[str, set] = {}
    for q in store.quads_for_pattern(None, None, ox.NamedNode(iri)):
        if not (isinstance(q.subject, ox.NamedNode) and q.subject.value in own):
            links.setdefault(q.predicate.value, set()).add(q.subject)
    return links
