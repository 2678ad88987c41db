"""Compare the extractor's drafts of the seed texts with the curated records (the ground truth).

What counts as a match:

* **quantified statements** — same document, same normalised value, and the draft's span overlaps the
  curated span. A fact curated twice at the same place (one number serving two measures) is one fact.
* **districts** — same document, same district, named in the same sentence. A curated district counts
  where the record names it: a district mention at its span, a measure's districts in the measure's
  sentence, a facility's district in the facility's sentence — and only when the district's name (or a
  short form) is written in that sentence; districts a curator added from knowledge (中国工业博物馆 →
  铁西区) are listed as "not in the text" and left out.
* **facilities** — same document, labels that agree (equal, or one contains the other: 辽河 / 辽河干流),
  and one of the draft's mentions overlaps the curated span.

Each curated item matches at most one drafted item. Precision = matched / drafted, recall = matched /
curated, per document and over all documents (micro-averaged).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..errors import InputError, SourceError
from ..records import Record, load_records
from ..sources import SourceFinder, read_source
from ..vocab import Vocab
from .draft import Draft, extract_text
from .places import record_gazetteer
from .structure import sentence_bounds

#: The goals the issue sets for the seed texts.
GOAL_PRECISION = 0.95
GOAL_RECALL = 0.90
#: The goals for headline figures (strict: kind, year or period, value and span), issue 13.
HEADLINE_PRECISION = 0.90
HEADLINE_RECALL = 0.95
ASPECTS = ("statements", "districts", "facilities", "headline")


@dataclass
class Score:
    matched: int = 0
    drafted: int = 0
    curated: int = 0
    #: short descriptions of drafted items with no curated match, and curated items not drafted
    false_positives: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.drafted if self.drafted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.curated if self.curated else 1.0

    def add(self, other: "Score") -> None:
        self.matched += other.matched
        self.drafted += other.drafted
        self.curated += other.curated

    def meets_goal(self, precision: float = GOAL_PRECISION, recall: float = GOAL_RECALL) -> bool:
        return self.precision >= precision and self.recall >= recall


@dataclass
class DocumentEvaluation:
    doc_id: str
    scores: dict[str, Score]
    not_in_text: list[str] = field(default_factory=list)


@dataclass
class Evaluation:
    documents: list[DocumentEvaluation]
    skipped: list[str]  # record files whose source text is absent
    #: (document id, document.review) of drafts reviewed with `kg review`: the reviewer's verdicts, counted
    reviews: list[tuple[str, dict]] = field(default_factory=list)

    def overall(self) -> dict[str, Score]:
        """Micro-averaged scores of every aspect some document has (a national report has no districts)."""
        total = {a: Score() for a in ASPECTS if any(a in d.scores for d in self.documents)}
        for d in self.documents:
            for a, sc in d.scores.items():
                total[a].add(sc)
        return total


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def _quote(text: str, span: tuple[int, int]) -> str:
    return text[span[0]:span[1]][:20].replace("\n", " ")


def score_statements(record: Record, draft: Draft, text: str) -> Score:
    curated: dict[tuple, tuple] = {}
    for m in record.measures:
        for s in m.statements:
            curated.setdefault((s.value, s.span.start, s.span.end), (s.value, (s.span.start, s.span.end), s.id))
    pool = list(curated.values())
    used = [False] * len(pool)
    sc = Score(drafted=0, curated=len(pool))
    for st in draft.statements():
        sc.drafted += 1
        best, best_ov = None, 0
        for i, (value, span, _) in enumerate(pool):
            if not used[i] and value == st.value:
                ov = _overlap(span, st.span)
                if ov > best_ov:
                    best, best_ov = i, ov
        if best is None:
            sc.false_positives.append(f"{st.as_written} at {list(st.span)} «{_quote(text, st.span)}»")
        else:
            used[best] = True
            sc.matched += 1
    sc.misses = [f"{sid}: {value} at {list(span)} «{_quote(text, span)}»"
                 for (value, span, sid), u in zip(pool, used) if not u]
    return sc


def score_headline(record: Record, draft: Draft, text: str) -> Score | None:
    """The reviewed statements strictly: a drafted statement matches a curated one (`reviewed: true`) with the
    same kind, value and year (or period) whose span it overlaps. Precision counts the drafted statements in
    the sentences (split at 。；！？ and line ends) that hold a reviewed statement: a curator reviews every figure
    of such a sentence, so what else the draft finds there is wrong. None when the record has no reviewed
    statement."""
    doc_year = record.document.year
    pool = []
    for m in record.measures:
        for s in m.statements:
            if s.reviewed:
                pool.append((s.kind, s.value, None if s.period else s.year, s.period, (s.span.start, s.span.end), s.id))
    if not pool:
        return None
    bounds = sentence_bounds(text)

    def sentence(pos: int) -> int:
        return bisect.bisect_right(bounds, pos)

    regions = {sentence(span[0]) for *_, span, _ in pool}
    used = [False] * len(pool)
    sc = Score(curated=len(pool))
    for st in draft.statements():
        if sentence(st.span[0]) not in regions:
            continue
        sc.drafted += 1
        year = None if st.period else (st.year or doc_year)
        period = tuple(st.period) if st.period else None
        best, best_ov = None, 0
        for i, (kind, value, c_year, c_period, span, _) in enumerate(pool):
            if used[i] or (kind, value, c_year, c_period) != (st.kind, st.value, year, period):
                continue
            ov = _overlap(span, st.span)
            if ov > best_ov:
                best, best_ov = i, ov
        if best is None:
            when = f"{period[0]}–{period[1]}" if period else year
            sc.false_positives.append(f"{st.kind} {st.as_written} ({when}) at {list(st.span)} "
                                      f"«{_quote(text, st.span)}»")
        else:
            used[best] = True
            sc.matched += 1
    sc.misses = [f"{sid}: {kind} {value} ({f'{p[0]}–{p[1]}' if p else y}) at {list(span)} «{_quote(text, span)}»"
                 for (kind, value, y, p, span, sid), u in zip(pool, used) if not u]
    return sc


def score_districts(record: Record, draft: Draft, text: str, vocab: Vocab) -> tuple[Score, list[str]]:
    gaz = record_gazetteer(record, vocab)
    bounds = sentence_bounds(text)

    def sentence(pos: int) -> int:
        return bisect.bisect_right(bounds, pos)

    def sentence_text(i: int) -> str:
        start = bounds[i - 1] + 1 if i > 0 else 0
        end = bounds[i] if i < len(bounds) else len(text)
        return text[start:end]

    def written(key: str, i: int) -> bool:
        d = next((x for x in gaz.divisions if x.key == key), None)
        if d is None:
            return False  # a division outside the issuer's (or a former one): not something drafts look for
        s = sentence_text(i)
        return any(n and n in s for n in (d.zh, *d.short))

    anchors: list[tuple[str, int, str]] = []
    for dm in record.district_mentions:
        anchors.append((dm.district, dm.span.start, "district mention"))
    for m in record.measures:
        for key in m.districts:
            anchors.append((key, m.span.start, f"measure {m.id}"))
    for f in record.facilities:
        if f.district:
            anchors.append((f.district, f.span.start, f"facility {f.id}"))
    curated: dict[tuple[str, int], str] = {}
    not_in_text = []
    for key, pos, where in anchors:
        i = sentence(pos)
        if key == gaz.city.key:
            continue
        if written(key, i):
            curated.setdefault((key, i), where)
        else:
            not_in_text.append(f"{key} ({where})")
    drafted = {(key, sentence(span[0])): span for key, span in draft.district_refs}
    sc = Score(matched=len(curated.keys() & drafted.keys()), drafted=len(drafted), curated=len(curated))
    sc.false_positives = [f"{k} at {list(drafted[(k, i)])} «{_quote(text, drafted[(k, i)])}»"
                          for k, i in sorted(drafted.keys() - curated.keys())]
    sc.misses = [f"{k} ({curated[(k, i)]})" for k, i in sorted(curated.keys() - drafted.keys())]
    return sc, not_in_text


def _norm(label: str) -> str:
    return "".join(ch for ch in label if ch not in " “”\"'《》()（）").lower()


def score_facilities(record: Record, draft: Draft, text: str) -> Score:
    pool = [(f.id, _norm(f.label), (f.span.start, f.span.end)) for f in record.facilities]
    used = [False] * len(pool)
    sc = Score(drafted=len(draft.facilities), curated=len(pool))
    for f in draft.facilities:
        label = _norm(f.label)
        hit = None
        for i, (_, clabel, span) in enumerate(pool):
            if used[i] or not (label in clabel or clabel in label):
                continue
            if any(_overlap(span, m) > 0 for m in f.mentions):
                hit = i
                break
        if hit is None:
            sc.false_positives.append(f"{f.label} ({f.type}) at {list(f.span)}")
        else:
            used[hit] = True
            sc.matched += 1
    sc.misses = [f"{fid} «{_quote(text, span)}»" for (fid, _, span), u in zip(pool, used) if not u]
    return sc


def evaluate_record(record: Record, text: str, data: bytes, vocab: Vocab) -> DocumentEvaluation:
    doc = record.document
    draft = extract_text(text, doc_id=doc.id, year=doc.year, city=doc.jurisdiction or doc.city, vocab=vocab,
                         data=data,
                         source_name=f"{doc.id}.txt")
    scores: dict[str, Score] = {}
    not_in_text: list[str] = []
    if doc.city is not None:  # a city report curated whole; a national record holds its headline figures only
        scores["statements"] = score_statements(record, draft, text)
        scores["districts"], not_in_text = score_districts(record, draft, text, vocab)
        scores["facilities"] = score_facilities(record, draft, text)
    headline = score_headline(record, draft, text)
    if headline is not None:
        scores["headline"] = headline
    return DocumentEvaluation(doc.id, scores, not_in_text)


def evaluate(records_dir: Path = paths.RECORDS, sources_dir: Path | None = None) -> Evaluation:
    """Extract every record's source text and score the drafts against the curated records."""
    sources_dir = sources_dir or paths.default_sources()
    if not sources_dir:
        raise InputError("no source texts to evaluate against (none found): pass --sources DIR or set KG_SOURCES")
    try:
        finder = SourceFinder(sources_dir)
    except SourceError as e:
        raise InputError(f"{e}; pass --sources DIR or set KG_SOURCES") from None
    corpus = load_records(records_dir)
    docs, skipped = [], []
    reviews = [(r.document.id, r.document.review) for r in corpus.records if r.document.review]
    for record in corpus.records:
        if record.document.review and not record.document.reviewed:
            skipped.append(f"{record.path.name}: review in progress (its open items are not ground truth yet)")
            continue
        path = finder.find(record.document.id)
        if path is None:
            skipped.append(f"{record.path.name}: no {record.document.id}.txt in {finder}")
            continue
        src = read_source(path)
        if src.sha256 != record.document.sha256:
            raise SourceError(f"{path}: its sha256 differs from {record.path}'s document.sha256; the curated "
                              "spans do not belong to this text")
        docs.append(evaluate_record(record, src.text, path.read_bytes(), corpus.vocab))
    if not docs and not reviews:
        raise InputError(f"none of the {len(corpus.records)} record files in {records_dir} has its source "
                         f"text in {sources_dir}")
    return Evaluation(docs, skipped, reviews)


