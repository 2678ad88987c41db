"""The extractor never crashes and always writes a record file the loader accepts (hypothesis)."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.extract import extract_text, find_quantities, parse_number, to_yaml
from kg.extract.tables import unit_table
from kg.records import load_record
from kg.sources import SourceText, check_record
from kg.vocab import load_vocab

VOCAB = load_vocab()
TABLE = unit_table(VOCAB)

# Pieces real reports are made of, so that the rules fire often; mixed with arbitrary Unicode.
PIECES = ["0", "1", "2", "5", "9", "12", ".", ",", "，", "、", "。", "；", "%", "万", "亿", "千", "百", "十", "一",
          "两", "三", "个", "座", "所", "户", "元/人月", "公里", "平方米", "以上", "以内", "左右", "不少于", "提高",
          "增长", "下降", "到", "-", "至", "是", "第", "#", "## ", "### ", "\n", "\n\n", "  \n", "（", "）", "(",
          ")", "“", "”", "《", "1.", "一、", "（二）", "公园", "博物馆", "路", "河", "等", "重大项目", "地铁",
          "号线", "浑南区", "和平", "沈北", "建设", "推进", "改造", "老旧小区", "预期目标", "回顾", "2024年",
          "3月5日", "记者", "\r\n", "\t", "\u3000", "\ufeff", "\x00", "\x85", "\u2028", "😀", "A", "X5", "App",
          "3.5万个", "12个", "十二所", "两千户", "1,200张", "10-15个", "793元/人月", "提高3.5%", "增长15%以上",
          "下降3.2%", "不少于8000人", "300户左右", "万名", "三大", "百分之十", "20日内", "5个工作日以内"]
report_like = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=80).map("".join)
any_text = st.one_of(st.text(max_size=300), report_like)


def check_loads(text: str) -> None:
    draft = extract_text(text, doc_id="prop-doc", year=2024, city="shenyang", vocab=VOCAB)
    data = to_yaml(draft)
    assert to_yaml(extract_text(text, doc_id="prop-doc", year=2024, city="shenyang", vocab=VOCAB)) == data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prop-doc.yaml"
        path.write_bytes(data)
        record = load_record(path, VOCAB)  # raises RecordError naming every problem
    src = SourceText("prop-doc", path, text, draft.document.sha256)
    assert check_record(record, src) == []
    for kind, item, span, _ in record.spans():
        assert 0 <= span.start < span.end <= len(text), (kind, item)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_any_text_gives_a_loadable_draft(text):
    check_loads(text)


@settings(max_examples=150, deadline=None)
@given(any_text)
def test_quantities_are_exact_substrings(text):
    found, skipped = find_quantities(text, TABLE)
    last = -1
    for q in found:
        assert text[q.start:q.end] == q.as_written
        assert q.value.is_finite() and abs(q.value) < Decimal("1e18")
        assert q.unit in VOCAB.units
        assert q.start >= last or q.start == found[found.index(q) - 1].start  # ranges share a span
        last = q.end
    for s in skipped:
        assert text[s.start:s.end] == s.written


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_parse_number_never_raises(text):
    value = parse_number(text)
    assert value is None or value.is_finite()


def test_edge_cases():
    for text in ["", " ", "\n\n\n", "\ufeff", "（（（（“《", "）））”》", "9" * 5000 + "个", "1" + "0" * 30 + "万人",
                 "九" * 13 + "个", "万" * 50 + "名", "## \n### \n1.\n一是", "增长" * 1000 + "5%",
                 "第" + "一" * 5000, "#" * 10 + " 标题", "\x00\x01\x02", "\r\n" * 10 + "2024年建设公园3座",
                 "（" * 2000 + "建设公园3座" + "）" * 2000]:
        check_loads(text)
    huge = extract_text("新增" + "9" * 40 + "个", doc_id="d", year=2024, city="shenyang")
    assert list(huge.statements()) == []  # beyond 10^18: not a value anyone wrote on purpose


def test_empty_text_is_an_empty_draft():
    draft = extract_text("", doc_id="empty", year=2024, city="shenyang")
    assert draft.counts()["statements"] == draft.counts()["goals"] == 0
    assert b"chars:" not in to_yaml(draft)  # the loader wants chars >= 1; it is optional
