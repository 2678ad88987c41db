"""Faults `kg doctor` cannot produce for real on a test machine, simulated: a full disk and a read-only file
system around `kg.export.commit_files`, and a stand-in triple store on loopback for `kg push`."""

from __future__ import annotations

import contextlib
import errno
import http.server
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator


class _FailingFile:
    """A file object that writes part of what it is given, then fails like a full disk."""

    def __init__(self, fh, fail: bool):
        self._fh = fh
        self._fail = fail

    def write(self, data) -> int:
        if self._fail:
            self._fh.write(data[: len(data) // 2])
            self._fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
        return False


class _OsProxy:
    """The `os` module as kg.export sees it, with some functions replaced."""

    def __init__(self, **overrides):
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(os, name)


class _TempfileProxy:
    def __init__(self, **overrides):
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(tempfile, name)


@contextlib.contextmanager
def fault(kind: str | None) -> Iterator[None]:
    """Simulate a fault in kg.export for the duration: 'enospc' (the disk fills up while the first file is
    written), 'enospc-late' (… while the third file is written, after two were staged), 'erofs' (read-only
    file system: no temp file can be created)."""
    if kind is None:
        yield
        return
    import kg.export as ex
    import kg.outdir as od

    saved = {"os": ex.os, "tempfile": ex.tempfile}
    if kind in ("enospc", "enospc-late"):
        fail_at = 1 if kind == "enospc" else 3
        opened = [0]

        def fdopen(fd, *args, **kwargs):
            opened[0] += 1
            return _FailingFile(os.fdopen(fd, *args, **kwargs), opened[0] >= fail_at)

        ex.os = od.os = _OsProxy(fdopen=fdopen)
    elif kind == "erofs":
        def mkstemp(*args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), kwargs.get("dir"))

        ex.tempfile = od.tempfile = _TempfileProxy(mkstemp=mkstemp, mkdtemp=mkstemp)
    else:
        raise ValueError(f"unknown fault {kind!r}")
    try:
        yield
    finally:
        ex.os, ex.tempfile = od.os, od.tempfile = saved["os"], saved["tempfile"]


# --------------------------------------------------------------------------------------------------------
# A stand-in triple store for `kg push` (loopback only)


class _StubStore(http.server.BaseHTTPRequestHandler):
    """Answers Graph Store requests by path: /ok (201), /fail (500 with an HTML page), /auth (401 Basic),
    /slow (answers after 3 s), /reset (closes the connection without an answer)."""

    protocol_version = "HTTP/1.1"
    received: list[int] = []

    def log_message(self, *args) -> None:
        pass

    def _body(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)

    def _answer(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/auth":
            self._body()
            return self._answer(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="stub"'})
        if path == "/reset":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if path == "/slow":
            time.sleep(3)
            self._body()
            return self._answer(204)
        if self.command == "HEAD":
            return self._answer(404 if path == "/ok" else 200)
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if path == "/ok":
            type(self).received.append(n)
            return self._answer(201, b"created")
        return self._answer(500, b"<html><head><title>oops</title><script>x()</script></head><body><h1>Store "
                                 b"error</h1><p>disk quota exceeded</p></body></html>",
                            {"Content-Type": "text/html"})

    do_HEAD = do_PUT = do_POST = do_GET = _route


class StubStore:
    """A threaded HTTP server on a free loopback port (stopped by `close`)."""

    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StubStore)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def received() -> list[int]:
        """The sizes of the graphs the store accepted (on /ok), in this process."""
        return _StubStore.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

