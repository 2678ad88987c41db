"""Curated record files (data/records/*.yaml) → validated dataclasses.

Every problem is reported with file, line and field, and the fix where there is an obvious one; see
docs/records.md for the schema.
"""

from __future__ import annotations

import gc
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from . import paths
from .errors import RecordError, capped
from .namespaces import BOUND_COMPARATORS, CHANGE_COMPARATORS, COMPARATORS, KINDS
from .perf import check_jobs, cpu_count, gc_paused
from .vocab import Vocab, load_vocab
from .yamlio import LineDict, load_yaml

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_VALUE = Decimal("1e18")
MAX_DECIMALS = 12
#: Characters XML 1.0 cannot hold (RDF/XML and GraphML exports would not parse), nor UTF-8 (lone surrogates).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Statement:
    id: str
    kind: str
    value: Decimal
    unit: str
    comparators: tuple[str, ...]
    as_written: str
    span: Span
    year: int
    note: str | None
    line: int
    #: whether a person checked this statement (its own `reviewed`, else the document's)
    reviewed: bool = False
    #: (first year, last year) of a multi-year review figure (`period: [2018, 2022]`); `year` is then the last
    period: tuple[int, int] | None = None


@dataclass(frozen=True)
class Measure:
    id: str
    goal: str
    label: str
    label_en: str | None
    category: str
    districts: tuple[str, ...]
    facilities: tuple[str, ...]
    span: Span
    statements: tuple[Statement, ...]
    year: int
    line: int


@dataclass(frozen=True)
class Goal:
    id: str
    label: str
    label_en: str | None
    parent: str | None
    ordinal: int | None
    span: Span
    year: int
    line: int


@dataclass(frozen=True)
class Facility:
    id: str
    label: str
    label_en: str | None
    type: str
    district: str | None
    span: Span
    line: int


@dataclass(frozen=True)
class DistrictMention:
    district: str
    span: Span
    line: int


@dataclass(frozen=True)
class Document:
    id: str
    slug: str
    sha256: str
    chars: int | None
    title_zh: str
    title_en: str | None
    date: str
    publisher: str
    city: str | None  # a gazetteer key (data/gazetteer/<city>.yaml), when the record names one
    year: int
    reviewed: bool
    #: `kg review`'s counts per kind of item ({"statements": {"drafted": 54, "accepted": 40, …}, …}), or None
    review: dict | None = field(default=None, compare=False, hash=False)
    jurisdiction: str | None = None  # GB/T 2260 code of the issuing government (kg.divisions), when known
    source: str | None = None  # where the text was published (a URL), as dcterms:source


@dataclass(frozen=True)
class Record:
    """One record file: one source document and everything curated from it."""

    path: Path
    document: Document
    goals: tuple[Goal, ...]
    measures: tuple[Measure, ...]
    facilities: tuple[Facility, ...]
    district_mentions: tuple[DistrictMention, ...]

    def spans(self):
        """(kind, id, span, line) of every anchored item, for source checks."""
        for g in self.goals:
            yield "goal", g.id, g.span, g.line
        for m in self.measures:
            yield "measure", m.id, m.span, m.line
            for s in m.statements:
                yield "statement", s.id, s.span, s.line
        for f in self.facilities:
            yield "facility", f.id, f.span, f.line
        for d in self.district_mentions:
            yield "district", d.district, d.span, d.line


@dataclass(frozen=True)
class Corpus:
    records: tuple[Record, ...]
    vocab: Vocab = field(repr=False)

    def facilities(self) -> dict[str, Facility]:
        """Facilities by id across all records (the first definition wins; they were checked equal)."""
        out: dict[str, Facility] = {}
        for r in self.records:
            for f in r.facilities:
                out.setdefault(f.id, f)
        return out


TOP_KEYS = {"document", "goals", "measures", "facilities", "district_mentions"}
DOC_KEYS = {"id", "slug", "sha256", "chars", "title", "date", "publisher", "city", "jurisdiction", "year",
            "reviewed", "review", "source"}
