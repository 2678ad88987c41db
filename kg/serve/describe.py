"""What the graph says about one IRI: the triples of its description, found through the store's indexes."""

from __future__ import annotations

import re
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
