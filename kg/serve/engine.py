"""Running one query on a pyoxigraph store and serialising its answer: what a worker process does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice

from ..namespaces import PREFIXES
from .negotiate import GRAPH_FORMATS, RESULT_FORMATS

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass
class QueryRequest:
    query: str
    results_format: str | None  # RESULT_FORMATS key, None = not acceptable
    graph_format: str | None  # GRAPH_FORMATS key, None = not acceptable
    max_rows: int
    default_graphs: list[str] = field(default_factory=list)  # "" = the store's default graph
    named_graphs: list[str] = field(default_factory=list)


@dataclass
class QueryReply:
    status: int
    content_type: str
    body: bytes
    truncated: bool = False
    kind: str = ""  # "bindings", "boolean" or "graph"
    rows: int = 0


def term_json(t) -> dict:
    """A pyoxigraph term in the SPARQL 1.1 JSON results form."""
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value not in (XSD_STRING, RDF_LANGSTRING):
            d["datatype"] = t.datatype.value
        return d
    return {"type": "triple", "value": {"subject": term_json(t.subject), "predicate": term_json(t.predicate),
                                        "object": term_json(t.object)}}


def execute(store, req: QueryRequest, prefixes: dict[str, str]) -> QueryReply:
    """Run one query on a pyoxigraph store and serialise at most req.max_rows rows in the chosen format."""
    import pyoxigraph as ox

    try:
        # Default graph = the data and the ontology together, as `kg query` sees them (kg.query's engines);
        # the protocol's default-graph-uri / named-graph-uri narrow it to named graphs of the store.
        result = store.query(req.query, prefixes=prefixes, use_default_graph_as_union=not req.default_graphs,
                             default_graph=[ox.NamedNode(g) if g else ox.DefaultGraph()
                                            for g in req.default_graphs] or None,
                             named_graphs=[ox.NamedNode(g) for g in req.named_graphs] or None)
        if isinstance(result, ox.QueryBoolean):
            fmt = req.results_format
            if fmt is None:
                return _not_acceptable("an ASK query", RESULT_FORMATS)
            if fmt in ("json", "html"):
                body = json.dumps({"head": {}, "boolean": bool(result)}).encode()
            else:
                body = result.serialize(format=getattr(ox.QueryResultsFormat, RESULT_FORMATS[fmt][1]))
            return QueryReply(200, RESULT_FORMATS[fmt][0], body, kind="boolean", rows=1)
        if isinstance(result, ox.QuerySolutions):
            fmt = req.results_format
            if fmt is None:
                return _not_acceptable("a SELECT query", RESULT_FORMATS)
            variables = [v.value for v in result.variables]
            rows = list(islice(result, req.max_rows + 1))
            truncated = len(rows) > req.max_rows
            rows = rows[: req.max_rows]
            bindings = [{v: term_json(row[v]) for v in variables if row[v] is not None} for row in rows]
            body = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                              ensure_ascii=False).encode()
            if fmt not in ("json", "html"):
                parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
                body = parsed.serialize(format=getattr(ox.QueryResultsFormat, RESULT_FORMATS[fmt][1]))
            return QueryReply(200, RESULT_FORMATS[fmt][0], body, truncated, "bindings", len(rows))
        fmt = req.graph_format
        if fmt is None:
            return _not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_FORMATS)
        triples = list(islice(result, req.max_rows + 1))
        truncated = len(triples) > req.max_rows
        triples = triples[: req.max_rows]
        if fmt == "html":
            body = json.dumps([[term_json(t.subject), term_json(t.predicate), term_json(t.object)]
                               for t in triples], ensure_ascii=False).encode()
        else:
            body = ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt][1]),
                                prefixes=used_prefixes(triples))
        return QueryReply(200, GRAPH_FORMATS[fmt][0], body, truncated, "graph", len(triples))
    except SyntaxError as e:
        return QueryReply(400, "text/plain; charset=utf-8", f"SPARQL syntax error: {e}\n".encode())
    except Exception as e:  # evaluation errors (type errors are not errors in SPARQL; these are real faults)
        return QueryReply(500, "text/plain; charset=utf-8", f"query failed: {e}\n".encode())


def used_prefixes(triples: list, prefixes: dict[str, str] = PREFIXES) -> dict[str, str]:
    """The prefixes whose namespace some IRI of the triples starts with (so Turtle declares no unused ones)."""
    iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object) if hasattr(t, "value")
            and type(t).__name__ == "NamedNode"}
    return {p: ns for p, ns in sorted(prefixes.items()) if any(i.startswith(ns) for i in iris)}


def _not_acceptable(what: str, formats: dict) -> QueryReply:
    offered = ", ".join(ct.split(";")[0] for ct, _ in formats.values())
    return QueryReply(406, "text/plain; charset=utf-8",
                      f"406 Not Acceptable: {what} can be answered as {offered}\n".encode())
