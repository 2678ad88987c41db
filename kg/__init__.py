"""kg: an open knowledge graph of Chinese municipal policy commitments.

Library first: load records, build the graph, validate, query, export. The `kg` command wraps these.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError, KgError, RecordError, ShapesError, SourceError

__all__ = ["KgError", "RecordError", "SourceError", "ShapesError", "InputError", "load", "load_records",
           "build_graph", "validate_graph"]
__version__ = "0.1.0"


def load(path: Path | str | None = None):
    """The built graph (exports/shenyang.ttl by default) as an rdflib Graph."""
    from . import paths
    from .validate import load_rdf

    path = Path(path) if path else paths.EXPORTS / "shenyang.ttl"
    if not path.exists():
        raise InputError(f"{path}: no built graph; run `kg build` first")
    return load_rdf(path)


def __getattr__(name: str):
    # Lazy re-exports keep `import kg` light (no pyshacl, no jinja2 until used).
    if name == "load_records":
        from .records import load_records

        return load_records
    if name == "build_graph":
        from .build import build_graph

        return build_graph
    if name == "validate_graph":
        from .validate import validate_graph

        return validate_graph
    raise AttributeError(name)
