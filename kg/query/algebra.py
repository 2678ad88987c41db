"""Reading rdflib's SPARQL parse trees and algebra: walking them, and which variables a pattern surely binds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(node: Any) -> Iterator[Any]:
    """Every CompValue in an rdflib parse tree."""
    return _walk(node, stop=None)


def walk_scope(node: Any) -> Iterator[Any]:
    """Every CompValue of a pattern that is not inside one of its sub-queries."""
    return _walk(node, stop="ToMultiSet")


def _walk(node: Any, stop: str | None) -> Iterator[Any]:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, CompValue):
            yield n
            if n.name != stop:
                stack.extend(n.values())
        elif isinstance(n, (list, tuple, ParseResults)):
            stack.extend(n)


def walk_terms(node: Any) -> Iterator[Any]:
    """Every leaf (term) of an rdflib expression tree."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, CompValue):
            stack.extend(v for k, v in n.items() if k != "_vars")
        elif isinstance(n, (list, tuple)):
            stack.extend(n)
        else:
            yield n


def certainly_bound(node: Any, subqueries: bool = False) -> set[str]:
    """Variables every solution of an rdflib algebra pattern binds (a conservative answer: maybe fewer). With
    `subqueries`, also those a sub-query projects and certainly binds (kg.query.partition: a batch's VALUES may
    then join the group, as it would the sub-query's own rows; not for parameters, whose place decides plans)."""
    from rdflib.paths import Path as RdfPath
    from rdflib.term import Variable

    name = getattr(node, "name", None)
    if name == "BGP":
        return {str(t) for triple in node.triples for t in triple
                if isinstance(t, Variable) and not isinstance(t, RdfPath)}
    if name == "Join":
        return certainly_bound(node.p1, subqueries) | certainly_bound(node.p2, subqueries)
    if name in ("LeftJoin", "Minus"):
        return certainly_bound(node.p1, subqueries)
    if name == "Union":
        return certainly_bound(node.p1, subqueries) & certainly_bound(node.p2, subqueries)
    if name in ("Filter", "Extend", "Graph"):
        return certainly_bound(node.p, subqueries)
    if subqueries and name == "ToMultiSet" and getattr(node.p, "name", None) == "Project":
        projected = {str(v) for v in node.p.PV}
        inner = node.p.p
        while getattr(inner, "name", None) in ("Distinct", "Reduced", "Slice", "OrderBy"):  # rows kept as they are
            inner = inner.p
        return certainly_bound(inner, subqueries) & projected  # grouped sub-queries: not relied on (Group)
    return set()  # sub-queries, VALUES, BIND and the rest: not relied on


_MODIFIERS = {"SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery", "Distinct", "Reduced", "Slice",
              "Project", "OrderBy", "AggregateJoin", "Group", "Filter", "Extend"}


_MODIFIERS_ABOVE_WHERE = {"SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery", "Distinct", "Reduced",
                          "Slice", "Project", "OrderBy"}


def bindable_first(algebra: Any, own_scope: bool = False) -> set[str]:
    """Variables a VALUES block may bind at the start of the WHERE group with the same answers as at its end:
    those a mandatory triple pattern binds and no BIND or select expression mentions. With `own_scope`, the
    expressions of sub-queries are not looked at (a sub-query is evaluated on its own: a binding outside does
    not reach its BINDs; kg.query.partition) — more variables, the same guarantee."""
    from rdflib.term import Variable

    node = algebra
    chain = []
    while getattr(node, "name", None) in _MODIFIERS and "p" in node:
        chain.append(node)
        node = node.p
    group = next((n for n in chain if n.name == "Group"), None)
    where = group.p if group is not None else next(
        (n for n in chain if n.name not in _MODIFIERS_ABOVE_WHERE), node)  # the WHERE group, with its BINDs
    mentioned: set[str] = set()
    for n in (walk_scope(where) if own_scope else walk(where)):
        if n.name == "Extend":
            mentioned.add(str(n.var))
            mentioned.update(str(v) for v in walk_terms(n.expr) if isinstance(v, Variable))
    return certainly_bound(node, subqueries=own_scope) - mentioned
