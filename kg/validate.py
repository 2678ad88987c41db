"""SHACL validation with pyshacl-turbo (Rust; pySHACL as the reference), reported in terms a curator can act on
(focus node, path, message, record)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from . import paths
from .errors import InputError


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    severity: str


def load_rdf(path: Path, what: str = "RDF file") -> Graph:
    """Parse an RDF file (format from its extension) or raise InputError naming the file and line."""
    from rdflib.util import guess_format

    if not path.exists():
        raise InputError(f"{path}: no such {what}")
    refuse_xml_entities(path)
    fmt = guess_format(str(path)) or "turtle"
    g = Graph()
    try:
        g.parse(path, format=fmt)
    except Exception as e:  # rdflib raises many parser-specific types
        raise InputError(f"{path}: cannot parse as {fmt}: {str(e).strip().splitlines()[0][:300]}") from None
    return g


XML_SUFFIXES = (".rdf", ".owl", ".xml", ".trix")
_ENTITY_DECLARATIONS = tuple("<!ENTITY".encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be"))


def refuse_xml_entities(path: Path) -> None:
    """Refuse an XML RDF file that declares entities: a few nested declarations expand to gigabytes while it is
    parsed ("billion laughs"), and RDF/XML never needs them (rdflib and kg never write any)."""
    if path.suffix.lower() not in XML_SUFFIXES or not path.is_file():
        return
    try:
        data = path.read_bytes()
    except OSError:
        return  # the parser reports it
    if any(decl in data for decl in _ENTITY_DECLARATIONS):
        raise InputError(f"{path}: declares XML entities (<!ENTITY …>), which kg does not expand (a few lines can "
                         "grow to gigabytes); write their text in place of each &name; reference")


def validate_graph(data: Graph | bytes | str, shapes: Path = paths.SHAPES, ontology: Path = paths.ONTOLOGY, *,
                   engine: str = "turbo") -> list[Violation]:
    """Every SHACL result of the data graph against kg's shapes (empty list = conforms), the whole graph.

    `data`: an rdflib Graph, or its N-Triples as bytes or text (what `kg build` holds; no rdflib graph). The
    ontology is mixed in, as pySHACL's `ont_graph` does, so sh:class sees rdfs:subClassOf. `engine`: "turbo"
    (pyshacl-turbo, Rust: a million triples in 12–15 s of CPU; `validate_parts` is faster) or "pyshacl" (the reference, far slower); both give
    the same results on kg's shapes (tests/test_speed.py plants a violation of every shape and compares)."""
    if engine == "pyshacl":
        import pyshacl

        shapes_graph = load_rdf(shapes, "SHACL shapes file")
        graph = data if isinstance(data, Graph) else Graph().parse(data=data, format="nt")  # bytes or text
        ont_graph = load_rdf(ontology, "ontology file")
        _, results, _ = pyshacl.validate(graph, shacl_graph=shapes_graph, ont_graph=ont_graph, inference="none",
                                         advanced=True, allow_warnings=True)
    elif engine == "turbo":
        import pyshacl_turbo

        if not ontology.is_file():
            raise InputError(f"{ontology}: no such ontology file")
        if isinstance(data, Graph):
            data = _ntriples(data)
        text = (data if isinstance(data, str) else data.decode("utf-8")) + _ontology_ntriples(
            ontology, ontology.stat().st_mtime_ns).decode("utf-8")
        if not shapes.is_file():
            raise InputError(f"{shapes}: no such SHACL shapes file")
        # N-Triples text straight into the Rust engine (an rdflib Graph would be re-serialised first)
        _, results, _ = _compiled(shapes, shapes.stat().st_mtime_ns).validate(
            pyshacl_turbo.Input(text, "nt", None, {}), allow_warnings=True)
    else:
        raise InputError(f"unknown SHACL engine {engine!r}; use turbo or pyshacl")
    names = _names()
    out = []
    for result in results.subjects(predicate=SH.resultSeverity):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        severity = results.value(result, SH.resultSeverity)
        out.append(Violation(_short(names, focus), _path_text(names, results, path), str(message or ""),
                             str(severity).rsplit("#", 1)[-1]))
    return _sorted(out)


@functools.lru_cache(maxsize=4)
def _compiled(shapes: Path, mtime: int):
    """The shapes file compiled once per process (a build validating many parts compiles it once)."""
    import pyshacl_turbo

    return pyshacl_turbo.compile_shapes(load_rdf(shapes, "SHACL shapes file"), advanced=True)


def validate_parts(parts: Iterable[bytes | str], shapes: Path = paths.SHAPES, ontology: Path = paths.ONTOLOGY, *,
                   jobs: int | None = None) -> list[Violation]:
    """Every SHACL result of a graph given as parts of N-Triples (`kg.store.shacl_batches`: each part holds the
    nodes it checks and everything their shapes look at), in the order and form `validate_graph` gives.

    Why parts: the Rust engine spends most of its time building the indexes of the graph it holds, and they
    cost less per triple when the graph is small (at a million triples, parts of 25k triples take about half
    the CPU of the whole graph; benchmarks/RESULTS.md); its memory is that of one part; and parts run side by
    side in `jobs` worker processes (default: one per CPU; 1: in this process). Parts are taken from the
    iterable as the workers free up, at most `jobs` + 1 waiting, so the caller holds only a few at a time."""
    from .perf import cpu_count

    jobs = cpu_count() if jobs is None else jobs
    found: set[Violation] = set()
    if jobs <= 1:
        for part in parts:
            found.update(validate_graph(part, shapes, ontology))
        return _sorted(found)
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # spawned workers hold only their part: forked ones would share (and count in their RSS) the build's memory
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        pending: set = set()
        for part in parts:
            if len(pending) > jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    found.update(future.result())
            pending.add(pool.submit(validate_graph, part, shapes, ontology))
        for future in pending:
            found.update(future.result())
    finally:  # on an error or Ctrl-C, drop the parts not started
        pool.shutdown(wait=True, cancel_futures=True)
    return _sorted(found)


