"""Query results as text: an aligned table for people, and the standard SPARQL 1.1 result formats
(JSON, CSV, TSV) and Turtle / N-Triples for machines. Pure functions of a `QueryResult`; deterministic."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .errors import InputError
from .query.prefixes import QUERY_PREFIXES
from .query.result import QueryResult

TABLE_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_FORMATS = ("turtle", "nt")
FORMATS = TABLE_FORMATS + GRAPH_FORMATS

_BY_LENGTH = sorted(QUERY_PREFIXES.items(), key=lambda kv: -len(kv[1]))


def shorten(iri: str) -> str:
    """prefix:local for IRIs under a predeclared namespace (id:measure/shenyang-2023/old-compounds)."""
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def display_value(term: Node | None) -> str:
    """A term as a person reads it: short IRIs, literal text without quotes or tags, numbers as numbers."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return shorten(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal) and term.datatype == XSD.decimal:
        try:
            return format(Decimal(str(term)).normalize(), "f")
        except ArithmeticError:
            return str(term)
    return str(term)


def _is_number(term: Node | None) -> bool:
    return isinstance(term, Literal) and term.datatype is not None and isinstance(term.toPython(),
                                                                                   (int, float, Decimal)) \
        and not isinstance(term.toPython(), bool)


def to_table(result: QueryResult, width: int | None = None) -> str:
    """An aligned table (rich; wide Chinese characters count as two columns). `width=None` never wraps."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    if result.kind in ("construct", "describe"):
        return to_rdf(result, "turtle").decode("utf-8")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for var in result.vars:
        numeric = any(result.rows) and all(_is_number(r[var]) for r in result.rows if r[var] is not None) \
            and any(r[var] is not None for r in result.rows)
        table.add_column(var, justify="right" if numeric else "left", overflow="fold")
    for row in result.rows:
        table.add_row(*(display_value(row[v]) for v in result.vars))
    out = io.StringIO()
    console = Console(file=out, width=width or 100_000, no_color=True, color_system=None, highlight=False,
                      emoji=False, markup=False, force_terminal=False, legacy_windows=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _json_term(term: Node) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None:
        out["datatype"] = str(term.datatype)
    return out


def to_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/); unbound omitted."""
    if result.kind == "ask":
        doc = {"head": {}, "boolean": bool(result.boolean)}
    elif result.kind == "select":
        doc = {"head": {"vars": list(result.vars)}, "results": {"bindings": [_json_binding(row)
                                                                           for row in result.rows]}}
    else:
        raise InputError("JSON results are for SELECT and ASK; write CONSTRUCT/DESCRIBE results as turtle or nt")
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _json_binding(row: dict) -> dict:
    return {k: _json_term(v) for k, v in row.items() if v is not None}


def _json_chunks(result: QueryResult) -> Iterator[str]:
    """to_json's text of a SELECT, in pieces as its rows come: the document's opening once the first row is
    known (an answer without rows is `"bindings": []`), each binding indented as json.dumps indents it inside
    the document, the closing after the last. Opening and closing are cut from json.dumps of the document
    with one placeholder binding, so the pieces join to exactly to_json's text."""
    opened = False
    for batch in result.batches():
        if not batch:
            continue
        if not opened:
            doc = json.dumps({"head": {"vars": list(result.vars)}, "results": {"bindings": [0]}},
                             ensure_ascii=False, indent=2)
            cut = doc.index(_JSON_PLACEHOLDER)
            opening, closing = doc[:cut + len(_JSON_INDENT)], doc[cut + len(_JSON_INDENT) + 1:] + "\n"
        text = _JSON_SEPARATOR.join(json.dumps(_json_binding(row), ensure_ascii=False, indent=2)
                                    .replace("\n", _JSON_INDENT) for row in batch)
        yield (_JSON_SEPARATOR if opened else opening) + text
        opened = True
    yield closing if opened else to_json(result)


_JSON_INDENT = "\n" + " " * 6  # a binding's lines inside the document: results → bindings → [ … ]
_JSON_PLACEHOLDER = _JSON_INDENT + "0\n"
_JSON_SEPARATOR = "," + _JSON_INDENT


def to_csv(result: QueryResult) -> str:
    """SPARQL 1.1 CSV results: plain values, full IRIs, CRLF line ends
    (https://www.w3.org/TR/sparql11-results-csv-tsv/)."""
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\r\n"
    _need_select(result, "CSV")
    return _csv_lines([result.vars]) + _csv_lines(_csv_row(row, result.vars) for row in result.rows)


def _csv_row(row: dict, names: list[str]) -> list[str]:
    return ["" if row[v] is None else (f"_:{row[v]}" if isinstance(row[v], BNode) else str(row[v])) for v in names]


