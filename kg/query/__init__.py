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

from ..errors import InputError, KgError
from .canned import PARAM_TYPES, CannedQuery, Param, canned, canned_queries, describe_canned, parse_header
from .engines import OxigraphEngine, RdflibEngine, engine_for, register_engine
from .errors import ParamError, QueryError, QuerySyntaxError, QueryTimeout, QueryTooBig, ReadOnlyError
from .execute import run
from .lateral import lateral_optionals, values_into_unions
from .lexer import query_variables
from .load import ENGINES, load_graph
from .params import bind_params, parse_param_args
from .parse import KINDS, ParsedQuery, check_read_only, check_size, parse_query
from .prefixes import QUERY_PREFIXES, prefix_declarations
from .readonly import UPDATE_KEYWORDS
from .result import QueryResult
from .terms import canonical, decimal_lexical, to_python
from .timeout import call_with_timeout

__all__ = [
    "ENGINES", "KINDS", "PARAM_TYPES", "QUERY_PREFIXES", "UPDATE_KEYWORDS", "CannedQuery", "InputError", "KgError",
    "OxigraphEngine", "Param", "ParamError", "ParsedQuery", "QueryError", "QueryResult", "QuerySyntaxError",
    "QueryTimeout", "QueryTooBig", "RdflibEngine", "ReadOnlyError", "bind_params", "call_with_timeout", "canned",
    "canned_queries", "canonical", "check_read_only", "check_size", "decimal_lexical", "describe_canned", "engine_for",
    "lateral_optionals", "load_graph", "parse_header", "parse_param_args", "parse_query", "prefix_declarations",
    "query_variables", "register_engine", "run", "to_python", "values_into_unions",
]
