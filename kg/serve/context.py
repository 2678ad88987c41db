"""What every view works with: the settings, the loaded dataset, the HTML renderer and the worker pool."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from .. import paths
from ..errors import KgError
from .dataset import Dataset, label
from .html import Html, page
from .http import respond


@dataclass
class Settings:
    graph_file: Path | None = None
    timeout: float = 10.0
    max_rows: int = 10_000
    workers: int = 2
    ontology: Path | None = paths.ONTOLOGY
    queries_dir: Path = paths.QUERIES


@dataclass
class Server:
    """The state of one running app (`request.app.state.kg`). The pool is set by the app's lifespan."""

    settings: Settings
    dataset: Dataset
    pool: object = None
    html: Html = field(init=False)

    def __post_init__(self):
        self.html = Html(self.dataset.base, lambda iri: label(self.dataset.store, iri))

    def canned(self) -> list:
        """The canned queries; the pages still work without them."""
        try:
            return canned_queries(self.settings.queries_dir)
        except Exception:
            return []

    def error(self, message: str, status: int, as_html: bool, query_text: str = ""):
        """An error response: a page with the query form for browsers, one line of text otherwise."""
        if as_html:
            body = (f"<h1>Error {status}</h1><p class=err>{escape(message)}</p>"
                    + self.html.query_form(query_text, self.canned()))
            return respond(page(f"Error {status}", body), status, "text/html; charset=utf-8")
        return respond(f"{status}: {message}\n".encode(), status)


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
