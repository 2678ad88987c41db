"""`kg review`'s web server: one page, its two static files and a small JSON API (Starlette, run by uvicorn).

Routes
  GET  /                 the page (its token in a <meta>; no inline script, a strict Content-Security-Policy)
  GET  /static/NAME      review.js, review.css
  GET  /api/state        the text, the items, vocabularies, counts and problems (kg.review.session.Review.view)
  POST /api/action       {op, item, version, …} → the new state; 409 when the file changed on disk or the
                         page is behind, 422 with the problems when `kg build` would refuse the result
  POST /api/reload       read the file again (after a conflict)

The server edits a file on this machine, so it guards against other web pages: every /api request needs the
page's random token in an `X-KG-Token` header (a cross-site page can neither read the token nor send the header
without a CORS preflight, which is never granted), and the Host header must be the address the server listens
on (DNS rebinding). It listens on loopback unless told otherwise (`--host` with `--allow-remote`).
"""

from __future__ import annotations

import json
import secrets
from html import escape
from importlib import resources

from ..errors import InputError
from .session import Conflict, Refused, Review

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STATIC = {"review.js": "text/javascript; charset=utf-8", "review.css": "text/css; charset=utf-8"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
MAX_BODY = 1_000_000


def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


def create_app(review: Review, *, token: str | None = None, hosts: tuple[str, ...] = ()):
    """The ASGI app for one review. `hosts`: the Host header values accepted (empty: any)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    token = token or secrets.token_urlsafe(24)
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
               "Cache-Control": "no-store", "X-Frame-Options": "DENY"}

    def respond(body: bytes, status: int = 200, ctype: str = "application/json") -> Response:
        return Response(body, status_code=status, media_type=ctype, headers=headers)

    def as_json(data, status: int = 200) -> Response:
        return respond(json.dumps(data, ensure_ascii=False).encode("utf-8"), status)

    def refused(request: Request) -> Response | None:
        if hosts and request.headers.get("host", "") not in hosts:
            return as_json({"error": "unexpected Host header"}, 403)
        if request.url.path.startswith("/api/") and not secrets.compare_digest(
                request.headers.get("x-kg-token", ""), token):
            return as_json({"error": "missing or wrong X-KG-Token"}, 403)
        return None

    async def page(request: Request) -> Response:
        bad = refused(request)
        if bad:
            return bad
        html = _asset("review.html").decode("utf-8").replace("{{token}}", escape(token, quote=True))
        html = html.replace("{{file}}", escape(review.path.name))
        return respond(html.encode("utf-8"), ctype="text/html; charset=utf-8")

    async def static(request: Request) -> Response:
        bad = refused(request)
        if bad:
            return bad
        name = request.path_params["name"]
        if name not in STATIC:
            return respond(b"not found", 404, "text/plain; charset=utf-8")
        return respond(_asset(name), ctype=STATIC[name])

    async def state(request: Request) -> Response:
        return refused(request) or as_json(review.view())

    def run_action(body: bytes) -> Response:
        try:
            action = json.loads(body)
            if not isinstance(action, dict):
                raise ValueError
        except ValueError:
            return as_json({"error": "expected a JSON object"}, 400)
        try:
            return as_json(review.act(action))
        except Conflict as e:
            return as_json({"error": str(e), "conflict": True}, 409)
        except Refused as e:
            return as_json({"error": str(e), "problems": e.problems, "item": action.get("item")}, 422)

    async def action(request: Request) -> Response:
        bad = refused(request)
        if bad:
            return bad
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return as_json({"error": "send application/json"}, 415)
        body = await request.body()
        if len(body) > MAX_BODY:
            return as_json({"error": "request too large"}, 413)
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(run_action, body)

    async def reload(request: Request) -> Response:
        bad = refused(request)
        if bad:
            return bad
        from starlette.concurrency import run_in_threadpool

        return as_json(await run_in_threadpool(review.reload))

    app = Starlette(routes=[
        Route("/", page), Route("/static/{name}", static), Route("/api/state", state),
        Route("/favicon.ico", lambda request: Response(b"", status_code=204)),
        Route("/api/action", action, methods=["POST"]), Route("/api/reload", reload, methods=["POST"]),
    ])
    app.state.token = token
    return app


def check_host(host: str, allow_remote: bool) -> None:
    if host not in LOOPBACK and not allow_remote:
        raise InputError(f"--host {host}: kg review edits files on this machine and listens on loopback only; "
                         "add --allow-remote to listen on another address")


def run(review: Review, host: str = "127.0.0.1", port: int = 8765, *, allow_remote: bool = False,
        open_browser: bool = True, echo=print) -> None:
    """Serve the review until interrupted (Ctrl-C); open the page in the browser."""
    import threading
    import webbrowser

    import uvicorn

    from ..serve.http import check_listen

    check_host(host, allow_remote)
    check_listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    hosts = () if allow_remote else tuple(f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]"))
    app = create_app(review, hosts=hosts)
    url = f"http://{shown}:{port}/"
    counts = review.view()["counts"]
    left = sum(c["left"] for c in counts.values())
    echo(f"kg review: {review.path} against {review.source.path}: {left} item(s) left to review")
    echo(f"  {url}   (Ctrl-C to stop; every change is saved to the file as you make it)")
    if open_browser:
        threading.Timer(0.5, lambda: webbrowser.open(url)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
