"""Serialise graphs to files: deterministic bytes, written atomically (temp file, then rename).

A build that dies mid-export leaves the previous exports as they were: every file is staged beside its
target and only renamed into place once all of them are complete.
"""

from __future__ import annotations

import contextlib
import os
import re
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


#: format name → serialiser `(sorted, unique N-Triples, base IRI) -> bytes`: the formats pyoxigraph writes
#: (kg.rdfwrite), which a store that already holds its sorted N-Triples feeds without an rdflib graph.
FROM_NTRIPLES: dict[str, Callable[[bytes, str], bytes]] = {}


def register_ntriples(name: str, suffix: str):
    """Decorator: add a serialiser `(sorted N-Triples, base IRI) -> bytes`; an rdflib graph reaches it through
    `to_ntriples` (its base IRI is its `id:` prefix)."""

    def wrap(fn: Callable[[bytes, str], bytes]):
        FROM_NTRIPLES[name] = fn
        FORMATS[name] = (suffix, lambda g: fn(to_ntriples(g), _graph_base(g)))
        return fn

    return wrap


def _graph_base(g: Graph) -> str:
    from .formats import graph_base

    return graph_base(g)


@register("nt", ".nt")
def to_ntriples(g: Graph) -> bytes:
    """N-Triples, one triple per line, lines sorted so the file is byte-stable."""
    lines = g.serialize(format="nt", encoding="utf-8").split(b"\n")
    return b"\n".join(sorted({line for line in lines if line.strip()})) + b"\n"


@register_ntriples("turtle", ".ttl")
def turtle_of_ntriples(nt: bytes, base: str) -> bytes:
    """Turtle (pyoxigraph's writer): subjects sorted, `;` between their predicates, prefixes sorted."""
    from .rdfwrite import turtle

    return turtle(nt)


def to_turtle(g: Graph) -> bytes:
    return FORMATS["turtle"][1](g)


def serialize(g: Graph, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise KgError(f"unknown export format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
    return FORMATS[fmt][1](g)


def serialize_ntriples(nt: bytes, fmt: str, base: str) -> bytes | None:
    """One format straight from sorted N-Triples when pyoxigraph writes it (None: it needs an rdflib graph)."""
    if fmt == "nt":
        return nt
    writer = FROM_NTRIPLES.get(fmt)
    return writer(nt, base) if writer else None


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write bytes (or pieces of them, as they come) to path so that readers see either the old file or the
    whole new one."""
    commit_files([(path, data)])


def commit_files(files: Iterable[tuple[Path, bytes | Iterable[bytes]]]) -> None:
    """Stage every file beside its target, fsync, then rename all into place; clean up on any error (also one
    raised by an iterable of pieces part-way: a query's timeout)."""
    staged: list[tuple[Path, Path]] = []
    current, replaced = None, 0
    try:
        for path, data in files:
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((Path(tmp), path))
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; exports are meant to be read by everyone
            with os.fdopen(fd, "wb") as fh:
                for piece in (data,) if isinstance(data, bytes | bytearray | memoryview) else data:
                    fh.write(piece)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
            replaced += 1
    except OSError as e:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        why = e.strerror or str(e)
        if isinstance(e, FileExistsError | NotADirectoryError) and not replaced and current is not None:
            why += f" (a part of {current.parent} is a file, not a directory)"
        done = (f"{replaced} of {len(staged)} files were already replaced; run it again" if replaced else
                "nothing was changed")
        raise KgError(f"cannot write {current or 'output'}: {why}; {done}") from None
    except BaseException:  # Ctrl-C (KeyboardInterrupt) or a bug: no temp file stays behind either
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    _remove_stale_temp_files([path for _, path in staged])


def _remove_stale_temp_files(written: list[Path]) -> None:
    """Delete temp files an earlier, interrupted commit left beside these targets (`.NAME.XXXXXXXX.tmp`): a
    killed build leaves its staged copies behind, never a half-written target."""
    for path in written:
        stale = re.compile(rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]{{8}}\.tmp")
        with contextlib.suppress(OSError):
            for entry in os.scandir(path.parent):
                if stale.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


# The LOD formats (JSON-LD, RDF/XML, TriG, GraphML, CSV) register themselves on import.
from . import formats as _formats  # noqa: E402,F401  (after `register` is defined: kg.formats imports it)