#: document.review: the counts `kg review` keeps per kind of item (docs/review.md)
REVIEW_SECTIONS = ("goals", "measures", "statements", "facilities", "district_mentions")
REVIEW_COUNTS = ("drafted", "accepted", "edited", "rejected", "added")
GOAL_KEYS = {"id", "label", "label_en", "parent", "ordinal", "span", "year", "reviewed"}
MEASURE_KEYS = {"id", "goal", "label", "label_en", "category", "districts", "facilities", "span",
                "statements", "year", "reviewed", "note"}
STATEMENT_KEYS = {"id", "kind", "value", "unit", "comparator", "as_written", "span", "year", "period", "note",
                  "reviewed"}
FACILITY_KEYS = {"id", "label", "label_en", "type", "district", "span", "reviewed"}
MENTION_KEYS = {"district", "span", "reviewed"}


class _Checker:
    """Collects every problem of one file, so a curator sees them all at once."""

    def __init__(self, path: Path, vocab: Vocab):
        self.path = path
        self.vocab = vocab
        self.problems: list[str] = []

    def problem(self, line: int, where: str, message: str) -> None:
        self.problems.append(f"{self.path}:{line}: {where}: {capped(message)}")

    def mapping(self, node: Any, where: str, allowed: set[str], required: tuple[str, ...], line: int) -> bool:
        if not isinstance(node, dict):
            self.problem(line, where, f"expected a mapping, got {type(node).__name__}")
            return False
        ok = True
        for key in node:
            if key not in allowed:
                hint = _closest(str(key), allowed)
                self.problem(_line(node, key), f"{where}.{key}", "unknown field" + hint)
                ok = False
        for key in required:
            if key not in node or node[key] is None:
                self.problem(_line(node), f"{where}.{key}", "required field is missing")
                ok = False
        return ok

    def text(self, node: dict, key: str, where: str, *, required: bool = True, max_len: int = 80) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(_line(node, key), f"{where}.{key}", f"expected text, got {type(value).__name__}")
            return None
        value = str(value).strip()
        bad = _UNWRITABLE.search(value)
        if bad:
            self.problem(_line(node, key), f"{where}.{key}", f"contains the control character or lone surrogate "
                         f"U+{ord(bad.group()):04X}, which XML exports cannot hold; remove it")
        if required and not value:
            self.problem(_line(node, key), f"{where}.{key}", "must not be empty")
        if len(value) > max_len:
            self.problem(_line(node, key), f"{where}.{key}",
                         f"{len(value)} characters; keep it under {max_len} (short titles and facts only, "
                         "never the source's sentences)")
        return value

    def ident(self, node: dict, key: str, where: str, pattern: re.Pattern = ID_RE) -> str | None:
        value = self.text(node, key, where)
        if value is not None and not pattern.match(value):
            self.problem(_line(node, key), f"{where}.{key}",
                         f"{value!r} is not a valid id: use lowercase letters, digits and '-'")
        return value

    def integer(self, node: dict, key: str, where: str, lo: int, hi: int) -> int | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(_line(node, key), f"{where}.{key}", f"expected a whole number, got {value!r}")
            return None
        if not lo <= value <= hi:
            self.problem(_line(node, key), f"{where}.{key}", f"{value} is outside {lo}–{hi}")
            return None
        return value

    def span(self, node: dict, where: str, chars: int | None) -> Span | None:
        value = node.get("span")
        line = _line(node, "span")
        if value is None:
            self.problem(_line(node), f"{where}.span", "required field is missing: [start, end] offsets")
            return None
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            self.problem(line, f"{where}.span", f"expected [start, end] as two whole numbers, got {value!r}")
            return None
        start, end = value
        if start < 0 or end <= start:
            self.problem(line, f"{where}.span", f"[{start}, {end}] is empty or negative: need 0 <= start < end")
            return None
        if chars is not None and end > chars:
            self.problem(line, f"{where}.span", f"[{start}, {end}] runs past the end of the text ({chars} chars)")
            return None
        return Span(start, end)

    def district(self, name: Any, doc: Document, line: int, where: str) -> str | None:
        """The IRI key of a division named in a record: from the document's gazetteer file, else from the
        divisions table (valid in the document's year, ambiguity resolved by the issuing jurisdiction)."""
        gaz = self.vocab.gazetteers.get(doc.city) if doc.city else None
        if gaz is None:
            return _division_key(self, name, doc, line, where)
        if not isinstance(name, str) or gaz.lookup(name) is None:
            self.problem(line, where, f"unknown district {name!r}; known: {gaz.known()}")
            return None
        return gaz.lookup(name).key

    def decimal(self, node: dict, where: str) -> Decimal | None:
        raw = node.get("value")
        line = _line(node, "value")
        if isinstance(raw, bool) or raw is None or not isinstance(raw, int | float | str):
            self.problem(line, f"{where}.value", f"expected a number, got {raw!r}")
            return None
        try:
            value = Decimal(str(raw).replace(",", "").strip())
        except InvalidOperation:
            self.problem(line, f"{where}.value",
                         f"{raw!r} is not a number; write the normalised value, e.g. 30000 for 3万")
            return None
        if not value.is_finite() or abs(value) >= MAX_VALUE:
            self.problem(line, f"{where}.value", f"{raw!r} is not a finite number below 10^18")
            return None
        if value and value.as_tuple().exponent < -MAX_DECIMALS:
            self.problem(line, f"{where}.value", f"{raw!r} has more than {MAX_DECIMALS} digits after the point; "
                         "write the value as the text gives it")
            return None
        return value


