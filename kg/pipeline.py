"""The whole build: records → (checked against sources) → graph → SHACL → exports, all or nothing."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from . import paths
from .build import Minter, build_graph
from .bulk import read_corpus
from .errors import InputError, KgError, ShapesError
from .forked import Forked, worth_forking
from .namespaces import DEFAULT_BASE
from .outdir import commit_folder
from .progress import Progress, task
from .records import Corpus, load_records
from .store import THRESHOLD, Store, StoreSpec, build_store, commit_store, shacl_batches, shacl_sample
from .validate import Visible, format_violations, short_name, validate_graph, validate_parts, visible

if TYPE_CHECKING:
    from .graphview import GraphView

#: The files `kg build` writes, by format. Other stages (viz, LOD) add theirs through `EXTRA_OUTPUTS`.
CORE_OUTPUTS = {"turtle": "shenyang.ttl", "nt": "shenyang.nt"}
#: Documents SHACL validates with `--shacl sample` (evenly spread over cities and years; kg.store.shacl_sample).
SHACL_SAMPLE = 3
#: Above twice this many triples SHACL checks the graph in parts of about this size (kg.store.shacl_batches):
#: the engine indexes a small graph faster per triple (kg.validate.validate_parts). Measured at a million
#: triples, validation CPU by part size: 100k 8.5 s, 50k 7.2 s, 25k 6.7 s, 12k 6.9 s (more shared nodes repeated).
SHACL_PART_TRIPLES = 25_000


def _ntriples(corpus: Corpus, base: str, sources: dict) -> bytes:
    from .build import iter_ntriples

    return "\n".join(dict.fromkeys(iter_ntriples(corpus, base=base, sources=sources))).encode("utf-8") + b"\n"


@dataclass
class BuildResult:
    store: Store  # kg.store: an rdflib Graph for small graphs, pyoxigraph above kg.store.THRESHOLD
    corpus: Corpus
    written: list[Path] = field(default_factory=list)
    quoted: int = 0  # documents whose source text was found and checked
    shacl: str = "all"  # what SHACL checked: "all", "k of N documents" (a sample, on big graphs) or "none"
    skipped: list[str] = field(default_factory=list)  # outputs not written at this size (see write_all)
    shacl_deferred: bool = False  # SHACL of the whole graph not run yet (build(defer_shacl=True)): see check()
    jobs: int | None = None  # --jobs: 1 keeps write_all in one process too

    @property
    def graph(self) -> Graph:
        """The graph as an rdflib Graph, made on first use (kg.store): the Python API, not what the exports read."""
        return self.store.rdflib_graph()

    @functools.cached_property
    def view(self) -> GraphView:
        """The graph as the exporters read it: its sorted N-Triples indexed (kg.graphview), no rdflib Graph."""
        from .formats import minted_base
        from .graphview import GraphView

        return GraphView(self.store.ntriples(), minted_base(self.store.base))

    @functools.cached_property
    def projection(self):
        """The viz projection (kg.viz.project), made once: the GraphML export and the HTML page both show it."""
        from .viz import project

        return project(self.view)

    def class_counts(self) -> dict[str, int]:
        return self.store.class_counts()

    def check(self, violations: list | None = None) -> None:
        """SHACL deferred by `build(defer_shacl=True)`: validate the whole graph now (or take the `violations`
        found for it in another process) and raise ShapesError as `build` does; nothing to do otherwise.
        `write_all` runs it beside the exports and calls this before writing anything."""
        if not self.shacl_deferred:
            return
        if violations is None:
            violations = validate_graph(self.store.ntriples())
        self.shacl_deferred = False
        if violations:
            raise shapes_error(violations, self.corpus, self.store.base)


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


def explain_violations(violations, locations: dict[URIRef, str] | None = None) -> str:
    """The SHACL report, each focus node followed by the record (file:line) it was built from."""
    by_short = {short_name(k): v for k, v in (locations or {}).items()}
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


def shapes_error(violations, corpus: Corpus, base: str) -> ShapesError:
    """The error of a build whose graph violates the shapes: the report, each focus node's record."""
    return ShapesError(explain_violations(violations, record_locations(corpus, base)) + "\nNothing was written.")


