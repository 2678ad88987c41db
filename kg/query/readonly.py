"""The read-only check: no UPDATE, no SERVICE (federation), no FROM/FROM NAMED (rdflib would fetch URLs)."""

from __future__ import annotations

from typing import Any

from .algebra import walk
from .errors import ReadOnlyError
from .lexer import first_keyword

UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


def refuse_update(sparql: str, where: str) -> None:
    """Raise `ReadOnlyError` if `sparql`, which does not parse as a query, is a SPARQL UPDATE request."""
    from rdflib.plugins.sparql.parser import parseUpdate

    keyword = first_keyword(sparql)
    update = keyword in UPDATE_KEYWORDS
    if not update:
        try:
            parseUpdate(sparql)
            update = True
        except Exception:
            update = False
    if update:
        raise ReadOnlyError(f"{where}this is a SPARQL UPDATE ({keyword or 'update'}); kg query is read-only "
                            f"— change the records in data/records/ and run `kg build` instead") from None


def refuse_remote(query: Any, where: str) -> None:
    """Raise `ReadOnlyError` if the parsed query calls a SERVICE or names graphs to load (FROM / FROM NAMED)."""
    for node in walk(query):
        if node.name == "ServiceGraphPattern":
            raise ReadOnlyError(f"{where}SERVICE (federated query to {node.get('term')}) is not allowed here; "
                                "query the local graph only")
    if "datasetClause" in query and query["datasetClause"]:
        raise ReadOnlyError(f"{where}FROM / FROM NAMED are not allowed (they would load graphs from the web); "
                            "use `--graph FILE` to choose the data")
