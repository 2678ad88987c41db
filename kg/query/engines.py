"""Engines: rdflib Graphs and pyoxigraph Stores built in; others can be registered (e.g. a remote store)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from rdflib import Graph

from ..errors import InputError
from .errors import QueryError, QuerySyntaxError
from .lateral import lateral_optionals, values_into_subqueries, values_into_unions
from .parse import ParsedQuery
from .prefixes import QUERY_PREFIXES
from .result import QueryResult
from .solutions import memoised, select
from .terms import canonical, from_oxigraph


class RdflibEngine:
    name = "rdflib"

    def __init__(self, graph: Graph):
        self.graph = graph

    def execute(self, parsed: ParsedQuery) -> QueryResult:
        try:
            return self._execute(parsed)
        except Exception as e:
            if "requiring a dataset" in str(e):  # rdflib's words for GRAPH on a single graph
                raise QueryError("GRAPH needs named graphs, and the rdflib engine holds one graph; use "
                                 "--engine oxigraph") from None
            raise

    def _execute(self, parsed: ParsedQuery) -> QueryResult:
        res = self.graph.query(parsed.algebra())
        if parsed.kind == "ask":
            return QueryResult("ask", boolean=bool(res.askAnswer))
        if parsed.kind in ("construct", "describe"):
            return QueryResult(parsed.kind, triples=[tuple(canonical(t) for t in tr) for tr in res.graph])
        names = [str(v) for v in res.vars]
        rows = [{n: canonical(row[i]) for i, n in enumerate(names)} for row in res]
        return QueryResult("select", vars=names, rows=rows)


class OxigraphEngine:
    """A pyoxigraph Store; the default graph is the union of all graphs, as in an rdflib Graph of everything
    (read as the store's default graph alone where that is the same and faster: `union_needed`)."""

    name = "oxigraph"

    def __init__(self, store: Any):
        self.store = store

    def execute(self, parsed: ParsedQuery) -> QueryResult:
        text = lateral_optionals(values_into_unions(values_into_subqueries(parsed.text)))
        union = union_needed(self.store)
        if parsed.kind == "select":  # evaluated and read in a thread of its own (kg.query.solutions)
            names, first, rest = select(lambda: self.store.query(text, prefixes=QUERY_PREFIXES,
                                                                 use_default_graph_as_union=union))
            return QueryResult("select", vars=names, rows=[] if first is None else [first], stream=rest)
        try:
            res = self.store.query(text, prefixes=QUERY_PREFIXES, use_default_graph_as_union=union)
        except SyntaxError as e:
            raise QuerySyntaxError(f"SPARQL syntax error (oxigraph): {e}") from None
        if parsed.kind == "ask":
            return QueryResult("ask", boolean=bool(res))
        convert = memoised(from_oxigraph)
        return QueryResult(parsed.kind, triples=[(convert(t.subject), convert(t.predicate),
                                                  convert(t.object)) for t in res])


def union_needed(store: Any) -> bool:
    """Whether a query reads the union of the store's graphs rather than its default graph alone. The same
    rows either way when the store has no named graph (the union is then the default graph), and then the
    faster is chosen: on disk the default graph alone, whose lookups go through fewer RocksDB index ranges
    (30-50 % less CPU a query at 1M triples, benchmarks/RESULTS.md), in memory the union (oxigraph's
    in-memory store reads it ~10 % faster than the default graph). The stores `kg build --store` writes and
    `kg query` caches hold data and ontology in the default graph (kg.store.add_ontology); a store made by an
    older kg (the ontology in a named graph), or from TriG or N-Quads, is read as the union. (oxigraph honours
    a query's FROM only without the union; kg.query refuses FROM and FROM NAMED, so only speed changes.)"""
    return next(iter(store.named_graphs()), None) is not None or not on_disk(store)


def on_disk(store: Any) -> bool:
    """Whether a pyoxigraph Store keeps its data on disk, asked of the store without side effects (~10 µs): a
    backup into a directory that cannot be made (under os.devnull) fails at once, with RuntimeError in memory
    (nothing to back up) and OSError on disk (no such directory). Only speed depends on the answer."""
    try:
        store.backup(os.path.join(os.devnull, "kg-probe"))
    except RuntimeError:
        return False
    except (OSError, ValueError):
        return True
    return True


_ENGINES: list[tuple[Callable[[Any], bool], Callable[[Any], Any]]] = []


def register_engine(accepts: Callable[[Any], bool], factory: Callable[[Any], Any]) -> None:
    """Teach `run` a new kind of graph: `accepts(graph)` says whether `factory(graph)` can query it. The engine
    needs `execute(parsed: ParsedQuery) -> QueryResult` with canonical rdflib terms (see `canonical`)."""
    _ENGINES.insert(0, (accepts, factory))


def _is_oxigraph_store(obj: Any) -> bool:
    try:
        import pyoxigraph
    except ImportError:  # pragma: no cover - pyoxigraph is a dependency
        return False
    return isinstance(obj, pyoxigraph.Store)


register_engine(lambda g: isinstance(g, Graph), RdflibEngine)
register_engine(_is_oxigraph_store, OxigraphEngine)


def engine_for(graph: Any):
    for accepts, factory in _ENGINES:
        if accepts(graph):
            return factory(graph)
    raise InputError(f"cannot query a {type(graph).__name__}: pass an rdflib Graph or a pyoxigraph Store")
