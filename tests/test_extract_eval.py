"""`kg extract --evaluate`: how matches are counted, and the goals on the seed texts."""

from __future__ import annotations

import hashlib

import yaml

from kg import paths
from kg.cli import cli
from kg.extract.evaluate import GOAL_PRECISION, GOAL_RECALL, evaluate, evaluate_record
from kg.records import parse_record
from kg.vocab import load_vocab

TEXT = "## 2024年沈阳市重点任务\n\n在浑南区新建公园3座，改造道路12条。推进中国工业博物馆改造。\n"


def span(word: str, nth: int = 0) -> list[int]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(word, start + 1)
    return [start, start + len(word)]


def curated(statements, facilities, districts=()):
    data = {
        "document": {"id": "t", "slug": "t", "sha256": hashlib.sha256(TEXT.encode()).hexdigest(),
                     "chars": len(TEXT), "title": {"zh": "测试"}, "date": "2024", "publisher": "测试",
                     "city": "shenyang", "year": 2024, "reviewed": True},
        "goals": [{"id": "g", "label": "重点任务", "span": span("重点任务")}],
        "measures": [{"id": "m", "goal": "g", "label": "测试", "category": "other", "span": span("新建公园"),
                      "districts": list(districts),
                      "statements": [dict(kind="target", comparator="exactly", **s) for s in statements]}],
        "facilities": facilities,
    }
    vocab = load_vocab()
    return parse_record(paths.ROOT / "t.yaml", yaml.safe_load(yaml.safe_dump(data, allow_unicode=True)), vocab)


def test_matching_rules():
    rec = curated(
        statements=[
            {"value": 3, "unit": "zuo", "as_written": "3座", "span": span("新建公园3座")},
            {"value": 3, "unit": "zuo", "as_written": "3座", "span": span("新建公园3座")},  # same fact twice
            {"value": 13, "unit": "tiao", "as_written": "13条", "span": span("12条")},       # wrong value
        ],
        facilities=[{"id": "museum", "label": "工业博物馆", "type": "museum", "span": span("中国工业博物馆"),
                     "district": "铁西区"}],
        districts=["浑南区"])
    ev = evaluate_record(rec, TEXT, TEXT.encode(), load_vocab())
    st = ev.scores["statements"]
    assert (st.matched, st.drafted, st.curated) == (1, 2, 2)  # 12条 drafted as 12 ≠ 13; duplicate counted once
    assert any("12条" in x for x in st.false_positives) and any("13" in x for x in st.misses)
    fa = ev.scores["facilities"]
    assert (fa.matched, fa.drafted, fa.curated) == (1, 1, 1)  # 中国工业博物馆 contains 工业博物馆, spans overlap
    di = ev.scores["districts"]
    assert (di.matched, di.drafted, di.curated) == (1, 1, 1)  # 浑南区 written in the measure's sentence
    assert ev.not_in_text == ["tiexi (facility museum)"]      # known to the curator, not written there


def test_a_far_away_span_does_not_match():
    rec = curated(statements=[{"value": 3, "unit": "zuo", "as_written": "3座", "span": span("3座")}],
                  facilities=[{"id": "x", "label": "中国工业博物馆", "type": "museum", "span": span("2024年")}])
    rec_spans = evaluate_record(rec, TEXT, TEXT.encode(), load_vocab()).scores
    assert rec_spans["statements"].matched == 1
    assert rec_spans["facilities"].matched == 0  # same label, but named elsewhere


def test_goals_met_on_the_seed_texts(source_dirs):
    ev = evaluate(paths.RECORDS, source_dirs)  # the seeds and the national reports (headline figures)
    assert len(ev.documents) == len(list(paths.RECORDS.glob("*.yaml")))
    for aspect, score in ev.overall().items():
        assert score.curated > 0, aspect
        assert score.precision >= GOAL_PRECISION, (aspect, score.false_positives)
        assert score.recall >= GOAL_RECALL, (aspect, score.misses)
    for doc in (d for d in ev.documents if "statements" in d.scores):  # every city report, not only the sum
        assert doc.scores["statements"].precision >= GOAL_PRECISION
        assert doc.scores["statements"].recall >= GOAL_RECALL


def test_cli_evaluate(runner, sources_dir):
    r = runner.invoke(cli, ["extract", "--evaluate", "--check", "--verbose", "--sources", str(sources_dir)])
    assert r.exit_code == 0, r.output
    assert "overall" in r.output and "statements met" in r.output
    r = runner.invoke(cli, ["extract", "--evaluate", "--sources", str(sources_dir / "missing")])
    assert r.exit_code == 2 and "--sources" in r.output
