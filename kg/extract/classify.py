"""Measure categories by keyword, statement kinds by section, and the document's own metadata.

Categories come from the `keywords` of data/vocab/categories.yaml. Chinese phrases are head-final, so the
keyword written last wins (单位生产总值能耗 → energy intensity); where keywords overlap, the longest one
(燃气管 beats 管线, 地区生产总值增长 beats 地区生产总值), ties going to the category listed first. A measure
no keyword matches gets the category `other` and a note asking for review.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter

from ..vocab import Gazetteer, Vocab
from . import tables as T

OTHER = "other"

_TABLES: dict[int, tuple[Vocab, "Categorizer"]] = {}


class Categorizer:
    def __init__(self, vocab: Vocab):
        self.rank: dict[str, tuple[int, int, str]] = {}
        for i, (key, cat) in enumerate(vocab.categories.items()):
            for kw in cat.keywords:
                kw = str(kw)
                if kw and (kw not in self.rank or self.rank[kw][1] > i):
                    self.rank[kw] = (-len(kw), i, key)
        self.regex = re.compile(T._alternation(self.rank)) if self.rank else None
        self.broader = {k: c.broader for k, c in vocab.categories.items()}
        self.has_other = OTHER in vocab.categories

    @classmethod
    def of(cls, vocab: Vocab) -> "Categorizer":
        hit = _TABLES.get(id(vocab))
        if hit is None or hit[0] is not vocab:
            hit = (vocab, cls(vocab))
            _TABLES[id(vocab)] = hit
        return hit[1]

    def classify(self, *texts: str) -> str | None:
        """The category of the first text that has a keyword (longest keyword wins), else None."""
        if self.regex is None:
            return None
        for text in texts:
            matches = []
            pos = 0
            # overlapping keywords (燃气管 / 管线) are all found by restarting one character on
            while True:
                m = self.regex.search(text, pos)
                if not m:
                    break
                matches.append((m.start(), m.end(), self.rank[m.group()]))
                pos = m.start() + 1
            if matches:
                return _head_keyword(matches)
        return None

    def is_indicator(self, key: str) -> bool:
        seen = set()
        while key and key not in seen:
            if key == "macro-indicators":
                return True
            seen.add(key)
            key = self.broader.get(key)
        return False


def _head_keyword(matches: list[tuple[int, int, tuple[int, int, str]]]) -> str:
    """Chinese phrases are head-final: the keyword written last names the measure (单位生产总值能耗 is
    about 能耗; 学校配备校车 about 校车). Keywords that overlap (燃气管线: 燃气管 / 管线) are one place in
    the text, where the longest one wins (ties: the category listed first)."""
    matches.sort()
    groups: list[list] = []  # [end, best rank] of each separate place, in text order
    for start, end, rank in matches:
        if groups and start < groups[-1][0]:
            groups[-1][0] = max(groups[-1][0], end)
            groups[-1][1] = min(groups[-1][1], rank)
        else:
            groups.append([end, rank])
    return groups[-1][1][2]


# ------------------------------------------------------------------------------------------ metadata

_YEAR_RE = re.compile(r"(?<![0-9])(19[5-9][0-9]|20[0-9][0-9])(?![0-9])")
_DATE_RE = re.compile(r"(?:(?P<y>(?:19|20)[0-9]{2})年)?(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})日")
_PUBLISHER_RE = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:日报|晚报|晨报|都市报|商报|新闻网|电视台|广播电视台|融媒体中心))"
                           r"(?:记者|讯|消息)")


def detect_year(text: str, heading_texts: list[str]) -> int | None:
    """The plan year: the year most often written in the headings (a review of 2023 speaks for a plan of
    2024), else in the whole text; ties go to the year written first."""
    found = []
    for label in heading_texts:
        review = T.REVIEW_HEADING_RE.search(label) is not None
        found += [int(y) + review for y in _YEAR_RE.findall(label)]
    if not found:
        found = [int(y) for y in _YEAR_RE.findall(text[:200_000])]
    if not found:
        return None
    counts = Counter(found)
    return max(found, key=lambda y: (counts[y], -found.index(y)))


def detect_date(text: str, year: int) -> str:
    """The publication date near the top of the text (1月8日 → YYYY-01-08), else the year."""
    m = _DATE_RE.search(text[:2000])
    if m:
        y = int(m.group("y") or year)
        try:
            return _dt.date(y, int(m.group("m")), int(m.group("d"))).isoformat()
        except ValueError:
            pass
    return str(year)


def detect_publisher(text: str) -> str | None:
    m = _PUBLISHER_RE.search(text)
    return m.group(1) if m else None


def city_scores(text: str, gazetteers: dict[str, Gazetteer]) -> dict[str, int]:
    """How often each gazetteer's city and divisions are named in the text."""
    scores = {}
    for key, gaz in gazetteers.items():
        names = {n for d in (gaz.city, *gaz.divisions) for n in (d.zh, *d.short) if n}
        if not names:
            continue
        rx = re.compile(T._alternation(names))
        scores[key] = len(rx.findall(text[:200_000]))
    return scores
