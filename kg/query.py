"""SPARQL over the knowledge graph, read-only, with safe parameters and a timeout.

`run(graph, sparql, params=None, timeout=None)` works on an rdflib Graph or a pyoxigraph Store and returns a
`QueryResult` whose rows are plain dicts of rdflib terms — the same rows from either engine (oxigraph terms are
converted, numbers get one canonical lexical form). The `kg query` command only formats what `run` returns;
the SPARQL endpoint reuses `check_read_only` and `bind_params`.

Guarantees:
- read-only: UPDATE requests, SERVICE (federation) and FROM/FROM NAMED (which make rdflib fetch URLs) are
  refused before anything runs (`ReadOnlyError`, exit code 2);
- parameters become RDF terms (escaped by rdflib) in a `VALUES` block closing the WHERE clause, never pasted
  text; typed parameters (district, category …) are resolved to the IRI of the node they name, a year to
  an xsd:integer of a year the graph has;
- with a timeout the query runs in a forked child process that is killed when the time is up
  (`QueryTimeout`, exit code 124), since neither rdflib nor oxigraph can be interrupted in-thread.
"""

from __future__ import annotations

import difflib
import functools
import html
import math
import multiprocessing
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from . import paths
from .errors import InputError, KgError
from .namespaces import DEFAULT_BASE, PREFIXES

#: Prefixes predeclared in every query (a query may redeclare them): kg's export prefixes plus `id:`.
QUERY_PREFIXES: dict[str, str] = {**PREFIXES, "id": DEFAULT_BASE}

KINDS = ("select", "ask", "construct", "describe")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


class QuerySyntaxError(InputError):
    """The query does not parse; the message names the line and column and shows the line."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        super().__init__(message)


class ReadOnlyError(InputError):
    """The request would change data or reach out to other services."""


class ParamError(InputError):
    """A query parameter is unknown, malformed or names nothing in the graph."""


class QueryTimeout(KgError):
    """The query ran longer than its timeout and was stopped."""

    exit_code = 124  # as coreutils `timeout`


class QueryError(KgError):
    """The query engine failed while evaluating a query that parsed."""


# --------------------------------------------------------------------------------------------------------------
# Lexing: just enough SPARQL to find keywords, prefixes and the WHERE clause outside strings, IRIs and comments.

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                  |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\U000effff]+)
      | (?P<word>[A-Za-z_\u00c0-\U000effff][\w\-.\u00b7\u00c0-\U000effff]*(?::[\w\-.:%\\\u00b7\u00c0-\U000effff]*)?
                |:[\w\-.:%\\\u00b7\u00c0-\U000effff]*)
      | (?P<open>\{) | (?P<close>\})
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.S | re.X,
)


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, offset) for every token except white space and comments."""
    for m in _TOKEN.finditer(text):
        if m.lastgroup not in ("space", "comment"):
            yield m.lastgroup, m.group(), m.start()


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _first_keyword(text: str) -> str | None:
    """The first keyword after the prologue (PREFIX/BASE declarations), upper-cased."""
    skip = 0
    for kind, tok, _ in _tokens(text):
        if skip:
            skip -= 1
            continue
        if kind == "word":
            up = tok.upper()
            if up == "PREFIX":
                skip = 2
                continue
            if up == "BASE":
                skip = 1
                continue
            return up
        return None
    return None


def _where_close(text: str) -> int | None:
    """Offset of the closing brace of the outermost WHERE clause (None if the query has none)."""
    span = _where_span(text)
    return span[1] if span else None


def _where_span(text: str) -> tuple[int, int] | None:
    """Offsets of the opening and closing braces of the outermost WHERE clause."""
    toks = list(_tokens(text))
    i = 0
    while i < len(toks) and not (toks[i][0] == "word" and toks[i][1].upper() in ("SELECT", "CONSTRUCT", "ASK",
                                                                                   "DESCRIBE")):
        i += 1
    if i == len(toks):
        return None
    form = toks[i][1].upper()
    i += 1
    if form == "CONSTRUCT" and i < len(toks) and toks[i][0] == "open":  # skip the template
        i = _skip_group(toks, i)
    while i < len(toks) and toks[i][0] != "open":
        i += 1
    if i == len(toks):
        return None
    end = _skip_group(toks, i) - 1
    return (toks[i][2], toks[end][2]) if end < len(toks) and toks[end][0] == "close" else None


