"""Assemble a draft record from a text: goals, measures, statements, facilities, districts, with spans.

The draft has exactly the shape of a curated record file (docs/records.md) and marks every item
`reviewed: false`; `to_yaml` writes it deterministically (same text and options → same bytes).
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..divisions import divisions
from ..errors import InputError
from ..vocab import Division, Gazetteer, Vocab, load_vocab
from . import tables as T
from .classify import OTHER, Categorizer, detect_date, detect_publisher, detect_year
from .numbers import Quantity, Skipped, find_quantities, format_value
from .places import (DistrictMatcher, FacilityFinder, detect_jurisdiction, find_division, gazetteer_for,
                     place_context, written_names)
from .structure import MAX_SPAN, Heading, Outline, clean_label, parse_outline
from .timescope import Scope, TimeScopes, heading_scope

DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SLUG_BAD = re.compile(r"[^a-z0-9]+")
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
#: Words that end the lead of a number (…不少于1200张, …提高到850元): left out of a measure's label.
_LEVEL_WORDS_RE = re.compile("(?:" + T._alternation([*T.PREFIX_BOUNDS, "达到", "提高到", "增加到", "扩大到", "提高至",
                                                     "增加至", "扩大至", "调整为", "控制在", "达", "为", "至", "到",
                                                     "共", "计", "累计", "合计"]) + ")+$")
_YEAR_IN_LABEL = re.compile(r"(19[5-9][0-9]|20[0-9][0-9])")
#: In a review of several years, a level written after 从/由 is the one before the period, after 到/至/达到/突破
#: the one at its end (国内生产总值从54万亿元增加到82.7万亿元; 财政收入增加到20.4万亿元).
_FROM_LEVEL_RE = re.compile(r"[从由](?:不到|不足|近|约)?$")
_TO_LEVEL_RE = re.compile(r"(?:[到至]|达到|突破)(?:超过|不到|近|约)?$")
STATEMENT_CONTEXT = 12  # characters of context before a number in a statement's span


@dataclass
class DraftStatement:
    id: str
    kind: str
    value: Decimal
    unit: str
    comparators: tuple[str, ...]
    as_written: str
    span: tuple[int, int]
    year: int | None = None
    note: str | None = None
    period: tuple[int, int] | None = None


@dataclass
class DraftMeasure:
    id: str
    goal: str
    label: str
    category: str
    span: tuple[int, int]
    districts: list[str] = field(default_factory=list)
    facilities: list[str] = field(default_factory=list)
    statements: list[DraftStatement] = field(default_factory=list)
    note: str | None = None


@dataclass
class DraftGoal:
    id: str
    label: str
    parent: str | None
    ordinal: int | None
    span: tuple[int, int]


@dataclass
class DraftFacility:
    id: str
    label: str
    type: str
    span: tuple[int, int]
    district: str | None = None
    mentions: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class DraftDocument:
    id: str
    slug: str
    sha256: str
    chars: int
    title_zh: str
    title_en: str
    date: str
    publisher: str
    city: str | None  # a data/gazetteer/ file's key, for a made-up city (kg synth)
    year: int
    jurisdiction: str | None = None  # GB/T 2260 code of the issuer; None when unknown
    jurisdiction_zh: str | None = None
    found: str = ""  # how the issuer was found


@dataclass
class Draft:
    document: DraftDocument
    goals: list[DraftGoal]
    measures: list[DraftMeasure]
    facilities: list[DraftFacility]
    district_mentions: list[tuple[str, tuple[int, int]]]
    #: every district named in the text (key, span), wherever it ended up — for evaluation
    district_refs: list[tuple[str, tuple[int, int]]]
    skipped: list[Skipped]
    source_name: str = ""

    def statements(self):
        for m in self.measures:
            yield from m.statements

    def counts(self) -> dict[str, int]:
        return {"goals": len(self.goals), "measures": len(self.measures),
                "statements": sum(len(m.statements) for m in self.measures),
                "facilities": len(self.facilities), "districts": len(self.district_refs),
                "uncategorised": sum(1 for m in self.measures if m.category == OTHER)}


# ------------------------------------------------------------------------------------------ options

def slug_of(doc_id: str) -> str:
    """A slug for IRIs from a document id: lowercase letters, digits and '-'."""
    slug = _SLUG_BAD.sub("-", doc_id.lower()).strip("-")
    return slug or "doc-" + hashlib.sha256(doc_id.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Issuer:
    """Where a draft's divisions come from: its gazetteer (from the divisions table, or a gazetteer file for a
    made-up city), the issuing jurisdiction's code (None when unknown or made up), and how it was found."""

    city: str | None  # the key of a data/gazetteer/ file, for records that name one (city: shenyang)
    code: str | None
    gazetteer: Gazetteer
    how: str