def _csv_lines(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


_TURTLE_NUMBER = {XSD.integer: r"[+-]?\d+", XSD.decimal: r"[+-]?\d*\.\d+"}


def _tsv_term(term: Node | None) -> str:
    import re

    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    lex = str(term)
    if term.datatype in _TURTLE_NUMBER and re.fullmatch(_TURTLE_NUMBER[term.datatype], lex):
        return lex
    if term.datatype == XSD.boolean and lex in ("true", "false"):
        return lex
    esc = lex.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") \
        .replace("\t", "\\t")
    if term.language:
        return f'"{esc}"@{term.language}'
    if term.datatype is not None:
        return f'"{esc}"^^<{term.datatype}>'
    return f'"{esc}"'


def to_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 TSV results: ?var header, terms in Turtle syntax, LF line ends."""
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    _need_select(result, "TSV")
    return _tsv_header(result.vars) + _tsv_lines(result.rows, result.vars)


def _tsv_header(names: list[str]) -> str:
    return "\t".join(f"?{v}" for v in names) + "\n"


def _tsv_lines(rows: Iterable[dict], names: list[str]) -> str:
    return "".join("\t".join(_tsv_term(row[v]) for v in names) + "\n" for row in rows)


def to_rdf(result: QueryResult, fmt: str = "turtle") -> bytes:
    """CONSTRUCT/DESCRIBE results as sorted, prefixed Turtle or sorted N-Triples (byte-stable)."""
    from .export import to_ntriples, to_turtle

    if result.kind not in ("construct", "describe"):
        raise InputError(f"{fmt} is for CONSTRUCT/DESCRIBE results; write SELECT results as table, csv, tsv "
                         "or json")
    g = result.graph()
    return to_turtle(g) if fmt == "turtle" else to_ntriples(g)


def _need_select(result: QueryResult, what: str) -> None:
    if result.kind != "select":
        raise InputError(f"{what} is for SELECT results; write CONSTRUCT/DESCRIBE results as turtle or nt")


def render(result: QueryResult, fmt: str, width: int | None = None) -> bytes:
    """The result in one of FORMATS as bytes (UTF-8)."""
    if fmt in GRAPH_FORMATS:
        return to_rdf(result, fmt)
    if fmt == "table":
        return to_table(result, width).encode("utf-8")
    fn = {"csv": to_csv, "tsv": to_tsv, "json": to_json}.get(fmt)
    if fn is None:
        raise InputError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return fn(result).encode("utf-8")


STREAMED_FORMATS = ("csv", "tsv", "json")


def render_chunks(result: QueryResult, fmt: str, width: int | None = None) -> Iterator[bytes]:
    """`render`'s bytes in pieces as a SELECT's rows come (`result.batches()`): the header at once, then the
    rows of each batch, for csv, tsv and json; the pieces join to exactly `render`'s bytes. A table needs
    every row for its column widths, and other results come whole: one piece. The rows are read once and
    not kept (a writer holds a batch, not the answer)."""
    if result.kind != "select" or fmt not in STREAMED_FORMATS:
        yield render(result, fmt, width)
        return
    if fmt == "json":
        yield from (text.encode("utf-8") for text in _json_chunks(result))
        return
    names = result.vars
    if fmt == "csv":
        yield _csv_lines([names]).encode("utf-8")
        for batch in result.batches():
            yield _csv_lines(_csv_row(row, names) for row in batch).encode("utf-8")
    else:
        yield _tsv_header(names).encode("utf-8")
        for batch in result.batches():
            yield _tsv_lines(batch, names).encode("utf-8")


_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".srj": "json", ".ttl": "turtle", ".nt": "nt",
                   ".txt": "table"}


def choose_format(kind: str, fmt: str | None, *, tty: bool, output: str | None = None) -> str:
    """The output format: as asked (checked against the query form), else from the output file's suffix,
    else turtle for CONSTRUCT/DESCRIBE, a table on a terminal and TSV in a pipe."""
    graph = kind in ("construct", "describe")
    if fmt is None and output:
        from pathlib import Path

        fmt = _SUFFIX_FORMATS.get(Path(output).suffix.lower())
        if fmt is not None and (fmt in GRAPH_FORMATS) != graph and kind != "ask":
            fmt = None
    if fmt is None:
        return "turtle" if graph else ("table" if tty and not output else "tsv")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if graph and fmt not in GRAPH_FORMATS + ("table",):
        raise InputError(f"--format {fmt} is for SELECT/ASK results; a {kind.upper()} query gives RDF: "
                         "use --format turtle or nt")
    if not graph and fmt in GRAPH_FORMATS:
        raise InputError(f"--format {fmt} is for CONSTRUCT/DESCRIBE results; write {kind.upper()} results as "
                         "table, csv, tsv or json")
    return fmt
