"""What time a figure speaks of, from how government work reports are written: plan or review, year or period.

A report opens with a review (回顾) of the past year — and, at the end of a government's term or of a five-year
plan, of the past five years — then sets the plan year's main expected targets (主要预期目标) and its work.
Within a review the text says which time it speaks of with a few stock phrases, and what it says holds until
the next one: 过去五年 / 五年来 / “十三五”时期 open a period, 过去一年 / 一年来 / 去年 / 全年 / 2022年是 a year;
年均 (a yearly average) always speaks of a period. A figure of a five-year plan that has not ended yet (“十四五”
in 2021) is a target of that period. These rules read the phrases, never a report's particular wording.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from . import tables as T

_CN = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_N = r"(?P<n>[0-9]{1,2}|[一二两三四五六七八九十]{1,2})"
#: A multi-year span back from the plan year: 过去五年, 五年来, 近五年.
PERIOD_RE = re.compile(rf"(?:过去|(?<![0-9一二两三四五六七八九十第])近?(?=[0-9一二两三四五六七八九十]{{1,2}}年(?:来|以来|间))){_N}年")
#: A five-year plan by its number: “十三五”, 十四五时期 (the first plan began in 1953; from the third, 1966,
#: they follow each other without a gap).
PLAN_RE = re.compile(r"[“\"]?(?P<plan>十[一二三四五六七八九]|[三四五六七八九])五[”\"]?(?:时期|期间|规划)")
#: A span of years named with what happened in it (十年增加近70万亿元, 五年累计): holds to the sentence's end.
LOCAL_PERIOD_RE = re.compile(rf"(?<![0-9一二两三四五六七八九十第]){_N}年(?=增加|增长|累计|共|提高|下降|减少)")
_SENTENCE_END_RE = re.compile(r"[。！？!?；;\n]")
#: One year: 过去一年, 一年来, 去年, 上年, 2022年是, 刚刚过去的2017年.
YEAR_RE = re.compile(r"过去一年|一年来|去年|上一年|(?<![0-9])(?P<y>(?:19|20)[0-9]{2})年(?:是|，|,|里|中)")
#: The plan year: 今年.
PLAN_YEAR_RE = re.compile(r"今年|本年度|新的一年")
#: A yearly average speaks of a period even where the text last named one year.
AVERAGE_RE = re.compile(r"年均|年平均")


@dataclass(frozen=True)
class Scope:
    """The time a stretch of text speaks of: kind ("outcome"/"target"), and a year or (first, last) period."""

    kind: str
    year: int
    period: tuple[int, int] | None = None


def _number(n: str) -> int | None:
    if n.isdigit():
        return int(n)
    if n == "十":
        return 10
    if len(n) == 2 and n[0] == "十":
        return 10 + _CN.get(n[1], 0)
    if len(n) == 2 and n[1] == "十":
        return _CN.get(n[0], 0) * 10
    return _CN.get(n)


def plan_years(plan: str) -> tuple[int, int]:
    """The years of a five-year plan by its number: 十三 → (2016, 2020), 十四 → (2021, 2025)."""
    n = _number(plan) or 0
    first = 1953 + 5 * (n - 1) if n <= 2 else 1966 + 5 * (n - 3)
    return first, first + 4


def marker_scope(match: re.Match, plan_year: int) -> Scope | None:
    """The scope one stock phrase opens, seen from a report for `plan_year`."""
    text = match.group()
    if match.re is PLAN_RE:
        first, last = plan_years(match.group("plan"))
        if first >= plan_year:
            return Scope("target", last, (first, last))
        if last < plan_year:
            return Scope("outcome", last, (first, last))
        return None  # a plan under way: its figures are targets or progress, the text around decides
    if match.re is PERIOD_RE or match.re is LOCAL_PERIOD_RE:
        n = _number(match.group("n") or "")
        if not n or n < 2 or n > 20:
            return None
        return Scope("outcome", plan_year - 1, (plan_year - n, plan_year - 1))
    if match.re is YEAR_RE:
        y = match.group("y")
        year = int(y) if y else plan_year - 1
        if year >= plan_year:
            return Scope("target", year) if year == plan_year else None
        return Scope("outcome", year)
    if match.re is PLAN_YEAR_RE:
        return Scope("target", plan_year)
    return None


class TimeScopes:
    """The scope at every position of a review section: the last stock phrase before it (within the section),
    else what the section's heading says."""

    def __init__(self, text: str, plan_year: int, sections: list[tuple[int, int, Scope]]):
        self.plan_year = plan_year
        self.sections = sorted(sections)
        self.section_starts = [s for s, _, _ in self.sections]
        markers: list[tuple[int, int, Scope, int]] = []  # start, end, scope, where it stops holding
        n = len(text)
        for rx in (PERIOD_RE, PLAN_RE, YEAR_RE, PLAN_YEAR_RE, LOCAL_PERIOD_RE):
            for m in rx.finditer(text):
                scope = marker_scope(m, plan_year)
                if scope is not None:
                    until = n
                    if rx is LOCAL_PERIOD_RE:
                        stop = _SENTENCE_END_RE.search(text, m.end())
                        until = stop.start() if stop else n
                    markers.append((m.start(), m.end(), scope, until))
        markers.sort(key=lambda x: (x[0], -x[1]))
        self.markers = markers
        self.marker_starts = [m[0] for m in markers]
        self.averages = [m.start() for m in AVERAGE_RE.finditer(text)]

    def section(self, pos: int) -> tuple[int, int, Scope] | None:
        i = bisect.bisect_right(self.section_starts, pos) - 1
        if i >= 0 and self.sections[i][0] <= pos < self.sections[i][1]:
            return self.sections[i]
        return None

    def at(self, pos: int, clause_start: int | None = None) -> Scope | None:
        """The scope of a figure at `pos` in a review section (None outside one); `clause_start` lets 年均
        written earlier in the same clause turn a year into the period it averages over."""
        sec = self.section(pos)
        if sec is None:
            return None
        start, _, scope = sec
        i = bisect.bisect_right(self.marker_starts, pos) - 1
        while i >= 0 and self.markers[i][0] >= start:
            if self.markers[i][1] <= pos <= self.markers[i][3]:
                scope = self.markers[i][2]
                break
            i -= 1
        if scope.period is None and scope.kind == "outcome" and clause_start is not None:
            j = bisect.bisect_left(self.averages, clause_start)
            if j < len(self.averages) and self.averages[j] < pos:
                # an average over the years before the one named: the period of the review's section
                first = self._section_period(start) or (scope.year - 4, scope.year)
                return Scope("outcome", first[1], first)
        return scope

    def _section_period(self, start: int) -> tuple[int, int] | None:
        for _, _, scope, _ in self.markers_in(start):
            if scope.period:
                return scope.period
        return None

    def markers_in(self, start: int):
        i = bisect.bisect_left(self.marker_starts, start)
        return self.markers[i:]


def heading_scope(label: str, plan_year: int) -> Scope | None:
    """What a review heading says about the time of its section: 2023年工作回顾 → 2023, 过去五年工作回顾 →
    the five years before the plan year, 过去一年和五年工作回顾 → the past year first (the five years follow
    with their own phrase). None for a heading that is not a review."""
    if not T.REVIEW_HEADING_RE.search(label):
        return None
    plan = PLAN_RE.search(label)
    if plan:
        first, last = plan_years(plan.group("plan"))
        if last < plan_year:
            return Scope("outcome", last, (first, last))
    y = re.search(r"(?:19|20)[0-9]{2}", label)
    if y:
        return Scope("outcome", int(y.group()))
    if "一年" not in label:
        m = PERIOD_RE.search(label)
        if m:
            scope = marker_scope(m, plan_year)
            if scope is not None:
                return scope
    return Scope("outcome", plan_year - 1)
