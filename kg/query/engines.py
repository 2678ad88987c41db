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
from .terms import canonical, from_oxigraph, from_tsv


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
        try:
            text = lateral_optionals(values_into_unions(values_into_subqueries(parsed.text)))
            res = self.store.query(text, prefixes=QUERY_PREFIXES,
                                   use_default_graph_as_union=union_needed(self.store))
        except SyntaxError as e:
            raise QuerySyntaxError(f"SPARQL syntax error (oxigraph): {e}") from None
        if parsed.kind == "ask":
            return QueryResult("ask", boolean=bool(res))
        if parsed.kind in ("construct", "describe"):
            convert = _cached(from_oxigraph)
            return QueryResult(parsed.kind, triples=[(convert(t.subject), convert(t.predicate),
                                                      convert(t.object)) for t in res])
        names = [v.value for v in res.variables]
        stream = _rows(res, names)
        first = next(stream, None)  # the engine's work up to its first solution (all of it under ORDER BY) here
        return QueryResult("select", vars=names, rows=[] if first is None else [first], stream=stream)


def union_needed(store: Any) -> bool:
    """Whether a query reads the union of the store's graphs rather than its default graph alone. The same
    rows either way when the store has no named graph (the union is then the default graph), and then the
    faster is chosen: on disk the default graph alone, whose lookups go through fewer RocksDB index ranges
    (30-50 % less CPU a query at 1M triples, benchmarks/RESULTS.md), in memory the union (oxigraph's
    in-memory store reads it ~10 % faster than the default graph). The stores `kg build --store` writes and
    `kg query` caches hold data and ontology in the default graph (kg.store.add_ontology); a store made by an
    older kg (the ontology in a named graph), or from TriG or N-Quads, is read as the union. (oxigraph honours
    a query's FROM only without the union; kg.query refuses FROM and FROM NAMED, so only speed changes.)"""
    return next(iter(store.named_graphs()), None) is not None or not _on_disk(store)


def _on_disk(store: Any) -> bool:
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


def _rows(solutions: Any, names: list[str]):
    """Solutions as rows of rdflib terms, converted as they are read: a caller that wants the first row of a
    large answer does not pay for the rest. The first row comes from the solution iterator; the rest, when
    asked for, from oxigraph's TSV serialisation of the remaining solutions, read as text (`from_tsv`): a
    Python object for each term of each row, and hashing it to find its conversion, cost more than the engine's
    own work for a parameterised query (1,329 rows: 17 ms of 75). Terms repeat (units, goals, categories):
    each distinct one is converted once per result."""
    convert = _cached(from_oxigraph)
    try:
        first = next(solutions, None)
        if first is None:
            return
        yield dict(zip(names, map(convert, first)))  # a solution iterates in `names` order
        import pyoxigraph as ox

        text = solutions.serialize(format=ox.QueryResultsFormat.TSV).decode()
    except (OSError, RuntimeError, ValueError) as e:  # reading the store failed midway
        raise QueryError(f"the query failed in oxigraph: {type(e).__name__}: {e}") from e
    lines = text.split("\n")  # a header line, then one line per row, each ended by "\n" (terms escape theirs)
    rows = lines[1:-1]
    width = len(names)
    if lines[0] != "\t".join("?" + n for n in names) or lines[-1] != "" or \
            (text.count("\t") != (width - 1) * len(lines[:-1]) if width else any(rows)):
        raise QueryError(f"oxigraph wrote unexpected TSV results: {text[:200]!r}")
    term = _Terms({"": None}).__getitem__  # an empty field: unbound
    for line in rows:
        yield dict(zip(names, map(term, line.split("\t")))) if width else {}


class _Terms(dict):
    """TSV token → rdflib term, each converted once (on first lookup)."""

    def __missing__(self, token: str) -> Any:
        term = self[token] = from_tsv(token)
        return term


def _cached(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`fn` memoised for one result set (pyoxigraph terms are hashable; None passes through)."""
    memo: dict[Any, Any] = {}

    def convert(term: Any) -> Any:
        if term is None:
            return None
        out = memo.get(term)
        if out is None:
            out = memo[term] = fn(term)
        return out

    return convert


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
