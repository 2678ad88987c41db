"""Where kg finds its data: the project tree this package lives in, overridable per call."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "shenyang.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
DATA = ROOT / "data"
RECORDS = DATA / "records"
VOCAB = DATA / "vocab"
GAZETTEERS = DATA / "gazetteer"
EXPORTS = ROOT / "exports"
QUERIES = ROOT / "queries"


#: Where the source texts live beside the project (the Shenyang seeds and the national reports): one setting.
SHARED_SOURCES = ("shared/seeds", "shared/corpus/national")


def default_sources() -> list[Path] | None:
    """The directories of source texts: $KG_SOURCES (one or more, separated by os.pathsep), else those of
    `SHARED_SOURCES` that exist beside the project; None when there are none."""
    env = os.environ.get("KG_SOURCES")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    found = [ROOT.parent / rel for rel in SHARED_SOURCES if (ROOT.parent / rel).is_dir()]
    return found or None


def default_seeds() -> Path | None:
    """The Shenyang seed texts alone: the first directory of `default_sources()` (tests and benchmarks that
    read the seeds)."""
    found = default_sources()
    return found[0] if found else None


def cache_dir() -> Path:
    """Where kg keeps what it can rebuild (query stores, parsed queries): $KG_CACHE_DIR, else
    $XDG_CACHE_HOME/kg, else ~/.cache/kg."""
    env = os.environ.get("KG_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kg"
