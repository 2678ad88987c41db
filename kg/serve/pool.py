"""The worker pool: queries run in worker processes, each with its own store; a query over the time limit is
stopped by killing its worker (a fresh one replaces it), so the other workers keep answering."""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
import time

from ..errors import KgError
from ..query import QUERY_PREFIXES, QueryTimeout
from .dataset import Dataset
from .engine import QueryReply, QueryRequest, execute


def _worker_main(conn, nquads: bytes | None, store_path: str | None,
                 prefixes: dict[str, str]) -> None:  # pragma: no cover - runs in the worker process
    import pyoxigraph as ox

    if store_path:
        store = ox.Store.read_only(store_path)
    else:
        store = ox.Store()
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    conn.send("ready")
    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = execute(store, req, prefixes)
        except Exception as e:  # never let one query take the worker down silently
            reply = QueryReply(500, "text/plain; charset=utf-8", f"query failed: {e}\n".encode())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class Busy(KgError):
    pass


class _Worker:
    def __init__(self, ctx, dataset: Dataset, prefixes: dict[str, str]):
        self.conn, child = ctx.Pipe()
        store_path = str(dataset.store_path) if dataset.store_path else None
        self.process = ctx.Process(target=_worker_main, args=(child, dataset.nquads, store_path, prefixes),
                                   daemon=True,
                                   name="kg-serve-worker")
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.conn.poll(0.1):
            if not self.process.is_alive():
                raise KgError(f"a query worker died while loading the graph (exit code {self.process.exitcode})")
            if time.monotonic() > deadline:
                self.kill()
                raise KgError(f"a query worker did not start within {timeout:g} s")
        try:
            ready = self.conn.recv()
        except (EOFError, OSError):
            ready = None
        if ready != "ready":
            self.kill()
            raise KgError(f"a query worker died while loading the graph (exit code {self.process.exitcode})")

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()


class QueryPool:
    """`size` worker processes, each with its own copy of the store. `run` (thread-safe, blocking) hands a
    query to an idle worker and waits at most `timeout` seconds in all; past that the worker is killed,
    so the query really stops, and a replacement is started in the background."""

    def __init__(self, dataset: Dataset, size: int = 2, timeout: float = 10.0, start_timeout: float = 120.0):
        self.dataset, self.size, self.timeout, self.start_timeout = dataset, size, timeout, start_timeout
        self.prefixes = {**QUERY_PREFIXES, "id": dataset.base}  # predeclared, as in `kg query`
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> QueryPool:
        workers = [self._new_worker() for _ in range(self.size)]
        for w in workers:
            w.wait_ready(self.start_timeout)
            self._idle.put(w)
        return self

    def _new_worker(self) -> _Worker:
        w = _Worker(self._ctx, self.dataset, self.prefixes)
        with self._lock:
            self._all.add(w)
        return w

    def _replace(self, dead: _Worker) -> None:
        dead.kill()
        with self._lock:
            self._all.discard(dead)
        if self._closed:
            return

        def respawn():
            try:
                w = self._new_worker()
                w.wait_ready(self.start_timeout)
            except Exception:  # pragma: no cover - the next replacement tries again
                return
            if self._closed:
                w.kill()
            else:
                self._idle.put(w)

        threading.Thread(target=respawn, daemon=True, name="kg-serve-respawn").start()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all if w.pid)

    def run(self, req: QueryRequest) -> QueryReply:
        deadline = time.monotonic() + self.timeout
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Busy(f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later") \
                from None
        try:
            worker.conn.send(req)
            if worker.conn.poll(max(0.0, deadline - time.monotonic())):
                reply = worker.conn.recv()
                self._idle.put(worker)
                return reply
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            return QueryReply(500, "text/plain; charset=utf-8", b"the query worker died; try again\n")
        self._replace(worker)
        raise QueryTimeout(f"the query ran longer than the server's limit of {self.timeout:g} s and was "
                           f"stopped; add a LIMIT or narrow the patterns (`kg serve --timeout` raises it)")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()
