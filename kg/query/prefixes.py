"""The prefixes every query may use without declaring them."""

from __future__ import annotations

from ..namespaces import DEFAULT_BASE, PREFIXES

#: Prefixes predeclared in every query (a query may redeclare them): kg's export prefixes plus `id:`.
QUERY_PREFIXES: dict[str, str] = {**PREFIXES, "id": DEFAULT_BASE}


def prefix_declarations() -> str:
    """The predeclared prefixes as SPARQL PREFIX lines."""
    return "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in QUERY_PREFIXES.items())