def review_lines(reviews: list[tuple[str, dict]]) -> list[str]:
    """The extractor as reviewers judged it (`kg review`'s counts): per document and kind of item, precision
    = accepted as drafted / judged, kept = (accepted + edited) / judged (judged = accepted + edited +
    rejected), and the figures reviewers had to add."""
    lines = [f"{len(reviews)} reviewed draft(s) (kg review): precision = accepted as drafted / judged, "
             "kept = accepted or edited / judged",
             f"{'document':24}{'items':12}{'drafted':>8}{'judged':>8}{'accepted':>9}{'edited':>7}{'rejected':>9}"
             f"{'added':>6}{'precision':>11}{'kept':>7}"]
    for doc_id, review in reviews:
        for kind, c in review.items():
            judged = c.get("accepted", 0) + c.get("edited", 0) + c.get("rejected", 0)
            if not judged and not c.get("added"):
                continue
            precision = f"{c.get('accepted', 0) / judged:.3f}" if judged else "-"
            kept = f"{(c.get('accepted', 0) + c.get('edited', 0)) / judged:.3f}" if judged else "-"
            lines.append(f"{doc_id[:23]:24}{kind:12}{c.get('drafted', 0):>8}{judged:>8}{c.get('accepted', 0):>9}"
                         f"{c.get('edited', 0):>7}{c.get('rejected', 0):>9}{c.get('added', 0):>6}"
                         f"{precision:>11}{kept:>7}")
    return lines


