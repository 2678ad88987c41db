"""The issuing jurisdiction, the divisions and the facilities named in a text.

Jurisdiction: China's divisions (kg.divisions) named as a government (大连市人民政府, 沈阳市第十七届人民代表大会,
…政府工作报告) or, failing that, the division most named with the divisions within it, at the level the text
speaks of itself (全市, 全区, 全县, 全省); "代表国务院" is the nation. An ambiguous name (朝阳区) goes to the
division whose surroundings the text names.

Districts: every division within the issuer (valid in the report's year) by zh name, and by short form down to
two levels below it (沙河口, 旅顺口), longest first; short forms that are also ordinary words (和平, 大东 …)
count only when written as a place. A gazetteer file (data/gazetteer/, --gazetteer) does the same for a
made-up city.

Facilities: a name is the run of characters before a facility suffix (…博物馆, …公园, …产业园 — the
suffixes of data/vocab/facility-types.yaml plus a few more), cut on the left at a verb or function word
(启动|浑南科技城) and dropped when it is a kind rather than a name (口袋公园, 一批…平台, 城市书房). Metro
lines, city hotlines and the zones every city has (自贸区, 综保区 …) come from patterns and a lexicon; items
listed before 等 + a kind of facility (宝马X5、纯电动3系等重大项目) are facilities of that kind.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..divisions import AdminDivision, Ambiguous, Divisions
from ..vocab import Division, Gazetteer, Vocab
from . import tables as T

_NAME_CHAR_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·]")
_NAME_RUN_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·]*$")  # with endpos: the run of name characters before it
_BOUNDARY_RE = re.compile(T._alternation(T.NAME_BOUNDARY_WORDS))
_GENERIC_PREFIX_RE = re.compile(f"(?:{T._alternation(T.GENERIC_MODIFIERS)})+")
_GENERIC_BY_LAST: dict[str, list[str]] = {}
for _w in sorted(set(T.GENERIC_NAMES), key=lambda w: (-len(w), w)):
    _GENERIC_BY_LAST.setdefault(_w[-1], []).append(_w)
#: Kinds that stay kinds whatever is written before them (金角银边口袋公园).
_KIND_ENDINGS = ("口袋公园", "中小学", "城市书房", "城市书屋", "农家书屋", "断头路", "出口路", "快速路")
_QUANTITY_END_RE = re.compile(r"[0-9一二三四五六七八九十两百千万]+[个座家所条项处间张套批]$")
_QUANTITY_START_RE = re.compile(r"^[0-9一二三四五六七八九十两百千万]+[个座家所条项处间张套批大](?!子)")  # 八家子: a name
_ETC_ITEM_SPLIT = re.compile(r"、|和|及|与")
_CLAUSE_BREAK = re.compile(r"[，,；;。：:！？!?\n“”\"《》（）()]")
MAX_NAME = 20
MAX_PREFIX = 16


@dataclass(frozen=True)
class DistrictHit:
    start: int
    end: int
    key: str
    written: str
    ambiguous: bool  # a short form that is also an ordinary word; needs a place-like context


@dataclass(frozen=True)
class FacilityHit:
    start: int
    end: int
    label: str
    type: str
    rule: str  # suffix | lexicon | metro | hotline | etc


#: A division named as a government: the issuer of a report is named this way in its title, opening or signature.
_GOVERNMENT_AFTER = re.compile(r"(?:人民政府|政府工作报告|政府|第[一二三四五六七八九十]+届人民代表大会|人民代表大会|人大|"
                               r"(?:市|区|县|省)长)")
_NATION_RE = re.compile(r"代表国务院|国务院政府工作报告|国务院总理")
_SELF_LEVEL = {"全省": "province", "全市": "city", "全区": "county", "全县": "county", "全旗": "county"}
HEAD = 600  # characters of the opening where a title names the issuer
SCAN = 200_000


@dataclass(frozen=True)
class Jurisdiction:
    """The government that issued a text, and how it was found (for the one line `kg extract` prints)."""

    division: AdminDivision | None
    how: str


class _NameIndex:
    """Every full name of a division, the short forms of provinces and prefectures and the county short forms
    no other division shares, as one regex, with the weight of a mention (a full name counts double)."""

    _cache: dict[int, "_NameIndex"] = {}

    def __init__(self, table: Divisions):
        weight: dict[str, float] = {}
        for r in table.rows:
            weight[r.zh] = 2.0
        strong = set(weight)
        for r in table.rows:
            for short in r.short:
                if r.level in ("province", "city"):
                    strong.add(short)
                    weight.setdefault(short, 1.0)
                elif len(table.names().get(short, ())) == 1:
                    weight.setdefault(short, 1.0)  # a county's short form only where no other has it (甘井子)
        self.weight = weight
        self.strong = frozenset(strong)  # the names that can name an issuer: full names, provinces' and cities' short forms
        self.regex = re.compile(T._alternation(weight))

    @classmethod
    def of(cls, table: Divisions) -> "_NameIndex":
        idx = cls._cache.get(id(table))
        if idx is None:
            idx = cls._cache[id(table)] = cls(table)
        return idx


def detect_jurisdiction(text: str, year: int | None, table: Divisions) -> Jurisdiction:
    """The issuing jurisdiction of a report, or `Jurisdiction(None, why)` when the text names no place."""
    if _NATION_RE.search(text[:SCAN]):
        return Jurisdiction(table.nation(), "the State Council's report (代表国务院)")
    idx = _NameIndex.of(table)
    title_end = _title_end(text)
    mentions: list[tuple[str, int, str]] = []  # name, position, how it is named ("" / a government word / title)
    for m in idx.regex.finditer(text, 0, min(len(text), SCAN)):
        if not table.candidates(m.group(), year):
            continue
        gov = _GOVERNMENT_AFTER.match(text, m.end()) if m.group() in idx.strong else None
        how = gov.group() if gov else ("the title" if m.start() < title_end and m.group() in idx.strong else "")
        mentions.append((m.group(), m.start(), how))
    if not mentions:
        return Jurisdiction(None, "the text names no administrative division")
    weight: dict[AdminDivision, float] = {}  # how much of the text each division (with those within it) explains
    for name, _, _ in mentions:
        found = table.candidates(name, year)
        for d in found:
            for up in table.chain(d)[:-1]:  # not the nation: every division lies within it
                weight[up] = weight.get(up, 0) + idx.weight[name] / len(found)
    said = {lvl: 0 for lvl in ("province", "city", "county")}
    for word, lvl in _SELF_LEVEL.items():
        said[lvl] += text.count(word, 0, SCAN)
    level = max(said, key=lambda lvl: (said[lvl], lvl == "city")) if any(said.values()) else None
    named: dict[AdminDivision, float] = {}
    why: dict[AdminDivision, str] = {}
    for name, pos, how in mentions:
        if not how:
            continue
        found = table.candidates(name, year)
        d = max(found, key=lambda x: (weight.get(x, 0), x.code))  # 朝阳区: the one whose surroundings are named
        named[d] = named.get(d, 0) + (3 if pos < HEAD else 1)
        why.setdefault(d, f"{name}{how}" if how != "the title" else f"{name} in the title")
    if named:
        # the level the text calls itself (全区 in a district's plan that the city's government also signs)
        pick = max(named, key=lambda d: (d.level == level, named[d], weight.get(d, 0), d.code))
        return Jurisdiction(pick, f"named as the issuer ({why[pick]})")
    at_level = [d for d in weight if d.level == (level or "city")] or list(weight)
    pick = max(at_level, key=lambda d: (weight[d], -int(d.code)))
    if weight[pick] < (1 if pick.level == level else 2):  # 全县 and the one county named: that county
        return Jurisdiction(None, f"the text names places only in passing (most: {pick.zh})")
    return Jurisdiction(pick, f"the most named {level or 'city'} (with the divisions within it)")


def _title_end(text: str) -> int:
    """Where the first non-empty line ends (when it is short enough to be a title)."""
    m = re.search(r"\S[^\n]{0,59}(?:\n|$)", text[:HEAD])
    return m.end() if m else 0


def gazetteer_for(table: Divisions, issuer: AdminDivision, year: int | None) -> Gazetteer:
    """The issuer and the divisions within it valid in `year`, as the extractor's gazetteer: full names at
    every level, short forms down to two levels below the issuer (a higher division keeps a shared short form)."""
    def division(d: AdminDivision, short: bool) -> Division:
        return Division(d.key, d.zh, d.en, d.kind, d.short if short else (), d.code)

    levels = ("country", "province", "city", "county")
    divisions: list[Division] = []
    contextual: set[str] = set()
    frontier = [issuer]
    depth = 0
    while frontier:
        depth += 1
        nxt = [c for d in frontier for c in table.children(d, year)]
        nxt.sort(key=lambda d: (levels.index(d.level), d.code))
        divisions += [division(c, depth <= 2) for c in nxt]
        if depth == 2:
            contextual.update(s for c in nxt for s in c.short)
        frontier = nxt
    city = division(issuer, True)
    taken = {n for d in (city, *divisions) for n in (d.zh, *d.short)}
    prefixes: dict[str, list[int]] = {}
    for i, d in enumerate(divisions):
        for short in d.short:
            # 旅顺 for 旅顺口: a three-character short form's first two, written as a place (旅顺、金州)
            if len(short) == 3 and d.code and table.get(d.code).parent == issuer.code and short[:2] not in taken:
                prefixes.setdefault(short[:2], []).append(i)
    for prefix, owners in prefixes.items():
        if len(owners) == 1:
            d = divisions[owners[0]]
            divisions[owners[0]] = Division(d.key, d.zh, d.en, d.kind, (*d.short, prefix), d.code)
            contextual.add(prefix)
    by_name: dict[str, Division] = {}
    for d in (city, *divisions):
        for name in (d.zh, d.key, *d.short):
            by_name.setdefault(name, d)
    return Gazetteer(city, tuple(divisions), by_name, frozenset(contextual))


def record_gazetteer(record, vocab: Vocab) -> Gazetteer:
    """The divisions a curated record's names come from: its issuer's (the divisions table), else its
    gazetteer file."""
    from ..divisions import divisions

    doc = record.document
    if doc.jurisdiction:
        table = divisions()
        return gazetteer_for(table, table.get(doc.jurisdiction, doc.year), doc.year)
    return vocab.gazetteers[doc.city]


def written_names(gaz: Gazetteer) -> dict[str, str]:
    """How a draft writes each division of a gazetteer: its zh name, or its code where two divisions within the
    issuer share the name (朝阳区 of Beijing and of Changchun in a national report)."""
    count: dict[str, int] = {}
    for d in gaz.divisions:
        count[d.zh] = count.get(d.zh, 0) + 1
    return {d.key: d.code if count[d.zh] > 1 and d.code else d.zh for d in gaz.divisions}


def find_division(table: Divisions, query: str, year: int | None) -> AdminDivision:
    """`--city`: a division by code, name, short form or IRI key; LookupError with the nearest names."""
    try:
        return table.find(query, year)
    except Ambiguous as e:
        raise LookupError(f"{query!r} names several divisions: "
                          + ", ".join(f"{d.zh} ({d.code}, in {table.parent(d).zh})" for d in e.candidates)
                          + "; pass the code or the full name") from None


class DistrictMatcher:
    """Finds the county-level divisions of one gazetteer (the city itself is not a district mention)."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self.names: dict[str, tuple[str, bool]] = {}
        for d in gazetteer.divisions:
            self.names[d.zh] = (d.key, False)
            for short in d.short:
                if short and short not in self.names:
                    self.names[short] = (d.key, short in T.AMBIGUOUS_SHORT_FORMS or short in gazetteer.contextual)
        self.regex = re.compile(T._alternation(self.names)) if self.names else None

    def find(self, text: str) -> list[DistrictHit]:
        if self.regex is None:
            return []
        out = []
        for m in self.regex.finditer(text):
            key, ambiguous = self.names[m.group()]
            out.append(DistrictHit(m.start(), m.end(), key, m.group(), ambiguous))
        return out

    def prefix_key(self, name: str) -> str | None:
        """The division a facility name starts with (浑南科技城 → hunnan)."""
        if self.regex is None:
            return None
        m = self.regex.match(name)
        if m and len(m.group()) < len(name):
            return self.names[m.group()][0]
        return None


