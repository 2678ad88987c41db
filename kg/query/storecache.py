"""On-disk pyoxigraph stores of the graph files `kg query` reads, kept between calls.

Parsing the exported Turtle on every call costs more than the query as the corpus grows; opening an on-disk
store costs milliseconds whatever its size. A store is built on first use from the files (data + ontology) and
found again by the SHA-256 of their bytes, so an edited or rebuilt export gets a new store and a stale one is
never read. Stores are built beside their final place and renamed into it (two processes may race: both get a
complete store). The few most recently used are kept. Everything here is a cache: delete it at will.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import paths

KEEP = 4  # stores kept (the most recently used)


def _key(files: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(path.suffix.encode() + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()[:32]


def cached_store(files: Sequence[Path], formats: Sequence[Any]) -> Any | None:
    """A read-only pyoxigraph Store holding every file (all in the default graph), or None when no store can be
    cached here (the caller then loads the files in memory, reporting any error in them)."""
    import pyoxigraph as ox

    root = paths.cache_dir() / "stores"
    try:
        final = root / _key(files)
    except OSError:
        return None
    if not (final / "CURRENT").exists():
        staging = root / f".{final.name}.partial-{os.getpid()}"
        try:
            root.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            store = ox.Store(str(staging))
            for path, fmt in zip(files, formats):
                store.bulk_load(path=str(path), format=fmt, base_iri=path.resolve().as_uri())
            store.flush()
            store.optimize()  # compacted once: later lookups read fewer files (as kg.store's bulk load)
            del store  # close RocksDB before the directory moves
            os.replace(staging, final)
        except (OSError, SyntaxError, ValueError):
            shutil.rmtree(staging, ignore_errors=True)
            if not (final / "CURRENT").exists():
                return None
        _prune(root, final)
    try:
        with contextlib.suppress(OSError):
            os.utime(final)
        return ox.Store.read_only(str(final))
    except OSError:
        return None


def _prune(root: Path, keep: Path) -> None:
    stores = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stores[KEEP:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
