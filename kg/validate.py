"""SHACL validation with pySHACL, reported in terms a curator can act on (focus node, path, message, record)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SH

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


def validate_graph(data: Graph, shapes: Path = paths.SHAPES, ontology: Path = paths.ONTOLOGY) -> list[Violation]:
    """Every SHACL result of the data graph against kg's shapes (empty list = conforms)."""
    import pyshacl

    shapes_graph = load_rdf(shapes, "SHACL shapes file")
    ont_graph = load_rdf(ontology, "ontology file")
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes_graph, ont_graph=ont_graph, inference="none",
                                     advanced=True, allow_warnings=True)
    out = []
    for result in results.subjects(predicate=SH.resultSeverity):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        severity = results.value(result, SH.resultSeverity)
        out.append(Violation(_short(data, focus), _short(data, path), str(message or ""),
                             str(severity).rsplit("#", 1)[-1]))
    return sorted(set(out), key=lambda v: (v.focus, v.path, v.message))


def _short(g: Graph, node) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        try:
            return g.namespace_manager.normalizeUri(node)
        except Exception:
            return str(node)
    return str(node)


def format_violations(violations: list[Violation]) -> str:
    lines = [f"{len(violations)} SHACL violation(s):"]
    for v in violations:
        lines.append(f"  {v.severity}: {v.focus}  path {v.path or '-'}: {v.message}")
    return "\n".join(lines)
