"""Running a query: parse, bind, pick the engine, optionally under a timeout."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import KgError
from .canned import CannedQuery, Param
from .engines import OxigraphEngine, engine_for
from .errors import QueryError
from .params import bind_params
from .parse import ParsedQuery, parse_query
from .partition import run_partitioned
from .result import QueryResult
from .timeout import run_with_timeout


def run(graph: Any, sparql: str | CannedQuery, params: Mapping[str, Any] | None = None,
        timeout: float | None = None, *, source: str | None = None) -> QueryResult:
    """Run a read-only SPARQL query (text or a `canned()` query) on an rdflib Graph or a pyoxigraph Store.

    `params` bind query variables (see `bind_params`); `timeout` (seconds) runs the query in a child process
    that is killed when time is up; a SELECT's rows then come from it in batches as they are produced, so
    reading them (iterating, `rows`, `len`) may raise QueryTimeout or QueryError part-way. Prefixes in
    `QUERY_PREFIXES` are predeclared.

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
    engine = engine_for(graph)

    def parse_and_execute() -> QueryResult:
        parsed = parse_query(text, source)  # syntax errors and refusals refer to the text as written
        bound_text, bound = bind_params(graph, text, params, declared, source)
        if bound_text != text:
            parsed = ParsedQuery(bound_text, parsed.kind)  # rdflib re-parses it on demand, oxigraph itself
        if parsed.kind == "select" and isinstance(engine, OxigraphEngine):
            # a sorted answer whose query declares a partition: streamed batch by batch (kg.query.partition);
            # under a timeout too, since the child hands its rows over in batches as they come (kg.query.piped)
            streamed = _execute(engine, parsed, lambda: run_partitioned(engine, text, bound_text, bound))
            if streamed is not None:
                return streamed
        return _execute(engine, parsed)

    if timeout:  # parsing too: rdflib takes a minute on a 1 MB query
        return run_with_timeout(parse_and_execute, timeout)
    return parse_and_execute()


def _execute(engine: Any, parsed: ParsedQuery, how: Callable[[], Any] | None = None) -> Any:
    try:
        return how() if how is not None else engine.execute(parsed)
    except KgError:
        raise
    except Exception as e:  # engines raise all kinds of errors; report one line, not a traceback
        first = (str(e).strip().splitlines() or [""])[0][:300]
        raise QueryError(f"the query failed in {engine.name}: {type(e).__name__}: {first}") from e
