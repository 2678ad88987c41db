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


def default_sources() -> Path | None:
    """The source texts: $KG_SOURCES, else ../shared/seeds beside the project, if present."""
    env = os.environ.get("KG_SOURCES")
    if env:
        return Path(env)
    seeds = ROOT.parent / "shared" / "seeds"
    return seeds if seeds.is_dir() else None