_NOWHERE = Gazetteer(Division("", "", "", "", ()), (), {})


def resolve_city(vocab: Vocab, city: str | None, gazetteer: Gazetteer | None, text: str,
                 year: int | None = None) -> Issuer:
    """The issuing jurisdiction: an explicit gazetteer file, `--city` (any division's name, short form, code or
    key), or the one the text names (places.detect_jurisdiction); unknown when the text names no place."""
    table = divisions()
    if gazetteer is not None:
        known = table.of_gazetteer(gazetteer.city.key, gazetteer.city.zh)
        return Issuer(gazetteer.city.key, known.code if known else None, gazetteer, "--gazetteer")
    if city:
        wanted = city.strip()
        for key, gaz in vocab.gazetteers.items():  # made-up cities of kg synth, by key or name
            if (wanted.lower() == key or wanted in (gaz.city.zh, *gaz.city.short)) \
                    and not table.of_gazetteer(key, gaz.city.zh):
                return Issuer(key, None, gaz, "--city")
        try:
            found = find_division(table, wanted, year)
        except LookupError as e:
            raise InputError(f"--city {city}: {e.args[0]}") from None
        return _issuer(vocab, table, found, year, "--city")
    detected = detect_jurisdiction(text, year, table)
    if detected.division is None:
        return Issuer(None, None, _NOWHERE, detected.how)
    return _issuer(vocab, table, detected.division, year, detected.how)


def _issuer(vocab: Vocab, table, found, year: int | None, how: str) -> Issuer:
    gaz_key = next((k for k, g in vocab.gazetteers.items() if table.of_gazetteer(k, g.city.zh) is found), None)
    return Issuer(gaz_key, found.code, gazetteer_for(table, found, year), how)


# ------------------------------------------------------------------------------------------ assembly

class _Regions:
    """Headings and sentences as non-overlapping text regions, to find which one holds a position."""

    def __init__(self, outline: Outline):
        # inline items (一是…) are goals whose words stay in the body sentence
        items = [(h.start, h.end, "h", i) for i, h in enumerate(outline.headings) if h.style != "item"]
        items += [(s.start, s.end, "s", i) for i, s in enumerate(outline.sentences)]
        items.sort()
        self.items = items
        self.starts = [it[0] for it in items]

    def find(self, start: int, end: int | None = None):
        i = bisect.bisect_right(self.starts, start) - 1
        if i >= 0:
            s, e, kind, idx = self.items[i]
            if s <= start < e and (end is None or end <= e):
                return kind, idx
        return None


def _action_clause(text: str) -> bool:
    t = text
    for _ in range(3):
        if t.startswith(T.ACTION_VERBS):
            return True
        for adv in T.ADVERBS:
            if t.startswith(adv) and len(t) > len(adv):
                t = t[len(adv):]
                break
        else:
            break
    return t.startswith(T.ACTION_VERBS)


def _facility_id(label: str, ftype: str) -> str:
    """A readable, stable id: the label in pinyin plus a short hash of label and type, so that homophones
    (蒲河, 浦河) never share an id and the same facility drafted from two texts gets the same one."""
    from pypinyin import lazy_pinyin

    words = lazy_pinyin(label)  # characters that are not Chinese are kept as they are (App, 1)
    slug = _SLUG_BAD.sub("-", "-".join(words).lower()).strip("-")[:48].strip("-") or "facility"
    return f"{slug}-{hashlib.sha256(f'{label}|{ftype}'.encode()).hexdigest()[:6]}"


