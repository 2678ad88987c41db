"""A SELECT under a time limit, its rows handed over in batches as the child process produces them.

Neither rdflib nor oxigraph can be interrupted in-thread, so a query with a timeout runs in a forked child that
is killed when time is up (kg.query.timeout). Sending its answer back whole made `kg query` wait for the last
row before writing the first, and made partitioned queries (kg.query.partition) pointless under a timeout. Here
the child sends `("head", vars)`, then `("rows", [row, …])` batches, then `("end",)` or `("error", …)`, over
the same pipe:

- the first batch leaves as soon as the first row is known; later ones gather rows for a little longer (1, 2,
  4 … up to 50 ms), so a large answer goes in a few hundred pickles, not one per row, and no row waits in the
  child for more than about 50 ms plus a send. The child's main thread reads the rows (the engine's own
  stream); a sender thread pickles and sends whatever has gathered, so rows of a batch the engine finished do
  not wait for the next batch to start.
- at most PENDING rows wait unsent: a reader that stops reading (a pager, a full disk) fills the pipe, the
  sender blocks, and then the query does, instead of the child holding the whole answer.

The parent (`PipedRows`) enforces the time limit across batches: one deadline for the whole query, paused
while the reader holds the parent up (`paused()`: writing to a pager that waits for a key press is not the
query's time). When the deadline passes it kills the child and raises QueryTimeout; when the reader stops early
(`close()`, or the rows dropped unread) it kills the child too.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import KgError
from .errors import QueryError, QueryTimeout
from .result import QueryResult

PENDING = 8192  # rows the child may hold unsent before the query waits for its reader
LINGER = 0.05  # s: the longest a batch gathers rows after the first batch (1, 2, 4 … ms up to this)
_POLL = 0.005  # s between checks of a full pending queue


def timeout_message(what: str, timeout: float) -> str:
    return (f"{what} was stopped after {timeout:g} s (timeout); simplify it, add LIMIT, "
            "or allow more time with --timeout SECONDS (0 = no limit)")


def error_payload(e: BaseException) -> tuple[str, int, str]:
    """What of an exception crosses the pipe: its class name, exit code and message (exceptions of the
    engines need not pickle)."""
    if isinstance(e, KgError):
        return type(e).__name__, e.exit_code, str(e)
    return type(e).__name__, 1, f"{type(e).__name__}: {e}"


def child_error(payload: tuple[str, int, str], what: str) -> KgError:
    """The exception a child reported, as the parent raises it (the same class for the errors of the query's
    text, so their exit codes and messages are those of an in-process run)."""
    from .errors import ParamError, QuerySyntaxError, QueryTooBig, ReadOnlyError

    name, code, message = payload
    cls = {"QuerySyntaxError": QuerySyntaxError, "ReadOnlyError": ReadOnlyError,
           "ParamError": ParamError, "QueryTooBig": QueryTooBig, "QueryTimeout": QueryTimeout}.get(name)
    if cls is not None:
        return cls(message)
    err = QueryError(message if code != 1 or name == "QueryError" else f"{what} failed: {message}")
    err.exit_code = code
    return err


def run_piped(fn: Callable[[], Any], timeout: float, what: str = "the query", rows: bool = True) -> Any:
    """`fn()` (a query returning a QueryResult) run in a forked child killed after `timeout` s; returns with
    the first batch of a SELECT's rows, the rest read as they come (iterating the result may then raise
    QueryTimeout or QueryError). Other kinds of result, and any result with `rows=False` (then `fn` may return
    anything picklable), come back whole. On Linux the child dies with the thread that called this
    (PR_SET_PDEATHSIG): read the rows before that thread ends."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, send, recv, os.getpid(), rows), daemon=True)
    proc.start()
    send.close()
    piped = PipedRows(proc, recv, timeout, what)
    try:
        head = piped.receive()
        if head[0] == "whole":
            piped.close()
            return head[1]
        first = piped.next_batch()
    except BaseException:
        piped.close()
        raise
    if first is None:
        return QueryResult("select", vars=head[1])
    return QueryResult("select", vars=head[1], rows=first, stream=piped)


