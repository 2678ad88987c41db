"""Check a record file's text as `kg build` would: the loader, the checks against the source text, SHACL.

SHACL runs on the graph of the items a change touched (with the document's goals and the facilities they name,
so the shapes see the same neighbourhood as in the whole graph): under a second, not the two or more
`kg build` takes for a whole national draft.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

from rdflib import URIRef

from .. import paths
from ..build import Minter, build_graph
from ..errors import RecordError
from ..namespaces import DEFAULT_BASE
from ..records import Corpus, Record, _cross_check, parse_record
from ..sources import SourceText, check_record
from ..vocab import Vocab

#: `path:line: ` at the start of a loader or source message
_WHERE = re.compile(r"^(?P<path>.*?):(?P<line>\d+): ")


def where_line(message: str) -> int | None:
    m = _WHERE.match(message)
    return int(m.group("line")) if m else None


def without_where(message: str) -> str:
    """A message without its `file:line: ` (lines move when items are added or removed above)."""
    m = _WHERE.match(message)
    return message[m.end():] if m else message


def load_problems(path: Path, data, vocab: Vocab, source: SourceText | None) -> tuple[Record | None, list[str]]:
    """The record and every problem the loader and the source checks find in a parsed record file (as
    `kg build` words them)."""
    try:
        record = parse_record(path, data, vocab)
    except RecordError as e:
        return None, list(e.problems)
    problems = _cross_check([record])
    if source is not None:
        problems += check_record(record, source)
    return record, problems


@cache
def _shapes(shapes: Path, ontology: Path, stamp: tuple):
    from ..validate import load_rdf

    return load_rdf(shapes, "SHACL shapes file"), load_rdf(ontology, "ontology file")


def shacl_problems(record: Record, vocab: Vocab, source: SourceText | None, focus: set[tuple[str, str]],
                   base: str = DEFAULT_BASE) -> list[tuple[tuple[str, str], str]]:
    """SHACL results for the focus items ((kind, id) of goals, measures, statements, facilities): each with
    the item it is about."""
    import pyshacl
    from rdflib.namespace import SH

    if not focus:
        return []
    measure_ids = {i for k, i in focus if k == "measure"}
    measure_ids |= {m.id for m in record.measures for s in m.statements if ("statement", s.id) in focus}
    measures = tuple(m for m in record.measures if m.id in measure_ids)
    facility_ids = {i for k, i in focus if k == "facility"} | {f for m in measures for f in m.facilities}
    small = replace(record, measures=measures, district_mentions=(),
                    facilities=tuple(f for f in record.facilities if f.id in facility_ids))
    sources = {record.document.id: source} if source is not None else None
    graph = build_graph(Corpus((small,), vocab), base=base, sources=sources)
    mint = Minter(base)
    slug = record.document.slug
    nodes: dict[URIRef, tuple[str, str]] = {}
    for g in small.goals:
        nodes[mint.local("goal", slug, g.id)] = ("goal", g.id)
    for m in small.measures:
        nodes[mint.local("measure", slug, m.id)] = ("measure", m.id)
        for s in m.statements:
            nodes[mint.local("statement", slug, s.id)] = ("statement", s.id)
    for f in small.facilities:
        nodes[mint.facility(f.id)] = ("facility", f.id)
    stamp = tuple(p.stat().st_mtime_ns for p in (paths.SHAPES, paths.ONTOLOGY))
    shapes, ontology = _shapes(paths.SHAPES, paths.ONTOLOGY, stamp)
    # the whole small graph, not pySHACL's focus_nodes: with those, a qualified value shape (one change and one
    # bound comparator) counts every value as conforming and reports statements kg build accepts
    _, results, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                     advanced=True, allow_warnings=True)
    out = []
    for result in results.subjects(SH.resultSeverity, None):
        focus_node = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = str(results.value(result, SH.resultMessage) or "")
        item = nodes.get(focus_node, ("document", ""))
        short = graph.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else str(path or "-")
        out.append((item, f"SHACL: path {short}: {message}"))
    return sorted(set(out))