def extract_text(text: str, *, doc_id: str, year: int | None = None, city: str | None = None,
                 gazetteer: Gazetteer | None = None, vocab: Vocab | None = None, data: bytes | None = None,
                 slug: str | None = None, title: str | None = None, date: str | None = None,
                 publisher: str | None = None, source_name: str = "") -> Draft:
    """Draft the record of one text. `data` is the file's bytes (for sha256; default: the text as UTF-8)."""
    # A long text makes hundreds of thousands of small objects and no cycles: the cyclic garbage collector
    # would rescan them over and over (half the run time on a 10 MB text), so it pauses meanwhile.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _extract(text, doc_id=doc_id, year=year, city=city, gazetteer=gazetteer, vocab=vocab, data=data,
                        slug=slug, title=title, date=date, publisher=publisher, source_name=source_name)
    finally:
        if was_enabled:
            gc.enable()


def _extract(text: str, *, doc_id: str, year: int | None, city: str | None, gazetteer: Gazetteer | None,
             vocab: Vocab | None, data: bytes | None, slug: str | None, title: str | None, date: str | None,
             publisher: str | None, source_name: str) -> Draft:
    vocab = vocab or load_vocab()
    if not DOC_ID_RE.match(doc_id or ""):
        raise InputError(f"document id {doc_id!r} is not valid: use letters, digits, '_', '.', '-' "
                         "(it names the record file and the source text); pass --doc-id ID")
    # an explicit --city is checked first (a wrong one is the user's first error), the text's issuer once the
    # year is known (a name means the division valid then)
    issuer = resolve_city(vocab, city, gazetteer, text, year) if city or gazetteer is not None else None
    outline = parse_outline(text)
    heading_labels = [h.label for h in outline.headings]
    if year is None:
        year = detect_year(text, heading_labels)
        if year is None:
            raise InputError(f"cannot tell the plan year of {source_name or doc_id}: pass --year YYYY")
    if not 1949 <= year <= 2100:
        raise InputError(f"year {year} is outside 1949–2100")
    if issuer is None or (issuer.code and city):  # --city by name: the division valid in the report's year
        issuer = resolve_city(vocab, city, gazetteer, text, year)
    gaz = issuer.gazetteer
    data = text.encode("utf-8") if data is None else data
    if date is not None and not _DATE_RE.match(date):
        raise InputError(f"date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")

    table = T.unit_table(vocab)
    categorizer = Categorizer.of(vocab)
    districts = DistrictMatcher(gaz)
    raw_districts = districts.find(text)
    fac_hits = FacilityFinder(vocab).find(text, [(d.start, d.end) for d in raw_districts])
    # place names are not read as numbers (九台区, 六合区, 三明市)
    quantities, skipped = find_quantities(text, table, [(f.start, f.end) for f in fac_hits]
                                          + [(d.start, d.end) for d in raw_districts])
    regions = _Regions(outline)

    # goals --------------------------------------------------------------------------------------
    goals: list[DraftGoal] = []
    goal_ids: list[str] = []
    children: dict[str | None, int] = {}
    for h in outline.headings:
        parent = goal_ids[h.parent] if h.parent is not None else None
        children[parent] = children.get(parent, 0) + 1
        gid = f"{parent}-{children[parent]}" if parent else f"g{children[parent]}"
        goal_ids.append(gid)
        goals.append(DraftGoal(gid, h.label, parent, h.ordinal, (h.start, min(h.end, h.start + MAX_SPAN))))
    root: list[str] = []

    def root_goal() -> str:
        if not root:
            first = re.search(r"\S", text)
            start = first.start() if first else 0
            line_end = text.find("\n", start)
            line_end = len(text) if line_end < 0 else line_end
            end = max(start + 1, min(line_end, start + 20))
            label = clean_label(text[start:end]) or "正文"
            goals.insert(0, DraftGoal("g0", label, None, None, (start, end)))
            root.append("g0")
        return root[0]

    chains: dict[int | None, list[Heading]] = {}

    def chain(h_index: int | None) -> list[Heading]:
        if h_index not in chains:
            out, seen, i = [], set(), h_index
            while i is not None and i not in seen:
                seen.add(i)
                out.append(outline.headings[i])
                i = outline.headings[i].parent
            chains[h_index] = out
        return chains[h_index]

    # review sections (outcomes) and the time each part of them speaks of --------------------------------
    sections = []
    for i, h in enumerate(outline.headings):
        scope = heading_scope(h.label, year) if h.style not in ("lead", "item") else None
        if scope is not None and not any(sections and s <= h.start < e for s, e, _ in sections):
            sections.append((h.start, _section_end(outline, i, len(text)), scope))
    scopes = TimeScopes(text, year, sections)
    targets_heading: dict[int | None, bool] = {}

    def under_targets_heading(h_index: int | None) -> bool:
        if h_index not in targets_heading:
            targets_heading[h_index] = any(T.INDICATOR_HEADING_RE.search(h.label) for h in chain(h_index))
        return targets_heading[h_index]

    def kind_of(h_index: int | None, q: Quantity, context: str = "",
                clause_start: int | None = None) -> tuple[str, int | None, tuple[int, int] | None]:
        """(kind, year or None for the plan year, period or None) of a figure: a 主要预期目标 sentence plans,
        a review section reports (for the year or period its phrases name), anything else plans."""
        if context and T.INDICATOR_HEADING_RE.search(context):
            return "target", None, None  # 主要预期目标是：…
        scope: Scope | None = scopes.at(q.start, clause_start)
        if scope is not None and not under_targets_heading(h_index):
            if scope.period and scope.kind == "outcome":
                # a period's review states levels at its ends: 从54万亿元(the year before)增加到82.7万亿元(the last)
                lead = text[max(clause_start if clause_start is not None else 0, q.start - 8):q.start]
                if _FROM_LEVEL_RE.search(lead):
                    return "outcome", scope.period[0] - 1, None
                if _TO_LEVEL_RE.search(lead):
                    return "outcome", scope.period[1], None
            return scope.kind, (None if scope.year == year and not scope.period else scope.year), scope.period
        return "target", None, None

    def category_of(*texts: str) -> tuple[str, str | None]:
        cat = categorizer.classify(*texts)
        if cat is None:
            return OTHER, "分类待定 (no category keyword matched): review the category"
        return cat, None

    # quantities by region ------------------------------------------------------------------------
    by_heading: dict[int, list[Quantity]] = {}
    by_sentence: dict[int, list[Quantity]] = {}
    for q in quantities:
        where = regions.find(q.start, q.end)
        if where is None:
            continue
        (by_heading if where[0] == "h" else by_sentence).setdefault(where[1], []).append(q)

    measures: list[DraftMeasure] = []
    region_measures: dict[tuple[str, int], _RegionMeasures] = {}
    counters: dict[str, int] = {}

    def new_measure(goal: str, label: str, span: tuple[int, int], category: str, note: str | None,
                    region: tuple[str, int], clause: tuple[int, int]) -> DraftMeasure:
        counters[goal] = counters.get(goal, 0) + 1
        m = DraftMeasure(f"{goal}-m{counters[goal]}", goal, label, category, span, note=note)
        measures.append(m)
        region_measures.setdefault(region, _RegionMeasures()).add(clause, m)
        return m

    def add_statements(m: DraftMeasure, qs: list[Quantity], clause_start: int, h_index: int | None,
                       context: str = "") -> None:
        prev_end = clause_start
        prev: tuple[Quantity, int] | None = None
        for q in qs:
            start = max(clause_start, q.start - STATEMENT_CONTEXT, prev_end)
            start = min(start, q.start)
            if prev is not None and (prev[0].start, prev[0].end) == (q.start, q.end):
                start = prev[1]  # the two bounds of a range (6%－6.5%) share one span
            prev = (q, start)
            kind, st_year, period = kind_of(h_index, q, context, clause_start)
            m.statements.append(DraftStatement(
                f"{m.id}-{len(m.statements) + 1}", kind, q.value, q.unit, q.comparators, q.as_written,
                (start, q.end), None if period else st_year, q.note, period))
            prev_end = max(prev_end, q.end)

    # walk headings and sentences in text order so measure ids follow the text
    chain_texts: dict[int | None, str] = {}
    events = [(h.start, "h", i) for i, h in enumerate(outline.headings)]
    events += [(s.start, "s", i) for i, s in enumerate(outline.sentences)]
    events.sort()
    for _, kind, idx in events:
        if kind == "h" and outline.headings[idx].style == "item":
            continue
        if kind == "h":
            qs = by_heading.get(idx)
            if not qs:
                continue
            h = outline.headings[idx]
            labels = [x.label for x in chain(idx)]
            cat, note = category_of(*labels)
            span = (h.start, min(h.end, h.start + MAX_SPAN))
            m = new_measure(goal_ids[idx], h.label, span, cat, note, ("h", idx), (h.start, h.end))
            add_statements(m, qs, h.start, idx)
            continue
        sent = outline.sentences[idx]
        goal = goal_ids[sent.heading] if sent.heading is not None else None
        chain_text = chain_texts.get(sent.heading)
        if chain_text is None:
            # the heading above and its parent: higher ones are too broad to name a measure's topic
            chain_text = chain_texts[sent.heading] = " ".join(x.label for x in chain(sent.heading)[:2])
        qs = by_sentence.get(idx, [])
        if qs:
            qi = 0
            previous: DraftMeasure | None = None
            sent_head = text[sent.start:min(sent.end, sent.start + 40)]  # 主要预期目标是：…
            for cs, ce in sent.clauses:
                while qi < len(qs) and qs[qi].start < cs:
                    qi += 1
                cq = []
                while qi < len(qs) and qs[qi].start < ce:
                    cq.append(qs[qi])
                    qi += 1
                if not cq:
                    continue
                clause_text = text[cs:ce]
                if previous is not None and T.CONTINUATION_RE.match(clause_text):
                    add_statements(previous, cq, cs, sent.heading, sent_head)  # …7695亿元，同比增长4.5%
                    continue
                # no keyword in the clause: the sentence's first clause often names the topic
                first_clause = text[sent.clauses[0][0]:sent.clauses[0][1]] if (cs, ce) != sent.clauses[0] else ""
                for (gs, ge), gq in _enumerated(text, cs, ce, cq):
                    part = text[gs:ge]
                    lead = _LEVEL_WORDS_RE.sub("", text[gs:gq[0].start])
                    label = clean_label(lead) if len(lead.strip()) >= 4 else clean_label(part)
                    label = label or gq[0].as_written
                    cat, note = category_of(part, clause_text, first_clause, chain_text)
                    m = new_measure(goal or root_goal(), label, (gs, min(ge, gs + MAX_SPAN)), cat, note,
                                    ("s", idx), (gs, ge))
                    add_statements(m, gq, gs, sent.heading, sent_head)
                    previous = m
        elif sent.clauses and _action_clause(text[sent.clauses[0][0]:sent.clauses[0][1]]):
            cs, ce = sent.clauses[0]
            label = clean_label(text[cs:ce])
            if label:
                cat, note = category_of(text[cs:ce], chain_text)
                new_measure(goal or root_goal(), label, (cs, min(ce, cs + MAX_SPAN)), cat, note, ("s", idx),
                            (cs, ce))

    # facilities -----------------------------------------------------------------------------------
    facilities: dict[str, DraftFacility] = {}
    written = written_names(gaz)  # how the draft names each division (its zh name, or its code if shared)
    used_ids: set[str] = set()
    fac_starts = {f.start for f in fac_hits}
    for hit in fac_hits:
        fac = facilities.get(hit.label)
        if fac is None:
            dkey = districts.prefix_key(hit.label)
            dname = written.get(dkey) if dkey else None
            fid = _facility_id(hit.label, hit.type)
            while fid in used_ids:  # a hash collision within one text: keep ids unique
                fid = _facility_id(fid, hit.type)
            used_ids.add(fid)
            fac = DraftFacility(fid, hit.label, hit.type, (hit.start, hit.end), dname)
            facilities[hit.label] = fac
        fac.mentions.append((hit.start, hit.end))
        _attach(region_measures, regions.find(hit.start), hit.start, lambda m, f=fac: m.facilities, fac.id)

    # districts ------------------------------------------------------------------------------------
    mentions: list[tuple[str, tuple[int, int]]] = []
    refs: list[tuple[str, tuple[int, int]]] = []
    zh_of = written
    for hit in raw_districts:
        if hit.ambiguous and not place_context(text, hit, fac_starts):
            continue
        refs.append((hit.key, (hit.start, hit.end)))
        where = regions.find(hit.start)
        if not _attach(region_measures, where, hit.start, lambda m: m.districts, zh_of[hit.key], every=True):
            mentions.append((zh_of[hit.key], (hit.start, hit.end)))

    doc = DraftDocument(
        id=doc_id, slug=slug or slug_of(doc_id), sha256=hashlib.sha256(data).hexdigest(), chars=len(text),
        title_zh=clean_label(title) if title else (heading_labels[0] if heading_labels else
                                                     clean_label(text.strip().split("\n", 1)[0]) or doc_id),
        title_en=f"Draft records of {source_name or doc_id} (kg extract)", date=date or detect_date(text, year),
        publisher=publisher or detect_publisher(text) or "unknown", city=issuer.city, year=year,
        jurisdiction=issuer.code, jurisdiction_zh=divisions().get(issuer.code, year).zh if issuer.code else None,
        found=issuer.how)
    goals.sort(key=lambda g: (g.id != "g0",))  # the synthetic root goal, if any, first
    return Draft(doc, goals, measures, list(facilities.values()), mentions, refs, skipped, source_name)