def _real_date(date: str) -> bool:
    """A YYYY, YYYY-MM or YYYY-MM-DD that names a real year, month or day."""
    import datetime

    parts = [int(x) for x in date.split("-")]
    try:
        datetime.date(parts[0], *(parts[1:] + [1, 1])[:2])
    except ValueError:
        return False
    return True


_FULLWIDTH = str.maketrans("０１２３４５６７８９．％－", "0123456789.%-")
_WRITTEN_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?")


def written_mismatch(value: Decimal, as_written: str) -> str | None:
    """What is wrong between a value and the text it was read from, when the text holds one plain number
    (no 万/亿 multiplier, no Chinese numerals, no range): the number must be the value, negative only when
    written so. None when they agree or the text needs more reading than that."""
    text = as_written.translate(_FULLWIDTH)
    numbers = _WRITTEN_NUMBER.findall(text)
    if len(numbers) != 1 or re.search("[万亿千百十零一二两三四五六七八九]", text):
        return None
    written = Decimal(numbers[0].replace(",", ""))
    negative = bool(re.search("[-−负]", text))
    if written != abs(value) or (value < 0 and not negative):
        return (f"value {value} is not the number written in as_written {as_written!r} ({'-' if negative else ''}"
                f"{written}); write the value as written (a fall is comparator decrease-by, not a minus sign)")
    return None


def _line(node: Any, key: str | None = None) -> int:
    if isinstance(node, LineDict):
        return node.line_of(key) if key else node.line
    return 0


def _closest(word: str, choices) -> str:
    import difflib

    match = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (allowed: {', '.join(sorted(choices))})"


def _where(kind: str, plural: str, i: int, node: Any) -> str:
    """How a problem names an item: by its id when it has one, else by its position."""
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        return f"{kind} {node['id']}"
    return f"{plural}[{i}]"


def _scalar(value: Any) -> Any:
    """A value that can be looked up in a vocabulary: a list or mapping written where a key belongs becomes
    its text (so it is reported as unknown instead of crashing the lookup)."""
    return value if value is None or isinstance(value, str | int | float) else str(value)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_record(path: Path, data: Any, vocab: Vocab) -> Record:
    """Validate one parsed record file; raise RecordError listing every problem found."""
    c = _Checker(path, vocab)
    if not isinstance(data, dict):
        raise RecordError([f"{path}:1: expected a mapping with `document:`, `goals:`, `measures:` …"])
    c.mapping(data, "file", TOP_KEYS, ("document",), 1)
    doc = _parse_document(c, data.get("document"), path)
    if c.problems or doc is None:
        raise RecordError(c.problems or [f"{path}:1: document: could not be read"])

    goals = _parse_goals(c, data.get("goals"), doc)
    facilities = _parse_facilities(c, data.get("facilities"), doc)
    measures = _parse_measures(c, data.get("measures"), doc, {g.id for g in goals})
    mentions = []
    for i, m in enumerate(_as_list(data.get("district_mentions"))):
        where = f"district_mentions[{i}]"
        if c.mapping(m, where, MENTION_KEYS, ("district", "span"), _line(data, "district_mentions")):
            key = c.district(m["district"], doc, _line(m, "district"), f"{where}.district")
            span = c.span(m, where, doc.chars)
            if key and span:
                mentions.append(DistrictMention(key, span, _line(m)))

    ids: dict[str, int] = {}
    for kind, items in (("goal", goals), ("measure", measures)):
        for item in items:
            if item.id in ids:
                c.problem(item.line, f"{kind} {item.id}", f"duplicate id (first used on line {ids[item.id]})")
            ids.setdefault(item.id, item.line)
    stmt_ids: dict[str, int] = {}
    for m in measures:
        for s in m.statements:
            if s.id in stmt_ids:
                c.problem(s.line, f"statement {s.id}", f"duplicate id (first used on line {stmt_ids[s.id]})")
            stmt_ids.setdefault(s.id, s.line)
    _check_goal_tree(c, goals)
    if c.problems:
        raise RecordError(c.problems)
    return Record(path, doc, tuple(goals), tuple(measures), tuple(facilities), tuple(mentions))