def check_base_iri(base: str) -> None:
    """Refuse a base IRI that cannot begin IRIs (spaces, <>"{}|\\^`): it would fail half way through writing."""
    import re

    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`/]+(/[^\s<>\"{}|\\^`]*)?", base):
        raise InputError(f"--base-iri {base!r}: not an absolute http(s) IRI; e.g. {DEFAULT_BASE}")


def build(records_dir: Path = paths.RECORDS, *, sources_dir: Path | None = None, base: str = DEFAULT_BASE,
          validate: bool = True, store: StoreSpec | str | None = None, shacl: str = "auto",
          progress: Progress | None = None, jobs: int | None = None, defer_shacl: bool = False) -> BuildResult:
    """Load, check and build the graph (no files written).

    `store` picks the backend (kg.store.StoreSpec: auto, rdflib, oxigraph, oxigraph:PATH). `shacl` says what
    SHACL validates: "all" the graph (also what "auto" means: the Rust engine checks a million triples in about
    10 s of CPU, `shacl_all`), or "sample", the documents `kg.store.shacl_sample` picks. `jobs`: worker processes
    reading the record files (kg.records.load_records) and checking the parts of a big graph against the shapes
    (shacl_all). `defer_shacl`: on a graph of up to kg.store.THRESHOLD triples, SHACL
    is left to `write_all`, which runs it on the other core while the exports render and raises ShapesError
    before writing anything (`result.check()` runs it here for a caller that writes nothing).
    """
    check_base_iri(base)
    advance = task(progress, "reading records", len(list(records_dir.glob("*.yaml"))) or None)
    corpus, sources, ntriples = read_corpus(records_dir, sources_dir=sources_dir, base=base, jobs=jobs,
                                            progress=advance)
    built = build_store(corpus, sources=sources, base=base, store=store, progress=progress, ntriples=ntriples)
    checked, deferred, violations = "none", False, []
    if validate:
        whole = shacl != "sample"
        sample = corpus if whole else shacl_sample(corpus, SHACL_SAMPLE)
        task(progress, "SHACL validation" + ("" if whole else f" of {len(sample.records)} sample documents"))
        if not whole:
            violations = validate_graph(build_graph(sample, base=base, sources=sources))
        elif defer_shacl and len(built) <= THRESHOLD:  # the everyday build: write_all runs it beside the exports
            deferred = True
        else:
            violations = shacl_all(built, corpus, base, sources, jobs)
        if violations:
            raise shapes_error(violations, corpus, base)
        checked = "all" if sample is corpus else f"{SHACL_SAMPLE} of {len(corpus.records)} documents"
    return BuildResult(built, corpus, quoted=len(sources), shacl=checked, shacl_deferred=deferred, jobs=jobs)