def _section_end(outline: Outline, i: int, n: int) -> int:
    """Where heading i's section ends: at the next heading that is not below it (else the end of the text)."""
    for j in range(i + 1, len(outline.headings)):
        k = outline.headings[j].parent
        while k is not None and k != i:
            k = outline.headings[k].parent
        if k != i:
            return outline.headings[j].start
    return n


def _enumerated(text: str, cs: int, ce: int, qs: list[Quantity]):
    """Split a clause that enumerates several quantities with 、 (改造小区475个、背街小巷200条) into one part
    per item, each with its quantities; a clause with one item is one part."""
    parts = []
    start, group = cs, [qs[0]]
    for prev, q in zip(qs, qs[1:]):
        cut = text.rfind("、", prev.end, q.start)
        if cut >= 0:
            parts.append(((start, cut), group))
            start, group = cut + 1, []
        group.append(q)
    parts.append(((start, ce), group))
    return parts


class _RegionMeasures:
    """The measures drafted from one heading or sentence, by the clause each came from."""

    EVERY_LIMIT = 20  # a district named in a sentence goes to all its measures, up to this many

    def __init__(self):
        self.starts: list[int] = []
        self.items: list[tuple[tuple[int, int], DraftMeasure]] = []

    def add(self, clause: tuple[int, int], m: DraftMeasure) -> None:
        self.starts.append(clause[0])
        self.items.append((clause, m))

    def at(self, pos: int) -> DraftMeasure:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and self.items[i][0][0] <= pos < self.items[i][0][1]:
            return self.items[i][1]
        return self.items[0][1]


