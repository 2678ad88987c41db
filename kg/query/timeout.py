"""Timeouts: the work runs in a forked child process that is killed when the time is up, since neither
rdflib nor oxigraph can be interrupted in-thread. A query's rows come back in batches as they are produced
(kg.query.piped); `call_with_timeout` hands back any other function's result whole."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any

from .errors import QueryError, QueryTimeout
from .piped import child_error, error_payload, orphan_guard, timeout_message


def _child(fn: Callable[[], Any], conn, parents_end, parent: int) -> None:
    orphan_guard(parents_end, parent)
    try:
        payload = ("ok", fn())
    except BaseException as e:  # noqa: BLE001 - everything must reach the parent
        payload = ("error", error_payload(e))
    try:
        conn.send(payload)
    finally:
        conn.close()


def call_with_timeout(fn: Callable[[], Any], timeout: float, what: str = "the query") -> Any:
    """Run `fn()` in a forked child process and return its (picklable) result; kill it after `timeout` s."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return fn()
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, send, recv, os.getpid()), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(timeout):
            proc.kill()
            raise QueryTimeout(timeout_message(what, timeout))
        try:
            status, payload = recv.recv()
        except EOFError:
            proc.join()
            raise QueryError(f"{what} failed: the query process died (exit code {proc.exitcode})") from None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
    if status == "error":
        raise child_error(payload, what)
    return payload


def run_with_timeout(fn: Callable[[], Any], timeout: float, what: str = "the query") -> Any:
    """`fn()`, a query returning a QueryResult, in a forked child killed after `timeout` s: a SELECT's rows
    stream back in batches (kg.query.piped), the result returned with the first of them."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return fn()
    from .piped import run_piped

    return run_piped(fn, timeout, what)
