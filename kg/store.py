"""Where the graph lives: one interface, two backends.

* `RdflibStore` — an rdflib `Graph` in memory: the default for small graphs, with the whole rdflib API.
* `OxigraphStore` — a pyoxigraph `Store` (Rust; in memory, or on disk with `oxigraph:PATH`): chosen above
  `THRESHOLD` triples, where rdflib gets slow (adding ~33k triples/s, grouped queries taking tens of seconds).

Both are built from the same mapping (kg.build): rdflib terms for rdflib, N-Triples text bulk-loaded into
pyoxigraph for oxigraph. Both keep the sorted N-Triples the build made and write N-Triples, Turtle, TriG and
RDF/XML from them with pyoxigraph's writers (kg.rdfwrite), so a store can be swapped for the other without
changing a published file.
`kg.query.run` accepts either `store.native`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import threading
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef

from .errors import InputError, KgError
from .namespaces import DEFAULT_BASE, PREFIXES, SY
from .perf import gc_paused
from .progress import Progress, task

#: Above this many triples (estimated before building, or counted in a file) `auto` picks oxigraph.
THRESHOLD = 200_000
#: Bytes of N-Triples/Turtle per triple, to estimate a file's size in triples before reading it.
BYTES_PER_TRIPLE = 100
#: In a store directory `kg build --store oxigraph:DIR` wrote: the ontology's triples it added to the default
#: graph beside the data (sorted N-Triples; see add_ontology). RocksDB leaves files it did not make alone.
ONTOLOGY_RECORD = "kg-ontology.nt"

BACKENDS = ("auto", "rdflib", "oxigraph")


@dataclass(frozen=True)
class StoreSpec:
    """A `--store` choice: `auto`, `rdflib`, `oxigraph` (in memory) or `oxigraph:PATH` (on disk)."""

    backend: str = "auto"
    path: Path | None = None

    @classmethod
    def parse(cls, text: str | StoreSpec | None) -> StoreSpec:
        if isinstance(text, StoreSpec):
            return text
        text = (text or "auto").strip()
        name, _, path = text.partition(":")
        if name not in BACKENDS or (path and name != "oxigraph"):
            raise InputError(f"--store {text!r}: use auto, rdflib, oxigraph or oxigraph:PATH (a store directory)")
        return cls(name, Path(path) if path else None)

    def resolve(self, triples: int) -> str:
        """The backend to use for a graph of about this many triples."""
        if self.backend != "auto":
            return self.backend
        return "oxigraph" if triples > THRESHOLD else "rdflib"

    def __str__(self) -> str:
        return f"{self.backend}:{self.path}" if self.path else self.backend


# ---------------------------------------------------------------------------------------------------------------


class Store(ABC):
    """A built or loaded graph, whatever holds it."""

    backend: str
    native: Any  # rdflib.Graph | pyoxigraph.Store: what kg.query.run takes
    base: str = DEFAULT_BASE

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def ntriples(self) -> bytes:
        """The graph as N-Triples, one triple per line, lines sorted: the same bytes on both backends."""

    @abstractmethod
    def serialize(self, fmt: str) -> bytes:
        """Deterministic bytes of one export format (kg.export.FORMATS)."""

    @abstractmethod
    def rdflib_graph(self) -> Graph:
        """The graph as an rdflib Graph (the store's own on rdflib; a copy, made once, on oxigraph)."""

    @abstractmethod
    def select(self, sparql: str) -> list[tuple]:
        """Rows of a SELECT as tuples of lexical values (None when unbound); for small internal queries."""

    def class_counts(self) -> dict[str, int]:
        """Instances of each sy: class, keyed by its prefixed name, sorted (SPARQL; see OxigraphStore)."""
        rows = self.select(f"SELECT ?c (COUNT(?s) AS ?n) WHERE {{ ?s a ?c . "
                           f"FILTER(STRSTARTS(STR(?c), \"{SY._NS}\")) }} GROUP BY ?c")
        return {shorten(c): int(n) for c, n in sorted(rows)}

    def describe(self) -> str:
        return self.backend

    def ready(self) -> None:
        """Wait until the store is complete (a store loading in the background, kg.store.OxigraphStore)."""

    def close(self) -> None:
        pass


def shorten(iri: str) -> str:
    """prefix:local for an IRI in one of kg's namespaces (the longest match), else <iri>."""
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is None:
        return f"<{iri}>"
    prefix = next(p for p, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{iri[len(best):]}"


class RdflibStore(Store):
    """An rdflib Graph. One `kg build` makes holds its sorted N-Triples and builds the Graph only when something
    asks for it (`native`): every export of a build is written without it (kg.pipeline)."""

    backend = "rdflib"

    def __init__(self, graph: Graph | None, base: str = DEFAULT_BASE, ntriples: bytes | None = None,
                 make: Any = None):
        if graph is None and (make is None or ntriples is None):
            raise ValueError("an RdflibStore needs a Graph, or its N-Triples and a function making the Graph")
        self._native = graph
        self._make = make  # () -> Graph, called once on first use of `native`
        self.base = base
        self._ntriples = ntriples  # sorted, unique; made by the build from the same mapping, else on demand

    @property
    def native(self) -> Graph:
        if self._native is None:
            self._native = self._make()
        return self._native

    @native.setter
    def native(self, value: Graph) -> None:
        self._native = value

    def __len__(self) -> int:
        if self._native is None:  # the N-Triples are unique lines
            return self._ntriples.count(b"\n")
        return len(self.native)

    def ntriples(self) -> bytes:
        if self._ntriples is None:
            from .export import to_ntriples

            self._ntriples = to_ntriples(self.native)
        return self._ntriples

    def serialize(self, fmt: str) -> bytes:
        from .export import serialize, serialize_ntriples

        fast = serialize_ntriples(self.ntriples(), fmt, self.base)
        return fast if fast is not None else serialize(self.native, fmt)

    def rdflib_graph(self) -> Graph:
        return self.native

    def select(self, sparql: str) -> list[tuple]:
        return [tuple(None if v is None else str(v) for v in row) for row in self.native.query(sparql)]

    def class_counts(self) -> dict[str, int]:
        from rdflib.namespace import RDF

        if self._native is None:
            return _class_counts_of_ntriples(self._ntriples)
        counts = Counter(o for o in self.native.objects(None, RDF.type) if str(o).startswith(str(SY._NS)))
        return {shorten(str(k)): v for k, v in sorted(counts.items())}


class OxigraphStore(Store):
    """A pyoxigraph Store. One built from records in memory is loaded lazily: exporting N-Triples or Turtle
    needs only the sorted N-Triples it was built from, so `kg build` loads the store only when something
    queries it (`native`)."""

    backend = "oxigraph"

    def __init__(self, native=None, *, path: Path | None = None, base: str = DEFAULT_BASE,
                 ntriples: bytes | None = None):
        if native is None and ntriples is None:
            raise ValueError("an OxigraphStore needs a pyoxigraph Store or N-Triples to load")
        self._native = native
        self.path = path
        self.base = base
        self._ntriples = ntriples
        self._len: int | None = None
        self._graph: Graph | None = None
        self.source_file: Path | None = None  # the RDF file it was loaded from, if any
        self._pending: _Loader | None = None  # a bulk load still running in the background (`loading`)
        # the ontology's triples added to the default graph (add_ontology): not part of the data
        self.ontology_added: bytes = b""

    @property
    def native(self):
        """The pyoxigraph Store (what kg.query.run takes), loaded on first use."""
        self.ready()
        if self._native is None:
            import pyoxigraph as ox

            native = ox.Store()
            native.bulk_load(self._ntriples, format=ox.RdfFormat.N_TRIPLES)
            self._native = native
        return self._native

    @native.setter
    def native(self, value) -> None:
        self._native = value

    @property
    def loaded(self) -> bool:
        return self._native is not None

    def ready(self) -> None:
        """Wait for a background load (`loading`) to finish; its error, if any, is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.join()
            if pending.error is not None:
                raise pending.error
            self.ontology_added = pending.added

    # -- making one

    @classmethod
    def from_ntriples(cls, data: bytes, *, path: Path | None = None, base: str = DEFAULT_BASE,
                      sorted_unique: bool = False, lazy: bool = False) -> OxigraphStore:
        """Bulk-load N-Triples (at once, or on first query with `lazy`, in memory only); when `data` is already
        sorted and unique it also serves as the N-Triples export."""
        import pyoxigraph as ox

        if lazy and path is None:
            if not sorted_unique:
                data = sort_ntriples(data)
            built = cls(None, base=base, ntriples=data)
        else:
            native = ox.Store(str(path)) if path else ox.Store()
            native.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
            built = cls(native, path=path, base=base, ntriples=data if sorted_unique else None)
        if built._ntriples is not None:
            built._len = built._ntriples.count(b"\n")
        return built

    @classmethod
    def loading(cls, data: bytes, path: Path, *, base: str = DEFAULT_BASE) -> OxigraphStore:
        """An on-disk store at `path` being bulk-loaded with sorted, unique N-Triples (they also serve as the
        N-Triples export) and the ontology (`add_ontology`) in a background thread; `ready()` waits for it.
        Only the N-Triples are read meanwhile: they are what the exports are written from."""
        import pyoxigraph as ox

        native = ox.Store(str(path))
        built = cls(native, path=path, base=base, ntriples=data)
        built._len = data.count(b"\n")
        built._pending = _Loader(native, data, path)
        built._pending.start()
        return built

    @classmethod
    def from_file(cls, file: Path, *, path: Path | None = None) -> OxigraphStore:
        import pyoxigraph as ox

        native = ox.Store(str(path)) if path else ox.Store()
        try:
            native.bulk_load(path=str(file), format=_rdf_format(file))
        except (SyntaxError, ValueError, OSError) as e:
            raise InputError(f"{file}: cannot load into oxigraph: {str(e).strip().splitlines()[0][:300]}") from None
        loaded = cls(native, path=path)
        loaded.source_file = file
        return loaded

    @classmethod
    def open(cls, path: Path) -> OxigraphStore:
        """An on-disk store written by `kg build --store oxigraph:PATH`, opened read-only."""
        import pyoxigraph as ox

        if not (path / "CURRENT").exists():
            raise InputError(f"{path}: not an oxigraph store directory; build one with "
                             f"`kg build --store oxigraph:{path}`")
        try:
            opened = cls(ox.Store.read_only(str(path)), path=path)
        except OSError as e:
            raise InputError(f"{path}: cannot open the oxigraph store: {e}") from None
        record = path / ONTOLOGY_RECORD  # absent in stores of older kg (the ontology in a named graph)
        opened.ontology_added = record.read_bytes() if record.is_file() else b""
        return opened

    # -- reading it

    def __len__(self) -> int:
        """Triples of the data: the default graph less the ontology's triples `kg build --store` added to it
        (a store of an older kg holds the ontology in a named graph instead)."""
        if self._len is None:
            total = int(self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0][0])
            self._len = total - self.ontology_added.count(b"\n")
        return self._len

    def describe(self) -> str:
        return f"oxigraph ({self.path})" if self.path else "oxigraph (in memory)"

    def select(self, sparql: str) -> list[tuple]:
        return [tuple(None if v is None else v.value for v in row) for row in self.native.query(sparql)]

    def class_counts(self) -> dict[str, int]:
        if self.loaded or self._ntriples is None:
            counts = super().class_counts()  # waits for a background load, which sets ontology_added
            for cls, n in _class_counts_of_ntriples(self.ontology_added).items():
                counts[cls] -= n  # the ontology's individuals (sy:Comparator) are not the data's
            return {cls: n for cls, n in counts.items() if n}
        return _class_counts_of_ntriples(self._ntriples)

    def exact_triples(self):
        """The triples exactly as written (pyoxigraph.Triple). Not read back from the store: oxigraph keeps
        literals by value, so a dump would write "5"^^xsd:integer for an xsd:nonNegativeInteger offset and 475
        for 475.0; exports come from the N-Triples the store was built from, or the file it was loaded from."""
        import pyoxigraph as ox

        if self._ntriples is not None:
            return ox.parse(self._ntriples, format=ox.RdfFormat.N_TRIPLES)
        if self.source_file is not None:
            return (q.triple for q in ox.parse(path=str(self.source_file), format=_rdf_format(self.source_file))
                    if q.graph_name == ox.DefaultGraph())
        raise InputError(f"{self.path}: an oxigraph store keeps literals by value (offsets become xsd:integer), "
                         "so kg does not export from it; export the N-Triples file `kg build` wrote beside it "
                         "(kg export --graph DIR/shenyang.nt --format F)")

    def ntriples(self) -> bytes:
        if self._ntriples is None:
            import pyoxigraph as ox

            if self.source_file is not None and _rdf_format(self.source_file) == ox.RdfFormat.N_TRIPLES:
                data = self.source_file.read_bytes()
            else:
                data = ox.serialize(self.exact_triples(), format=ox.RdfFormat.N_TRIPLES)
            self._ntriples = sort_ntriples(data)
        return self._ntriples

    def serialize(self, fmt: str) -> bytes:
        """N-Triples, Turtle, TriG and RDF/XML from the sorted N-Triples (pyoxigraph's writers); the other
        formats through an rdflib copy of the graph."""
        from .export import serialize, serialize_ntriples

        fast = serialize_ntriples(self.ntriples(), fmt, self.base)
        return fast if fast is not None else serialize(self.rdflib_graph(), fmt)

    def rdflib_graph(self) -> Graph:
        if self._graph is None:
            from .build import new_graph

            g = new_graph()
            convert = _to_rdflib()
            for t in self.exact_triples():
                g.add((convert(t.subject), convert(t.predicate), convert(t.object)))
            self._graph = g
        return self._graph

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.path:
                self.native.flush()


def _class_counts_of_ntriples(nt: bytes) -> dict[str, int]:
    """Store.class_counts from unique N-Triples: the `?s rdf:type sy:C` lines, without loading a store."""
    import re

    pattern = re.compile(rb"^<[^>]*> <http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> <"
                         + re.escape(str(SY._NS).encode()) + rb"([^>]*)> \.$", re.M)
    counts = Counter(m.decode() for m in pattern.findall(nt))
    return {f"sy:{k}": v for k, v in sorted(counts.items())}


class _Loader(threading.Thread):
    """pyoxigraph's bulk load of N-Triples, then the ontology, then a flush, in a thread; keeps its error."""

    def __init__(self, native, data: bytes, path: Path):
        super().__init__(name="kg-store-load", daemon=True)
        self.native, self.data, self.path = native, data, path
        self.error: BaseException | None = None
        self.added = b""  # the ontology's triples added to the default graph (add_ontology)

    def run(self) -> None:
        import pyoxigraph as ox

        try:
            # lenient: the IRIs are not validated twice; the same bytes are parsed strictly for the Turtle
            # export, and write_all waits for both before it writes anything
            self.native.bulk_load(self.data, format=ox.RdfFormat.N_TRIPLES, lenient=True)
            self.added = add_ontology(self.native)
            (self.path / ONTOLOGY_RECORD).write_bytes(self.added)
            self.native.flush()
            # compacted once (about 1 s at 10M triples): every later lookup reads fewer files; a
            # parameterised query at 10M on disk spends 16% less CPU (benchmarks/RESULTS.md)
            self.native.optimize()
        except BaseException as e:  # noqa: BLE001 - handed to the thread that waits (Store.ready)
            self.error = e
        finally:
            self.native = self.data = None


def export_bytes(store: Store, fmt: str) -> bytes:
    """One export format of a store: oxigraph's own writers for N-Triples and Turtle, rdflib's otherwise
    (through an rdflib copy of the graph on the oxigraph backend: fine for thousands of triples, slow for
    millions)."""
    from .formats import export_graph

    from .export import FROM_NTRIPLES

    if store.backend == "oxigraph" and (fmt == "nt" or fmt in FROM_NTRIPLES):
        return store.serialize(fmt)
    return export_graph(fmt, store.rdflib_graph())


def sort_ntriples(data: bytes) -> bytes:
    """Sorted, de-duplicated N-Triples lines (byte order = code point order), newline-terminated."""
    lines = dict.fromkeys(data.split(b"\n"))  # in file order: a sorted file sorts in one pass
    lines.pop(b"", None)
    return b"\n".join(sorted(lines)) + b"\n" if lines else b""


def _to_rdflib():
    cache: dict[Any, Any] = {}

    def convert(term):
        hit = cache.get(term)
        if hit is not None:
            return hit
        kind = type(term).__name__
        if kind == "NamedNode":
            out = URIRef(term.value)
        elif kind == "BlankNode":
            out = BNode(term.value)
        elif term.language:
            out = Literal(term.value, lang=term.language)
        elif term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
            out = Literal(term.value)
        else:
            out = Literal(term.value, datatype=URIRef(term.datatype.value))
        if kind == "NamedNode":
            cache[term] = out
        return out

    return convert


def _rdf_format(file: Path):
    import pyoxigraph as ox

    suffixes = {".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS, ".ttl": ox.RdfFormat.TURTLE,
                ".trig": ox.RdfFormat.TRIG, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
                ".xml": ox.RdfFormat.RDF_XML, ".jsonld": ox.RdfFormat.JSON_LD, ".n3": ox.RdfFormat.N3}
    fmt = suffixes.get(file.suffix.lower())
    if fmt is None:
        raise InputError(f"{file}: unknown RDF file type; use .nt, .nq, .ttl, .trig, .rdf or .jsonld")
    return fmt


# ---------------------------------------------------------------------------------------------------------------
# Building and loading


def estimate_triples(corpus) -> int:
    """Triples a corpus will make, within ~20%, without building it (to pick a backend first)."""
    n = 800 + sum(8 * (1 + len(g.divisions)) for g in corpus.vocab.gazetteers.values())
    for r in corpus.records:
        n += 30 + 15 * len(r.goals) + 17 * len(r.measures) + 13 * len(r.facilities) + 9 * len(r.district_mentions)
        n += sum(20 * len(m.statements) for m in r.measures)
    return n


def build_store(corpus, *, sources: dict | None = None, base: str = DEFAULT_BASE,
                store: StoreSpec | str | None = None, progress: Progress | None = None,
                ntriples: bytes | None = None) -> Store:
    """The graph of a corpus in the backend `store` asks for (auto: by estimated size).

    `ntriples`: the corpus's graph as sorted, unique N-Triples when the caller has made them already
    (kg.bulk.read_corpus), so the mapping does not run again. An on-disk store (`oxigraph:PATH`) is loaded in
    a background thread (pyoxigraph's bulk loader releases the GIL), so SHACL and the Turtle export run
    meanwhile; `Store.ready()` waits for it."""
    from .build import build_graph

    spec = StoreSpec.parse(store)
    backend = spec.resolve(estimate_triples(corpus))
    if backend == "rdflib" and spec.path:
        raise InputError("--store rdflib keeps the graph in memory; a PATH is only for oxigraph")
    data = ntriples if ntriples is not None else sorted_ntriples_of(corpus, base=base, sources=sources,
                                                                    progress=progress)
    if backend == "rdflib":  # the same mapping once more, as rdflib terms, when the Python API is asked for
        return RdflibStore(None, base, ntriples=data,
                           make=lambda: build_graph(corpus, base=base, sources=sources))
    if spec.path is None:
        return OxigraphStore.from_ntriples(data, base=base, sorted_unique=True, lazy=True)
    task(progress, "loading the store")
    staging = _staging_dir(spec.path)
    try:
        built = OxigraphStore.loading(data, staging, base=base)
        if len(built) <= THRESHOLD:  # small: nothing to gain, and write_all may fork (never beside a thread)
            built.ready()
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    built.final_path = spec.path  # type: ignore[attr-defined]  # committed by commit_store()
    return built


def sorted_ntriples_of(corpus, *, base: str = DEFAULT_BASE, sources: dict | None = None,
                       progress: Progress | None = None) -> bytes:
    """The graph of a loaded corpus as sorted, unique N-Triples, mapped in this process (kg.bulk.read_corpus
    does it while reading the record files, in workers)."""
    from .build import iter_ntriples

    advance = task(progress, "building the graph", len(corpus.records))
    with gc_paused():  # millions of short-lived objects: see kg.perf
        # UTF-8 bytes sort in code point order, cheaper than str; de-duplicated in the order they were made,
        # which is nearly sorted already (so the sort is mostly merging runs: ~8x faster than a set's order)
        lines = dict.fromkeys(line.encode("utf-8")
                              for line in iter_ntriples(corpus, base=base, sources=sources, progress=advance))
        task(progress, f"sorting {len(lines):,} triples")
        return b"\n".join(sorted(lines)) + b"\n" if lines else b""


def add_ontology(native) -> bytes:
    """Put ontology/shenyang.ttl in the default graph beside the data, and return exactly the triples added
    (those the store did not hold already) as sorted N-Triples.

    Why one graph: `kg query` and `kg serve` then read data + ontology as the store's default graph alone, as
    they do when loading files, and oxigraph answers a query of one graph with 26-38 % less CPU than one of the
    union of graphs (kg.query.engines.union_needed). Why not also a named graph of the ontology: the union
    of graphs repeats a triple present in two graphs (a COUNT would change). The record of what was added
    (ONTOLOGY_RECORD beside an on-disk store's files) keeps the data alone countable (`len`, class counts);
    exports are written from the build's N-Triples, never read back from the store."""
    import pyoxigraph as ox

    from . import paths

    added = []
    for quad in dict.fromkeys(ox.parse(path=str(paths.ONTOLOGY), format=ox.RdfFormat.TURTLE)):
        if quad not in native:  # one at a time: two spellings of one literal value are one triple in oxigraph
            native.add(quad)
            added.append(quad.triple)
    return sort_ntriples(ox.serialize(added, format=ox.RdfFormat.N_TRIPLES)) if added else b""


def _staging_dir(path: Path) -> Path:
    """`.NAME.partial-<pid>` beside the store: the partial stores of builds that died are swept; one of a build
    still running means another build is writing this store (refused)."""
    from .outdir import Busy

    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f".{glob.escape(path.name)}.partial-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            raise Busy(f"{path}: another build is writing this store (process {pid}); wait for it to finish, "
                       "nothing was changed")
        shutil.rmtree(old, ignore_errors=True)
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def commit_store(store: Store) -> Path | None:
    """Move an on-disk store built beside its target into place (replacing the old one); None if in memory."""
    final = getattr(store, "final_path", None)
    if final is None:
        return None
    store.ready()
    staging = store.path
    store._native = None  # type: ignore[attr-defined]  # close RocksDB before its directory moves
    import gc

    gc.collect()
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        if not (final / "CURRENT").exists() and any(final.iterdir()):
            shutil.rmtree(staging, ignore_errors=True)
            raise KgError(f"{final}: exists and is not an oxigraph store; choose another --store PATH "
                          "(nothing was replaced)")
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)
    reopened = OxigraphStore.open(final)
    store.native, store.path, store.final_path = reopened.native, final, None  # type: ignore[attr-defined]
    return final


def load_store(file: Path | None = None, store: StoreSpec | str | None = None,
               progress: Progress | None = None) -> Store:
    """A graph to query or export: an RDF file read into the chosen backend, or an on-disk oxigraph store.

    With `oxigraph:PATH` and no file, PATH is opened read-only (as `kg build --store oxigraph:PATH` left it).
    With a file, `auto` picks the backend by the file's size (about `BYTES_PER_TRIPLE` bytes a triple).
    """
    spec = StoreSpec.parse(store)
    if file is None and spec.path is not None:
        return OxigraphStore.open(spec.path)
    if file is None:
        from . import paths

        file = next((p for p in (paths.EXPORTS / "shenyang.nt", paths.EXPORTS / "shenyang.ttl") if p.exists()),
                    paths.EXPORTS / "shenyang.ttl")
    if not file.exists():
        raise InputError(f"{file}: no such graph file; run `kg build` first or pass a file")
    backend = spec.resolve(file.stat().st_size // BYTES_PER_TRIPLE)
    task(progress, f"loading {file.name} into {backend}")
    if backend == "rdflib":
        from .validate import load_rdf

        graph = load_rdf(file)
        for prefix, ns in {**PREFIXES, "id": DEFAULT_BASE}.items():  # so exports use kg's prefixes, not ns1:
            graph.bind(prefix, ns, override=True, replace=True)
        return RdflibStore(graph)
    if spec.path is not None:
        raise InputError("--store oxigraph:PATH with a file: load the file in memory (--store oxigraph), or "
                         "query the store built by `kg build --store oxigraph:PATH` without a file")
    return OxigraphStore.from_file(file)


# ---------------------------------------------------------------------------------------------------------------
# SHACL at scale


def shacl_sample(corpus, k: int) -> Any:
    """A corpus of `k` documents spread evenly over the sorted record files (so over cities and years), plus
    the records defining any facility they use: the part of a big graph that `kg build` runs SHACL on."""
    records = corpus.records
    if k >= len(records):
        return corpus
    picked = sorted({round(i * (len(records) - 1) / max(1, k - 1)) for i in range(k)}) if k > 1 else [0]
    return with_facility_definitions(corpus, [records[i] for i in picked])


def shacl_batches(corpus, size: int):
    """The corpus as consecutive parts of `size` documents, each with the records defining the facilities it
    uses: SHACL on every part checks every node of the graph (kg's shapes look at a node, its own triples and
    the types of the nodes it points to, all of which a part holds) in bounded memory."""
    records = corpus.records
    definers = facility_definers(records)  # once: a 10M corpus has hundreds of parts
    for start in range(0, len(records), size):
        yield with_facility_definitions(corpus, list(records[start:start + size]), definers)


def facility_definers(records) -> dict[str, list[int]]:
    """Facility id → the indexes of the records defining it, in order."""
    out: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        for f in r.facilities:
            out.setdefault(f.id, []).append(i)
    return out


def with_facility_definitions(corpus, chosen: list, definers: dict[str, list[int]] | None = None) -> Any:
    """A corpus of the chosen records plus the facility definitions they use from other records (each from
    the first other record defining it, those records in corpus order)."""
    records = corpus.records
    definers = facility_definers(records) if definers is None else definers
    needed = {fid for r in chosen for m in r.measures for fid in m.facilities}
    have = {f.id for r in chosen for f in r.facilities}
    chosen_ids = {id(r) for r in chosen}
    picked: dict[int, set[str]] = {}
    for fid in needed - have:
        first = next((i for i in definers.get(fid, ()) if id(records[i]) not in chosen_ids), None)
        if first is not None:
            picked.setdefault(first, set()).add(fid)
    extra = [replace(records[i], goals=(), measures=(), district_mentions=(),
                     facilities=tuple(f for f in records[i].facilities if f.id in picked[i])) for i in sorted(picked)]
    return replace(corpus, records=tuple(chosen + extra))