def _skip_group(toks: list[tuple[str, str, int]], i: int) -> int:
    """Index just past the group whose opening brace is toks[i]."""
    depth = 0
    while i < len(toks):
        depth += {"open": 1, "close": -1}.get(toks[i][0], 0)
        i += 1
        if depth == 0:
            break
    return i


# --------------------------------------------------------------------------------------------------------------
# Parsing and the read-only check


@dataclass(frozen=True)
class ParsedQuery:
    """A query that parsed and passed the read-only check."""

    text: str
    kind: str  # select | ask | construct | describe
    prepared: Any = field(default=None, repr=False, compare=False)  # rdflib's algebra (None: parse on demand)

    def algebra(self) -> Any:
        """rdflib's translated query for this exact text."""
        return self.prepared if self.prepared is not None else parse_query(self.text).prepared


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def _syntax_error(text: str, source: str | None, message: str, line: int | None, col: int | None):
    where = _where(source)
    if line is None:
        return QuerySyntaxError(f"{where}SPARQL syntax error: {message}")
    lines = text.splitlines() or [""]
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = " " * (max(col, 1) - 1 + 4) + "^"
    return QuerySyntaxError(f"{where}SPARQL syntax error at line {line}, column {col}: {message}\n"
                            f"    {shown}\n{caret}", line, col)


def _walk(node: Any) -> Iterator[Any]:
    """Every CompValue in an rdflib parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, CompValue):
            yield n
            stack.extend(n.values())
        elif isinstance(n, (list, tuple, ParseResults)):
            stack.extend(n)


@functools.lru_cache(maxsize=256)
def parse_query(sparql: str, source: str | None = None) -> ParsedQuery:
    """Parse a query with rdflib's SPARQL parser, refusing anything that is not a read-only local query.

    Raises `ReadOnlyError` for UPDATE requests, SERVICE and FROM clauses, `QuerySyntaxError` (with line and
    column) when the text does not parse. Results are cached: parsing is the slow part of a small query.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    where = _where(source)
    if next(_tokens(sparql), None) is None:
        raise QuerySyntaxError(f"{where}the query is empty (only white space and comments)")
    try:
        tree = parseQuery(sparql)
    except ParseException as e:
        keyword = _first_keyword(sparql)
        update = keyword in UPDATE_KEYWORDS
        if not update:
            try:
                parseUpdate(sparql)
                update = True
            except Exception:
                update = False
        if update:
            raise ReadOnlyError(f"{where}this is a SPARQL UPDATE ({keyword or 'update'}); kg query is read-only "
                                f"— change the records in data/records/ and run `kg build` instead") from None
        msg = re.sub(r"\s*\(at char \d+\), \(line:\d+, col:\d+\)$", "", str(e)).strip()
        m = re.match(r"Expected (.*?), found (.*)$", msg, re.S)
        if m and m.group(2) == "end of text":
            msg = f"the query ends too early: a closing brace or parenthesis missing? (rdflib: {msg})"
        elif m:
            msg = f"unexpected {m.group(2)} here (rdflib: {msg})"
        raise _syntax_error(sparql, source, msg, e.lineno, e.col) from None
    except RecursionError:
        raise QuerySyntaxError(f"{where}the query nests groups, lists or parentheses too deeply to parse; "
                               "flatten it") from None
    query = tree[1]
    for node in _walk(query):
        if node.name == "ServiceGraphPattern":
            raise ReadOnlyError(f"{where}SERVICE (federated query to {node.get('term')}) is not allowed here; "
                                "query the local graph only")
    if "datasetClause" in query and query["datasetClause"]:
        raise ReadOnlyError(f"{where}FROM / FROM NAMED are not allowed (they would load graphs from the web); "
                            "use `--graph FILE` to choose the data")
    kind = query.name.removesuffix("Query").lower()
    try:
        prepared = translateQuery(tree, initNs=QUERY_PREFIXES)
    except Exception as e:  # rdflib raises bare Exceptions for unknown prefixes and scoping errors
        msg = str(e).strip()
        m = re.match(r"Unknown namespace prefix : (.*)", msg)
        if m:
            prefix = m.group(1)
            for kind_, tok, off in _tokens(sparql):
                if kind_ == "word" and tok.startswith(prefix + ":"):
                    line, col = _line_col(sparql, off)
                    raise _syntax_error(sparql, source, f"unknown prefix {prefix}: (declare it with PREFIX "
                                        f"{prefix}: <…>; `kg query --prefixes` lists the predeclared ones)",
                                        line, col) from None
        raise _syntax_error(sparql, source, msg, None, None) from None
    return ParsedQuery(sparql, kind, prepared)