def format_evaluation(ev: Evaluation, verbose: bool = False) -> str:
    """A plain-text table of precision and recall per document and overall."""
    total = ev.overall()
    aspects = [a for a in ASPECTS if a in total]
    head = f"{'':24}" + "".join(f"{a:<20}" for a in aspects)
    sub = f"{'document':24}" + "precision recall    " * len(aspects)
    lines = [f"{len(ev.documents)} document(s): drafts of the source texts vs the curated records", head, sub]

    def row(name: str, scores: dict[str, Score]) -> str:
        return f"{name[:23]:24}" + "".join(f"{scores[a].precision:<10.3f}{scores[a].recall:<10.3f}"
                                            if a in scores else f"{'-':<10}{'-':<10}" for a in aspects)

    for d in ev.documents:
        lines.append(row(d.doc_id, d.scores))
    lines.append(row("overall", total))
    lines.append("matched/drafted/curated: " + ", ".join(
        f"{a} {total[a].matched}/{total[a].drafted}/{total[a].curated}" for a in aspects))
    goals = [f"{a} {'met' if total[a].meets_goal() else 'NOT met'}" for a in aspects if a != "headline"]
    lines.append(f"goal (precision >= {GOAL_PRECISION}, recall >= {GOAL_RECALL}): " + ", ".join(goals))
    if "headline" in total:
        ok = total["headline"].meets_goal(HEADLINE_PRECISION, HEADLINE_RECALL)
        lines.append(f"headline figures (reviewed statements; kind, year or period, value, span): goal precision "
                     f">= {HEADLINE_PRECISION}, recall >= {HEADLINE_RECALL}: {'met' if ok else 'NOT met'}")
    for s in ev.skipped:
        lines.append(f"skipped {s}")
    if ev.reviews:
        lines += review_lines(ev.reviews)
    if verbose:
        for d in ev.documents:
            for a in d.scores:
                for x in d.scores[a].false_positives:
                    lines.append(f"  {d.doc_id} {a} drafted, not curated: {x}")
                for x in d.scores[a].misses:
                    lines.append(f"  {d.doc_id} {a} curated, not drafted: {x}")
            for x in d.not_in_text:
                lines.append(f"  {d.doc_id} districts not in the text (left out): {x}")
    return "\n".join(line.rstrip() for line in lines)