#: The SHACL Core parameters whose results depend only on the triples of the predicates the shapes name (and
#: on rdf:type / rdfs:subClassOf for targets and sh:class). Shapes using any other sh: term (sh:closed looks at
#: every predicate of a node; SPARQL constraints and rules at anything) keep every triple (`visible` is None).
_CORE = frozenset("""targetClass targetNode targetObjectsOf targetSubjectsOf property node path inversePath
    alternativePath zeroOrMorePath oneOrMorePath zeroOrOnePath class datatype nodeKind minCount maxCount
    minExclusive minInclusive maxExclusive maxInclusive minLength maxLength pattern flags languageIn uniqueLang
    equals disjoint lessThan lessThanOrEquals not and or xone qualifiedValueShape qualifiedMinCount
    qualifiedMaxCount qualifiedValueShapesDisjoint hasValue in message severity name description order group
    defaultValue deactivated""".split())
#: What a property shape may say besides sh:hasValue and still leave every rdf:type value but that one unread.
_ANNOTATIONS = frozenset("path message severity name description order group deactivated".split())


@dataclass(frozen=True)
class Visible:
    """The triples of a data graph that kg's shapes can look at: those whose predicate the shapes graph names,
    and of the rdf:type triples (when `types` is not None) only those naming a class the shapes name or one
    of its subclasses in the ontology. Leaving out the others changes no SHACL result (SHACL Core reads a
    node's values along the paths the shapes give, and its types for targets and sh:class) and saves the
    engine indexing them: at a million triples about 17 % of the graph (span selectors' types,
    prov:hadPrimarySource, sy:ordinal, …)."""
    predicates: frozenset[str]
    types: frozenset[str] | None  # None: every rdf:type triple (rdf:type is read as a value somewhere)


def visible(shapes: Path = paths.SHAPES, ontology: Path = paths.ONTOLOGY) -> Visible | None:
    """What the shapes can see of a data graph (see `Visible`), or None when they may look at any triple."""
    return _visible(shapes, shapes.stat().st_mtime_ns, ontology, ontology.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _visible(shapes: Path, _mtime: int, ontology: Path, _ont_mtime: int) -> Visible | None:
    from rdflib.namespace import RDFS

    g = load_rdf(shapes, "SHACL shapes file")
    if any(p.startswith(str(SH)) and p[len(str(SH)):] not in _CORE for p in g.predicates(unique=True)):
        return None
    named = {str(t) for triple in g for t in triple if isinstance(t, URIRef)}
    types: frozenset[str] | None = None
    if all(p == SH.path and set(g.predicates(ps)) <= {SH.hasValue, RDF.type, RDFS.comment, RDFS.label,
                                                       *(SH[a] for a in _ANNOTATIONS)}
           for ps, p in g.subject_predicates(RDF.type)):  # rdf:type read only to find one value (sh:hasValue)
        classes = {URIRef(c) for c in named}
        sub = list(load_rdf(ontology, "ontology file").subject_objects(RDFS.subClassOf))
        while True:
            more = {s for s, o in sub if o in classes and isinstance(s, URIRef)} - classes
            if not more:
                break
            classes |= more
        types = frozenset(map(str, classes))
    return Visible(frozenset(named | {str(RDF.type), str(RDFS.subClassOf)}), types)


def _sorted(violations) -> list[Violation]:
    return sorted(set(violations), key=lambda v: (v.focus, v.path, v.message, v.severity))


def _ntriples(g: Graph) -> bytes:
    from .export import to_ntriples

    return to_ntriples(g)


@functools.lru_cache(maxsize=4)
def _ontology_ntriples(ontology: Path, mtime: int) -> bytes:
    from .rdfwrite import ntriples_of_turtle

    try:
        return ntriples_of_turtle(ontology)
    except (SyntaxError, ValueError) as e:
        raise InputError(f"{ontology}: cannot parse as turtle: {str(e).strip().splitlines()[0][:300]}") from None


@functools.lru_cache(maxsize=1)
def _names():
    """kg's prefixes, to write focus nodes and paths short (sy:reviewed) as the built graph binds them."""
    from .build import new_graph
    from .namespaces import DEFAULT_BASE

    g = new_graph()
    g.bind("id", DEFAULT_BASE)
    return g.namespace_manager


def short_name(node) -> str:
    """A focus node or path as SHACL reports name it (prefixed where kg has a prefix, else <iri>)."""
    return _short(_names(), node)


def _short(names, node) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        try:
            return names.normalizeUri(node)
        except Exception:
            return str(node)
    return str(node)


def _path_text(names, results: Graph, path) -> str:
    """A result path as written in the shapes: `sy:value`, a sequence `( oa:hasSelector oa:start )`."""
    if isinstance(path, BNode) and results.value(path, RDF.first) is not None:
        return "( " + " ".join(_short(names, step) for step in Collection(results, path)) + " )"
    return _short(names, path)


def format_violations(violations: list[Violation]) -> str:
    lines = [f"{len(violations)} SHACL violation(s):"]
    for v in violations:
        lines.append(f"  {v.severity}: {v.focus}  path {v.path or '-'}: {v.message}")
    return "\n".join(lines)