def _parse_document(c: _Checker, node: Any, path: Path) -> Document | None:
    where = "document"
    if not c.mapping(node, where, DOC_KEYS, ("id", "slug", "sha256", "title", "date", "publisher", "year"), 1):
        return None
    if node.get("city") is None and node.get("jurisdiction") is None:
        c.problem(_line(node), f"{where}.jurisdiction", "required field is missing: the issuing government's "
                  "GB/T 2260 code or name (e.g. \"210200\" or 大连市; \"100000\" for the State Council)")
    doc_id = c.ident(node, "id", where, DOC_ID_RE)
    slug = c.ident(node, "slug", where)
    sha = c.text(node, "sha256", where)
    if sha is not None and not SHA_RE.match(sha):
        c.problem(_line(node, "sha256"), f"{where}.sha256", "expected 64 lowercase hex digits (sha256sum FILE)")
    title = node.get("title")
    if not isinstance(title, dict) or "zh" not in title:
        c.problem(_line(node, "title"), f"{where}.title", "expected {zh: …, en: …}")
        title = {"zh": ""}
    for lang in ("zh", "en"):
        if title.get(lang) is not None and not isinstance(title[lang], str):
            c.problem(_line(title, lang) or _line(node, "title"), f"{where}.title.{lang}",
                      f"expected text, got {type(title[lang]).__name__} {title[lang]!r}; quote the title")
        elif _UNWRITABLE.search(str(title.get(lang) or "")):
            c.problem(_line(node, "title"), f"{where}.title.{lang}", "contains a control character or lone "
                      "surrogate, which XML exports cannot hold; remove it")
    date = str(node.get("date"))
    if not DATE_RE.match(date):
        c.problem(_line(node, "date"), f"{where}.date", f"{date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    elif not _real_date(date):
        c.problem(_line(node, "date"), f"{where}.date", f"{date!r} is no day of the calendar; check month and day")
    city = c.text(node, "city", where)
    if city is not None and city not in c.vocab.gazetteers:
        c.problem(_line(node, "city"), f"{where}.city",
                  f"no gazetteer data/gazetteer/{city}.yaml; known cities: {', '.join(c.vocab.gazetteers)}")
    year = c.integer(node, "year", where, 1949, 2100)
    jurisdiction = _jurisdiction(c, node, where, city, year)
    chars = c.integer(node, "chars", where, 1, 10**9)
    reviewed = node.get("reviewed", False)
    if not isinstance(reviewed, bool):
        c.problem(_line(node, "reviewed"), f"{where}.reviewed", "expected true or false")
    review = _parse_review(c, node)
    source = c.text(node, "source", where, required=False, max_len=400)
    if source is not None and not re.match(r"^https?://\S+$", source):
        c.problem(_line(node, "source"), f"{where}.source", f"{source[:40]!r} is not an http(s) URL of the text")
    if doc_id and path.stem != doc_id:
        c.problem(_line(node, "id"), f"{where}.id", f"{doc_id!r} differs from the file name; name the file {doc_id}.yaml")
    if c.problems:
        return None
    return Document(doc_id, slug, sha, chars, str(title["zh"]), title.get("en"), date,
                    c.text(node, "publisher", where), city, year, bool(reviewed), review, jurisdiction,
                    source=source)


def _parse_review(c: _Checker, node: dict) -> dict | None:
    """document.review: {section: {count: n}} with the sections and counts `kg review` writes."""
    review = node.get("review")
    if review is None:
        return None
    line = _line(node, "review")
    if not isinstance(review, dict) or not all(isinstance(v, dict) for v in review.values()):
        c.problem(line, "document.review", "expected {statements: {drafted: N, accepted: N, …}, …}")
        return None
    for section, counts in review.items():
        if section not in REVIEW_SECTIONS:
            c.problem(_line(review, section), f"document.review.{section}",
                      f"unknown section{_closest(str(section), REVIEW_SECTIONS)}")
        for key, n in counts.items():
            if key not in REVIEW_COUNTS:
                c.problem(_line(review, section), f"document.review.{section}.{key}",
                          f"unknown count{_closest(str(key), REVIEW_COUNTS)}")
            elif isinstance(n, bool) or not isinstance(n, int) or n < 0:
                c.problem(_line(review, section), f"document.review.{section}.{key}",
                          f"expected a whole number >= 0, got {n!r}")
    return {str(k): dict(v) for k, v in review.items()}


def _jurisdiction(c: _Checker, node: dict, where: str, city: str | None, year: int | None) -> str | None:
    """The GB/T 2260 code of the issuing government: `jurisdiction:` (a code or a zh name), else the city of
    the document's gazetteer file when the divisions table knows it (沈阳市 → 210100); None for made-up
    cities (kg synth)."""
    from .divisions import Ambiguous, divisions

    table = divisions()
    value = node.get("jurisdiction")
    if value is None:
        gaz = c.vocab.gazetteers.get(city) if city else None
        if gaz is None:
            return None
        d = table.of_gazetteer(gaz.city.key, gaz.city.zh)
        return d.code if d else None
    try:
        return table.find(str(value), year).code
    except Ambiguous as e:
        c.problem(_line(node, "jurisdiction"), f"{where}.jurisdiction",
                  f"{value!r} is ambiguous: write one code ({', '.join(d.code + ' ' + d.zh for d in e.candidates)})")
    except LookupError as e:
        c.problem(_line(node, "jurisdiction"), f"{where}.jurisdiction", str(e))
    return None


def _division_key(c: _Checker, name: Any, doc: Document, line: int, where: str) -> str | None:
    from .divisions import Ambiguous, divisions

    if doc.jurisdiction is None:
        return None  # reported once at document level
    table = divisions()
    issuer = table.get(doc.jurisdiction, doc.year)
    name = str(name).strip()
    if name.isdigit() and table.get(name, doc.year) is not None:
        return table.get(name, doc.year).key  # a code, where a name would be ambiguous
    try:
        return table.resolve(name, doc.year, within=issuer).key
    except Ambiguous as e:
        c.problem(line, where, f"{name!r} is ambiguous in {issuer.zh}: write the full name of one of "
                  + ", ".join(f"{d.zh} ({table.parent(d).zh if table.parent(d) else ''})" for d in e.candidates))
    except KeyError:
        c.problem(line, where, f"unknown division {name!r}; nearest: {', '.join(table.nearest(str(name)))}")
    return None


def _parse_goals(c: _Checker, nodes: Any, doc: Document) -> list[Goal]:
    goals = []
    if nodes is not None and not isinstance(nodes, list):
        c.problem(0, "goals", "expected a list")
        return goals
    for i, g in enumerate(_as_list(nodes)):
        where = _where("goal", "goals", i, g)
        if not c.mapping(g, where, GOAL_KEYS, ("id", "label", "span"), 0):
            continue
        gid, label = c.ident(g, "id", where), c.text(g, "label", where, max_len=30)
        span = c.span(g, where, doc.chars)
        parent = _scalar(g.get("parent"))
        ordinal = c.integer(g, "ordinal", where, 0, 10000)
        year = c.integer(g, "year", where, 1949, 2100) or doc.year
        if gid and label and span:
            goals.append(Goal(gid, label, c.text(g, "label_en", where, required=False), parent, ordinal,
                              span, year, _line(g)))
    return goals


def _check_goal_tree(c: _Checker, goals: list[Goal]) -> None:
    by_id = {g.id: g for g in goals}
    for g in goals:
        if g.parent is not None and g.parent not in by_id:
            c.problem(g.line, f"goal {g.id}.parent", f"no goal with id {g.parent!r} in this file{_closest(str(g.parent), by_id)}")
    for g in goals:  # cycles
        seen, cur = {g.id}, g
        while cur.parent in by_id:
            cur = by_id[cur.parent]
            if cur.id in seen:
                c.problem(g.line, f"goal {g.id}.parent", "goals form a cycle")
                break
            seen.add(cur.id)


def _parse_facilities(c: _Checker, nodes: Any, doc: Document) -> list[Facility]:
    out = []
    for i, f in enumerate(_as_list(nodes)):
        where = _where("facility", "facilities", i, f)
        if not c.mapping(f, where, FACILITY_KEYS, ("id", "label", "type", "span"), 0):
            continue
        fid, label = c.ident(f, "id", where), c.text(f, "label", where, max_len=30)
        ftype = _scalar(f.get("type"))
        if ftype not in c.vocab.facility_types:
            c.problem(_line(f, "type"), f"{where}.type",
                      f"unknown facility type {ftype!r}{_closest(str(ftype), c.vocab.facility_types)}; "
                      "add it to data/vocab/facility-types.yaml")
        district = None
        if f.get("district") is not None:
            district = c.district(f["district"], doc, _line(f, "district"), f"{where}.district")
        span = c.span(f, where, doc.chars)
        if fid and label and span and ftype in c.vocab.facility_types:
            out.append(Facility(fid, label, c.text(f, "label_en", where, required=False), ftype, district,
                                span, _line(f)))
    return out


def _parse_measures(c: _Checker, nodes: Any, doc: Document, goal_ids: set[str]) -> list[Measure]:
    out = []
    for i, m in enumerate(_as_list(nodes)):
        where = _where("measure", "measures", i, m)
        if not c.mapping(m, where, MEASURE_KEYS, ("id", "goal", "label", "category", "span"), 0):
            continue
        mid, label = c.ident(m, "id", where), c.text(m, "label", where, max_len=30)
        goal = _scalar(m.get("goal"))
        if goal not in goal_ids:
            c.problem(_line(m, "goal"), f"{where}.goal", f"no goal with id {goal!r} in this file{_closest(str(goal), goal_ids)}")
        cat = _scalar(m.get("category"))
        if cat not in c.vocab.categories:
            c.problem(_line(m, "category"), f"{where}.category",
                      f"unknown category {cat!r}{_closest(str(cat), c.vocab.categories)}; "
                      "add it to data/vocab/categories.yaml")
        districts = []
        for name in _as_list(m.get("districts")):
            key = c.district(name, doc, _line(m, "districts"), f"{where}.districts")
            if key and key not in districts:
                districts.append(key)
        facilities = _as_list(m.get("facilities"))
        for f in facilities:
            if not isinstance(f, str) or not ID_RE.match(f):
                c.problem(_line(m, "facilities"), f"{where}.facilities", f"{f!r} is not a facility id")
        year = c.integer(m, "year", where, 1949, 2100) or doc.year
        span = c.span(m, where, doc.chars)
        statements = []
        for j, s in enumerate(_as_list(m.get("statements"))):
            st = _parse_statement(c, s, f"{where}.statements[{j}]", f"{mid}-{j + 1}", doc, year,
                                  _line(m, "statements"))
            if st:
                statements.append(st)
        if mid and label and span:
            out.append(Measure(mid, goal, label, c.text(m, "label_en", where, required=False), cat,
                               tuple(districts), tuple(facilities), span, tuple(statements), year, _line(m)))
    return out


def _parse_statement(c: _Checker, s: Any, where: str, default_id: str, doc: Document, year: int,
                     line: int) -> Statement | None:
    if not c.mapping(s, where, STATEMENT_KEYS, ("kind", "value", "unit", "comparator", "as_written", "span"), line):
        return None
    sid = c.ident(s, "id", where) if "id" in s else default_id
    kind = _scalar(s.get("kind"))
    if kind == "indicator":
        c.problem(_line(s, "kind"), f"{where}.kind", "'indicator' is retired: write target (a planned figure) or "
                  "outcome (a reported one); what is measured (GDP growth …) is the measure's category")
    elif kind not in KINDS:
        c.problem(_line(s, "kind"), f"{where}.kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    value = c.decimal(s, where)
    unit = _scalar(s.get("unit"))
    if unit not in c.vocab.units:
        c.problem(_line(s, "unit"), f"{where}.unit",
                  f"unknown unit {unit!r}{_closest(str(unit), c.vocab.units)}; add it to data/vocab/units.yaml")
    comparators = [_scalar(x) for x in _as_list(s.get("comparator"))]
    for comp in comparators:
        if comp not in COMPARATORS:
            c.problem(_line(s, "comparator"), f"{where}.comparator",
                      f"{comp!r} is not one of {', '.join(COMPARATORS)}")
    for group, what in ((CHANGE_COMPARATORS, "change"), (BOUND_COMPARATORS, "bound")):
        both = [x for x in comparators if x in group]
        if len(both) > 1:
            c.problem(_line(s, "comparator"), f"{where}.comparator",
                      f"{' and '.join(both)} are both a {what}; a statement has at most one change "
                      f"({', '.join(CHANGE_COMPARATORS)}) and one bound ({', '.join(BOUND_COMPARATORS)})")
    as_written = c.text(s, "as_written", where, max_len=30)
    if value is not None and as_written:
        mismatch = written_mismatch(value, as_written)
        if mismatch:
            c.problem(_line(s, "value"), f"{where}.value", mismatch)
    span = c.span(s, where, doc.chars)
    st_year = c.integer(s, "year", where, 1949, 2100) or year
    period = _period(c, s, where)
    if period is not None:
        if "year" in s:
            c.problem(_line(s, "period"), f"{where}.period", "give a year or a period, not both")
        st_year = period[1]
    note = c.text(s, "note", where, required=False, max_len=60)
    reviewed = s.get("reviewed", doc.reviewed)
    if not isinstance(reviewed, bool):
        c.problem(_line(s, "reviewed"), f"{where}.reviewed", "expected true or false")
    if kind == "outcome" and st_year >= int(doc.date[:4]):
        c.problem(_line(s, "period" if period else "year"), f"{where}.{'period' if period else 'year'}",
                  f"an outcome for {st_year} cannot be reported in a document dated {doc.date} (the year had not "
                  "ended): an outcome belongs to the year it reports on, e.g. the review of the previous year; "
                  "fix the year or make it a target")
    if sid and kind in KINDS and value is not None and unit in c.vocab.units and as_written and span \
            and comparators and all(x in COMPARATORS for x in comparators):
        return Statement(sid, kind, value, unit, tuple(comparators), as_written, span, st_year, note, _line(s),
                         reviewed is True, period)
    return None


def _period(c: _Checker, s: dict, where: str) -> tuple[int, int] | None:
    """`period: [first, last]` of a multi-year review figure (two years, first before last), or None."""
    raw = s.get("period")
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1949 <= v <= 2100 for v in raw)
            or raw[0] >= raw[1]):
        c.problem(_line(s, "period"), f"{where}.period",
                  f"expected [first year, last year] with first < last (e.g. [2018, 2022]), got {raw!r}")
        return None
    return raw[0], raw[1]


