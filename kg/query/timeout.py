"""Timeouts: the query runs in a forked child process that is killed when the time is up, since neither
rdflib nor oxigraph can be interrupted in-thread."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from ..errors import KgError
from .errors import ParamError, QueryError, QuerySyntaxError, QueryTimeout, QueryTooBig, ReadOnlyError


def _child(fn: Callable[[], Any], conn) -> None:
    try:
        payload = ("ok", fn())
    except KgError as e:
        payload = ("error", (type(e).__name__, e.exit_code, str(e)))
    except BaseException as e:  # noqa: BLE001 - everything must reach the parent
        payload = ("error", (type(e).__name__, 1, f"{type(e).__name__}: {e}"))
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
    proc = ctx.Process(target=_child, args=(fn, send), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(timeout):
            proc.kill()
            raise QueryTimeout(f"{what} was stopped after {timeout:g} s (timeout); simplify it, add LIMIT, "
                               "or allow more time with --timeout SECONDS (0 = no limit)")
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
        name, code, message = payload
        cls = {"QuerySyntaxError": QuerySyntaxError, "ReadOnlyError": ReadOnlyError,
               "ParamError": ParamError, "QueryTooBig": QueryTooBig}.get(name)
        if cls is not None:
            raise cls(message)
        err = QueryError(message if code != 1 or name == "QueryError" else f"{what} failed: {message}")
        err.exit_code = code
        raise err
    return payload
