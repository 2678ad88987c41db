"""Parameters: values become RDF terms in a VALUES block, never pasted text."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ..errors import KgError
from . import parsecache
from .canned import Param
from .engines import engine_for
from .errors import ParamError
from .lexer import query_variables, where_span
from .parse import located, parse_query
from .prefixes import QUERY_PREFIXES
from .terms import decimal_lexical

_RESOLVE_PATTERNS = {
    "district": "VALUES ?cls { sy:District sy:City } ?node a ?cls .",
    "year": "?node a sy:Year .",
    "category": '?node skos:inScheme ?scheme . FILTER(STRENDS(STR(?scheme), "/measure-categories"))',
    "facility-type": '?node skos:inScheme ?scheme . FILTER(STRENDS(STR(?scheme), "/facility-types"))',
}
_EXACT_PATTERNS = {**_RESOLVE_PATTERNS,  # the node reached from its name: classes compared, not joined with
                   "district": "?node a ?cls . FILTER(?cls IN (sy:District, sy:City))"}  # every district (2,400)
_IRI_OK = re.compile(r'[^<>"{}|^`\\\x00-\x20]+\Z')  # \Z, not $: "$" also matches before a final newline
_PNAME = re.compile(r"([A-Za-z][\w\-.]*)?:([\w\-.%]*)\Z")
_LOCAL_OK = re.compile(r"[^\s<>\"{}|^`\\/#:]+")  # a name without spaces or IRI punctuation


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


def _iri(value: str, name: str) -> URIRef:
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    else:
        m = _PNAME.match(text)
        if m and (m.group(1) or "") in QUERY_PREFIXES:
            text = QUERY_PREFIXES[m.group(1) or ""] + m.group(2)
    if not _IRI_OK.fullmatch(text) or ":" not in text:
        raise ParamError(f"parameter {name}: {value!r} is not an IRI (write <https://…> or prefix:name)")
    return URIRef(text)


def _resolve(engine: Any, ptype: str, name: str, value: str) -> URIRef:
    """The IRI of the node a district/year/category/facility-type name refers to (label, short form or key)."""
    found = _resolve_exactly(engine, ptype, value)
    return found if found is not None else _resolve_by_listing(engine, ptype, name, value)


def _resolve_exactly(engine: Any, ptype: str, value: str) -> URIRef | None:
    """The node whose label, short form or key is exactly `value` when that is the only candidate, looked up
    from the name (an index lookup) instead of listing every node of the type: at ten million triples the
    graph holds 2,400 districts and cities, and listing them cost 0.2 s of a 16-row query. None whenever the
    listing could answer differently (a cased name matches case-insensitively; several or no nodes; a node
    whose key is the value: kg's keys are ASCII ids), so that the listing decides, with its messages."""
    text = value.strip()
    if not text or text != text.casefold() or text != text.upper() or not _LOCAL_OK.fullmatch(text):
        return None  # a name with letters that have case (hunnan, Pocket parks): the listing folds case
    literal = _sparql_term(Literal(text))
    names = " ".join(f"{literal}@{lang}" for lang in ("zh", "en")) + f" {literal}"
    query = (f"SELECT DISTINCT ?node WHERE {{ {{ VALUES ?name {{ {names} }} "
             f"?node rdfs:label|skos:altLabel|skos:notation ?name . {_EXACT_PATTERNS[ptype]} }}")
    if text.isascii():  # kg's keys (the IRIs' last segments) are ASCII ids: only then can one be the value
        query += (f" UNION {{ {_RESOLVE_PATTERNS[ptype]} FILTER(STRENDS(STR(?node), {_sparql_term(Literal('/' + text))})"
                  f" || STRENDS(STR(?node), {_sparql_term(Literal('#' + text))})) }}")
    query += " }"
    rows = engine.execute(parse_query(query)).rows
    return rows[0]["node"] if len(rows) == 1 else None


def _resolve_by_listing(engine: Any, ptype: str, name: str, value: str) -> URIRef:
    pattern = _RESOLVE_PATTERNS[ptype]
    text = (f"SELECT ?node ?name WHERE {{ {pattern} OPTIONAL {{ ?node rdfs:label|skos:altLabel|skos:notation "
            f"?name }} }}")
    result = engine.execute(parse_query(text))
    names: dict[str, set[URIRef]] = {}
    shown: dict[URIRef, str] = {}
    for row in result.rows:
        node = row["node"]
        for key in (_local_name(str(node)), str(row["name"]) if row["name"] is not None else None):
            if key:
                names.setdefault(key.casefold(), set()).add(node)
        if isinstance(row["name"], Literal) and row["name"].language == "zh":
            shown.setdefault(node, str(row["name"]))
    wanted = value.strip().casefold()
    if wanted.startswith("<") or _PNAME.match(value.strip()):
        iri = _iri(value, name)
        if iri in shown or any(iri in nodes for nodes in names.values()):
            return iri
    found = names.get(wanted, set())
    if len(found) == 1:
        return next(iter(found))
    if len(found) > 1:
        raise ParamError(f"parameter {name}: {value!r} is ambiguous: {', '.join(sorted(map(str, found)))}")
    known = sorted(set(shown.values())) or sorted({_local_name(str(n)) for v in names.values() for n in v})
    close = difflib.get_close_matches(value.strip(), known + sorted(names), n=3, cutoff=0.5)
    hint = f" — did you mean {', '.join(dict.fromkeys(close))}?" if close else ""
    if not known:
        raise ParamError(f"parameter {name}: the graph has no {ptype} at all (is it a kg graph?)")
    listing = ", ".join(known) if len(known) <= 20 else ", ".join(known[:20]) + f" … ({len(known)} in all)"
    raise ParamError(f"parameter {name}: no {ptype} {value!r} in the graph{hint}\nknown: {listing}")


def _term(engine: Any, name: str, value: Any, ptype: str | None) -> Node:
    """An RDF term for one parameter value. Untyped strings: <iri> or prefix:name → IRI, numbers → numbers,
    anything else → a plain string literal."""
    if isinstance(value, (URIRef, Literal)):
        return value
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int) and ptype in (None, "integer", "string"):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, (Decimal, float)) and ptype in (None, "decimal", "string"):
        return Literal(decimal_lexical(Decimal(str(value))), datatype=XSD.decimal)
    text = str(value)
    if ptype in _RESOLVE_PATTERNS:  # (a year never gets here: bind_params gives it a number and its node)
        return _resolve(engine, ptype, name, text)
    if ptype == "iri":
        return _iri(text, name)
    if ptype == "integer" or (ptype is None and re.fullmatch(r"[+-]?\d+", text.strip())):
        try:
            return Literal(str(int(text.strip())), datatype=XSD.integer)
        except ValueError:
            raise ParamError(f"parameter {name}: {value!r} is not an integer") from None
    if ptype == "decimal" or (ptype is None and re.fullmatch(r"[+-]?\d*\.\d+", text.strip())):
        try:
            return Literal(decimal_lexical(Decimal(text.strip())), datatype=XSD.decimal)
        except InvalidOperation:
            raise ParamError(f"parameter {name}: {value!r} is not a number") from None
    if ptype is None and (text.strip().startswith("<") and text.strip().endswith(">")):
        return _iri(text, name)
    if ptype is None:
        m = _PNAME.match(text.strip())
        if m and m.group(1) in QUERY_PREFIXES:
            return _iri(text, name)
    return Literal(text)


