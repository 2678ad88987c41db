"""LATERAL rewriting: OPTIONALs evaluated from the bound node, for oxigraph's join order."""

from __future__ import annotations

import re

from .lexer import skip_group, tokens, where_span


def lateral_optionals(text: str) -> str:
    """The query with each OPTIONAL at the top of its WHERE clause wrapped as `LATERAL { OPTIONAL { … } }`.

    Same answers (a left join evaluated for each solution so far, with its bindings), but oxigraph then looks
    each label or comparator up from the bound node. Left to itself, its cost model multiplies estimates
    over the many patterns of a report query until they saturate, and it falls back to hash joins that read
    every rdfs:label in the store for every OPTIONAL: 300 ms instead of 8 ms for one district at 1M triples.
    OPTIONALs holding a sub-query stay as they are (bindings must not reach into its scope).
    """
    span = where_span(text)
    if span is None or "OPTIONAL" not in text.upper():
        return text
    toks = list(tokens(text))
    out, last, depth, i = [], 0, 0, 0
    while i < len(toks):
        kind, tok, off = toks[i]
        if off <= span[0] or off >= span[1]:
            i += 1
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif (kind == "word" and depth == 0 and tok.upper() == "OPTIONAL" and i + 1 < len(toks)
              and toks[i + 1][0] == "open"):
            j = skip_group(toks, i + 1)
            if not any(k == "word" and t.upper() == "SELECT" for k, t, _ in toks[i + 1:j]):
                end = toks[j - 1][2] + 1
                out += [text[last:off], "LATERAL { ", text[off:end], " }"]
                last = end
            i = j
            continue
        i += 1
    return "".join(out) + text[last:]


_TERM = r"(?:<[^<>\s]*>|\"(?:[^\"\\\n]|\\.)*\"(?:@[A-Za-z0-9-]+|\^\^<[^<>\s]*>)?|[+-]?\d+(?:\.\d+)?|true|false)"
_ONE_ROW = re.compile(rf"VALUES\s+\?(\w+)\s*\{{\s*{_TERM}\s*\}}")
_IRI = r"<[^<>\s\\]*>"  # an IRI without escapes: two IRIs written differently are different terms
_IRI_ROWS = re.compile(rf"VALUES\s+(?:\?\w+\s*\{{(?P<one>(?:\s*{_IRI})+)\s*\}}"
                       rf"|\((?:\s*\?\w+)+\s*\)\s*\{{(?P<many>(?:\s*\((?:\s*{_IRI})+\s*\))+)\s*\}})")


def _head_block(text: str, at: int) -> re.Match | None:
    """The VALUES block at offset `at` when joining it twice is joining it once: one row of terms (a bound
    parameter), or rows of IRIs that are all different (a batch of kg.query.partition)."""
    m = _ONE_ROW.match(text, at)
    if m is not None:
        return m
    m = _IRI_ROWS.match(text, at)
    if m is None:
        return None
    if m.group("one") is not None:
        rows = re.findall(_IRI, m.group("one"))
    else:
        rows = [tuple(re.findall(_IRI, r)) for r in re.findall(r"\(([^()]*)\)", m.group("many"))]
    return m if len(rows) == len(set(rows)) else None


def head_values(text: str) -> tuple[list[str], int]:
    """The VALUES blocks that open the WHERE group and may be copied (see `values_into_unions`), and the offset
    just after them (just inside the WHERE group's brace when there are none)."""
    span = where_span(text)
    if span is None:
        return [], 0
    toks = [t for t in tokens(text) if span[0] < t[2] < span[1]]
    heads, i, pos = [], 0, span[0] + 1
    while i < len(toks) and toks[i][0] == "word" and toks[i][1].upper() == "VALUES":
        m = _head_block(text, toks[i][2])
        if m is None:
            break
        heads.append(m.group(0))
        pos = m.end()
        while i < len(toks) and toks[i][2] < pos:
            i += 1
    return heads, pos