class PipedRows:
    """The parent's end: the child's batches under one deadline (paused while the reader holds us up).
    Iterates rows; `batches()` gives them as they came."""

    def __init__(self, proc: Any, conn: Any, timeout: float, what: str):
        self._proc, self._conn, self._timeout, self._what = proc, conn, timeout, what
        self._owner = os.getpid()  # a copy of this object in another forked child must not stop our child
        self._deadline = time.monotonic() + timeout
        self._batch: Iterator[dict] = iter(())
        self._ended = False

    def receive(self) -> tuple:
        """The child's next message, within the deadline."""
        if not self._conn.poll(max(0.0, self._deadline - time.monotonic())):
            self.close()
            raise QueryTimeout(timeout_message(self._what, self._timeout))
        try:
            message = self._conn.recv()
        except EOFError:
            proc = self._proc
            self.close()
            raise QueryError(f"{self._what} failed: the query process died "
                             f"(exit code {proc.exitcode})") from None
        if message[0] == "error":
            self.close()
            raise child_error(message[1], self._what)
        return message

    def next_batch(self) -> list[dict] | None:
        """The next batch of rows, None after the last."""
        if self._ended:
            return None
        message = self.receive()
        if message[0] == "end":
            self._ended = True
            self.close()
            return None
        return message[1]

    def batches(self) -> Iterator[list[dict]]:
        """The rows not yet read, batch by batch as they arrive (the current batch's rest first)."""
        rest = list(self._batch)
        if rest:
            yield rest
        while (batch := self.next_batch()) is not None:
            yield batch

    def __iter__(self) -> PipedRows:
        return self

    def __next__(self) -> dict:
        while True:
            row = next(self._batch, None)
            if row is not None:
                return row
            batch = self.next_batch()
            if batch is None:
                raise StopIteration
            self._batch = iter(batch)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The deadline stops while the reader does something that is not the query's (writing to a pipe
        whose reader is slow)."""
        start = time.monotonic()
        try:
            yield
        finally:
            self._deadline += time.monotonic() - start

    def close(self) -> None:
        """Stop the child (if still running) and release the pipe; rows not read are dropped."""
        proc, self._proc = getattr(self, "_proc", None), None
        if proc is None or self._owner != os.getpid():
            return
        self._ended = True
        if proc.is_alive():
            proc.kill()
        proc.join()
        self._conn.close()

    def __del__(self) -> None:
        self.close()


def orphan_guard(parents_end: Any, parent: int) -> None:
    """First thing in a forked query process: close its copy of the parent's end of the pipe (else a parent
    that is gone leaves the pipe a reader, and a send into a full pipe waits forever instead of failing), and
    on Linux be killed with the parent (a parent killed by SIGKILL cannot stop its child itself)."""
    parents_end.close()
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):  # pragma: no cover - not Linux: the closed pipe still ends us
        pass
    if os.getppid() != parent:  # the parent went before the line above took effect
        os._exit(1)


def _child(fn: Callable[[], Any], conn: Any, parents_end: Any, parent: int, rows: bool) -> None:
    """In the child: run the query, send its rows in batches (or a result that is not a SELECT whole)."""
    orphan_guard(parents_end, parent)
    try:
        result = fn()
        if not rows or result.kind != "select":
            conn.send(("whole", result))
            return
        conn.send(("head", result.vars))
    except BaseException as e:  # noqa: BLE001 - everything must reach the parent
        conn.send(("error", error_payload(e)))
        conn.close()
        return
    sender = _Sender(conn)
    sender.start()
    pending = sender.pending
    try:
        for row in result.read_once():
            if sender.failed or len(pending) >= PENDING and not sender.wait_for_room():
                return  # the parent has gone
            if not pending:
                pending.append(row)
                sender.wake.set()  # a first row (of the answer or after a pause) leaves at once
            else:
                pending.append(row)
    except BaseException as e:  # noqa: BLE001
        sender.finish(("error", error_payload(e)))
    else:
        sender.finish(("end",))
    sender.join()
    conn.close()


class _Sender(threading.Thread):
    """Sends the rows the child's main thread appends to `pending`, in batches that grow while rows keep
    coming (each send's linger doubles, 1 ms up to LINGER)."""

    def __init__(self, conn: Any):
        super().__init__(name="kg-query-sender", daemon=True)
        self.conn = conn
        self.pending: collections.deque = collections.deque()
        self.wake = threading.Event()
        self.last: tuple | None = None  # the closing message, once the rows are all appended
        self.failed = False

    def run(self) -> None:
        linger = 0.0
        try:
            while True:
                self.wake.wait(LINGER)  # woken by a first row or the end; else look again after LINGER
                if linger and self.last is None:
                    time.sleep(linger)
                self.wake.clear()
                last = self.last  # read before draining: the rows appended before it are all pending
                batch = [self.pending.popleft() for _ in range(len(self.pending))]
                if batch:
                    self.conn.send(("rows", batch))
                    linger = min(LINGER, linger * 2 or 0.001)
                if last is not None and not self.pending:
                    self.conn.send(last)
                    return
        except OSError:  # the parent has gone (it kills us anyway)
            self.failed = True

    def wait_for_room(self) -> bool:
        """Wait until fewer than PENDING rows are pending; False when the parent has gone."""
        while len(self.pending) >= PENDING and not self.failed:
            self.wake.set()
            time.sleep(_POLL)
        return not self.failed

    def finish(self, last: tuple) -> None:
        self.last = last
        self.wake.set()