def load_record(path: Path, vocab: Vocab | None = None) -> Record:
    """Load and validate one record file."""
    return parse_record(path, load_yaml(path), vocab or load_vocab())


#: With `jobs=None`, record files are read by worker processes only when there is at least this much YAML
#: (about 200,000 triples): below it starting the workers costs more than it saves.
PARALLEL_BYTES = 2_000_000


def load_records(records_dir: Path = paths.RECORDS, vocab: Vocab | None = None, *, jobs: int | None = None) -> Corpus:
    """Load every *.yaml in a directory (sorted, so builds are deterministic) and check them together.

    Without a `vocab`, cities come from the `gazetteer/` directory beside the records directory when there is
    one (DIR/records + DIR/gazetteer, as `kg synth` writes them), else from data/gazetteer.

    `jobs` worker processes read and check the files (one file is one document, so they are independent; the
    checks across files run after): None is one per CPU when the corpus is big enough to gain from it
    (`PARALLEL_BYTES`), 1 reads them in this process. The result and the errors are the same either way.
    """
    jobs = check_jobs(jobs)
    vocab = vocab or load_vocab(gazetteer_dir=gazetteer_dir_for(records_dir))
    files = record_files(records_dir)
    with gc_paused():
        outcomes = list(map_files(_load_one, files, jobs, _init_worker, (vocab,)))
    return checked_corpus(outcomes, vocab)


