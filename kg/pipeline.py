"""The whole build: records → (checked against sources) → graph → SHACL → exports, all or nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from . import paths
from .build import Minter, build_graph
from .errors import KgError, ShapesError
from .export import commit_files, serialize
from .namespaces import DEFAULT_BASE, SY
from .records import Corpus, load_records
from .sources import load_sources
from .validate import format_violations, validate_graph

#: The files `kg build` writes, by format. Other stages (viz, LOD) add theirs through `EXTRA_OUTPUTS`.
CORE_OUTPUTS = {"turtle": "shenyang.ttl", "nt": "shenyang.nt"}


@dataclass
class BuildResult:
    graph: Graph
    corpus: Corpus
    written: list[Path] = field(default_factory=list)
    quoted: int = 0  # documents whose source text was found and checked

    def class_counts(self) -> dict[str, int]:
        counts = Counter(o for o in self.graph.objects(None, RDF.type) if str(o).startswith(str(SY._NS)))
        return {self.graph.namespace_manager.normalizeUri(k): v for k, v in sorted(counts.items())}


def record_locations(corpus: Corpus, base: str = DEFAULT_BASE) -> dict[URIRef, str]:
    """IRI → 'file:line' of the record it came from, so SHACL reports can name the record."""
    mint = Minter(base)
    out = {}
    for r in corpus.records:
        slug = r.document.slug
        for g in r.goals:
            out[mint.local("goal", slug, g.id)] = f"{r.path}:{g.line}"
        for m in r.measures:
            out[mint.local("measure", slug, m.id)] = f"{r.path}:{m.line}"
            for s in m.statements:
                out[mint.local("statement", slug, s.id)] = f"{r.path}:{s.line}"
        for f in r.facilities:
            out[mint.facility(f.id)] = f"{r.path}:{f.line}"
    return out


def explain_violations(violations, graph: Graph, locations: dict[URIRef, str] | None = None) -> str:
    """The SHACL report, each focus node followed by the record (file:line) it was built from."""
    by_short = {graph.namespace_manager.normalizeUri(k): v for k, v in (locations or {}).items()}
    lines = [format_violations(violations)]
    for v in violations:
        if v.focus in by_short:
            lines.append(f"  {v.focus} comes from {by_short[v.focus]}")
    return "\n".join(lines)


def locate_records(records_dir: Path = paths.RECORDS, base: str = DEFAULT_BASE) -> dict[URIRef, str]:
    """Best effort for `kg validate FILE`: where each node of the current records is defined (or nothing)."""
    try:
        return record_locations(load_records(records_dir), base)
    except KgError:
        return {}


def build(records_dir: Path = paths.RECORDS, *, sources_dir: Path | None = None, base: str = DEFAULT_BASE,
          validate: bool = True) -> BuildResult:
    """Load, check and build the graph (no files written)."""
    corpus = load_records(records_dir)
    sources = load_sources(sources_dir, corpus) if sources_dir else {}
    graph = build_graph(corpus, base=base, sources=sources)
    if validate:
        violations = validate_graph(graph)
        if violations:
            report = explain_violations(violations, graph, record_locations(corpus, base))
            raise ShapesError(report + "\nNothing was written.")
    return BuildResult(graph, corpus, quoted=len(sources))


def core_outputs(result: BuildResult, staged: dict[str, bytes]) -> dict[str, bytes]:
    """The RDF exports every build publishes: Turtle (with owl:imports of the ontology) and N-Triples."""
    return {name: serialize(result.graph, fmt) for fmt, name in CORE_OUTPUTS.items()}


def publishers() -> list:
    """Every output stage of `kg build`, in order. Each takes (result, files staged so far) and returns
    {file name: bytes}; later stages can describe earlier files (the DCAT catalog checksums them)."""
    from .catalog import catalog_output
    from .formats import lod_outputs
    from .viz import html_output

    # catalog_output must stay LAST: it describes and checksums every file staged before it.
    return [core_outputs, lod_outputs, html_output, catalog_output]


def write_all(result: BuildResult, out_dir: Path) -> list[Path]:
    """Render every output in memory first, then commit them all at once: no partial exports."""
    staged: dict[str, bytes] = {}
    for publish in publishers():
        staged.update(publish(result, dict(staged)))
    commit_files([(out_dir / name, data) for name, data in sorted(staged.items())])
    result.written = [out_dir / name for name in sorted(staged)]
    return result.written
