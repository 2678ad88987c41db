"""The worker pool: queries run in worker processes, each with its own store; a query over the time limit is
stopped by killing its worker (a fresh one replaces it), so the other workers keep answering."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import threading
import time

from ..errors import KgError
from ..query import QUERY_PREFIXES, QueryTimeout
from .dataset import Dataset
from .engine import QueryReply, QueryRequest, execute


def _limit_memory(extra_mb: int) -> None:  # pragma: no cover - runs in the worker process
    """Cap this process's address space at what it holds now plus `extra_mb`: a query that needs more fails
    (the worker dies or raises MemoryError) instead of taking the machine's memory."""
    import resource

    try:
        with open("/proc/self/statm") as fh:
            now = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    limit = now + extra_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _refused(sparql: str) -> QueryReply | None:  # pragma: no cover - runs in the worker process
    """The read-only check (rdflib's parser: seconds on a big query, so here, under the time limit)."""
    from .. import query as kgquery

    try:
        kgquery.check_read_only(sparql)
    except kgquery.QueryTooBig as e:
        return QueryReply(413, "text/plain; charset=utf-8", str(e).encode())
    except (kgquery.ReadOnlyError, kgquery.QuerySyntaxError) as e:
        return QueryReply(400, "text/plain; charset=utf-8", str(e).encode())
    return None


def _worker_main(conn, nquads: bytes | None, store_path: str | None,
                 prefixes: dict[str, str], max_memory: int) -> None:  # pragma: no cover - in the worker
    import pyoxigraph as ox

    if store_path:
        store = ox.Store.read_only(store_path)
    else:
        store = ox.Store()
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    nquads = None
    _refused("ASK {}")  # rdflib's SPARQL grammar is built on first use (seconds): now, not in a query's time
    _limit_memory(max_memory)
    conn.send("ready")
    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = _refused(req.query) or execute(store, req, prefixes)
        except MemoryError:
            reply = QueryReply(503, "text/plain; charset=utf-8", MEMORY_MESSAGE.format(max_memory).encode())
        except Exception as e:  # never let one query take the worker down silently
            reply = QueryReply(500, "text/plain; charset=utf-8", f"query failed: {e}\n".encode())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


MEMORY_MESSAGE = ("the query needed more than the server's {} MB per query and was stopped; add a LIMIT or "
                  "narrow the patterns (`kg serve --max-memory` raises it)")
#: Seconds a request waits for a free worker before it is answered 503 (with Retry-After): under saturation
#: cheap requests fail fast instead of queueing behind expensive ones.
QUEUE_WAIT = 2.0


class Busy(KgError):
    pass


class _Worker:
    def __init__(self, ctx, dataset: Dataset, prefixes: dict[str, str], max_memory: int):
        self.conn, child = ctx.Pipe()
        store_path = str(dataset.store_path) if dataset.store_path else None
        self.process = ctx.Process(target=_worker_main,
                                   args=(child, dataset.nquads, store_path, prefixes, max_memory),
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

    def __init__(self, dataset: Dataset, size: int = 2, timeout: float = 10.0, start_timeout: float = 120.0,
                 max_memory: int = 2048):
        self.dataset, self.size, self.timeout, self.start_timeout = dataset, size, timeout, start_timeout
        self.max_memory = max_memory
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
        w = _Worker(self._ctx, self.dataset, self.prefixes, self.max_memory)
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
                if self._closed:
                    w.kill()
                else:
                    self._idle.put(w)
            except Exception:  # pragma: no cover - the next replacement tries again
                return

        threading.Thread(target=respawn, daemon=True, name="kg-serve-respawn").start()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all if w.pid)

    def run(self, req: QueryRequest) -> QueryReply:
        try:  # saturated (every worker busy or starting): say so at once, never queue behind slow queries
            worker = self._idle.get(timeout=min(QUEUE_WAIT, self.timeout))
        except queue.Empty:
            raise Busy(f"all {self.size} query workers are busy; try again in a moment") from None
        deadline = time.monotonic() + self.timeout
        try:
            worker.conn.send(req)
            if worker.conn.poll(max(0.0, deadline - time.monotonic())):
                reply = worker.conn.recv()
                self._idle.put(worker)
                return reply
        except (EOFError, OSError, BrokenPipeError):  # the worker died: out of memory (Rust aborts) or a crash
            self._replace(worker)
            return QueryReply(503, "text/plain; charset=utf-8", MEMORY_MESSAGE.format(self.max_memory).encode())
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