def values_into_unions(text: str) -> str:
    """The query with the VALUES blocks that open its WHERE group (one-row: bound parameters, see
    kg.query.params; rows of distinct IRIs: a batch of kg.query.partition) copied into each branch of a UNION at
    the top of that group: `{ A } UNION { B }` becomes `{ VALUES ?x { t } { A } } UNION { VALUES ?x { t } { B } }`.

    Same answers: a join distributes over a union, and joining a VALUES of distinct bound rows twice is joining
    it once (a row joins only itself); each branch stays its own group, so nothing in it sees the binding that
    did not before. But oxigraph joins a UNION whose branches are several patterns with what precedes it only
    after evaluating it whole — for every district of the graph when one was asked for (9.5 s at ten million
    triples for district-subgraph); with the binding inside each branch, each is looked up from the bound node.
    """
    span = where_span(text)
    if span is None or "UNION" not in text.upper():
        return text
    heads, pos = head_values(text)
    if not heads:
        return text
    toks = [t for t in tokens(text) if span[0] < t[2] < span[1]]
    i = next((k for k, t in enumerate(toks) if t[2] >= pos), len(toks))
    out, last, depth = [], 0, 0
    j = i
    while j < len(toks):
        kind, tok, off = toks[j]
        if kind == "open" and depth == 0:
            end = skip_group(toks, j)
            is_branch = ((end < len(toks) and toks[end][0] == "word" and toks[end][1].upper() == "UNION")
                         or (j > 0 and toks[j - 1][0] == "word" and toks[j - 1][1].upper() == "UNION"))
            if is_branch:
                close = toks[end - 1][2] + 1
                out += [text[last:off], "{ ", " ".join(heads), " ", text[off:close], " }"]
                last = close
            j = end
            continue
        depth += {"open": 1, "close": -1}.get(kind, 0)
        j += 1
    return "".join(out) + text[last:]



_NOT_A_CONJUNCT = {"OPTIONAL", "MINUS", "EXISTS", "LATERAL", "UNION", "GRAPH", "SERVICE", "SILENT"}


def values_into_subqueries(text: str) -> str:
    """The query with the one-row VALUES blocks of its WHERE group (bound parameters) copied into the
    sub-queries joined in that group (or in a plain group joined there) that project the variable and always
    bind it, and on into theirs:
    `VALUES ?x { t } { SELECT ?x … WHERE { B } GROUP BY ?x … }` → `… WHERE { VALUES ?x { t } { B } } …`.

    Same answers: a sub-query joined with the binding keeps only its rows with ?x = t, and those are the
    rows it gives when its pattern is joined with the binding first, because ?x is in every row of it (bound
    by a triple pattern of its own group, or by a sub-query of it that always binds it), so no row changes
    by meeting the binding earlier, and a group of a GROUP BY keyed on ?x is kept or dropped whole. Only
    sub-queries joined in the group are touched (not under OPTIONAL, MINUS, EXISTS, GRAPH, SERVICE, LATERAL
    or beside UNION, where the binding would change what is left out), and none with LIMIT or OFFSET; the
    outer binding stays, so the join still happens where it did. oxigraph evaluates a sub-query whole before
    joining it: facilities-by-type for one type computed the first year of every facility of the graph.
    """
    span = where_span(text)
    if span is None or "SELECT" not in text[span[0]:span[1]].upper():
        return text
    toks = [t for t in tokens(text) if span[0] < t[2] < span[1]]
    heads = _top_values(text, toks)
    if not heads:
        return text
    edits: list[tuple[int, int, str]] = []
    _push_values(text, toks, heads, edits)
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _top_values(text: str, toks: list) -> dict[str, str]:
    """{variable: its block} of the one-row VALUES blocks at the top level of a group's tokens (opening or
    closing it: kg.query.params puts a parameter first only where a triple pattern of the group binds it)."""
    heads: dict[str, str] = {}
    for what, j, _ in _conjuncts(toks):
        if what == "token" and toks[j][0] == "word" and toks[j][1].upper() == "VALUES":
            m = _ONE_ROW.match(text, toks[j][2])
            if m is not None:
                heads[m.group(1)] = m.group(0)
    return heads


