"""China's administrative divisions (GB/T 2260): the nation, provinces, prefectures and counties, with their
codes, short forms, English or pinyin labels and change history.

The table data/divisions/divisions.tsv is generated from maintained datasets by `kg divisions refresh`
(kg/divisions_refresh.py); this module only reads it. A name resolves to the division valid in a given year
(辽中县 in 2015, 辽中区 from 2016 on; the old name of a renamed division leads to its successor), and an
ambiguous short name (朝阳) to the one inside a given jurisdiction.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import paths
from .errors import RecordError

NATION_CODE = "100000"
COLUMNS = ("code", "key", "zh", "short", "en", "level", "kind", "parent", "start", "end", "successor")
LEVELS = ("country", "province", "city", "county")
TABLE = paths.DATA / "divisions" / "divisions.tsv"


@dataclass(frozen=True)
class AdminDivision:
    code: str
    key: str
    zh: str
    short: tuple[str, ...]
    en: str
    level: str  # country | province | city | county
    kind: str  # province, municipality, city, district, county, county-level-city, banner …
    parent: str  # code of the division it lies directly within ("" for the nation)
    start: int | None  # first year under this name (None: before the table's history)
    end: int | None  # last year under this name (None: still valid)
    successor: str  # code of the division that replaced it

    @property
    def current(self) -> bool:
        return self.end is None

    def valid_in(self, year: int | None) -> bool:
        if year is None:
            return self.current
        return (self.start is None or self.start <= year) and (self.end is None or year <= self.end)

    def names(self) -> tuple[str, ...]:
        return (self.zh, *self.short)


class Ambiguous(LookupError):
    def __init__(self, name: str, candidates: list[AdminDivision]):
        self.name, self.candidates = name, candidates
        super().__init__(f"{name!r} names {len(candidates)} divisions: "
                         + ", ".join(f"{c.zh} {c.code}" for c in candidates))


@dataclass
class Divisions:
    rows: tuple[AdminDivision, ...]
    by_key: dict[str, AdminDivision] = field(default_factory=dict)
    _by_code: dict[str, list[AdminDivision]] = field(default_factory=dict)
    _by_name: dict[str, list[AdminDivision]] = field(default_factory=dict)
    _children: dict[str, list[AdminDivision]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.rows:
            self.by_key[r.key] = r
            self._by_code.setdefault(r.code, []).append(r)
            for n in r.names():
                self._by_name.setdefault(n, []).append(r)
            if r.parent:
                self._children.setdefault(r.parent, []).append(r)

    def get(self, code: str, year: int | None = None) -> AdminDivision | None:
        """The division with this code (the one valid in `year` when the code was reused or renamed)."""
        rows = self._by_code.get(code, [])
        for r in rows:
            if r.valid_in(year):
                return r
        current = [r for r in rows if r.current]
        return current[0] if current else (rows[-1] if rows else None)

    def nation(self) -> AdminDivision:
        return self.get(NATION_CODE)

    def parent(self, d: AdminDivision) -> AdminDivision | None:
        return self.get(d.parent, d.end) if d.parent else None

    def chain(self, d: AdminDivision) -> list[AdminDivision]:
        """The division and every one it lies within, up to the nation."""
        out = [d]
        while (p := self.parent(out[-1])) is not None and p not in out:
            out.append(p)
        return out

    def children(self, d: AdminDivision, year: int | None = None) -> list[AdminDivision]:
        return [c for c in self._children.get(d.code, []) if c.valid_in(year)]

    def within(self, d: AdminDivision, area: AdminDivision) -> bool:
        return area in self.chain(d)

    def successor(self, d: AdminDivision, year: int | None) -> AdminDivision:
        """Follow renames and mergers to the division valid in `year` (or today)."""
        seen = {d}
        while not d.valid_in(year) and d.successor:
            nxt = self.get(d.successor, year)
            if nxt is None or nxt in seen:
                break
            seen.add(nxt)
            d = nxt
        return d

    def candidates(self, name: str, year: int | None = None) -> list[AdminDivision]:
        """Divisions a name may mean in `year`: those valid then, else the successors of former ones."""
        rows = self._by_name.get(name.strip(), [])
        valid = [r for r in rows if r.valid_in(year)]
        if not valid:
            valid = []
            for r in rows:
                s = self.successor(r, year)
                if s not in valid:
                    valid.append(s)
        # a full name beats a short form (朝阳县 vs the short 朝阳 of 朝阳市)
        full = [r for r in valid if r.zh == name]
        return full or valid

    def resolve(self, name: str, year: int | None = None, within: AdminDivision | None = None) -> AdminDivision:
        """One division for a name: the only candidate, else the only one inside `within` (the issuer), else the
        only one whose level is higher. Raises KeyError (unknown) or Ambiguous."""
        found = self.candidates(name, year)
        if not found:
            raise KeyError(name)
        if len(found) == 1:
            return found[0]
        if within is not None:
            inside = [c for c in found if c is not within and self.within(c, within)] or \
                     [c for c in found if c is within]
            if len(inside) == 1:
                return inside[0]
            # the issuer's own neighbours: same province
            if within.level in ("city", "county"):
                prov = self.chain(within)[-2] if len(self.chain(within)) >= 2 else None
                near = [c for c in found if prov is not None and self.within(c, prov)]
                if len(near) == 1:
                    return near[0]
        raise Ambiguous(name, found)

    def find(self, query: str, year: int | None = None) -> AdminDivision:
        """A division by code, zh name, short form, key or English name (for `--city`); an unknown query raises
        LookupError naming the nearest names."""
        q = str(query).strip()
        if q.isdigit() and len(q) == 6:
            d = self.get(q, year)
            if d is not None:
                return d
        if q in self.by_key:
            return self.by_key[q]
        try:
            return self.resolve(q, year)
        except KeyError:
            pass
        lowered = q.lower()
        by_en = [r for r in self.rows if r.current and r.en.lower() in (lowered, lowered + " district")]
        if len(by_en) == 1:
            return by_en[0]
        if by_en:
            raise Ambiguous(q, by_en)
        raise LookupError(f"no administrative division is named {q!r}; nearest: {', '.join(self.nearest(q))}")

    def nearest(self, query: str, n: int = 5) -> list[str]:
        """The current divisions whose name, short form or sound (pinyin: 大莲 → dalian) is closest to a query."""
        from pypinyin import lazy_pinyin

        sound = "".join(lazy_pinyin(query)).lower()
        scored = []
        for r in self.rows:
            if not r.current:
                continue
            by_name = max(difflib.SequenceMatcher(None, query, x).ratio() for x in r.names())
            tail = r.key.rsplit("-", 1)[-1]
            by_sound = difflib.SequenceMatcher(None, sound, tail).ratio() if sound else 0.0
            scored.append((-max(by_name, by_sound), r.level != "city", r.code, r.zh))
        return list(dict.fromkeys(zh for *_, zh in sorted(scored)))[:n]

    def of_gazetteer(self, city_key: str, city_zh: str) -> AdminDivision | None:
        """The table's division for a gazetteer file's city (same IRI key and name), or None (made-up cities)."""
        d = self.by_key.get(city_key)
        return d if d is not None and d.zh == city_zh else None

    def names(self) -> dict[str, list[AdminDivision]]:
        """Every name and short form → the divisions it may mean (all eras)."""
        return self._by_name


def load_divisions(path: Path = TABLE) -> Divisions:
    if not path.exists():
        raise RecordError([f"{path}: the divisions table is missing; run `kg divisions refresh`"])
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line or line.startswith("#") or line.startswith("code\t"):
            continue
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise RecordError([f"{path}:{n}: expected {len(COLUMNS)} tab-separated columns "
                               f"({', '.join(COLUMNS)}); regenerate it with `kg divisions refresh`"])
        code, key, zh, short, en, level, kind, parent, start, end, successor = cells
        rows.append(AdminDivision(code, key, zh, tuple(s for s in short.split("|") if s), en, level, kind, parent,
                                  int(start) if start else None, int(end) if end else None, successor))
    return Divisions(tuple(rows))


@cache
def divisions() -> Divisions:
    """The project's table, loaded once."""
    return load_divisions(TABLE)