def _attach(region_measures, where, pos: int, field_of, value: str, every: bool = False) -> bool:
    """Add value to the measure(s) of a region: the one whose clause holds pos (or the first), or all."""
    if where is None:
        return False
    rm = region_measures.get(where)
    if rm is None:
        return False
    targets = [m for _, m in rm.items] if every and len(rm.items) <= rm.EVERY_LIMIT else [rm.at(pos)]
    for m in targets:
        values = field_of(m)
        if value not in values:
            values.append(value)
    return True


# ---------------------------------------------------------------------------------------------- YAML

_YAML_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _q(s: str) -> str:
    """A YAML double-quoted scalar that any YAML parser reads back as exactly `s`."""
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    s = _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)
    return f'"{s}"'


def _num(d: Decimal) -> str:
    text = format_value(d)
    digits = len(text.replace(".", "").replace("-", "").lstrip("0"))
    return _q(text) if "." in text and digits > 15 else text


def _span(span: tuple[int, int]) -> str:
    return f"[{span[0]}, {span[1]}]"


def to_yaml(draft: Draft) -> bytes:
    """The draft as a record file (docs/records.md), every item `reviewed: false`."""
    d = draft.document
    out = [
        f"# Draft records drafted by `kg extract` from {draft.source_name or d.id}: rule-based, unreviewed.",
        "# Check every item against the text, fix labels, categories and units, then mark it as reviewed.",
        "document:",
        f"  id: {_q(d.id)}",
        f"  slug: {_q(d.slug)}",
        f"  sha256: {_q(d.sha256)}",
    ]
    if d.chars:
        out.append(f"  chars: {d.chars}")
    out += [
        "  title:",
        f"    zh: {_q(d.title_zh)}",
        f"    en: {_q(d.title_en)}",
        f"  date: {_q(d.date)}",
        f"  publisher: {_q(d.publisher)}",
        _jurisdiction_line(d),
        f"  year: {d.year}",
        "  reviewed: false",
        "",
        "goals:" if draft.goals else "goals: []",
    ]
    for g in draft.goals:
        out += [f"  - id: {_q(g.id)}", f"    label: {_q(g.label)}",
                f"    parent: {_q(g.parent) if g.parent else 'null'}"]
        if g.ordinal is not None:
            out.append(f"    ordinal: {g.ordinal}")
        out += [f"    span: {_span(g.span)}", "    reviewed: false"]
    out += ["", "measures:" if draft.measures else "measures: []"]
    for m in draft.measures:
        out += [f"  - id: {_q(m.id)}", f"    goal: {_q(m.goal)}", f"    label: {_q(m.label)}",
                f"    category: {_q(m.category)}",
                f"    districts: [{', '.join(_q(x) for x in m.districts)}]",
                f"    facilities: [{', '.join(_q(x) for x in m.facilities)}]",
                f"    span: {_span(m.span)}"]
        if m.note:
            out.append(f"    note: {_q(m.note)}")
        out.append("    reviewed: false")
        out.append("    statements:" if m.statements else "    statements: []")
        for s in m.statements:
            comp = s.comparators[0] if len(s.comparators) == 1 else f"[{', '.join(s.comparators)}]"
            out += [f"      - id: {_q(s.id)}", f"        kind: {s.kind}", f"        value: {_num(s.value)}",
                    f"        unit: {_q(s.unit)}", f"        comparator: {comp}",
                    f"        as_written: {_q(s.as_written)}", f"        span: {_span(s.span)}"]
            if s.period is not None:
                out.append(f"        period: [{s.period[0]}, {s.period[1]}]")
            elif s.year is not None:
                out.append(f"        year: {s.year}")
            if s.note:
                out.append(f"        note: {_q(s.note[:60])}")
            out.append("        reviewed: false")
    out += ["", "facilities:" if draft.facilities else "facilities: []"]
    for f in draft.facilities:
        out += [f"  - id: {_q(f.id)}", f"    label: {_q(f.label)}", f"    type: {_q(f.type)}"]
        if f.district:
            out.append(f"    district: {_q(f.district)}")
        out += [f"    span: {_span(f.span)}", "    reviewed: false"]
    out += ["", "district_mentions:" if draft.district_mentions else "district_mentions: []"]
    for name, span in draft.district_mentions:
        out.append(f"  - {{district: {_q(name)}, span: {_span(span)}, reviewed: false}}")
    if draft.skipped:
        out += ["", "# Numbers not drafted (add the unit to data/vocab/units.yaml to draft them):"]
        for sk in draft.skipped[:200]:
            out.append(f"#   [{sk.start}, {sk.end}] {_q(sk.written)}: {sk.reason}")
    return ("\n".join(out) + "\n").encode("utf-8")


