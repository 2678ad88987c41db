"""Timeouts: the work runs in a forked child process that is killed when the time is up, since neither
rdflib nor oxigraph can be interrupted in-thread (kg.query.piped, for both: one child, one deadline, the same
errors). A query's rows come back in batches as they are produced; `call_with_timeout` hands back any other
function's result whole."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


def call_with_timeout(fn: Callable[[], Any], timeout: float, what: str = "the query") -> Any:
    """Run `fn()` in a forked child process and return its (picklable) result; kill it after `timeout` s."""
    return _run(fn, timeout, what, rows=False)


def run_with_timeout(fn: Callable[[], Any], timeout: float, what: str = "the query") -> Any:
    """`fn()`, a query returning a QueryResult, in a forked child killed after `timeout` s: a SELECT's rows
    stream back in batches (kg.query.piped), the result returned with the first of them."""
    return _run(fn, timeout, what, rows=True)


def _run(fn: Callable[[], Any], timeout: float, what: str, rows: bool) -> Any:
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return fn()
    from .piped import run_piped

    return run_piped(fn, timeout, what, rows=rows)