def place_context(text: str, hit: DistrictHit, facility_starts: set[int]) -> bool:
    """Is an ambiguous short form written as a place? (和平区 is never ambiguous: the full name.)"""
    nxt = text[hit.end:hit.end + 1]
    prv = text[hit.start - 1:hit.start] if hit.start else ""
    return nxt in ("区", "县", "市", "、") or prv == "、" or hit.start in facility_starts


class _Spans:
    def __init__(self, spans):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def inside(self, pos: int) -> bool:
        """Is pos strictly inside a span (not at its start)?"""
        i = bisect.bisect_right(self.starts, pos - 1) - 1
        return i >= 0 and self.spans[i][0] < pos < self.spans[i][1]


def _is_generic(name: str) -> bool:
    if name.endswith(_KIND_ENDINGS):
        return True
    for word in _GENERIC_BY_LAST.get(name[-1:], ()):
        if name.endswith(word):
            pre = name[: len(name) - len(word)]
            if not pre or _GENERIC_PREFIX_RE.fullmatch(pre):
                return True
    return False


class FacilityFinder:
    def __init__(self, vocab: Vocab):
        suffixes: dict[str, str] = {}
        for key, ft in vocab.facility_types.items():
            for suffix in ft.suffixes:
                suffixes.setdefault(suffix, key)
        for suffix, key in T.EXTRA_FACILITY_SUFFIXES.items():
            if key in vocab.facility_types:
                suffixes.setdefault(suffix, key)
        self.suffixes = suffixes
        self.suffix_re = re.compile(T._alternation(suffixes))
        lexicon = {w: k for w, k in T.FACILITY_LEXICON.items() if k in vocab.facility_types}
        self.lexicon = lexicon
        self.lexicon_re = re.compile(T._alternation(lexicon)) if lexicon else None
        etc = {w: k for w, k in T.ETC_NOUNS.items() if k in vocab.facility_types}
        self.etc_nouns = etc
        self.etc_re = re.compile(
            rf"等(?:[0-9一二三四五六七八九十两百]+[大个座家所条项处批])?(?:重点|重大|主要|一批)?"
            rf"(?P<noun>{T._alternation(etc)})") if etc else None
        self.has = {k: k in vocab.facility_types for k in ("metro-line", "platform")}

    # -- candidates ------------------------------------------------------------------------------------
    def _name_start(self, text: str, suffix_start: int, protected: _Spans) -> tuple[int, str]:
        """Left edge of the name ending at suffix_start, and the word just before it ('' if none)."""
        start = _NAME_RUN_RE.search(text, max(0, suffix_start - MAX_PREFIX), suffix_start).start()
        cut, before = start, ""
        for m in _BOUNDARY_RE.finditer(text, start, suffix_start):
            if protected.inside(m.start()) or protected.inside(m.end()):
                continue  # 于洪, 和平: part of a place name, not a boundary
            cut, before = m.end(), m.group()
        if cut == start and start > 0:
            before = text[max(0, start - 2):start]
        return cut, before

    def _suffix_hits(self, text: str, protected: _Spans) -> list[FacilityHit]:
        out = []
        for m in self.suffix_re.finditer(text):
            suffix, ss, se = m.group(), m.start(), m.end()
            if text[se:se + 1] and text[se:se + 1] in T.SUFFIX_NOT_FOLLOWED_BY.get(suffix, ""):
                continue
            ftype = self.suffixes[suffix]
            if ftype == "road":
                ext = T.ROAD_EXTENSION_RE.match(text, se)
                if ext:
                    se = ext.end()
            start, before = self._name_start(text, ss, protected)
            prefix = text[start:ss]
            need = 1 if suffix in T.ONE_CHAR_PREFIX_SUFFIXES else 2
            if len(prefix) < need or len(prefix) > MAX_PREFIX:
                continue
            name = text[start:se]
            if before.endswith(T.QUANTIFIER_BEFORE) or _QUANTITY_END_RE.search(text[max(0, start - 6):start]):
                continue  # 一批…平台, 21座城市书房: a kind, counted
            if _QUANTITY_START_RE.match(name) or _is_generic(name) or len(name) > MAX_NAME:
                continue
            out.append(FacilityHit(start, se, name, ftype, "suffix"))
        return out

    def _pattern_hits(self, text: str) -> list[FacilityHit]:
        out = []
        if self.has["metro-line"]:
            out += [FacilityHit(m.start(), m.end(), m.group(), "metro-line", "metro")
                    for m in T.METRO_RE.finditer(text)]
        if self.has["platform"]:
            out += [FacilityHit(m.start(), m.end(), m.group(), "platform", "hotline")
                    for m in T.HOTLINE_RE.finditer(text)]
        if self.lexicon_re is not None:
            out += [FacilityHit(m.start(), m.end(), m.group(), self.lexicon[m.group()], "lexicon")
                    for m in self.lexicon_re.finditer(text)]
        return out

    def _etc_hits(self, text: str, protected: _Spans) -> list[FacilityHit]:
        out = []
        if self.etc_re is None:
            return out
        for m in self.etc_re.finditer(text):
            ftype = self.etc_nouns[m.group("noun")]
            lo = max(0, m.start() - 80)
            breaks = list(_CLAUSE_BREAK.finditer(text, lo, m.start()))
            seg_start = breaks[-1].end() if breaks else lo
            pos = seg_start
            items = []
            for sep in _ETC_ITEM_SPLIT.finditer(text, seg_start, m.start()):
                if protected.inside(sep.start()) or protected.inside(sep.end()):
                    continue
                items.append((pos, sep.start()))
                pos = sep.end()
            items.append((pos, m.start()))
            if len(items) > 10:
                continue
            for i, (s, e) in enumerate(items):
                if i == 0:
                    s, _ = self._name_start(text, e, protected) if e - s <= MAX_PREFIX else (e, "")
                    # the first item may carry the verb of the clause: 加快|宝马X5
                name = text[s:e]
                if not 2 <= len(name) <= MAX_NAME or not all(_NAME_CHAR_RE.match(c) for c in name):
                    continue
                if _GENERIC_PREFIX_RE.fullmatch(name) or _QUANTITY_START_RE.match(name):
                    continue
                out.append(FacilityHit(s, e, name, ftype, "etc"))
        return out

    def find(self, text: str, protected_spans=()) -> list[FacilityHit]:
        """Facility mentions in text order, without overlaps (the longer mention wins)."""
        protected = _Spans(protected_spans)
        priority = {"metro": 0, "hotline": 0, "lexicon": 1, "suffix": 2, "etc": 3}
        cands = self._pattern_hits(text) + self._suffix_hits(text, protected) + self._etc_hits(text, protected)
        cands.sort(key=lambda h: (h.start, -(h.end - h.start), priority[h.rule]))
        taken: list[FacilityHit] = []
        for h in cands:
            if taken and h.start < taken[-1].end:
                last = taken[-1]
                if (h.end - h.start, -priority[h.rule]) > (last.end - last.start, -priority[last.rule]):
                    taken[-1] = h  # starts at or after `last`, so it cannot overlap the one before
                continue
            taken.append(h)
        return taken