def _sparql_term(term: Node) -> str:
    if isinstance(term, URIRef):
        if not _IRI_OK.fullmatch(str(term)):
            raise ParamError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.datatype in (XSD.integer, XSD.decimal) and re.fullmatch(r"[+-]?\d+(\.\d+)?", str(term)) and \
                (term.datatype == XSD.decimal) == ("." in str(term)):
            return str(term)  # 2023, 3.5: SPARQL's own number syntax
        return term.n3()  # rdflib escapes quotes, backslashes and line breaks
    raise ParamError(f"cannot bind a {type(term).__name__} as a parameter")


def bind_params(graph: Any, sparql: str, params: Mapping[str, Any] | None = None,
                declared: Sequence[Param] = (), source: str | None = None) -> tuple[str, dict[str, Node]]:
    """The query text with every parameter bound by a VALUES block that closes its WHERE clause, and the bound
    terms. Inside the WHERE group the binding restricts the solutions before any GROUP BY, and a BIND earlier
    in the group may compute the variable (`BIND(... AS ?year) VALUES ?year { 2023 }` is legal SPARQL).
    A binding does not reach into sub-queries that do not project the variable. `declared` (a canned
    query's header) gives types and defaults; ad-hoc queries may bind any variable they use. Line numbers
    are unchanged."""
    params = dict(params or {})
    engine = engine_for(graph)
    types = {p.name: p for p in declared}
    if declared:
        unknown = sorted(set(params) - set(types))
        if unknown:
            takes = ", ".join(p.name for p in declared)
            raise ParamError(f"{located(source)}unknown parameter {', '.join(unknown)}; "
                             f"this query takes: {takes}")
        for p in declared:
            if p.name not in params and p.default is not None:
                params[p.name] = p.default
    if not params:
        return sparql, {}
    used = query_variables(sparql)
    for name in params:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ParamError(f"parameter name {name!r} is not a SPARQL variable name")
        if name not in used:
            raise ParamError(f"{located(source)}the query has no variable ?{name} to bind")
    bound: dict[str, Node] = {}
    for name, value in sorted(params.items()):
        ptype = types[name].type if name in types else None
        if ptype == "year" and not isinstance(value, (URIRef, Literal)):
            # ?year gets the number; ?year_node, where the query has it, the sy:Year node, so that an engine
            # can start from that year's nodes instead of filtering every year's rows at the end
            node = _resolve(engine, "year", name, str(value))
            bound[name] = Literal(str(int(_local_name(str(node)))), datatype=XSD.integer)
            if f"{name}_node" in used:
                bound[f"{name}_node"] = node
        else:
            bound[name] = _term(engine, name, value, ptype)
    span = where_span(sparql)
    if span is None:
        raise ParamError(f"{located(source)}the query has no WHERE clause to bind parameters in")
    first = _bound_first(sparql, set(bound), source)
    head = " ".join(f"VALUES ?{name} {{ {_sparql_term(term)} }}" for name, term in bound.items() if name in first)
    tail = " ".join(f"VALUES ?{name} {{ {_sparql_term(term)} }}" for name, term in bound.items()
                    if name not in first)
    (open_, close) = span
    return (sparql[:open_ + 1] + (f" {head} " if head else "") + sparql[open_ + 1:close]
            + (f" {tail} " if tail else "") + sparql[close:]), bound


def _bound_first(sparql: str, names: set[str], source: str | None = None) -> set[str]:
    """The parameters whose VALUES may open the WHERE clause instead of closing it: those a mandatory triple
    pattern of the WHERE group binds and no BIND or select expression mentions (kg.query.algebra.bindable_first).
    There the block gives the same answers, and an engine that orders joins (oxigraph) starts from the bound
    node — one district's rows instead of every row filtered at the end. The others stay at the end:
    `BIND(... AS ?year)` may not follow a binding of ?year."""
    try:
        parse_query(sparql, source)  # records the analysis with the parse (kg.query.parsecache)
    except KgError:
        return set()
    known = parsecache.lookup(sparql)
    return set(known["bound"]) & names if known else set()


def parse_param_args(items: Sequence[str]) -> dict[str, str]:
    """NAME=VALUE strings (from --param) as a dict; a repeated name is an error."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamError(f"--param {item!r}: write NAME=VALUE, e.g. --param district=浑南区")
        if name in out:
            raise ParamError(f"--param {name} given twice")
        out[name] = value
    return out
