"""Partitioned evaluation: a sorted answer streamed in parts, so that its first row costs one part.

A query that ends in ORDER BY hands over its first row only when the engine has every row. When the first sort
key is a value of a node the query binds (a year node's year, a document's identifier, a district), the same
rows in the same order are the concatenation of the query run once per batch of those nodes, in the order of
their keys, each batch bound like a parameter (a VALUES block): every row of a batch has a key of that batch,
the batches' keys do not overlap and come in the query's order, and within a batch the engine sorts as the
single query would. Batches grow geometrically once they return rows (1 group of nodes, then 2, 4, 8 …): the
first row costs the smallest part of the work. Once rows are out, at most four more batches and no batch
past an eighth of the nodes: the rest of the answer comes from one query (the single query MINUS the nodes
done), planned as the single query is. A bound batch costs oxigraph several times more per row than the
single query's scans and hash joins, so the whole answer costs about the single query plus a few batches.

A canned query opts in with a header line naming the node variable(s) to bind and a group pattern that lists
them with the sort keys computed as the query computes them, e.g.

    # partition: ?year_node { ?year_node time:hasBeginning/time:inXSDDate ?begins BIND(YEAR(?begins) AS ?year) }

Its keys are the query's leading ORDER BY conditions (plain variables, ASC or DESC) that the pattern binds; the
listing is sorted by them (so unbound keys come first and DESC is honoured, as in the query). The pattern must
list every node the query's rows can hold (more is harmless: an empty batch). A second line splits each group
of the first by the next keys, its pattern listed with the group's nodes bound (a year's documents). A
partition whose nodes a parameter binds is left out (its parameter then closes the batches' WHERE group, as a
group of the first level does: `params_closing`), and a sort key a parameter binds is a constant. A line
`# partition-on: disk` keeps the batches to a store on disk (`only_on_disk`). A graph of fewer than
SMALL_DOCUMENTS documents runs every query whole (`small`), unless KG_PARTITION asks for batches.
Run as today (None) when the engine is not oxigraph or when the partition could change the answer:
LIMIT/OFFSET; DISTINCT or REDUCED with a node variable not projected; aggregates without GROUP BY, or a GROUP
BY not keeping every node variable as a group key; a node variable the WHERE group does not certainly bind by a
triple pattern (kg.query.algebra); a first key the pattern does not give; a node listed with two different
keys or a blank node. Nodes whose keys may compare equal are kept in one batch (the query's later keys order
their rows together).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Literal

from . import parsecache
from .canned import header_fields
from .engines import on_disk
from .lexer import skip_group, tokens, where_span
from .params import _sparql_term
from .parse import ParsedQuery
from .result import QueryResult

GROWTH = 2  # each batch holds this many times the groups of nodes of the one before (1: one group a batch)
REST = 8  # batches cover at most 1/REST of the nodes (past the first rows); the rest comes from one query
AFTER = 4  # … and at most this many batches follow the first that gave rows
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}


@dataclass(frozen=True)
class Partition:
    """What a `# partition:` header declares: the node variables a batch binds, and the pattern listing them."""

    nodes: tuple[str, ...]
    pattern: str  # a group graph pattern, braces included


def declared(text: str) -> tuple[Partition, ...]:
    """The `# partition: ?var … { pattern }` lines of a canned query's leading comment block (each continued on
    the comment lines below it), in order: a second one splits each group of the first (a year's documents)."""
    specs = header_fields(text)["partition"]
    out = []
    for spec in specs:
        if "{" not in spec:
            return ()
        head, brace = spec[:spec.index("{")], spec.index("{")
        toks = list(tokens(spec))
        first = next(i for i, t in enumerate(toks) if t[0] == "open")
        end = skip_group(toks, first)
        if not head.split() or any(not re.fullmatch(r"[?$][A-Za-z_]\w*", v) for v in head.split()) or \
                toks[end - 1][0] != "close":
            return ()
        out.append(Partition(tuple(v[1:] for v in head.split()), spec[brace:toks[end - 1][2] + 1]))
    return tuple(out)


@dataclass(frozen=True)
class _Level:
    """One partition of a plan: the nodes a batch binds, the sort keys they give, how they are listed."""

    nodes: tuple[str, ...]
    keys: tuple[str, ...]
    pattern: str
    order: str  # the ORDER BY of the listing
    given: str  # the parameters' VALUES blocks the listing needs

    def listing(self) -> str:
        """SELECT DISTINCT nodes keys, sorted as the query sorts them (a second level's with the group of the
        first bound as a batch is: `with_batch`)."""
        names = " ".join("?" + n for n in dict.fromkeys([*self.nodes, *self.keys]))
        return f"SELECT DISTINCT {names} WHERE {{ {self.pattern} {self.given} }} ORDER BY {self.order}"


def plan(text: str, partitions: Sequence[Partition], bound: Mapping[str, Any] | None = None) -> list[_Level] | None:
    """How to run `text` (a canned query as written) in batches of `partitions`' nodes (the first, then the
    second within each group of the first), or None when a partition could change its answer (see the module's
    docstring). `bound`: the terms parameters bind, by variable: a sort key bound to one value is left out of
    the keys, a partition whose nodes are bound is left out."""
    bound = dict(bound or {})
    toks = list(tokens(text))
    span = where_span(text)
    if span is None:
        return None
    select = next((i for i, t in enumerate(toks) if t[0] == "word" and t[1].upper() == "SELECT"), None)
    if select is None or toks[select][2] > span[0]:
        return None
    head = [t for t in toks[select + 1:] if t[2] < span[0] and not (t[0] == "word" and t[1].upper() == "WHERE")]
    tail = [t for t in toks if t[2] > span[1]]
    words = [t[1].upper() for t in tail if t[0] == "word"]
    if "LIMIT" in words or "OFFSET" in words:
        return None
    projected, aggregated = _projection(head)
    distinct = bool(head) and head[0][0] == "word" and head[0][1].upper() in ("DISTINCT", "REDUCED")
    group = _group_keys(tail)
    if group is None and aggregated:
        return None  # aggregates over the whole answer
    order_keys = list(_order_keys(tail))
    k, levels = 0, []
    for partition in partitions:
        nodes = set(partition.nodes)
        if nodes & set(bound):
            continue  # a parameter binds the nodes: this partition's keys are its constants
        if (distinct and projected is not None and not nodes <= projected) or \
                (group is not None and not nodes <= group) or not nodes <= joinable(text):
            break
        listed = {tok[1:] for kind, tok, _ in tokens(partition.pattern) if kind == "var"}
        keys = []
        while k < len(order_keys):
            direction, var = order_keys[k]
            if var in bound:
                k += 1
                continue  # one value (a parameter): every row has it
            if var not in listed:
                break
            keys.append((direction, var))
            k += 1
        if not keys:
            break
        given = " ".join(f"VALUES ?{name} {{ {_sparql_term(term)} }}" for name, term in bound.items()
                         if name in listed)  # the parameters restrict the listing too
        levels.append(_Level(partition.nodes, tuple(v for _, v in keys), partition.pattern,
                             " ".join(f"{d}(?{v})" for d, v in keys), given))
    return levels[:2] or None


def joinable(text: str) -> set[str]:
    """The variables a VALUES block may bind at the start of the WHERE group of `text` (a query that parsed) with
    the same answers (kg.query.algebra.bindable_first, not counting the expressions of sub-queries), remembered
    with the parse (kg.query.parsecache)."""
    known = parsecache.lookup(text)
    if known is not None and "joined" in known:
        return set(known["joined"])
    from .algebra import bindable_first
    from .parse import parse_with_rdflib

    parsed = parse_with_rdflib(text)
    joined = bindable_first(parsed.prepared.algebra, own_scope=True)
    parsecache.record(text, parsed.kind, bindable_first(parsed.prepared.algebra), joined)
    return joined


def _projection(head: list[tuple[str, str, int]]) -> tuple[set[str] | None, bool]:
    """The variables a select clause projects (None for *) and whether it computes an aggregate."""
    out: set[str] = set()
    depth, star, aggregated, after_as = 0, False, False, False
    for kind, tok, _ in head:
        if kind == "other" and tok == "(":
            depth += 1
        elif kind == "other" and tok == ")":
            depth -= 1
        elif kind == "other" and tok == "*" and depth == 0:
            star = True
        elif kind == "word" and tok.upper() in _AGGREGATES:
            aggregated = True
        elif kind == "word" and tok.upper() == "AS":
            after_as = True
            continue
        elif kind == "var" and (depth == 0 or after_as):
            out.add(tok[1:])
        after_as = False
    return (None if star else out), aggregated


def _group_keys(tail: list[tuple[str, str, int]]) -> set[str] | None:
    """The plain variables of the top-level GROUP BY (None: no GROUP BY)."""
    for i, (kind, tok, _) in enumerate(tail):
        if kind == "word" and tok.upper() == "GROUP" and i + 1 < len(tail) and tail[i + 1][1].upper() == "BY":
            out = set()
            for kind2, tok2, _ in tail[i + 2:]:
                if kind2 == "word" and tok2.upper() in ("HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"):
                    break
                if kind2 == "var":
                    out.add(tok2[1:])
            return out
    return None


def _order_keys(tail: list[tuple[str, str, int]]) -> Iterator[tuple[str, str]]:
    """(ASC|DESC, variable) for the leading ORDER BY conditions that are plain variables."""
    for i, (kind, tok, _) in enumerate(tail):
        if kind == "word" and tok.upper() == "ORDER" and i + 1 < len(tail) and tail[i + 1][1].upper() == "BY":
            rest = tail[i + 2:]
            j = 0
            while j < len(rest):
                kind2, tok2, _ = rest[j]
                if kind2 == "var":
                    yield "ASC", tok2[1:]
                    j += 1
                elif (kind2 == "word" and tok2.upper() in ("ASC", "DESC") and j + 3 < len(rest)
                      and rest[j + 1][1] == "(" and rest[j + 2][0] == "var" and rest[j + 3][1] == ")"):
                    yield tok2.upper(), rest[j + 2][1][1:]
                    j += 4
                else:
                    return
            return


def _ties(a: Any, b: Any) -> bool:
    """Whether two key terms may sort as equal (then their nodes share a batch): the same term, both unbound, or
    literals of the same lexical form or value (1 and 1.0)."""
    if a == b:
        return True
    if isinstance(a, Literal) and isinstance(b, Literal):
        if str(a) == str(b):
            return True
        try:
            return a.value is not None and b.value is not None and a.value == b.value
        except TypeError:
            return False
    return False


def groups(rows: list[dict[str, Any]], nodes: Sequence[str], keys: Sequence[str]) -> list[list[tuple]] | None:
    """The listing's node tuples in groups of keys that may tie, in order; None when a node has two keys or is a
    blank node (no partition)."""
    seen: set[tuple] = set()
    out: list[list[tuple]] = []
    last: tuple | None = None
    for row in rows:
        node = tuple(row[n] for n in nodes)
        if node in seen or any(v is None or isinstance(v, BNode) for v in node):
            return None
        seen.add(node)
        key = tuple(row[k] for k in keys)
        if last is not None and all(_ties(a, b) for a, b in zip(key, last)):
            out[-1].append(node)
        else:
            out.append([node])
        last = key
    return out


def values_block(nodes: Sequence[str], batch: list[tuple]) -> str:
    """VALUES of the nodes (None: UNDEF, any value)."""
    term = lambda v: "UNDEF" if v is None else _sparql_term(v)  # noqa: E731
    if any(v is None for t in batch for v in t):
        rows = " ".join("(" + " ".join(term(v) for v in t) + ")" for t in batch)
        return f"VALUES ({' '.join('?' + n for n in nodes)}) {{ {rows} }}"
    if len(nodes) == 1:
        return f"VALUES ?{nodes[0]} {{ {' '.join(_sparql_term(t[0]) for t in batch)} }}"
    rows = " ".join("(" + " ".join(_sparql_term(v) for v in t) + ")" for t in batch)
    return f"VALUES ({' '.join('?' + n for n in nodes)}) {{ {rows} }}"


def with_batch(text: str, nodes: Sequence[str], batch: list[tuple]) -> str:
    """`text` with the batch's VALUES block opening the WHERE group of every sub-query that `pushable` allows
    (oxigraph evaluates a sub-query whole before joining it: a sub-query computed for every node of the graph
    would cost each batch the whole work), and in the WHERE group itself: where a query has no such
    sub-query, opening it (after the parameters' one-row VALUES blocks, so that kg.query.values_into_unions
    still finds them all and copies it into the branches of a UNION: each pattern then starts from the bound
    nodes; measures-by-district at 10M on disk: one district 0.7 s, > 150 s with the block closing the group);
    otherwise closing it, and opening each branch of its UNION (goal-tree at 10M on disk, one document: 22 ms,
    with the block opening the group as well 1.6 s; two documents 0.16 s, without it in the branches 12 s:
    oxigraph then read every goal of the graph)."""
    from .lateral import head_values

    block = values_block(nodes, batch)
    inserts = [where for where in _subquery_wheres(text) if pushable(text, where, set(nodes))]
    if not inserts:
        inserts.append(head_values(text)[1])
    else:
        inserts += [where_span(text)[1], *_union_branches(text)]
    out, last = [], 0
    for pos in sorted(inserts):
        out += [text[last:pos], f" {block} "]
        last = pos
    return "".join(out) + text[last:]


def _union_branches(text: str) -> Iterator[int]:
    """Offsets just inside each branch of the UNIONs at the top of the WHERE group."""
    span = where_span(text)
    if span is None:
        return
    toks = [t for t in tokens(text) if span[0] < t[2] < span[1]]
    j = 0
    while j < len(toks):
        if toks[j][0] == "open":
            end = skip_group(toks, j)
            union = lambda k: 0 <= k < len(toks) and toks[k][0] == "word" and toks[k][1].upper() == "UNION"  # noqa: E731
            if union(end) or union(j - 1):
                yield toks[j][2] + 1
            j = end
            continue
        j += 1


_GUARDS = {"OPTIONAL", "MINUS", "EXISTS", "GRAPH", "SERVICE", "LATERAL", "FILTER"}


def _subquery_wheres(text: str) -> Iterator[int]:
    """Offsets just inside the WHERE group of each sub-query joined with its group (one that no OPTIONAL, MINUS,
    EXISTS, GRAPH or LATERAL encloses: within plain groups, UNION branches and other such sub-queries)."""
    span = where_span(text)
    if span is None:
        return
    toks = [t for t in tokens(text) if span[0] < t[2] < span[1]]
    guarded: list[bool] = []  # for each open group: whether a guard encloses it
    for i, (kind, tok, off) in enumerate(toks):
        if kind == "open":
            prev = toks[i - 1] if i else None
            guard = prev is not None and (prev[0] == "word" and prev[1].upper() in _GUARDS
                                          or prev[0] in ("iri", "var") and i > 1 and toks[i - 2][1].upper() == "GRAPH")
            guarded.append(bool(guarded and guarded[-1]) or guard)
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if not guarded[-1] and nxt is not None and nxt[0] == "word" and nxt[1].upper() == "SELECT":
                j = i + 2
                while j < len(toks) and toks[j][0] != "open":
                    j += 1
                if j < len(toks):
                    yield toks[j][2] + 1
        elif kind == "close" and guarded:
            guarded.pop()


def pushable(text: str, where: int, variables: set[str]) -> bool:
    """Whether a VALUES of `variables` may open the sub-query whose WHERE group opens just before `where` with
    the same answers: it projects them all, keeps them as group keys when it groups, and has no LIMIT/OFFSET.
    (Joined with the same VALUES outside, it then gives exactly its rows whose values are in the VALUES.)"""
    toks = list(tokens(text))
    i = next(k for k, t in enumerate(toks) if t[2] == where - 1)
    select = max(k for k in range(i) if toks[k][0] == "word" and toks[k][1].upper() == "SELECT")
    body_end = skip_group(toks, i)
    close = skip_group(toks, select - 1) - 1  # the sub-query's own closing brace
    head = [t for t in toks[select + 1:i] if not (t[0] == "word" and t[1].upper() == "WHERE")]
    tail = toks[body_end:close]
    words = {t[1].upper() for t in tail if t[0] == "word"}
    if words & {"LIMIT", "OFFSET"}:
        return False
    projected, aggregated = _projection(head)
    if projected is not None and not variables <= projected:
        return False
    group = _group_keys(tail)
    return (group is None and not aggregated) or (group is not None and variables <= group)


def without(text: str, nodes: Sequence[str], done: list[tuple]) -> str:
    """The rest of the answer: `text` with the rows of the nodes `done` removed (MINUS a VALUES of them, at the
    end of the WHERE group: the node variables are bound in every row, so a row goes exactly when its nodes
    are among them). The engine plans it as the single query: per row, bound batches cost oxigraph several
    times the single query's scans and hash joins (measures-by-district at 1M on disk: 23 s in batches, 7.8 s
    whole), so only the first part of the answer is worth batching."""
    close = where_span(text)[1]
    return f"{text[:close]} MINUS {{ {values_block(nodes, done)} }} {text[close:]}"


def _rest_fraction() -> int:
    """KG_PARTITION_REST=N: after batches covering 1/N of the nodes, the rest in one query (0: never)."""
    value = os.environ.get("KG_PARTITION_REST", "").strip()
    return int(value) if value.isdigit() else REST


def enabled() -> int:
    """KG_PARTITION: 0 runs every query whole; 1 one group of nodes a batch; unset or 2+: batches growing
    by that factor (default GROWTH). Set, it also partitions a small graph (`small`)."""
    value = os.environ.get("KG_PARTITION", "").strip()
    return int(value) if value.isdigit() else GROWTH


#: A graph with fewer documents than this is small: every canned query answers whole in tens of ms (the real
#: corpus: 9 documents, 17k triples), and batches would only add queries (kg query's cached store, one year:
#: 2 queries and 16 ms of CPU whole, 5 queries and 33 ms in batches).
SMALL_DOCUMENTS = 16


def small(engine: Any) -> bool:
    """Whether the graph holds fewer than SMALL_DOCUMENTS documents: a bounded lookup of their class, ~1 ms
    at any size (every partition here batches documents, or years and categories of documents)."""
    listed = engine.execute(ParsedQuery(f"SELECT ?d WHERE {{ ?d a sy:Document }} LIMIT {SMALL_DOCUMENTS}",
                                        "select"))
    return len(listed.rows) < SMALL_DOCUMENTS


def closing(text: str, block: str) -> str:
    """`text` with `block` closing its WHERE group."""
    close = where_span(text)[1]
    return f"{text[:close]} {block} {text[close:]}"


def only_on_disk(text: str) -> bool:
    """Whether the query declares `# partition-on: disk`: batches only on a store on disk. For a query whose
    answer is one parameter's (targets-by-year: one year), oxigraph in memory gives all of it sooner than the
    batches would (1M triples: 60 ms whole, 130 ms in batches; 10.4M: the first row after 0.54 s), while on
    disk the whole year costs seconds (10.4M: 3.4 s whole, first row in batches 0.25 s)."""
    return any(value.split()[:1] == ["disk"] for value in header_fields(text)["partition-on"])


def params_closing(text: str, bound: Mapping[str, Any], names: Sequence[str]) -> str:
    """`text` with the one-row VALUES blocks of the parameters `names` (a partition's nodes a parameter binds,
    left out of the plan) moved from the opening of its WHERE group (kg.query.params puts them there) to its
    end, as the two-level batches bind a group of the first level. Same answers: such a parameter's variable
    is bound by a triple pattern of the group in every row, so joining its value first or last keeps the same
    rows. But oxigraph starts from the first bound block it reads: a year's 55k statements before one
    document's (targets-by-year at 10.4M on disk: a batch of one document 1.5 s, 14-23 ms with the year last)."""
    for name in names:
        if name not in bound:
            continue
        block = f"VALUES ?{name} {{ {_sparql_term(bound[name])} }}"
        span = where_span(text)
        at = text.find(block, span[0], span[1]) if span else -1
        if at >= 0:
            text = closing(text[:at] + text[at + len(block):], block)
    return text


def run_partitioned(engine: Any, original: str, text: str, bound: Mapping[str, Any]) -> QueryResult | None:
    """`text` (the canned query `original` with its parameters bound) run in batches on `engine`, its rows
    streamed batch by batch; None when the query declares no partition or cannot be partitioned (run it whole)."""
    growth = enabled()
    partitions = declared(original)
    if not growth or not partitions or (only_on_disk(original) and not on_disk(engine.store)):
        return None
    if not os.environ.get("KG_PARTITION", "").strip() and small(engine):
        return None
    levels = plan(original, partitions, bound)
    if levels is None:
        return None
    top = levels[0]
    grouped = groups(engine.execute(ParsedQuery(top.listing(), "select")).rows, top.nodes, top.keys)
    if not grouped:
        return None
    rest_after = len(grouped) / _rest_fraction() if _rest_fraction() else len(grouped)
    execute = lambda query: engine.execute(ParsedQuery(query, "select"))  # noqa: E731
    whole, text = text, params_closing(text, bound, [n for p in partitions if set(p.nodes) & set(bound)
                                                        for n in p.nodes])

    def one_level() -> Iterator[QueryResult]:
        done: list[tuple] = []
        i, size, rows, after = 0, 1, False, 0
        while i < len(grouped):
            batch = [node for group in grouped[i:i + size] for node in group]
            if rows and (len(done) + len(batch) > rest_after or after >= AFTER):
                yield execute(without(whole, top.nodes, done))  # rows are out: the rest in one query
                return
            i += size
            result = execute(with_batch(text, top.nodes, batch))
            yield result
            done += batch
            after += rows
            if result:  # grow once rows come: a first empty batch (a year before the reports) costs little
                rows = True
                size *= max(1, growth)

    def two_levels() -> Iterator[QueryResult]:
        """Each group of the first level (a year) split by the second (its documents, listed for that year):
        the batch binds the group's nodes (closing the WHERE group) and some of the second level's (as
        `with_batch` places them: at 1M triples on disk, a year's two documents in 33 ms, bound as pairs
        0.28 s). A group whose second-level nodes cannot be partitioned runs whole."""
        inner = levels[1]
        nodes = (*top.nodes, *inner.nodes)
        done: list[tuple] = []
        rows = False
        after = 0  # batches since the first rows
        for i, group in enumerate(grouped):
            size = 1  # each group's batches grow from one (empty or not: a year's many documents without rows)
            if rows and (i + 1 > rest_after or after >= AFTER):
                yield execute(without(whole, nodes, done))
                return
            outer = values_block(top.nodes, group)
            subgroups = groups(execute(with_batch(inner.listing(), top.nodes, group)).rows, inner.nodes, inner.keys)
            if subgroups is None:
                result = execute(with_batch(text, top.nodes, group))
                yield result
                done += [node + (None,) * len(inner.nodes) for node in group]
                rows = rows or bool(result)
                continue
            j = 0
            while j < len(subgroups):
                batch = [node for sub in subgroups[j:j + size] for node in sub]
                if rows and (i + (j + min(size, len(subgroups) - j)) / len(subgroups) > rest_after
                             or after >= AFTER):
                    yield execute(without(whole, nodes, done))
                    return
                j += size
                result = execute(with_batch(closing(text, outer), inner.nodes, batch))
                yield result
                done += [a + b for a in group for b in batch]
                after += rows
                rows = rows or bool(result)
                size *= max(1, growth)

    answers = one_level() if len(levels) == 1 else two_levels()
    first = next(answers, None)
    if first is None:
        return None  # (no group had any second-level node: the single query)
    while not first:  # reads the batch's first row only (the rest streams)
        following = next(answers, None)
        if following is None:
            return first  # every batch empty: no rows, the columns of the query
        first = following
    head = iter(first)
    row = next(head)

    def rows() -> Iterator[dict]:
        yield from head
        for res in answers:
            yield from res

    return QueryResult("select", vars=first.vars, rows=[row], stream=rows())
