"""The HTTP layer every view shares: refusals, responses with the security headers, bounded request bodies,
and the check that the address can be listened on."""

from __future__ import annotations

from ..errors import InputError, KgError

MAX_BODY_BYTES = 1_000_000  # a POSTed query (or form) larger than this is refused with 413

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
}


class RequestRefused(KgError):
    """A request the endpoint will not run: `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def respond(body: bytes, status: int = 200, content_type: str = "text/plain; charset=utf-8",
            headers: dict | None = None):
    """A response with exactly this Content-Type and the security headers."""
    from starlette.responses import Response

    h = {**SECURITY_HEADERS, **(headers or {})}
    return Response(body, status_code=status, media_type=None, headers={**h, "Content-Type": content_type})


async def read_body(request) -> bytes:
    """The request body, refusing (413) more than MAX_BODY_BYTES before reading it all."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestRefused(f"the request body is over {MAX_BODY_BYTES} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def check_listen(host: str, port: int) -> None:
    """InputError unless (host, port) can be listened on, so a busy port is one clear line, not a log."""
    import socket

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
    except socket.gaierror as e:
        raise InputError(f"--host {host}: {e.strerror or e}") from None
    except OSError as e:
        raise InputError(f"cannot listen on {host}:{port}: {e.strerror or e}; choose another --port or stop "
                         f"the server using it") from None
