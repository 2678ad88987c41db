"""What every view works with: the settings, the loaded dataset, the HTML renderer and the worker pool."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from .. import paths
from ..errors import KgError
from .dataset import Dataset, label, published_files
from .html import Html, page
from .http import respond


@dataclass
class Settings:
    graph_file: Path | None = None
    timeout: float = 10.0
    max_rows: int = 10_000
    workers: int = 2
    max_memory: int = 2048  # MB a worker may add to what it holds after loading the graph (one query's working set)
    ontology: Path | None = paths.ONTOLOGY
    queries_dir: Path = paths.QUERIES
    exports_dir: Path | None = None  # the published files; default: the graph file's directory

    def exports(self) -> Path:
        """Where the published files are: --exports, else beside the graph file, else exports/."""
        if self.exports_dir is not None:
            return Path(self.exports_dir)
        return Path(self.graph_file).resolve().parent if self.graph_file else paths.EXPORTS

    def catalog_file(self) -> Path:
        return self.exports() / "catalog.ttl"


@dataclass
class Server:
    """The state of one running app (`request.app.state.kg`). The pool is set by the app's lifespan."""

    settings: Settings
    dataset: Dataset
    pool: object = None
    html: Html = field(init=False)
    files: dict = field(init=False)  # {name: (path, media type)} served under /exports/

    def __post_init__(self):
        self.html = Html(self.dataset.base, lambda iri: label(self.dataset.store, iri))
        self.files = published_files(self.dataset, self.settings.exports())

    def dataset_graph_name(self, iri: str) -> str:
        """A `default-graph-uri` as the worker takes it: the dataset IRI names the default graph of an
        on-disk store (where `kg build --store` keeps the data), "" in the request."""
        return "" if iri == self.dataset.graph_iri and self.dataset.data_in_default_graph else iri

    def canned(self) -> list:
        """The canned queries; the pages still work without them."""
        try:
            return canned_queries(self.settings.queries_dir)
        except Exception:
            return []

    def error(self, message: str, status: int, as_html: bool, query_text: str = "", headers: dict | None = None):
        """An error response: a page with the query form for browsers, one line of text otherwise."""
        if as_html:
            body = (f"<h1>Error {status}</h1><p class=err>{escape(message)}</p>"
                    + self.html.query_form(query_text, self.canned()))
            return respond(page(f"Error {status}", body), status, "text/html; charset=utf-8", headers)
        return respond(f"{status}: {message}\n".encode(), status, headers=headers)


def canned_queries(directory: Path = paths.QUERIES) -> list:
    """The canned queries (queries/*.rq) for the query page: kg.query's listing."""
    from .. import query as kgquery

    return list(kgquery.canned_queries(directory).values())


def with_defaults(canned, dataset: Dataset) -> str:
    """A canned query's text with its parameters' defaults bound (as `kg query --name` runs it)."""
    from .. import query as kgquery

    try:
        text, _ = kgquery.bind_params(dataset.store, canned.text, {}, canned.params, str(canned.path))
        return text
    except KgError:
        return canned.text