def _jurisdiction_line(d: DraftDocument) -> str:
    if d.jurisdiction:
        return f"  jurisdiction: {_q(d.jurisdiction)}  # {d.jurisdiction_zh}: {d.found}"
    if d.city:
        return f"  city: {_q(d.city)}"
    return "  jurisdiction: null  # unknown: write the issuing government's code or name (e.g. 大连市)"


def jurisdiction_summary(d: DraftDocument) -> str:
    """One line saying whose report it is, or that nobody could tell."""
    if d.jurisdiction:
        return f"jurisdiction: {d.jurisdiction_zh} ({d.jurisdiction}), {d.found}"
    if d.city:
        return f"jurisdiction: {d.city} (gazetteer file)"
    return (f"jurisdiction unknown ({d.found}): set document.jurisdiction in the draft, or pass --city NAME")


def summary(draft: Draft) -> str:
    """One line of counts, and what a reviewer should look at first."""
    c = draft.counts()
    text = (jurisdiction_summary(draft.document) + "\n" + f"{c['goals']} goals, {c['measures']} measures, {c['statements']} statements, "
            f"{c['facilities']} facilities, {c['districts']} district names; every item reviewed: false")
    if c["uncategorised"]:
        text += f"\n{c['uncategorised']} measure(s) have category `other` (no keyword matched): review them"
    if draft.skipped:
        units: dict[str, int] = {}
        for sk in draft.skipped:
            units[sk.reason] = units.get(sk.reason, 0) + 1
        text += "\n" + "\n".join(f"skipped {n} number(s): {reason}" for reason, n in sorted(units.items()))
    return text
