"""`kg serve`: a read-only SPARQL 1.1 endpoint, dereferenceable IRIs and an HTML query page.

An ASGI app (Starlette, run by uvicorn). Queries run in a small pool of worker processes, each holding the
graph in an in-memory pyoxigraph store; a query that passes the time limit is stopped by killing its worker
(a fresh one replaces it), so a runaway query never keeps a CPU busy and the other workers keep answering.

Routes
  GET /                 HTML query page; `?q=NAME` loads the canned query queries/NAME.rq
  GET|POST /sparql      SPARQL 1.1 Protocol: `query=` (GET or form POST) or an application/sparql-query body;
                        results as JSON, XML, CSV, TSV (SELECT/ASK) or Turtle, JSON-LD, N-Triples, RDF/XML
                        (CONSTRUCT/DESCRIBE) by Accept (or `format=`), HTML for browsers; 406 otherwise.
                        UPDATE (`update=` or application/sparql-update) → 403, SERVICE → 400, over the
                        time limit → 503, more than --max-rows rows → cut, with `X-KG-Truncated: true`.
  GET /id/PATH          the resource BASE/PATH: every triple with it (or a BASE/PATH#hash node of the same
                        document) as subject, plus the labels of the IRIs it points to. 200 with content
                        negotiation (HTML, Turtle, JSON-LD, N-Triples; `Vary: Accept`; `?format=` overrides),
                        404 when the graph says nothing about it, 400 for dot segments (path traversal);
                        plus the links into it, grouped by property, counted, `?page=N` (100 per property).
  GET|HEAD /exports/NAME  a file the catalog lists (dcat:downloadURL), with its media type; 404 otherwise.
  GET /ontology         the ontology (ontology.html for browsers, RDF by Accept); /ontology/VERSION too.

Modules (datasette-style: wiring, then one module per concern)
  app          routes, middleware, the pool's lifespan; `serve` runs the app with uvicorn
  http         what every view shares: refusals, responses with security headers, bounded bodies
  negotiate    formats and content negotiation
  context      Settings and the per-app Server (dataset, HTML renderer, pool)
  dataset      the served graph, loaded once; labels
  engine       one query on a store, serialised (runs in the workers)
  pool         the worker processes and their time limit
  describe     what the graph says about one IRI
  html         page frame and term rendering
  views/       query (/ and /sparql), entity (/id/), files (/exports/, /ontology)
"""

from .app import create_app, serve
from .context import Settings, canned_queries, with_defaults
from .dataset import Dataset
from .describe import describe
from .engine import QueryReply, QueryRequest
from .http import MAX_BODY_BYTES, RequestRefused
from .pool import Busy, QueryPool, QueryTimeout

__all__ = ["MAX_BODY_BYTES", "Busy", "Dataset", "QueryPool", "QueryReply", "QueryRequest", "QueryTimeout",
           "RequestRefused", "Settings", "canned_queries", "create_app", "describe", "serve", "with_defaults"]
