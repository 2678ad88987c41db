"""Serialise graphs to files: deterministic bytes, written atomically (temp file, then rename).

A build that dies mid-export leaves the previous exports as they were: every file is staged beside its
target and only renamed into place once all of them are complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Graph

from .errors import KgError

#: format name → (file suffix, serialiser). Other modules register more (JSON-LD, TriG, GraphML, CSV …).
FORMATS: dict[str, tuple[str, Callable[[Graph], bytes]]] = {}


def register(name: str, suffix: str):
    """Decorator: add a serialiser `graph -> bytes` under a format name."""

    def wrap(fn: Callable[[Graph], bytes]):
        FORMATS[name] = (suffix, fn)
        return fn

    return wrap


@register("turtle", ".ttl")
def to_turtle(g: Graph) -> bytes:
    """Canonical, diff-friendly Turtle (rdflib's longturtle: sorted subjects, one object per line)."""
    return g.serialize(format="longturtle", encoding="utf-8")


@register("nt", ".nt")
def to_ntriples(g: Graph) -> bytes:
    """N-Triples, one triple per line, lines sorted so the file is byte-stable."""
    lines = g.serialize(format="nt", encoding="utf-8").splitlines()
    return b"\n".join(sorted(line for line in lines if line.strip())) + b"\n"


def serialize(g: Graph, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise KgError(f"unknown export format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
    return FORMATS[fmt][1](g)


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to path so that readers see either the old file or the whole new one."""
    commit_files([(path, data)])


def commit_files(files: Iterable[tuple[Path, bytes]]) -> None:
    """Stage every file beside its target, fsync, then rename all into place; clean up on any error."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((Path(tmp), path))
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; exports are meant to be read by everyone
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as e:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        target = staged[-1][1] if staged else "output"
        raise KgError(f"cannot write {target}: {e.strerror or e}; nothing was changed") from None


# The LOD formats (JSON-LD, RDF/XML, TriG, GraphML, CSV) register themselves on import.
from . import formats as _formats  # noqa: E402,F401  (after `register` is defined: kg.formats imports it)
