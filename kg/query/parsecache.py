"""What rdflib's SPARQL parser found out about a query text, kept across processes.

Parsing with rdflib (pyparsing) costs more than running a small query on oxigraph, and importing its grammar
as much again; a canned query is the same text every time. A query that parsed and passed the read-only check
is recorded by the SHA-256 of its exact text with what later calls need: its kind and the variables its WHERE
group certainly binds and no expression mentions (see kg.query.params). Failures are never recorded, so
errors always come from the parser itself. The file is a cache: delete it at will.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .. import paths

_FILE = "parsed-queries.json"
_LIMIT = 1000  # entries kept; the oldest go first
_memory: dict[str, dict] | None = None


def _path() -> Path:
    return paths.cache_dir() / _FILE


def _entries() -> dict[str, dict]:
    global _memory
    if _memory is None:
        try:
            _memory = json.loads(_path().read_text(encoding="utf-8"))
            if not isinstance(_memory, dict):
                _memory = {}
        except (OSError, ValueError):
            _memory = {}
    return _memory


def key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lookup(text: str) -> dict | None:
    """{"kind": …, "bound": […]} (and "joined": […] once a partition asked) for a text that parsed before, else
    None."""
    entry = _entries().get(key(text))
    return entry if isinstance(entry, dict) and "kind" in entry and "bound" in entry else None


def record(text: str, kind: str, bound: set[str], joined: set[str] | None = None) -> None:
    """Remember a text that parsed and passed the read-only check; a cache that cannot be written is skipped.
    `joined`: the variables a partition's batch may bind (kg.query.partition), when known."""
    entries = _entries()
    k = key(text)
    entry = {"kind": kind, "bound": sorted(bound)}
    if joined is not None:
        entry["joined"] = sorted(joined)
    if entries.get(k) == entry:
        return
    entries.pop(k, None)
    entries[k] = entry
    while len(entries) > _LIMIT:
        entries.pop(next(iter(entries)))
    target = _path()
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{_FILE}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entries, fh)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