def record_files(records_dir: Path) -> list[Path]:
    """The record files of a directory, sorted (as messages show them), or a RecordError saying why none."""
    if not records_dir.is_dir():
        raise RecordError([f"{records_dir}: no such directory; pass --records DIR with the record files"])
    files = sorted(_shown(p) for p in records_dir.glob("*.yaml"))
    if not files:
        raise RecordError([f"{records_dir}: no *.yaml record files found"])
    return files


def checked_corpus(outcomes, vocab: Vocab) -> Corpus:
    """The corpus of the files' outcomes (a Record, or the problems of its file, in file order), after the
    checks that span files; RecordError with every problem otherwise."""
    problems: list[str] = []
    records = []
    for outcome in outcomes:
        if isinstance(outcome, Record):
            records.append(outcome)
        else:
            problems.extend(outcome)
    if problems:
        raise RecordError(problems)
    problems.extend(_cross_check(records))
    if problems:
        raise RecordError(problems)
    return Corpus(tuple(records), vocab)


def _load_one(path: Path, vocab: Vocab | None = None) -> Record | list[str]:
    """A record, or the problems of its file."""
    try:
        return load_record(path, vocab or _worker_vocab)
    except RecordError as e:
        return e.problems


def map_files(work, files: list[Path], jobs: int | None, init, initargs: tuple):
    """`work(file)` of each file, in order, over `jobs` worker processes when that pays (None: one per CPU when
    the files hold at least `PARALLEL_BYTES`); `init(*initargs)` prepares each worker, or this process."""
    if jobs is None:
        big = sum(_size(p) for p in files) >= PARALLEL_BYTES
        jobs = cpu_count() if big else 1
    jobs = min(jobs, len(files))
    if jobs <= 1:
        yield from (work(p, *initargs) for p in files)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork where it is safe and cheap (Linux): the workers start with kg imported and the vocabulary loaded
    method = "fork" if sys.platform == "linux" else None
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method), initializer=init,
                               initargs=initargs)
    try:
        yield from pool.map(work, files, chunksize=max(1, len(files) // (jobs * 8)))
    finally:  # on Ctrl-C or a crash, drop the files not started yet instead of reading them all first
        pool.shutdown(wait=True, cancel_futures=True)


_worker_vocab: Vocab | None = None


def _init_worker(vocab: Vocab) -> None:
    global _worker_vocab
    _worker_vocab = vocab
    gc.disable()  # a worker lives for one load; see kg.perf


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported by the loader


def gazetteer_dir_for(records_dir: Path) -> Path:
    """The gazetteers that go with a records directory: its sibling `gazetteer/`, else data/gazetteer."""
    sibling = records_dir.parent / "gazetteer"
    return sibling if sibling.is_dir() else paths.GAZETTEERS


def _shown(path: Path) -> Path:
    """The path as messages should show it: relative to the working directory when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _cross_check(records: list[Record]) -> list[str]:
    """Checks that span files: unique document ids/slugs, consistent facilities, resolvable facility refs."""
    problems = []
    slugs: dict[str, Path] = {}
    facilities: dict[str, tuple[Facility, Path]] = {}
    for r in records:
        if r.document.slug in slugs:
            problems.append(f"{r.path}: document.slug: {r.document.slug!r} is already used by {slugs[r.document.slug]}")
        slugs.setdefault(r.document.slug, r.path)
        for f in r.facilities:
            if f.id in facilities:
                other, where = facilities[f.id]
                if where == r.path:
                    problems.append(f"{r.path}:{f.line}: facility {f.id}: duplicate id (first on line {other.line})")
                elif (other.label, other.type) != (f.label, f.type):
                    problems.append(f"{r.path}:{f.line}: facility {f.id}: defined in {where} as "
                                    f"{other.label}/{other.type}; use the same label and type or another id")
            else:
                facilities[f.id] = (f, r.path)
    for r in records:
        for m in r.measures:
            for fid in m.facilities:
                if fid not in facilities:
                    problems.append(f"{r.path}:{m.line}: measure {m.id}.facilities: no facility with id {fid!r}"
                                    f"{_closest(fid, facilities)}")
    return problems