def shacl_all(built: Store, corpus: Corpus, base: str, sources: dict, jobs: int | None = None) -> list:
    """SHACL of the whole built graph: its sorted N-Triples as one graph when small (no rdflib copy), else in
    parts of about SHACL_PART_TRIPLES triples checked side by side by `jobs` worker processes (default:
    one per CPU above kg.store.THRESHOLD triples, below it none: starting them costs more than they save)
    (kg.validate.validate_parts: the same results, cheaper per triple, the memory of a part per worker)."""
    if len(built) <= 2 * SHACL_PART_TRIPLES:
        return validate_graph(built.ntriples())
    if jobs is None and len(built) <= THRESHOLD:
        jobs = 1
    size = max(1, len(corpus.records) * SHACL_PART_TRIPLES // len(built))
    seen = visible()
    # made here, as the workers ask for them: sending them the records instead costs more (unpickling them)
    return validate_parts((_shacl_ntriples(part, base, sources, seen) for part in shacl_batches(corpus, size)),
                          jobs=jobs)


def _shacl_ntriples(corpus: Corpus, base: str, sources: dict, seen: Visible | None) -> str:
    """The N-Triples (text: the engine takes text) of a part of the graph that the shapes can see
    (kg.validate.Visible; all of it when `seen` is None): the triples left out are never formatted."""
    from .build import NTriplesTerms, iter_triples

    if seen is None:
        return _ntriples(corpus, base, sources).decode("utf-8")
    predicates = {f"<{p}>" for p in seen.predicates}
    a, subclass = f"<{RDF.type}>", f"<{RDFS.subClassOf}>"
    types = None if seen.types is None else {f"<{c}>" for c in seen.types}
    lines, unseen_types, subclasses = [], [], False
    for s, p, o in iter_triples(corpus, base=base, sources=sources, terms=NTriplesTerms()):
        if p not in predicates:
            continue
        if p == a and types is not None and o not in types and o.startswith("<"):
            unseen_types.append(f"{s} {p} {o} .")
            continue
        subclasses = subclasses or p == subclass
        lines.append(f"{s} {p} {o} .")
    if subclasses:  # the data's own subclasses could make any type visible: keep them all
        lines += unseen_types
    return "\n".join(dict.fromkeys(lines)) + "\n"


def core_outputs(result: BuildResult, staged: dict[str, bytes]) -> dict[str, bytes]:
    """The RDF exports every build publishes: Turtle (with owl:imports of the ontology) and N-Triples."""
    return {name: result.store.serialize(fmt) for fmt, name in CORE_OUTPUTS.items()}


core_outputs.scalable = True  # type: ignore[attr-defined]  # works on the oxigraph store without an rdflib copy
core_outputs.aside = True  # type: ignore[attr-defined]  # reads no staged file: may render in a child (write_all)


def publishers() -> list:
    """Every output stage of `kg build`, in order. Each takes (result, files staged so far) and returns
    {file name: bytes}; later stages can describe earlier files (the DCAT catalog checksums them). A stage marked
    `aside` reads no staged file, so `write_all` may render it in a child process while the others render."""
    from .catalog import catalog_output
    from .formats import lod_outputs, rdf_outputs
    from .viz import html_output

    # catalog_output must stay LAST: it describes and checksums every file staged before it.
    return [core_outputs, rdf_outputs, lod_outputs, html_output, catalog_output]


def write_all(result: BuildResult, out_dir: Path) -> list[Path]:
    """Render every output in memory first, then commit them all at once: no partial exports.

    On a graph of up to kg.store.THRESHOLD triples, when a CPU is idle (kg.forked.worth_forking) and the build
    was not asked for one process (`jobs=1`), the `aside` stages and SHACL (when the build deferred it) run in a
    forked child process while this one renders the other stages: two cores share the work. The last stage (the
    catalog) sees every file; nothing is written if SHACL finds a violation."""
    active = []
    for publish in publishers():
        # Above THRESHOLD triples (oxigraph) only publishers marked `scalable` run: the others need an rdflib
        # copy of the graph and take minutes there (`kg export --format F` still writes any one of them).
        if result.store.backend != "rdflib" and len(result.store) > THRESHOLD \
                and not getattr(publish, "scalable", False):
            result.skipped.append(publish.__name__)
            continue
        active.append(publish)
    *first, last = active
    aside = [p for p in first if getattr(p, "aside", False)]
    parallel = (len(result.store) <= THRESHOLD and result.jobs != 1 and bool(aside or result.shacl_deferred)
                and worth_forking())
    staged: dict[str, bytes] = {}
    child = None
    try:
        if parallel:
            child = Forked(_aside, aside, result, result.shacl_deferred)
        for publish in first:
            if not parallel or publish not in aside:
                staged.update(publish(result, dict(staged)))
        violations = None
        if child is not None:
            files, violations = child.result()
            staged.update(files)
        result.check(violations)  # SHACL here unless the child ran it; before the catalog, as nothing is written
        staged.update(last(result, dict(staged)))
    finally:
        if child is not None:
            child.cancel()
    result.store.ready()  # an on-disk store loading in the background: nothing is written if it failed
    commit_folder(out_dir, dict(sorted(staged.items())))  # locked, staged whole, swapped in one step
    result.written = [out_dir / name for name in sorted(staged)]
    stored = commit_store(result.store)  # an on-disk oxigraph store (--store oxigraph:PATH) moves into place last
    if stored:
        result.written.append(stored)
    return result.written


def _aside(stages: list, result: BuildResult, shacl: bool) -> tuple[dict[str, bytes], list | None]:
    """What write_all runs in its child process: the files of the `aside` publishers (each given no staged
    files: they read none) and, when the build deferred it, the SHACL violations of the whole graph."""
    files: dict[str, bytes] = {}
    for publish in stages:
        files.update(publish(result, {}))
    return files, (validate_graph(result.store.ntriples()) if shacl else None)
