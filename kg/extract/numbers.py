"""Numbers as written in Chinese policy texts → exact decimals with their unit and comparator.

`parse_number` normalises one written number (1,234.5 · 3.5万 · 两千 · 十二 · 百分之十五); `find_quantities`
scans a text for quantities: a number, an optional multiplier (万/亿), an optional range (10-15个), a unit
or measure word from the vocabulary, and the comparator words around it (不少于 … 以上, 提高 …%).
Chinese numerals are converted with cn2an; Arabic numbers are parsed as Decimal, so no precision is lost.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from . import tables as T
from .tables import UnitForm, UnitTable

ARABIC = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
CHINESE = rf"[{T.CN_NUMERAL_CHARS}]+"
ATOM_RE = re.compile(rf"百分之(?P<pc>{ARABIC}|{CHINESE})|(?P<ar>{ARABIC})|(?P<cn>{CHINESE})")
_ARABIC_RE = re.compile(rf"(?:{ARABIC})")
_MULT_RE = re.compile(T._alternation(T.MULTIPLIERS))
_IDIOM_RE = re.compile(T._alternation(T.IDIOMS))
_BAD_CN_RUN = re.compile(r"[一二两三四五六七八九][一二两三四五六七八九〇零]")
_LATIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
#: Full-width digits and signs → ASCII, one character for one, so offsets do not move.
FULLWIDTH = str.maketrans("０１２３４５６７８９．％／－～", "0123456789.%/-~")
MAX_VALUE = Decimal("1e18")
#: Words that end right before a position: `$` with endpos = the position; the leftmost match is the longest.
_PREFIX_RE = re.compile(f"(?:{T._alternation(T.PREFIX_BOUNDS)})$")
_CHANGE_RE = re.compile(f"(?:{T._alternation(T.CHANGE_VERBS)})$")
_PREFIX_LEN = max(map(len, T.PREFIX_BOUNDS))
_CHANGE_LEN = max(map(len, T.CHANGE_VERBS))
_SUFFIX_BOUNDS = sorted(T.SUFFIX_BOUNDS.items(), key=lambda kv: -len(kv[0]))
#: Comparators in the order a list of them is written (a change first, then its bound).
_COMPARATOR_ORDER = {"increase-by": 0, "decrease-by": 1, "at-least": 2, "at-most": 3, "approximately": 4,
                     "exactly": 5}


@dataclass(frozen=True)
class Quantity:
    """One quantity found in a text; `start`/`end` delimit `as_written` (code points)."""

    start: int
    end: int
    value: Decimal
    unit: str
    comparators: tuple[str, ...]
    as_written: str
    note: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A number the scanner saw but did not keep, with the reason (e.g. a unit the vocabulary lacks)."""

    start: int
    end: int
    written: str
    reason: str


@lru_cache(maxsize=4096)
def chinese_to_decimal(run: str) -> Decimal | None:
    """A run of Chinese numerals → its value (十二 → 12, 两千 → 2000, 三万五千 → 35000), or None.

    Runs that are digit strings rather than numbers (二〇二三, 三四) are not quantities and give None.
    """
    if not run or len(run) > 12 or _BAD_CN_RUN.search(run):
        return None
    if run in T.MULTIPLIERS:
        return Decimal(T.MULTIPLIERS[run])
    if run == "百":
        return Decimal(100)
    try:
        import cn2an

        value = cn2an.cn2an(run, "normal")
    except Exception:  # cn2an raises ValueError (and others) on anything it cannot read
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def parse_number(written: str) -> Decimal | None:
    """One written number → Decimal: '1,234.5', '3.5万', '2亿', '两千', '十二', '百分之十五', '15%'.

    Returns None when `written` is not a single number.
    """
    s = written.strip().translate(FULLWIDTH)
    if s.endswith("%"):
        s = s[:-1]
    if s.startswith("百分之"):
        s = s[3:]
    m = _ARABIC_RE.fullmatch(s)
    if m:
        return Decimal(s.replace(",", ""))
    m = _ARABIC_RE.match(s)
    if m and s[m.end():] in T.MULTIPLIERS:
        return Decimal(m.group().replace(",", "")) * T.MULTIPLIERS[s[m.end():]]
    if s and all(ch in T.CN_NUMERAL_CHARS for ch in s):
        return chinese_to_decimal(s)
    return None


