"""Parsing a query with rdflib's SPARQL parser: syntax errors with line, column and the line shown, and the
read-only check before anything runs."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import QuerySyntaxError, QueryTooBig
from .lexer import line_col, tokens
from .prefixes import QUERY_PREFIXES
from .readonly import refuse_remote, refuse_update

KINDS = ("select", "ask", "construct", "describe")
#: rdflib's parser takes about a minute on a query of 200,000 tokens (a 1.3 MB VALUES block) and recurses once
#: per UNION branch: past these a query is refused before parsing, as too big, not as a syntax error.
MAX_TOKENS = 50_000
MAX_UNIONS = 256


def _too_big(where: str, what: str) -> QueryTooBig:
    return QueryTooBig(f"{where}the query is too big to parse: {what}; split it into smaller queries (or load "
                       "the data with `kg build --store oxigraph:DIR` and query the store)")


def check_size(sparql: str, source: str | None = None) -> None:
    """Refuse (QueryTooBig) a query with more than MAX_TOKENS tokens or MAX_UNIONS UNIONs, in linear time."""
    where = located(source)
    unions = 0
    for n, (kind, tok, _) in enumerate(tokens(sparql), 1):
        if n > MAX_TOKENS:
            raise _too_big(where, f"more than {MAX_TOKENS:,} tokens")
        if kind == "word" and tok.upper() == "UNION":
            unions += 1
            if unions > MAX_UNIONS:
                raise _too_big(where, f"more than {MAX_UNIONS} UNION branches (try VALUES or FILTER(?x IN (…)))")


@dataclass(frozen=True)
class ParsedQuery:
    """A query that parsed and passed the read-only check."""

    text: str
    kind: str  # select | ask | construct | describe
    prepared: Any = field(default=None, repr=False, compare=False)  # rdflib's algebra (None: parse on demand)

    def algebra(self) -> Any:
        """rdflib's translated query for this exact text."""
        return self.prepared if self.prepared is not None else parse_with_rdflib(self.text).prepared


def located(source: str | None) -> str:
    return f"{source}: " if source else ""


def syntax_error(text: str, source: str | None, message: str, line: int | None, col: int | None):
    where = located(source)
    if line is None:
        return QuerySyntaxError(f"{where}SPARQL syntax error: {message}")
    lines = text.splitlines() or [""]
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = " " * (max(col, 1) - 1 + 4) + "^"
    return QuerySyntaxError(f"{where}SPARQL syntax error at line {line}, column {col}: {message}\n"
                            f"    {shown}\n{caret}", line, col)


@functools.lru_cache(maxsize=256)
def parse_query(sparql: str, source: str | None = None) -> ParsedQuery:
    """Parse a query, refusing anything that is not a read-only local query.

    Raises `ReadOnlyError` for UPDATE requests, SERVICE and FROM clauses, `QuerySyntaxError` (with line and
    column) when the text does not parse. A text that passed before (in any process: kg.query.parsecache) is
    not parsed again; its rdflib algebra is then made on demand (`ParsedQuery.algebra`), which only the rdflib
    engine needs: parsing is the slow part of a small query.
    """
    from . import parsecache

    known = parsecache.lookup(sparql)
    if known is not None:
        return ParsedQuery(sparql, known["kind"])
    parsed = parse_with_rdflib(sparql, source)
    from .algebra import bindable_first

    parsecache.record(sparql, parsed.kind, bindable_first(parsed.prepared.algebra))
    return parsed


@functools.lru_cache(maxsize=256)
def parse_with_rdflib(sparql: str, source: str | None = None) -> ParsedQuery:
    """Parse a query with rdflib's SPARQL parser and check it is read-only (see `parse_query`)."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    where = located(source)
    if next(tokens(sparql), None) is None:
        raise QuerySyntaxError(f"{where}the query is empty (only white space and comments)")
    check_size(sparql, source)
    try:
        tree = parseQuery(sparql)
    except ParseException as e:
        refuse_update(sparql, where)
        msg = re.sub(r"\s*\(at char \d+\), \(line:\d+, col:\d+\)$", "", str(e)).strip()
        m = re.match(r"Expected (.*?), found (.*)$", msg, re.S)
        if m and m.group(2) == "end of text":
            msg = f"the query ends too early: a closing brace or parenthesis missing? (rdflib: {msg})"
        elif m:
            msg = f"unexpected {m.group(2)} here (rdflib: {msg})"
        raise syntax_error(sparql, source, msg, e.lineno, e.col) from None
    except RecursionError:
        raise QuerySyntaxError(f"{where}the query nests groups, lists or parentheses too deeply to parse; "
                               "flatten it") from None
    query = tree[1]
    refuse_remote(query, where)
    kind = query.name.removesuffix("Query").lower()
    try:
        prepared = translateQuery(tree, initNs=QUERY_PREFIXES)
    except RecursionError:
        raise _too_big(where, "it nests groups, UNIONs or expressions too deeply") from None
    except Exception as e:  # rdflib raises bare Exceptions for unknown prefixes and scoping errors
        msg = str(e).strip()
        m = re.match(r"Unknown namespace prefix : (.*)", msg)
        if m:
            prefix = m.group(1)
            for kind_, tok, off in tokens(sparql):
                if kind_ == "word" and tok.startswith(prefix + ":"):
                    line, col = line_col(sparql, off)
                    raise syntax_error(sparql, source, f"unknown prefix {prefix}: (declare it with PREFIX "
                                       f"{prefix}: <…>; `kg query --prefixes` lists the predeclared ones)",
                                       line, col) from None
        raise syntax_error(sparql, source, msg, None, None) from None
    return ParsedQuery(sparql, kind, prepared)


def check_read_only(sparql: str, source: str | None = None, timeout: float | None = None) -> str:
    """Raise unless `sparql` is a single read-only query against the local data; return its kind
    (select, ask, construct or describe). For the endpoint and the CLI alike. With `timeout`, parsing runs in
    a child process stopped after that many seconds (QueryTimeout), as the query itself is."""
    from . import parsecache

    known = parsecache.lookup(sparql)  # parsed before (in any process): no parse, no child process
    if known is not None:
        return known["kind"]
    if not timeout:
        return parse_query(sparql, source).kind
    from .timeout import call_with_timeout

    return call_with_timeout(lambda: parse_query(sparql, source).kind, timeout, "parsing the query")
