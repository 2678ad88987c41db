"""A small directed multigraph with the part of networkx's MultiDiGraph API the viz projection is built and read with.

`kg build` draws the viz projection (kg.viz) twice, as GraphML and as the HTML page, and does nothing else with
it; importing networkx for that costs more than making the projection (~0.1 s CPU at start-up, plus numpy for
its GraphML writer). `Projection` keeps nodes, attributes and keyed edges in insertion order, as a
networkx.MultiDiGraph does, so `kg.viz` fills either with the same code (`to_networkx` gives networkx's, for
the filters and for researchers; `project` this one). What it offers: `graph`, `nodes` (iterate, `[n]`,
`(data=True)`), `add_node`, `add_edge(u, v, key=…)`, `edges(keys=…, data=…)`, `out_edges(n, keys=…)`,
`in`, `len`, `number_of_nodes`, `is_multigraph`, `is_directed`.
"""

from __future__ import annotations

from collections.abc import Iterator


class _Nodes(dict):
    """node → attribute dict; `nodes(data=True)` gives (node, attributes) pairs as networkx's NodeView does."""

    def __call__(self, data: bool = False):
        return self.items() if data else self.keys()


class Projection:
    def __init__(self) -> None:
        self.graph: dict = {}
        self.nodes = _Nodes()
        self._succ: dict[str, dict[str, dict]] = {}

    def add_node(self, node: str, **attrs) -> None:
        if node not in self.nodes:
            self.nodes[node] = {}
            self._succ[node] = {}
        self.nodes[node].update(attrs)

    def add_edge(self, u: str, v: str, key, **attrs) -> None:
        for n in (u, v):
            if n not in self.nodes:
                self.add_node(n)
        self._succ[u].setdefault(v, {}).setdefault(key, {}).update(attrs)

    def edges(self, keys: bool = False, data: bool = False) -> Iterator[tuple]:
        for u, targets in self._succ.items():
            for v, by_key in targets.items():
                for k, attrs in by_key.items():
                    yield (u, v) + ((k,) if keys else ()) + ((attrs,) if data else ())

    def out_edges(self, node: str, keys: bool = False) -> Iterator[tuple]:
        for v, by_key in self._succ.get(node, {}).items():
            for k in by_key:
                yield (node, v, k) if keys else (node, v)

    def __contains__(self, node) -> bool:
        return node in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def number_of_nodes(self) -> int:
        return len(self.nodes)

    def is_multigraph(self) -> bool:
        return True

    def is_directed(self) -> bool:
        return True
