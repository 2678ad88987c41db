"""The app's wiring: routes, middleware and the worker pool's lifespan; and `serve`, which runs it."""

from __future__ import annotations

import contextlib

from .context import Server, Settings
from .dataset import Dataset
from .http import check_listen
from .pool import QueryPool


def create_app(settings: Settings, dataset: Dataset | None = None, pool: QueryPool | None = None):
    """The ASGI app. The dataset is loaded now (errors surface before the server starts); the worker pool
    starts with the app's lifespan and stops with it (unless one is given)."""
    import anyio
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Route

    from .views.entity import resource
    from .views.files import exported_file, ontology
    from .views.query import home, sparql

    dataset = dataset or Dataset.load(settings.graph_file, settings.ontology, settings.catalog_file())
    server = Server(settings, dataset, pool)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        own = server.pool is None
        if own:
            server.pool = await anyio.to_thread.run_sync(
                lambda: QueryPool(server.dataset, settings.workers, settings.timeout,
                                  max_memory=settings.max_memory).start())
        try:
            yield
        finally:
            if own:
                server.pool.close()
                server.pool = None

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/sparql", sparql, methods=["GET", "POST"], name="sparql"),
        Route("/id/{rest:path}", resource, methods=["GET"]),
        Route("/exports/{name}", exported_file, methods=["GET", "HEAD"]),
        Route("/ontology", ontology, methods=["GET"]),
        Route("/ontology/{version}", ontology, methods=["GET"]),
    ]
    # Anyone may query from a web page (YASGUI & co.): read-only, no cookies, so CORS is open.
    middleware = [Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"],
                             allow_headers=["Accept", "Content-Type"],
                             expose_headers=["X-KG-Truncated", "X-KG-Max-Rows"])]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.kg = server
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, echo=print) -> None:
    """Load the graph, then run the app with uvicorn until interrupted."""
    import uvicorn

    check_listen(host, port)
    app = create_app(settings)
    server = app.state.kg
    ds = server.dataset
    echo(f"kg serve: {ds.triples} triples from {ds.source}; instances under {ds.base}")
    echo(f"  http://{host}:{port}/        query page ({len(server.canned())} canned queries)")
    echo(f"  http://{host}:{port}/sparql  SPARQL 1.1 endpoint (read-only, {settings.timeout:g} s limit, "
         f"{settings.max_rows} rows max, {settings.workers} workers)")
    echo(f"  http://{host}:{port}/id/…    dereferenceable IRIs ({ds.base}…) in graph <{ds.graph_iri}>")
    echo(f"  http://{host}:{port}/exports/ {len(server.files)} published files from {settings.exports()}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        echo(f"  note: listening on {host}, not loopback; put it behind a reverse proxy for public use")
    from .protocol import KgH11Protocol

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, http=KgH11Protocol)
