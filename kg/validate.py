"""SHACL validation with pyshacl-turbo (Rust; pySHACL as the reference), reported in terms a curator can act on
(focus node, path, message, record)."""

from __future__ import annotations

import functools
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


def validate_graph(data: Graph | bytes, shapes: Path = paths.SHAPES, ontology: Path = paths.ONTOLOGY, *,
                   engine: str = "turbo") -> list[Violation]:
    """Every SHACL result of the data graph against kg's shapes (empty list = conforms), the whole graph.

    `data`: an rdflib Graph, or its sorted N-Triples (what `kg build` holds; no rdflib graph needed). The
    ontology is mixed in, as pySHACL's `ont_graph` does, so sh:class sees rdfs:subClassOf. `engine`: "turbo"
    (pyshacl-turbo, Rust: a million triples in half a minute) or "pyshacl" (the reference, far slower); both give
    the same results on kg's shapes (tests/test_speed.py plants a violation of every shape and compares)."""
    shapes_graph = load_rdf(shapes, "SHACL shapes file")
    if engine == "pyshacl":
        import pyshacl

        graph = data if isinstance(data, Graph) else Graph().parse(data=data, format="nt")
        ont_graph = load_rdf(ontology, "ontology file")
        _, results, _ = pyshacl.validate(graph, shacl_graph=shapes_graph, ont_graph=ont_graph, inference="none",
                                         advanced=True, allow_warnings=True)
    elif engine == "turbo":
        import pyshacl_turbo

        nt = data if isinstance(data, bytes) else _ntriples(data)
        if not ontology.is_file():
            raise InputError(f"{ontology}: no such ontology file")
        text = (nt + _ontology_ntriples(ontology, ontology.stat().st_mtime_ns)).decode("utf-8")
        # N-Triples text straight into the Rust engine (an rdflib Graph would be re-serialised first)
        _, results, _ = _compiled(shapes_graph).validate(pyshacl_turbo.Input(text, "nt", None, {}),
                                                        allow_warnings=True)
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
    return sorted(set(out), key=lambda v: (v.focus, v.path, v.message, v.severity))


def _compiled(shapes_graph: Graph):
    import pyshacl_turbo

    return pyshacl_turbo.compile_shapes(shapes_graph, advanced=True)


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