def check_read_only(sparql: str, source: str | None = None) -> str:
    """Raise unless `sparql` is a single read-only query against the local data; return its kind
    (select, ask, construct or describe). For the endpoint and the CLI alike."""
    return parse_query(sparql, source).kind


# --------------------------------------------------------------------------------------------------------------
# Terms: one canonical form whichever engine produced them

_INTEGER_TYPES = {XSD[t] for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong",
                                    "unsignedInt", "unsignedShort", "unsignedByte")}


def decimal_lexical(value: Decimal) -> str:
    """xsd:decimal as kg writes it: always a '.', no exponent, no trailing zeros (475.0, 3.2)."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def canonical(term: Node | None) -> Node | None:
    """The same literal whichever engine computed it: plain strings without xsd:string, numbers and booleans
    in one lexical form (oxigraph writes 475 where rdflib keeps 475.0), integer subtypes such as
    xsd:nonNegativeInteger as xsd:integer (oxigraph does not keep them)."""
    if not isinstance(term, Literal) or term.language:
        return term
    dt, lex = term.datatype, str(term)
    try:
        if dt is None or dt == XSD.string:
            return term if dt is None else Literal(lex)
        if dt == XSD.decimal:
            return Literal(decimal_lexical(Decimal(lex.strip())), datatype=dt)
        if dt in _INTEGER_TYPES:  # oxigraph reports every integer subtype as xsd:integer; so do we
            return Literal(str(int(lex.strip())), datatype=XSD.integer)
        if dt in (XSD.double, XSD.float):
            f = float(lex.strip().replace("INF", "inf"))
            text = "NaN" if math.isnan(f) else ("INF" if f > 0 else "-INF") if math.isinf(f) else repr(f)
            return Literal(text, datatype=dt)
        if dt == XSD.boolean:
            return Literal("true" if lex.strip() in ("true", "1") else "false", datatype=dt)
    except (InvalidOperation, ValueError):
        return term  # an ill-typed literal stays as written
    return term


_XSD_STRING, _XSD_DECIMAL, _XSD_INTEGER = str(XSD.string), str(XSD.decimal), str(XSD.integer)


def _ox_to_rdflib(term: Any) -> Node | None:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        # the common datatypes straight to their canonical form: one rdflib Literal, not two (big results)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        try:
            if dt == _XSD_DECIMAL:
                return Literal(decimal_lexical(Decimal(term.value.strip())), datatype=XSD.decimal)
            if dt == _XSD_INTEGER:
                return Literal(str(int(term.value.strip())), datatype=XSD.integer)
        except (InvalidOperation, ValueError):
            pass  # ill-typed: kept as written, below
        return canonical(Literal(term.value, datatype=URIRef(dt)))
    raise QueryError(f"unsupported term in result: {term!r} (RDF-star triples are not supported)")


# --------------------------------------------------------------------------------------------------------------
# Results


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
            from .results import to_rdf

            return f"<pre>{html.escape(to_rdf(self, 'turtle').decode())}</pre>"
        from .results import display_value

        head = "".join(f"<th>{html.escape(v)}</th>" for v in self.vars)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(display_value(row[v]))}</td>" for v in self.vars)
                       + "</tr>" for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{len(self.rows)} rows</p>"


def to_python(term: Node | None) -> Any:
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return str(term) if isinstance(value, Literal) else value
    return str(term)


# --------------------------------------------------------------------------------------------------------------
# Engines: rdflib Graphs and pyoxigraph Stores built in; others can be registered (e.g. a remote store).


class RdflibEngine:
    name = "rdflib"

    def __init__(self, graph: Graph):
        self.graph = graph

    def execute(self, parsed: ParsedQuery) -> QueryResult:
        res = self.graph.query(parsed.algebra())
        if parsed.kind == "ask":
            return QueryResult("ask", boolean=bool(res.askAnswer))
        if parsed.kind in ("construct", "describe"):
            return QueryResult(parsed.kind, triples=[tuple(canonical(t) for t in tr) for tr in res.graph])
        names = [str(v) for v in res.vars]
        rows = [{n: canonical(row[i]) for i, n in enumerate(names)} for row in res]
        return QueryResult("select", vars=names, rows=rows)


class OxigraphEngine:
    """A pyoxigraph Store; the default graph is the union of all graphs, as in an rdflib Graph of everything."""

    name = "oxigraph"

    def __init__(self, store: Any):
        self.store = store

    def execute(self, parsed: ParsedQuery) -> QueryResult:
        try:
            res = self.store.query(lateral_optionals(parsed.text), prefixes=QUERY_PREFIXES,
                                   use_default_graph_as_union=True)
        except SyntaxError as e:
            raise QuerySyntaxError(f"SPARQL syntax error (oxigraph): {e}") from None
        if parsed.kind == "ask":
            return QueryResult("ask", boolean=bool(res))
        if parsed.kind in ("construct", "describe"):
            convert = _cached(_ox_to_rdflib)
            return QueryResult(parsed.kind, triples=[(convert(t.subject), convert(t.predicate),
                                                      convert(t.object)) for t in res])
        names = [v.value for v in res.variables]
        convert = _cached(_ox_to_rdflib)  # big results repeat their IRIs and labels: convert each term once
        rows = [dict(zip(names, map(convert, sol))) for sol in res]  # a solution iterates in `names` order
        return QueryResult("select", vars=names, rows=rows)


def lateral_optionals(text: str) -> str:
    """The query with each OPTIONAL at the top of its WHERE clause wrapped as `LATERAL { OPTIONAL { … } }`.

    Same answers (a left join evaluated for each solution so far, with its bindings), but oxigraph then looks
    each label or comparator up from the bound node. Left to itself, its cost model multiplies estimates
    over the many patterns of a report query until they saturate, and it falls back to hash joins that read
    every rdfs:label in the store for every OPTIONAL: 300 ms instead of 8 ms for one district at 1M triples.
    OPTIONALs holding a sub-query stay as they are (bindings must not reach into its scope).
    """
    span = _where_span(text)
    if span is None or "OPTIONAL" not in text.upper():
        return text
    toks = list(_tokens(text))
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
            j = _skip_group(toks, i + 1)
            if not any(k == "word" and t.upper() == "SELECT" for k, t, _ in toks[i + 1:j]):
                end = toks[j - 1][2] + 1
                out += [text[last:off], "LATERAL { ", text[off:end], " }"]
                last = end
            i = j
            continue
        i += 1
    return "".join(out) + text[last:]


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


# --------------------------------------------------------------------------------------------------------------
# Canned queries: queries/*.rq with a header comment block


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"  # string | integer | decimal | iri | district | year | category | facility-type
    default: str | None = None  # None: the variable stays unbound (no restriction)
    description: str = ""


@dataclass(frozen=True)
class CannedQuery:
    name: str
    path: Path
    title: str
    description: str
    params: tuple[Param, ...]
    text: str

    @property
    def kind(self) -> str:
        return (_first_keyword(self.text) or "").lower()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


PARAM_TYPES = ("string", "integer", "decimal", "iri", "district", "year", "category", "facility-type")
_HEADER_KEY = re.compile(r"#\s*(title|description|param|example):\s?(.*)$")
_PARAM_SPEC = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\((?P<type>[a-z-]+)\))?\s*"
                         r"(?:=\s*(?P<default>\S+))?\s*(?:[-—:]\s*(?P<desc>.*))?$")


def parse_header(text: str, path: Path) -> tuple[str, str, tuple[Param, ...]]:
    """title, description and parameters from the leading comment block of a canned query."""
    fields: dict[str, list[str]] = {"title": [], "description": [], "param": [], "example": []}
    last = None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        m = _HEADER_KEY.match(stripped)
        if m:
            last = m.group(1)
            fields[last].append(m.group(2).strip())
        elif last and stripped.lstrip("#").strip():
            fields[last][-1] += " " + stripped.lstrip("#").strip()
    if not fields["title"]:
        raise InputError(f"{path}:1: canned query has no '# title:' line")
    params = []
    for spec in fields["param"]:
        m = _PARAM_SPEC.match(spec)
        if not m:
            raise InputError(f"{path}: bad '# param:' line {spec!r}; write '# param: name (type) = default — what'")
        ptype = m.group("type") or "string"
        if ptype not in PARAM_TYPES:
            raise InputError(f"{path}: parameter {m.group('name')} has unknown type {ptype!r}; "
                             f"known: {', '.join(PARAM_TYPES)}")
        params.append(Param(m.group("name"), ptype, m.group("default"), (m.group("desc") or "").strip()))
    return fields["title"][0], " ".join(fields["description"]), tuple(params)


def canned_queries(directory: Path = paths.QUERIES) -> dict[str, CannedQuery]:
    """Every canned query by name (the file stem), sorted by name."""
    out = {}
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        title, description, params = parse_header(text, path)
        out[path.stem] = CannedQuery(path.stem, path, title, description, params, text)
    return out


def canned(name: str, directory: Path = paths.QUERIES) -> CannedQuery:
    """One canned query by name; an unknown name suggests the closest ones."""
    queries = canned_queries(directory)
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.4)
    close += [q for q in queries if name in q and q not in close]
    hint = f"did you mean {', '.join(close[:3])}? " if close else ""
    raise InputError(f"no canned query named {name!r}; {hint}`kg query --list` shows all {len(queries)}")


# --------------------------------------------------------------------------------------------------------------
# Parameters: values become RDF terms in a VALUES block


_RESOLVE_PATTERNS = {
    "district": "VALUES ?cls { sy:District sy:City } ?node a ?cls .",
    "year": "?node a sy:Year .",
    "category": '?node skos:inScheme ?scheme . FILTER(STRENDS(STR(?scheme), "/measure-categories"))',
    "facility-type": '?node skos:inScheme ?scheme . FILTER(STRENDS(STR(?scheme), "/facility-types"))',
}
_IRI_OK = re.compile(r'^[^<>"{}|^`\\\x00-\x20]+$')
_PNAME = re.compile(r"^([A-Za-z][\w\-.]*)?:([\w\-.%]*)$")


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
    if not _IRI_OK.match(text) or ":" not in text:
        raise ParamError(f"parameter {name}: {value!r} is not an IRI (write <https://…> or prefix:name)")
    return URIRef(text)


def _resolve(engine: Any, ptype: str, name: str, value: str) -> URIRef:
    """The IRI of the node a district/year/category/facility-type name refers to (label, short form or key)."""
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
        if not _IRI_OK.match(str(term)):
            raise ParamError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.datatype in (XSD.integer, XSD.decimal) and re.fullmatch(r"[+-]?\d+(\.\d+)?", str(term)) and \
                (term.datatype == XSD.decimal) == ("." in str(term)):
            return str(term)  # 2023, 3.5: SPARQL's own number syntax
        return term.n3()  # rdflib escapes quotes, backslashes and line breaks
    raise ParamError(f"cannot bind a {type(term).__name__} as a parameter")


def query_variables(text: str) -> set[str]:
    return {tok[1:] for kind, tok, _ in _tokens(text) if kind == "var"}


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
            raise ParamError(f"{_where(source)}unknown parameter {', '.join(unknown)}; this query takes: {takes}")
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
            raise ParamError(f"{_where(source)}the query has no variable ?{name} to bind")
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
    span = _where_span(sparql)
    if span is None:
        raise ParamError(f"{_where(source)}the query has no WHERE clause to bind parameters in")
    first = _bound_first(sparql, set(bound))
    head = " ".join(f"VALUES ?{name} {{ {_sparql_term(term)} }}" for name, term in bound.items() if name in first)
    tail = " ".join(f"VALUES ?{name} {{ {_sparql_term(term)} }}" for name, term in bound.items()
                    if name not in first)
    (open_, close) = span
    return (sparql[:open_ + 1] + (f" {head} " if head else "") + sparql[open_ + 1:close]
            + (f" {tail} " if tail else "") + sparql[close:]), bound


_MODIFIERS = {"SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery", "Distinct", "Reduced", "Slice",
              "Project", "OrderBy", "AggregateJoin", "Group", "Filter", "Extend"}


_MODIFIERS_ABOVE_WHERE = {"SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery", "Distinct", "Reduced",
                          "Slice", "Project", "OrderBy"}


def _certainly_bound(node: Any) -> set[str]:
    """Variables every solution of an rdflib algebra pattern binds (a conservative answer: maybe fewer)."""
    from rdflib.paths import Path as RdfPath
    from rdflib.term import Variable

    name = getattr(node, "name", None)
    if name == "BGP":
        return {str(t) for triple in node.triples for t in triple
                if isinstance(t, Variable) and not isinstance(t, RdfPath)}
    if name == "Join":
        return _certainly_bound(node.p1) | _certainly_bound(node.p2)
    if name in ("LeftJoin", "Minus"):
        return _certainly_bound(node.p1)
    if name == "Union":
        return _certainly_bound(node.p1) & _certainly_bound(node.p2)
    if name in ("Filter", "Extend", "Graph"):
        return _certainly_bound(node.p)
    return set()  # sub-queries, VALUES, BIND and the rest: not relied on


def _bound_first(sparql: str, names: set[str]) -> set[str]:
    """The parameters whose VALUES may open the WHERE clause instead of closing it: those a mandatory triple
    pattern of the WHERE group binds and no BIND or select expression mentions. There the block gives the
    same answers, and an engine that orders joins (oxigraph) starts from the bound node — one district's
    rows instead of every row filtered at the end. The others stay at the end: `BIND(... AS ?year)` may not
    follow a binding of ?year."""
    from rdflib.term import Variable

    try:
        node = parse_query(sparql).prepared.algebra
    except KgError:
        return set()
    chain = []
    while getattr(node, "name", None) in _MODIFIERS and "p" in node:
        chain.append(node)
        node = node.p
    group = next((n for n in chain if n.name == "Group"), None)
    where = group.p if group is not None else next(
        (n for n in chain if n.name not in _MODIFIERS_ABOVE_WHERE), node)  # the WHERE group, with its BINDs
    mentioned: set[str] = set()
    for n in _walk(where):
        if n.name == "Extend":
            mentioned.add(str(n.var))
            mentioned.update(str(v) for v in _walk_terms(n.expr) if isinstance(v, Variable))
    return (_certainly_bound(node) & names) - mentioned


def _walk_terms(node: Any) -> Iterator[Any]:
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


# --------------------------------------------------------------------------------------------------------------
# Running


def _child(fn: Callable[[], Any], conn) -> None:
    try:
        payload = ("ok", fn())
    except KgError as e:
        payload = ("error", (type(e).__name__, e.exit_code, str(e)))
    except BaseException as e:  # noqa: BLE001 - everything must reach the parent
        payload = ("error", (type(e).__name__, 1, f"{type(e).__name__}: {e}"))
    try:
        conn.send(payload)
    finally:
        conn.close()


def call_with_timeout(fn: Callable[[], Any], timeout: float, what: str = "the query") -> Any:
    """Run `fn()` in a forked child process and return its (picklable) result; kill it after `timeout` s."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return fn()
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, send), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(timeout):
            proc.kill()
            raise QueryTimeout(f"{what} was stopped after {timeout:g} s (timeout); simplify it, add LIMIT, "
                               "or allow more time with --timeout SECONDS (0 = no limit)")
        try:
            status, payload = recv.recv()
        except EOFError:
            proc.join()
            raise QueryError(f"{what} failed: the query process died (exit code {proc.exitcode})") from None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
    if status == "error":
        name, code, message = payload
        cls = {"QuerySyntaxError": QuerySyntaxError, "ReadOnlyError": ReadOnlyError,
               "ParamError": ParamError}.get(name)
        if cls is not None:
            raise cls(message)
        err = QueryError(message if code != 1 or name == "QueryError" else f"{what} failed: {message}")
        err.exit_code = code
        raise err
    return payload


