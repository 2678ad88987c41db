"""The HTTP/1.1 connection handling uvicorn's h11 protocol leaves open, closed:

* a request with both Content-Length and Transfer-Encoding is answered 400 and the connection closed
  (RFC 9112 §6.3: its body cannot be framed safely, so whatever follows, a smuggled request, is never read);
* a connection that does not finish sending a request's headers within `HEADER_TIMEOUT` seconds (at the
  start or between keep-alive requests) is closed, so slow-header clients cannot hold connections forever.
"""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0


class _StrictConnection(h11.Connection):
    def next_event(self):
        event = super().next_event()
        if isinstance(event, h11.Request):
            names = {name.lower() for name, _ in event.headers}
            if b"content-length" in names and b"transfer-encoding" in names:
                raise h11.RemoteProtocolError("both Content-Length and Transfer-Encoding (RFC 9112 6.3)")
            protocol = getattr(self, "protocol", None)
            if protocol is not None:
                protocol.headers_complete()
        return event


class KgH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the two rules above (pass as `uvicorn.run(..., http=KgH11Protocol)`)."""

    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conn.__class__ = _StrictConnection
        self.conn.protocol = self  # type: ignore[attr-defined]
        self._header_timer = None

    def _arm(self) -> None:
        self.headers_complete()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def headers_complete(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        self._arm()  # before: a pipelined request the call below reads disarms it again
        super().on_response_complete()

    def connection_lost(self, exc) -> None:
        self.headers_complete()
        super().connection_lost(exc)
