"""What a query returned, the same from every engine."""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Iterator
from typing import Any

from rdflib import Graph
from rdflib.term import Node

from .prefixes import QUERY_PREFIXES
from .terms import to_python

BATCH_WAIT = 0.05  # s: rows of an in-process stream gathered into one batch (after the first row, alone)
BATCH_ROWS = 4096  # … at most this many


class QueryResult:
    """What a query returned. SELECT: `vars` and `rows` (dicts var → rdflib term, None when unbound);
    ASK: `boolean`; CONSTRUCT/DESCRIBE: `triples`. `values()` gives plain Python values for pandas & co.

    An engine may hand over SELECT rows as an iterator (`stream`): iterating the result then yields each row
    as the engine produces it — the first row of a large answer without converting all the others — and
    `rows` (or `len`) reads the rest. Either way every row is read once and kept, so the result can be
    iterated again and compared like a list."""

    def __init__(self, kind: str, vars: list[str] | None = None, rows: list[dict[str, Node | None]] | None = None,
                 boolean: bool | None = None, triples: list[tuple[Node, Node, Node]] | None = None, *,
                 stream: Iterator[dict[str, Node | None]] | None = None):
        self.kind = kind
        self.vars = list(vars or [])
        self._rows = list(rows or [])
        self._stream = stream
        self.boolean = boolean
        self.triples = list(triples or [])

    @property
    def rows(self) -> list[dict[str, Node | None]]:
        if self._stream is not None:
            self._rows.extend(self._stream)
            self._stream = None
        return self._rows

    @rows.setter
    def rows(self, rows: list[dict[str, Node | None]]) -> None:
        self._rows, self._stream = list(rows), None

    def __len__(self) -> int:
        return len(self.triples) if self.kind in ("construct", "describe") else len(self.rows)

    def __iter__(self):
        if self.kind in ("construct", "describe"):
            return iter(self.triples)
        return self._iter_rows()

    def _iter_rows(self):
        i = 0
        while True:
            if i < len(self._rows):
                yield self._rows[i]
                i += 1
                continue
            if self._stream is None:
                return
            row = next(self._stream, None)
            if row is None:
                self._stream = None
                return
            self._rows.append(row)

    def read_once(self) -> Iterator[dict[str, Node | None]]:
        """Every row, those not read yet handed over once and not kept: a writer (or a pipe between processes)
        then holds a batch of a huge answer, not all of it. The result has no rows to give afterwards."""
        kept, self._rows = self._rows, []
        yield from kept
        if self._stream is not None:  # kept until read to its end: `close()` and `paused()` reach it
            yield from self._stream
            self._stream = None

    def batches(self) -> Iterator[list[dict[str, Node | None]]]:
        """The rows (as `read_once`) in batches as they arrive: a stream from a timed child process
        (kg.query.piped) gives its own; any other, the first row alone, then what came within BATCH_WAIT s
        (checked as rows come: a row may wait for the next one while the engine works on a later part)."""
        if hasattr(self._stream, "batches"):
            kept, self._rows = self._rows, []
            if kept:
                yield kept
            yield from self._stream.batches()
            self._stream = None
            return
        batch: list[dict[str, Node | None]] = []
        since = 0.0
        for row in self.read_once():
            batch.append(row)
            if len(batch) >= BATCH_ROWS or time.monotonic() - since >= BATCH_WAIT:
                yield batch
                batch, since = [], time.monotonic()
        if batch:
            yield batch

    def paused(self) -> contextlib.AbstractContextManager:
        """A context in which the time limit of a timed query stops (kg.query.piped): the reader is busy with
        something that is not the query's work, such as waiting for a slow pipe."""
        paused = getattr(self._stream, "paused", None)
        return paused() if paused is not None else contextlib.nullcontext()

    def close(self) -> None:
        """Stop reading: a timed query's child process is stopped, an engine's writer thread too."""
        stream, self._stream = self._stream, None
        if stream is not None and hasattr(stream, "close"):
            stream.close()

    def __bool__(self) -> bool:
        if self.kind == "ask":
            return bool(self.boolean)
        if self.kind in ("construct", "describe"):
            return bool(self.triples)
        return next(iter(self), None) is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryResult):
            return NotImplemented
        return (self.kind, self.vars, self.rows, self.boolean, self.triples) == \
            (other.kind, other.vars, other.rows, other.boolean, other.triples)

    def __repr__(self) -> str:
        return (f"QueryResult(kind={self.kind!r}, vars={self.vars!r}, rows={self.rows!r}, boolean={self.boolean!r}, "
                f"triples={self.triples!r})")

    def __getstate__(self) -> dict[str, Any]:  # a stream cannot cross a process boundary: read it first
        return {"kind": self.kind, "vars": self.vars, "_rows": self.rows, "_stream": None,
                "boolean": self.boolean, "triples": self.triples}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

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
            from ..results import to_rdf

            return f"<pre>{html.escape(to_rdf(self, 'turtle').decode())}</pre>"
        from ..results import display_value

        head = "".join(f"<th>{html.escape(v)}</th>" for v in self.vars)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(display_value(row[v]))}</td>" for v in self.vars)
                       + "</tr>" for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{len(self.rows)} rows</p>"