def run(graph: Any, sparql: str | CannedQuery, params: Mapping[str, Any] | None = None,
        timeout: float | None = None, *, source: str | None = None) -> QueryResult:
    """Run a read-only SPARQL query (text or a `canned()` query) on an rdflib Graph or a pyoxigraph Store.

    `params` bind query variables (see `bind_params`); `timeout` (seconds) runs the query in a child process
    that is killed when time is up. Prefixes in `QUERY_PREFIXES` are predeclared.

    >>> import kg, kg.query
    >>> g = kg.query.load_graph()
    >>> res = kg.query.run(g, "SELECT ?v WHERE { ?s a sy:Indicator ; sy:value ?v } ORDER BY ?v LIMIT 1")
    >>> res.values()                                                            # doctest: +SKIP
    [{'v': Decimal('3.2')}]
    """
    declared: Sequence[Param] = ()
    if isinstance(sparql, CannedQuery):
        declared, source, text = sparql.params, source or str(sparql.path), sparql.text
    else:
        text = sparql
    parsed = parse_query(text, source)  # syntax errors and refusals refer to the text as written
    bound_text, _ = bind_params(graph, text, params, declared, source)
    if bound_text != text:
        parsed = ParsedQuery(bound_text, parsed.kind)  # rdflib re-parses it on demand, oxigraph parses it itself
    engine = engine_for(graph)
    if timeout:
        return call_with_timeout(lambda: _execute(engine, parsed), timeout)
    return _execute(engine, parsed)


