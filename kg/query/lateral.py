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


_ONE_ROW = re.compile(r"VALUES\s+\?(\w+)\s*\{\s*(<[^<>\s]*>|\"(?:[^\"\\\n]|\\.)*\"(?:@[A-Za-z0-9-]+|\^\^<[^<>\s]*>)?"
                      r"|[+-]?\d+(?:\.\d+)?|true|false)\s*\}")


def values_into_unions(text: str) -> str:
    """The query with the one-row VALUES blocks that open its WHERE group (bound parameters, see
    kg.query.params) copied into each branch of a UNION at the top of that group: `{ A } UNION { B }` becomes
    `{ VALUES ?x { t } { A } } UNION { VALUES ?x { t } { B } }`.

    Same answers: a join distributes over a union, and joining a one-row VALUES twice is joining it once; each
    branch stays its own group, so nothing in it sees the binding that did not before. But oxigraph joins a
    UNION whose branches are several patterns with what precedes it only after evaluating it whole — for every
    district of the graph when one was asked for (9.5 s at ten million triples for district-subgraph); with
    the binding inside each branch, each is looked up from the bound node.
    """
    span = where_span(text)
    if span is None or "UNION" not in text.upper():
        return text
    toks = [t for t in tokens(text) if span[0] < t[2] < span[1]]
    heads, i, pos = [], 0, span[0] + 1
    while i < len(toks) and toks[i][0] == "word" and toks[i][1].upper() == "VALUES":
        m = _ONE_ROW.match(text, toks[i][2])
        if m is None:
            break
        heads.append(m.group(0))
        pos = m.end()
        while i < len(toks) and toks[i][2] < pos:
            i += 1
    if not heads:
        return text
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

