"""Upload the graph to a triple store with the SPARQL 1.1 Graph Store HTTP Protocol.

`push` parses the graph file (so nothing unparsable leaves this machine), serialises it as N-Triples or
Turtle and sends ONE request to the store's Graph Store endpoint with the target named graph in the
`graph=` parameter (indirect graph identification): PUT replaces the named graph, POST (`append=True`)
merges into it. A HEAD request first learns whether the store wants credentials and which scheme (HTTP
Basic or Digest, via httpx) and checks them, so the graph is sent once, already authenticated. Errors name
the endpoint and quote the store's own message.

The stores' Graph Store endpoints (the URL to pass as `endpoint`):
  Virtuoso  http://HOST:8890/sparql-graph-crud-auth   (Digest; a user with the SPARQL_UPDATE role)
  Fuseki    http://HOST:3030/DATASET/data             (Basic, when the server is run with auth)
  GraphDB   http://HOST:7200/repositories/REPO/rdf-graphs/service   (Basic, when security is on)
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx

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
    from .validate import refuse_xml_entities

    refuse_xml_entities(path)
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
    if not triples:
        effect = "add nothing" if append else "empty the graph in the store"
        raise InputError(f"{graph_file}: holds no triples; pushing it would {effect}. Nothing was sent.")
    target = graph or dataset_iri(triples)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", target):
        raise InputError(f"--graph {target!r}: not an absolute IRI")
    content_type, fmt = BODY_FORMATS[body_format]
    data = ox.serialize(triples, format=getattr(ox.RdfFormat, fmt))
    url = graph_store_url(endpoint, target)
    method = "POST" if append else "PUT"
    where = f"{method} {endpoint} (graph <{target}>)"
    unknown = ("the store may or may not have applied part of it" if append else
               "a store that implements PUT atomically left the graph as it was") + \
        "; fix the problem and push again"
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            auth = _authenticate(client, url, user, password, where)
            response = client.request(method, url, content=data, auth=auth,
                                      headers={"Content-Type": content_type, "Accept": "*/*"})
    except httpx.ConnectError as e:
        raise PushError(f"{where}: cannot connect ({_reason(e)}): is the store running and listening there? "
                        f"Nothing was sent.") from None
    except httpx.TimeoutException:
        raise PushError(f"{where}: no answer within {timeout:g} s; {unknown}.") from None
    except httpx.WriteError:
        raise PushError(f"{where}: the store closed the connection while the graph was being sent; "
                        f"{unknown}.") from None
    except httpx.HTTPError as e:
        raise PushError(f"{where}: {e.__class__.__name__}: {_reason(e)}; {unknown}.") from None
    if response.status_code == 401:
        raise PushError(f"{where}: HTTP 401 Unauthorized: check --user/--password; the user needs write "
                        f"rights on the store. Nothing was written.")
    if not response.is_success:
        message = server_message(response.content, response.headers.get("content-type"))
        raise PushError(f"{where}: HTTP {response.status_code} {response.reason_phrase}: {message}; {unknown}.")
    return PushResult(endpoint, target, method, len(triples), len(data), response.status_code,
                      response.reason_phrase)


def _reason(e: Exception) -> str:
    return str(e) or e.__class__.__name__


def _authenticate(client, url: str, user: str | None, password: str | None, where: str):
    """Find out with a HEAD of the graph (GSP defines HEAD; nothing is sent) whether the store wants
    credentials and which scheme, and check them, before the graph is sent: a store that refuses a request
    may close the connection while the body is still being written. Returns the httpx auth to use (a
    DigestAuth that has seen the challenge answers it at once), or None."""
    probe = client.head(url)
    if probe.status_code != 401:
        return None
    challenge = probe.headers.get("www-authenticate", "")
    if user is None:
        raise PushError(f"{where}: HTTP 401 Unauthorized: the store wants credentials "
                        f"({challenge.split(' ', 1)[0] or 'no scheme given'}); pass --user and --password. "
                        f"Nothing was sent.")
    scheme = challenge.split(" ", 1)[0].lower()
    if scheme == "digest":
        auth = httpx.DigestAuth(user, password or "")
    elif scheme in ("basic", ""):
        auth = httpx.BasicAuth(user, password or "")
    else:
        raise PushError(f"{where}: the store asks for {challenge.split(' ', 1)[0]} authentication; kg push "
                        f"speaks Basic and Digest. Nothing was sent.")
    if client.head(url, auth=auth).status_code in (401, 403):
        raise PushError(f"{where}: HTTP 401 Unauthorized: the store refused user {user!r}: check --user and "
                        f"--password. Nothing was sent.")
    return auth