def _plain(d: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 35000, 3.5, 0.25."""
    d = d.normalize()
    text = format(d, "f")
    return text


def format_value(d: Decimal) -> str:
    return _plain(d)


class _Masks:
    """Sorted spans in which no number is read (names, idioms)."""

    def __init__(self, spans):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def covers(self, pos: int) -> bool:
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and self.spans[i][0] <= pos < self.spans[i][1]


def _ends_with(text: str, end: int, regex: re.Pattern, longest: int, table: dict) -> tuple[str, str] | None:
    m = regex.search(text, max(0, end - longest), end) if end > 0 else None
    return (m.group(), table[m.group()]) if m else None


def _starts_with_any(text: str, pos: int, items) -> tuple[str, str] | None:
    for word, value in items:
        if text.startswith(word, pos):
            return word, value
    return None


def _comparators(norm: str, start: int, end_pos: int, more: bool, post: str | None) -> list[str]:
    comps: list[str] = []
    pre = _ends_with(norm, start, _PREFIX_RE, _PREFIX_LEN, T.PREFIX_BOUNDS)
    verb_end = start
    if pre:
        comps.append(pre[1])
        verb_end = start - len(pre[0])
    for filler in T.CHANGE_FILLERS:
        at = verb_end - len(filler)
        change = _ends_with(norm, at, _CHANGE_RE, _CHANGE_LEN, T.CHANGE_VERBS) \
            if at >= 0 and norm.startswith(filler, at) else None
        if change:
            comps.append(change[1])
            break
    if post:
        comps.append(post)
    if more:
        comps.append("at-least")
    return comps


def _order(comps) -> tuple[str, ...]:
    """The comparators in written order, at most one change and one bound (the loader refuses more): a hard
    bound (at least, at most) outranks an approximate one (约…以上 is at least), the first change wins."""
    out = sorted(set(comps), key=_COMPARATOR_ORDER.__getitem__)
    changes = [c for c in out if c in ("increase-by", "decrease-by")][:1]
    bounds = [c for c in out if c not in ("increase-by", "decrease-by")][:1]
    return tuple(changes + bounds) or ("exactly",)


def find_quantities(text: str, table: UnitTable, masked=()) -> tuple[list[Quantity], list[Skipped]]:
    """Every quantity in `text` (in order), and the numbers skipped for a reason worth reporting.

    `masked` spans (e.g. facility names like 地铁2号线, 八家子河) are not read.
    """
    norm = text.translate(FULLWIDTH)
    masks = _Masks([*masked, *((m.start(), m.end()) for m in _IDIOM_RE.finditer(norm))])
    found: list[Quantity] = []
    skipped: list[Skipped] = []
    last_end = 0
    for m in ATOM_RE.finditer(norm):
        s = m.start()
        cn = m.group("cn")
        if cn is not None and (cn == "一" or cn == "零" or cn == "〇"):
            continue  # 一批, 一体化, 零就业: articles and words, not quantities
        if s < last_end or masks.covers(s):
            continue
        result = _read(norm, text, m, table)
        if result is None:
            continue
        if isinstance(result, Skipped):
            skipped.append(result)
            continue
        found.extend(result)
        last_end = result[0].end
    return found, skipped


def _read(norm: str, text: str, m: re.Match, table: UnitTable):
    """Read the quantity starting at atom `m`: a list of Quantity (two for a range), a Skipped, or None."""
    s, pos = m.start(), m.end()
    kind = "pc" if m.group("pc") is not None else "ar" if m.group("ar") is not None else "cn"
    written = m.group(kind)
    prev = norm[s - 1] if s else ""
    if kind == "ar":
        if prev in _LATIN or (prev and prev in ".," and s >= 2 and norm[s - 2].isdigit()):
            return None  # G20, X5, 1.2.3
        if norm.startswith("第", s - 1):
            return None
        value = Decimal(written.replace(",", ""))
    elif kind == "cn":
        if any(norm.startswith(w, s - len(w)) for w in T.NOT_A_QUANTITY_BEFORE if s >= len(w)):
            return None
        if norm.startswith(T.NOT_A_QUANTITY_AFTER, pos):
            return None
        # a run whose last character starts a unit (五千米 = 5 km, not 5000 米)
        if len(written) > 1 and written[-1] in T.CN_POWERS and table.match(norm, pos - 1):
            written, pos = written[:-1], pos - 1
        value = chinese_to_decimal(written)
        if value is None:
            return None
    else:  # 百分之…
        value = parse_number(written)
        if value is None:
            return None
        return _finish(norm, text, s, pos, [value], UnitForm("", "percent", None), False, kind, None)

    bare_multiplier = kind == "cn" and written in T.MULTIPLIERS
    more = False
    mult = None
    unit = table.match(norm, pos)
    if unit is None and norm.startswith(T.MORE_THAN, pos):
        more, pos = True, pos + 1
        unit = table.match(norm, pos)
    if unit is None and kind == "ar":
        mm = _MULT_RE.match(norm, pos)
        if mm:
            mult = T.MULTIPLIERS[mm.group()]
            pos = mm.end()
            if not more and norm.startswith(T.MORE_THAN, pos):
                more, pos = True, pos + 1
            unit = table.match(norm, pos)
    values = [value * mult if mult else value]

    # a range written with its unit twice: 6%－6.5%, 6.5%-7% (the unit is read again after the second number)
    if unit is not None and unit.unit == "percent" and not more and kind == "ar":
        sep = pos + len(unit.written)
        if sep < len(norm) and norm[sep] in T.RANGE_SEPARATORS:
            m2 = _ARABIC_RE.match(norm, sep + 1)
            u2 = table.match(norm, m2.end()) if m2 else None
            if m2 and u2 is not None and u2.unit == unit.unit:
                v2 = Decimal(m2.group().replace(",", ""))
                if values[0] < v2:
                    values, pos, unit = [values[0], v2], m2.end(), u2

    # a range: 10-15个, 3-5万人, 10%～15%
    if len(values) == 1 and pos < len(norm) and norm[pos] in T.RANGE_SEPARATORS and not more:
        m2 = ATOM_RE.match(norm, pos + 1)
        same = m2 is not None and ((kind == "ar" and m2.group("ar")) or (kind == "cn" and m2.group("cn")))
        if same and (unit is None or unit.unit == "percent"):
            v2 = Decimal(m2.group("ar").replace(",", "")) if kind == "ar" else chinese_to_decimal(m2.group("cn"))
            p2 = m2.end()
            mult2 = None
            u2 = table.match(norm, p2)
            if u2 is None and kind == "ar":
                mm = _MULT_RE.match(norm, p2)
                if mm:
                    mult2, p2 = T.MULTIPLIERS[mm.group()], mm.end()
                    u2 = table.match(norm, p2)
            if v2 is not None and (u2 is not None or unit is not None):
                low = values[0] if (mult or not mult2) else value * mult2
                high = v2 * (mult2 or mult or 1)
                if low < high:
                    values, pos, unit = [low, high], p2, u2 or unit
                    mult = mult or mult2

    if unit is not None:
        if unit.written == T.SLOGAN_WORD:
            lo, hi = T.SLOGAN_RANGE
            if kind != "cn" or more or len(values) > 1 or not lo <= values[0] <= hi \
                    or any(norm.startswith(w, s - len(w)) for w in T.PARTY_CONGRESS_BEFORE if s >= len(w)):
                return None
        elif unit.written == "日":
            if prev == "月" or not norm.startswith(T.DAY_AS_DURATION_AFTER, pos + 1):
                return None
        if norm.startswith("子", pos + len(unit.written)):
            return None  # 八家子, 三台子: place names
        if bare_multiplier and (unit.unit not in T.COUNT_UNITS or (prev and (prev in T.CN_NUMERAL_CHARS
                                                                             or prev.isdigit()))):
            return None  # 亿元以上项目 is a size class, not an amount; 9…9亿个 (rejected) leaves no 亿个
        return _finish(norm, text, s, pos, values, unit, more, kind, mult)

    # no unit
    if kind == "ar" and pos < len(norm) and norm[pos] in _LATIN:
        return None  # 5G, 3D
    unknown = table.unknown_regex.match(norm, pos) if table.unknown_regex.pattern else None
    if unknown:
        return Skipped(s, unknown.end(), text[s:unknown.end()],
                       f"unit {unknown.group()!r} is not in data/vocab/units.yaml")
    if kind == "ar" and not bare_multiplier:
        post = _starts_with_any(norm, pos, _SUFFIX_BOUNDS)
        if mult or post:
            return _finish(norm, text, s, pos, values, UnitForm("", "ge", "未写量词 (no measure word): check the unit"),
                           more, kind, mult)
    return None


def _finish(norm: str, text: str, s: int, pos: int, values: list[Decimal], unit: UnitForm, more: bool,
            kind: str, mult) -> list[Quantity] | None:
    end = pos + len(unit.written)
    post = _starts_with_any(norm, end, _SUFFIX_BOUNDS)
    if post is None and unit.unit in T.DURATION_UNITS and norm.startswith("内", end):
        post = ("内", "at-most")  # 30日内, 5个工作日内
    if post:
        end += len(post[0])
    if any(not v.is_finite() or abs(v) >= MAX_VALUE for v in values):
        return None
    comps = _comparators(norm, s, end, more, post[1] if post else None)
    as_written = text[s:end]
    if len(as_written) > 30:
        return None
    if len(values) == 1:
        return [Quantity(s, end, values[0], unit.unit, _order(comps), as_written, unit.note)]
    changes = [c for c in comps if c in ("increase-by", "decrease-by")][:1]  # a range's bounds are its own
    note = f"范围 {_plain(values[0])}–{_plain(values[1])}" + (f"; {unit.note}" if unit.note else "")
    return [Quantity(s, end, values[0], unit.unit, _order([*changes, "at-least"]), as_written, note),
            Quantity(s, end, values[1], unit.unit, _order([*changes, "at-most"]), as_written, note)]
