"""Controlled vocabularies: measure categories, units, facility types and district gazetteers.

They live as YAML in data/ so that curators and the extractor share one list, and become SKOS/QUDT nodes
in the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import paths
from .errors import RecordError
from .yamlio import load_yaml


@dataclass(frozen=True)
class Category:
    key: str
    zh: str
    en: str
    definition: str
    broader: str | None
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Unit:
    key: str
    zh: str
    en: str
    qudt: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class FacilityType:
    key: str
    zh: str
    en: str
    suffixes: tuple[str, ...]


@dataclass(frozen=True)
class Division:
    key: str
    zh: str
    en: str
    kind: str  # city | district | county-level-city | county
    short: tuple[str, ...]
    code: str | None = None  # GB/T 2260 code, for divisions from the divisions table


@dataclass(frozen=True)
class Gazetteer:
    city: Division
    divisions: tuple[Division, ...]
    by_name: dict[str, Division] = field(hash=False, compare=False)
    #: short forms that count only when written as a place (those of divisions two levels below the issuer)
    contextual: frozenset[str] = frozenset()

    def lookup(self, name: str) -> Division | None:
        """A division by zh name, short form or key (和平区, 和平, heping)."""
        return self.by_name.get(name.strip())

    def known(self) -> str:
        return ", ".join(d.zh for d in (self.city, *self.divisions))


@dataclass(frozen=True)
class Vocab:
    categories: dict[str, Category]
    units: dict[str, Unit]
    facility_types: dict[str, FacilityType]
    gazetteers: dict[str, Gazetteer]


OPTIONAL = {"broader", "keywords", "definition", "qudt", "aliases", "suffixes", "short", "kind"}


def _require(item: dict, keys: tuple[str, ...], path: Path) -> None:
    """Required fields present, no unknown ones (an unquoted comma in a {flow: mapping} makes a stray key)."""
    line = getattr(item, "line", 0)
    if not isinstance(item, dict):
        raise RecordError([f"{path}:{line}: expected a mapping, got {item!r}"])
    missing = [k for k in keys if k not in item]
    if missing:
        raise RecordError([f"{path}:{line}: missing field(s) {', '.join(missing)}"])
    unknown = [str(k) for k in item if k not in keys and k not in OPTIONAL]
    if unknown:
        raise RecordError([f"{path}:{line}: unknown field(s) {', '.join(unknown)}; quote values that contain "
                           "commas inside {…}"])


def _list(path: Path) -> list:
    data = load_yaml(path)
    if not isinstance(data, list):
        raise RecordError([f"{path}:1: expected a YAML list of entries"])
    return data


def load_gazetteer(path: Path) -> Gazetteer:
    """Read one city's gazetteer file (the city plus its county-level divisions)."""
    data = load_yaml(path)
    if not isinstance(data, dict) or "city" not in data or "divisions" not in data:
        raise RecordError([f"{path}:1: a gazetteer needs `city:` and `divisions:`"])
    _require(data["city"], ("key", "zh", "en"), path)
    city = Division(data["city"]["key"], data["city"]["zh"], data["city"]["en"], "city",
                    tuple(data["city"].get("short", [])))
    divisions = []
    for d in data["divisions"]:
        _require(d, ("key", "zh", "en", "kind"), path)
        divisions.append(Division(d["key"], d["zh"], d["en"], d["kind"], tuple(d.get("short", []))))
    by_name: dict[str, Division] = {}
    for d in (city, *divisions):
        for name in (d.zh, d.key, *d.short):
            by_name[name] = d
    return Gazetteer(city, tuple(divisions), by_name)


@cache
def load_vocab(vocab_dir: Path = paths.VOCAB, gazetteer_dir: Path = paths.GAZETTEERS) -> Vocab:
    """Load every vocabulary file once (they are small and never change during a run)."""
    cats = {}
    for c in _list(vocab_dir / "categories.yaml"):
        _require(c, ("key", "zh", "en", "definition"), vocab_dir / "categories.yaml")
        cats[c["key"]] = Category(c["key"], c["zh"], c["en"], c["definition"], c.get("broader"),
                                  tuple(c.get("keywords") or ()))
    units = {}
    for u in _list(vocab_dir / "units.yaml"):
        _require(u, ("key", "zh", "en"), vocab_dir / "units.yaml")
        units[u["key"]] = Unit(u["key"], u["zh"], u["en"], u.get("qudt"), tuple(u.get("aliases") or ()))
    ftypes = {}
    for f in _list(vocab_dir / "facility-types.yaml"):
        _require(f, ("key", "zh", "en"), vocab_dir / "facility-types.yaml")
        ftypes[f["key"]] = FacilityType(f["key"], f["zh"], f["en"], tuple(f.get("suffixes") or ()))
    gazetteers = {p.stem: load_gazetteer(p) for p in sorted(gazetteer_dir.glob("*.yaml"))}
    return Vocab(cats, units, ftypes, gazetteers)
