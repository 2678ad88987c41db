"""The errors a query can end in, each with its exit code (see kg.errors)."""

from __future__ import annotations

from ..errors import InputError, KgError


class QuerySyntaxError(InputError):
    """The query does not parse; the message names the line and column and shows the line."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        super().__init__(message)


class QueryTooBig(QuerySyntaxError):
    """The query is too big or too deeply nested to parse (not a syntax error: it may well be valid)."""


class ReadOnlyError(InputError):
    """The request would change data or reach out to other services."""


class ParamError(InputError):
    """A query parameter is unknown, malformed or names nothing in the graph."""


class QueryTimeout(KgError):
    """The query ran longer than its timeout and was stopped."""

    exit_code = 124  # as coreutils `timeout`


class QueryError(KgError):
    """The query engine failed while evaluating a query that parsed."""
