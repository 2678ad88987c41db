"""What a query returned, the same from every engine."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph
from rdflib.term import Node

from .prefixes import QUERY_PREFIXES
from .terms import to_python


@dataclass
class QueryResult:
    """What a query returned. SELECT: `vars` and `rows` (dicts var → rdflib term, None when unbound);
    ASK: `boolean`; CONSTRUCT/DESCRIBE: `triples`. `values()` gives plain Python values for pandas & co."""

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: list[dict[str, Node | None]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.triples) if self.kind in ("construct", "describe") else len(self.rows)

    def __iter__(self):
        return iter(self.triples if self.kind in ("construct", "describe") else self.rows)

    def __bool__(self) -> bool:
        return bool(self.boolean) if self.kind == "ask" else len(self) > 0

    def values(self) -> list[dict[str, Any]]:
        """Rows with Python values: numbers as int/Decimal/float, strings as str, IRIs as str, None unbound.
        `pandas.DataFrame(result.values())` makes a data frame."""
        return [{k: to_python(v) for k, v in row.items()} for row in self.rows]

    def column(self, name: str) -> list[Any]:
        """One column as Python values."""
        if name not in self.vars:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self.vars)}")
        return [to_python(row[name]) for row in self.rows]

    def graph(self) -> Graph:
        """CONSTRUCT/DESCRIBE results as an rdflib Graph with kg's prefixes bound."""
        g = Graph(bind_namespaces="none")
        for prefix, ns in QUERY_PREFIXES.items():
            g.bind(prefix, ns)
        for t in self.triples:
            g.add(t)
        return g

    def _repr_html_(self) -> str:  # Jupyter
        if self.kind == "ask":
            return f"<code>{str(bool(self.boolean)).lower()}</code>"
        if self.kind in ("construct", "describe"):
            from ..results import to_rdf

            return f"<pre>{html.escape(to_rdf(self, 'turtle').decode())}</pre>"
        from ..results import display_value

        head = "".join(f"<th>{html.escape(v)}</th>" for v in self.vars)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(display_value(row[v]))}</td>" for v in self.vars)
                       + "</tr>" for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{len(self.rows)} rows</p>"
