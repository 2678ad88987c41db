"""Upload the graph to a triple store with the SPARQL 1.1 Graph Store HTTP Protocol.

`push` parses the graph file (so nothing unparsable leaves this machine), serialises it as N-Triples or
Turtle and sends ONE request to the store's Graph Store endpoint with the target named graph in the
`graph=` parameter (indirect graph identification): PUT replaces the named graph, POST (`append=True`)
merges into it. HTTP Basic and Digest authentication are answered from the server's challenge (stdlib
urllib; no extra dependency). Errors name the endpoint and quote the store's own message.

The stores' Graph Store endpoints (the URL to pass as `endpoint`):
  Virtuoso  http://HOST:8890/sparql-graph-crud-auth   (Digest; a user with the SPARQL_UPDATE role)
  Fuseki    http://HOST:3030/DATASET/data             (Basic, when the server is run with auth)
  GraphDB   http://HOST:7200/repositories/REPO/rdf-graphs/service   (Basic, when security is on)
"""

from __future__ import annotations

import http.client
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from . import paths
from .errors import InputError, KgError
from .namespaces import DEFAULT_BASE, ONTOLOGY_IRI

#: body format name → (Content-Type sent, pyoxigraph format attribute)
BODY_FORMATS = {
    "nt": ("application/n-triples; charset=utf-8", "N_TRIPLES"),
    "turtle": ("text/turtle; charset=utf-8", "TURTLE"),
}


class PushError(KgError):
    """The store could not be reached or refused the upload."""


@dataclass(frozen=True)
class PushResult:
    endpoint: str
    graph: str
    method: str
    triples: int
    bytes: int
    status: int
    reason: str

    def summary(self) -> str:
        verb = "appended to" if self.method == "POST" else "replaced"
        return (f"{verb} graph <{self.graph}> with {self.triples} triples ({self.bytes} bytes) at "
                f"{self.endpoint}: HTTP {self.status} {self.reason}")


def dataset_iri(triples) -> str:
    """The dataset IRI of a kg graph (the node that owl:imports the ontology); DEFAULT_BASE + 'dataset'
    when the graph has none."""
    imports = "http://www.w3.org/2002/07/owl#imports"
    for t in triples:
        if t.predicate.value == imports and t.object.value == str(ONTOLOGY_IRI):
            return t.subject.value
    return DEFAULT_BASE + "dataset"


def read_graph(path: Path) -> list:
    """Every triple of an RDF file (format from its extension) as pyoxigraph Triples, or InputError."""
    import pyoxigraph as ox

    if not path.is_file():
        raise InputError(f"{path}: no such graph file; run `kg build` first or pass the file to push")
    try:
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
    except ValueError:
        fmt = ox.RdfFormat.TURTLE
    try:
        quads = list(ox.parse(path=str(path), format=fmt))
    except (SyntaxError, ValueError, OSError) as e:
        raise InputError(f"{path}: cannot parse as {fmt.name}: {str(e).strip()[:300]}") from None
    return [q.triple for q in quads]


def graph_store_url(endpoint: str, graph: str) -> str:
    """The endpoint URL with `graph=<IRI>` added (kept as is when the URL already names a graph)."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--endpoint {endpoint!r}: not an http(s) URL of a Graph Store endpoint, e.g. "
                         f"http://127.0.0.1:8890/sparql-graph-crud-auth")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if not any(k in ("graph", "graph-uri", "default") for k, _ in query):
        query.append(("graph", graph))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    handlers: list = []
    if user is not None:
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, user, password or "")
        # Each answers only its own scheme in the server's WWW-Authenticate challenge.
        handlers += [urllib.request.HTTPDigestAuthHandler(mgr), urllib.request.HTTPBasicAuthHandler(mgr)]
    return urllib.request.build_opener(*handlers)


def _check_credentials(opener: urllib.request.OpenerDirector, url: str, timeout: float) -> None:
    """HEAD the graph first (GSP defines HEAD) so wrong credentials fail before the body is sent: stores
    that reject them close the connection mid-upload. 404 (no such graph yet) and 405/501 (no HEAD) pass."""
    try:
        with opener.open(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            pass
    except urllib.error.HTTPError as e:
        if e.code in (401, 403):
            raise
    except urllib.error.URLError:
        raise
    except (ConnectionError, http.client.HTTPException):
        pass  # a store that mishandles HEAD: let the upload itself report


def server_message(body: bytes, content_type: str | None) -> str:
    """The store's error message in one line: the text of an HTML error page, or the plain body."""
    text = body.decode("utf-8", "replace")
    if "html" in (content_type or "") or text.lstrip().startswith("<"):
        text = re.sub(r"(?is)<(script|style|title)\b.*?</\1>", " ", text)
        text = unescape(re.sub(r"(?s)<[^>]+>", " ", text))
    text = " ".join(text.split())
    return text[:500] + ("…" if len(text) > 500 else "") if text else "(no message)"