def _subquery(toks: list, j: int, end: int) -> tuple[list, list, int, int, list] | None:
    """A group toks[j:end] that is `{ SELECT proj WHERE { body } modifiers }`: (projection tokens, body
    tokens, index of the body's opening brace, index past its closing one, modifier tokens); else None."""
    if j + 1 >= end or toks[j + 1][0] != "word" or toks[j + 1][1].upper() != "SELECT":
        return None
    k = j + 2
    while k < end and toks[k][0] != "open":
        k += 1
    if k >= end or toks[k - 1][0] != "word" or toks[k - 1][1].upper() != "WHERE":
        return None  # no WHERE keyword before the first brace: not read here (EXISTS in the projection …)
    body_end = skip_group(toks, k)
    return toks[j + 2:k - 1], toks[k + 1:body_end - 1], k, body_end, toks[body_end:end - 1]


def _plain(var: str, toks: list) -> bool:
    """`?var` among the tokens outside parentheses (a projected or grouped variable, not an expression's)."""
    depth = 0
    for kind, tok, _ in toks:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif depth == 0 and kind == "var" and tok[1:] == var:
            return True
    return False


def _conjuncts(toks: list):
    """(kind, start, end) of the top level of a group's tokens: ("subquery", j, end) for each sub-query joined
    there, ("token", j, j + 1) for each token outside braces and parentheses (triple pattern terms, keywords)."""
    j, parens = 0, 0
    while j < len(toks):
        kind, tok, _ = toks[j]
        if kind == "open":
            end = skip_group(toks, j)
            before = [t[1].upper() for t in toks[max(0, j - 2):j] if t[0] == "word"]
            after = toks[end][1].upper() if end < len(toks) and toks[end][0] == "word" else ""
            if parens == 0 and not _NOT_A_CONJUNCT & set(before) and after != "UNION":
                yield "subquery", j, end
            j = end
            continue
        if tok == "(":
            parens += 1
        elif tok == ")":
            parens -= 1
        elif parens == 0:
            yield "token", j, j + 1
        j += 1


def _always_bound(var: str, body: list) -> bool:
    """Whether every solution of a group binds ?var: it is a term of a triple pattern at the group's top level,
    or a sub-query joined there projects it and always binds it."""
    for what, j, end in _conjuncts(body):
        if what == "token":
            kind, tok, _ = body[j]
            before = body[j - 1][1].upper() if j and body[j - 1][0] == "word" else ""
            if kind == "var" and tok[1:] == var and before not in ("VALUES", "GRAPH", "SERVICE", "SILENT", "AS"):
                return True
            continue
        sub = _subquery(body, j, end)
        if sub is not None and _plain(var, sub[0]) and _always_bound(var, sub[1]):
            return True
    return False


def _push_values(text: str, body: list, heads: dict[str, str], edits: list) -> None:
    for what, j, end in _conjuncts(body):
        sub = _subquery(body, j, end) if what == "subquery" else None
        if sub is None:
            if what == "subquery" and body[j][0] == "open":  # a plain group joined here: on into its sub-queries
                _push_values(text, body[j + 1:end - 1], heads, edits)
            continue
        projection, inner, k, body_end, modifiers = sub
        if any(t[0] == "word" and t[1].upper() in ("LIMIT", "OFFSET") for t in modifiers):
            continue
        if any(t[1] == "*" for t in projection):
            continue
        mine = {v: block for v, block in heads.items() if _plain(v, projection) and _always_bound(v, inner)}
        if not mine:
            continue
        _push_values(text, inner, mine, edits)
        open_, close = body[k][2], body[body_end - 1][2]
        edits.append((open_, open_ + 1, "{ " + " ".join(mine.values()) + " {"))
        edits.append((close, close + 1, "} }"))