def _execute(engine: Any, parsed: ParsedQuery) -> QueryResult:
    try:
        return engine.execute(parsed)
    except KgError:
        raise
    except Exception as e:  # engines raise all kinds of errors; report one line, not a traceback
        first = (str(e).strip().splitlines() or [""])[0][:300]
        raise QueryError(f"the query failed in {engine.name}: {type(e).__name__}: {first}") from e


ENGINES = ("oxigraph", "rdflib")


def load_graph(files: Sequence[Path | str] = (), *, ontology: bool = True, engine: str = "rdflib") -> Any:
    """The graph to query: the built graph (exports/shenyang.ttl) or the given RDF files (format from the
    extension), plus the ontology. engine="rdflib" gives an rdflib Graph; engine="oxigraph" an in-memory
    pyoxigraph Store, which loads and answers many times faster (same rows)."""
    from .validate import load_rdf, refuse_xml_entities

    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    if len(files) == 1 and Path(files[0]).is_dir():  # an on-disk store: `kg build --store oxigraph:DIR`
        from .store import OxigraphStore

        if engine != "oxigraph":
            raise InputError(f"{files[0]}: a store directory is queried with --engine oxigraph")
        return OxigraphStore.open(Path(files[0])).native  # holds the ontology in a named graph already
    if files:
        sources = [Path(f) for f in files]
        for path in sources:
            if not path.is_file():
                raise InputError(f"{path}: no such graph file (make one with `kg build --out DIR`)")
    else:
        default = paths.EXPORTS / "shenyang.ttl"
        if not default.is_file():
            shown = default.relative_to(Path.cwd()) if default.is_relative_to(Path.cwd()) else default
            raise InputError(f"{shown}: no built graph; run `kg build` first (or pass --graph FILE)")
        sources = [default]
    if ontology:
        sources.append(paths.ONTOLOGY)
    if engine == "rdflib":
        graph = load_rdf(sources[0], "graph file")
        for path in sources[1:]:
            graph += load_rdf(path, "graph file")
        return graph
    import pyoxigraph as ox

    store = ox.Store()
    for path in sources:
        refuse_xml_entities(path)
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower())
        if fmt is None:  # a format only rdflib reads: parse there, hand over as N-Triples
            store.load(load_rdf(path, "graph file").serialize(format="nt", encoding="utf-8"),
                       format=ox.RdfFormat.N_TRIPLES)
            continue
        try:
            store.load(path=str(path), format=fmt, base_iri=path.resolve().as_uri())
        except (SyntaxError, ValueError) as e:
            raise InputError(f"{path}: cannot parse as {fmt}: {str(e).strip().splitlines()[0][:300]}") from None
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    return store


def prefix_declarations() -> str:
    """The predeclared prefixes as SPARQL PREFIX lines."""
    return "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in QUERY_PREFIXES.items())


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


def describe_canned(queries: Mapping[str, CannedQuery], verbose: bool = True) -> str:
    """The catalogue `kg query --list` prints: name, title, parameters with defaults, description."""
    import textwrap

    lines = []
    width = max((len(n) for n in queries), default=0)
    for name, q in queries.items():
        params = " ".join(f"{p.name}={p.default}" if p.default is not None else f"[{p.name}]" for p in q.params)
        lines.append(f"{name:<{width}}  {q.title}" + (f"  ({params})" if params and not verbose else ""))
        if verbose:
            for p in q.params:
                default = f"default {p.default}" if p.default is not None else "optional"
                lines.append(f"{'':<{width}}    --param {p.name}=…  ({p.type}, {default}) {p.description}".rstrip())
            for chunk in textwrap.wrap(q.description, 100):
                lines.append(f"{'':<{width}}    {chunk}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