def push(graph_file: Path | None = None, endpoint: str = "", *, graph: str | None = None,
         user: str | None = None, password: str | None = None, append: bool = False,
         body_format: str = "nt", timeout: float = 300.0) -> PushResult:
    """Upload a graph file (exports/shenyang.ttl by default) to a Graph Store endpoint in one request.

    PUT (default) replaces the named graph `graph` (default: the dataset IRI); POST with append=True adds to
    it. Raises PushError on a connection problem or any non-2xx answer, quoting the store's message.
    """
    import pyoxigraph as ox

    if body_format not in BODY_FORMATS:
        raise InputError(f"unknown body format {body_format!r}; use one of {', '.join(BODY_FORMATS)}")
    graph_file = Path(graph_file) if graph_file else paths.EXPORTS / "shenyang.ttl"
    triples = read_graph(graph_file)
    target = graph or dataset_iri(triples)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", target):
        raise InputError(f"--graph {target!r}: not an absolute IRI")
    content_type, fmt = BODY_FORMATS[body_format]
    data = ox.serialize(triples, format=getattr(ox.RdfFormat, fmt))
    url = graph_store_url(endpoint, target)
    method = "POST" if append else "PUT"
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": "*/*"})
    where = f"{method} {endpoint} (graph <{target}>)"
    unknown = ("the store may or may not have applied part of it" if append else
               "a store that implements PUT atomically left the graph as it was") + \
        "; fix the problem and push again"
    opener = _opener(url, user, password)
    try:
        if user is not None:
            _check_credentials(opener, url, timeout)
        with opener.open(request, timeout=timeout) as response:
            response.read()
            return PushResult(endpoint, target, method, len(triples), len(data), response.status,
                              response.reason or "")
    except urllib.error.HTTPError as e:
        message = server_message(e.read() or b"", e.headers.get("Content-Type") if e.headers else None)
        if e.code == 401:
            hint = ("pass --user and --password" if user is None else
                    "check --user/--password; the user needs write rights on the store")
            raise PushError(f"{where}: HTTP 401 Unauthorized: {hint}. Nothing was written.") from None
        if e.code == 403:
            raise PushError(f"{where}: HTTP 403 Forbidden: the user may not write this graph: {message}; "
                            f"{unknown}.") from None
        raise PushError(f"{where}: HTTP {e.code} {e.reason}: {message}; {unknown}.") from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, ConnectionRefusedError):
            raise PushError(f"{where}: connection refused: is the store running and listening there? "
                            f"Nothing was sent.") from None
        if isinstance(reason, socket.gaierror):
            raise PushError(f"{where}: unknown host: {reason}. Nothing was sent.") from None
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise PushError(f"{where}: no answer within {timeout:g} s; {unknown}.") from None
        raise PushError(f"{where}: {reason}; {unknown}.") from None
    except (TimeoutError, socket.timeout):
        raise PushError(f"{where}: no answer within {timeout:g} s; {unknown}.") from None
    except (BrokenPipeError, ConnectionResetError):
        raise PushError(f"{where}: the store closed the connection while the graph was being sent (stores do "
                        f"so when they refuse the credentials or the size); {unknown}.") from None
    except (ConnectionError, http.client.HTTPException) as e:
        raise PushError(f"{where}: the connection broke ({e.__class__.__name__}: {e}); {unknown}.") from None
