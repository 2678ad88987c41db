"""Reading an oxigraph SELECT: its rows as rdflib terms, streamed in bounded memory.

The first row comes from the solution iterator, the others from oxigraph's TSV writer, read as text
(`from_tsv`): a Python object for each term of each row, and hashing it to find its conversion, cost more than
the engine's own work for a parameterised query (1,329 rows: 17 ms of 75). The writer hands over 8 kB chunks
through a bounded queue, so a huge ad-hoc SELECT (millions of rows) is held a few chunks at a time, never as
one string. pyoxigraph lets only the thread that made a result read it, and its writer calls back into Python,
so the query is evaluated, and its TSV written, in a thread of its own (`_Producer`); the caller's thread
converts the rows. Terms repeat (units, goals, categories): each distinct one is converted once per result.
"""

from __future__ import annotations

import atexit
import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from .errors import QueryError, QuerySyntaxError
from .terms import from_oxigraph, from_tsv

CHUNKS = 64  # 8 kB chunks the writer may run ahead of the reader: about 0.5 MB
_POLL = 0.1  # s between checks of whether the reader has gone
EXIT_WAIT = 5.0  # s the interpreter's exit waits for writers still running (see _stop_at_exit)


class _Cancelled(Exception):
    """The reader stopped reading (the stream was closed or dropped): the writer stops too."""


def select(run_query: Callable[[], Any]) -> tuple[list[str], dict[str, Any] | None, Iterator[dict[str, Any]]]:
    """Evaluate a SELECT (`run_query()` returns pyoxigraph's solutions) up to its first solution, and return
    its variable names, its first row (None when it has none) and an iterator over the rows after the first.
    Errors of the query (syntax, evaluation) are raised here, as if the query were run in this thread."""
    producer = _Producer(run_query)
    producer.start()
    kind, *payload = producer.take()
    if kind == "error":
        producer.join()
        raise _query_error(payload[0])
    names, first = payload
    if first is None:
        producer.join()
        return names, None, iter(())
    return names, dict(zip(names, first)), _Rest(producer, _rest(producer, names))


def _query_error(e: BaseException) -> Exception:
    if isinstance(e, SyntaxError):
        return QuerySyntaxError(f"SPARQL syntax error (oxigraph): {e}")
    if isinstance(e, (OSError, RuntimeError, ValueError)):  # reading the store failed
        return QueryError(f"the query failed in oxigraph: {type(e).__name__}: {e}")
    return e


class _Producer(threading.Thread):
    """Runs the query, then writes its TSV results into a bounded queue: ("head", names, first row converted),
    then ("data", bytes) chunks, then ("end",); or ("error", exception) at any point."""

    def __init__(self, run_query: Callable[[], Any]):
        super().__init__(name="kg-oxigraph-select", daemon=True)
        self.run_query = run_query
        self.queue: queue.Queue = queue.Queue(CHUNKS)
        self.cancelled = threading.Event()
        _running.add(self)

    def run(self) -> None:
        import pyoxigraph as ox

        try:
            solutions = self.run_query()
            names = [v.value for v in solutions.variables]
            first = next(solutions, None)
            convert = memoised(from_oxigraph)
            self._put(("head", names, None if first is None else [convert(t) for t in first]))
            if first is None:
                return
            solutions.serialize(self, format=ox.QueryResultsFormat.TSV)
            self._put(("end",))
        except _Cancelled:
            pass
        except BaseException as e:  # noqa: BLE001 - every error reaches the reader, as if raised there
            if not self.cancelled.is_set():
                self._put(("error", e))

    def write(self, chunk: bytes) -> int:
        """The file-like side of the writer: pyoxigraph writes its TSV here in 8 kB chunks."""
        self._put(("data", bytes(chunk)))
        return len(chunk)

    def flush(self) -> None:
        pass

    def _put(self, item: tuple) -> None:
        while True:
            if self.cancelled.is_set():
                raise _Cancelled
            try:
                self.queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    def take(self) -> tuple:
        return self.queue.get()

    def cancel(self) -> None:
        self.cancelled.set()


def _rest(producer: _Producer, names: list[str]) -> Iterator[dict[str, Any]]:
    """The rows after the first, from the producer's TSV chunks: a header line, then one line per row, each
    ended by "\\n" (terms escape theirs, so a chunk cut after its last "\\n" holds whole rows and whole UTF-8
    characters)."""
    width = len(names)
    header = "\t".join("?" + n for n in names)
    term = _Terms({"": None}).__getitem__  # an empty field: unbound
    carry, seen_header = b"", False
    try:
        while True:
            kind, *payload = producer.take()
            if kind == "error":
                raise _query_error(payload[0])
            if kind == "end":
                break
            data = carry + payload[0]
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if not cut:
                continue
            text = data[:cut].decode()
            lines = text.split("\n")[:-1]
            headed = not seen_header  # the first chunk opens with the header line
            if headed:
                if lines[0] != header:
                    raise QueryError(f"oxigraph wrote unexpected TSV results: {text[:200]!r}")
                lines, seen_header = lines[1:], True
            if text.count("\t") != (width - 1) * (len(lines) + headed) if width else any(lines):
                raise QueryError(f"oxigraph wrote unexpected TSV results: {text[:200]!r}")
            for line in lines:
                yield dict(zip(names, map(term, line.split("\t")))) if width else {}
        if carry or not seen_header:
            raise QueryError(f"oxigraph wrote unexpected TSV results: {carry[:200]!r}")
    finally:
        producer.cancel()  # a reader that stops early (break, close, garbage) stops the writer too


class _Rest:
    """The rows after the first; dropping it unread (a caller that wanted only the first row) stops the writer,
    which a generator that never started could not do (its `finally` is not yet active)."""

    def __init__(self, producer: _Producer, rows: Iterator[dict[str, Any]]):
        self._producer, self._rows = producer, rows

    def __iter__(self) -> _Rest:
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._rows)

    def close(self) -> None:
        self._rows.close()
        self._producer.cancel()

    def __del__(self) -> None:
        self._producer.cancel()


_running: weakref.WeakSet[_Producer] = weakref.WeakSet()


@atexit.register
def _stop_at_exit() -> None:
    """Stop the writers still running when the interpreter exits (`kg query … | head`: the reader went away
    mid-answer). A writer is in oxigraph's Rust code most of the time, and a Rust thread that calls back into
    Python after the interpreter has shut down panics, with a message on stderr: so each is told to stop (it
    does at its next 8 kB chunk) and waited for, a few seconds at most, before the interpreter goes."""
    producers = [p for p in list(_running) if p.is_alive()]
    for producer in producers:
        producer.cancel()
    for producer in producers:
        producer.join(EXIT_WAIT)


class _Terms(dict):
    """TSV token → rdflib term, each converted once (on first lookup)."""

    def __missing__(self, token: str) -> Any:
        term = self[token] = from_tsv(token)
        return term


def memoised(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
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
