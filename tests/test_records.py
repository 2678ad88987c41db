"""The record loader: the committed records load, and every kind of bad input gets one clear message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg import paths
from kg.errors import RecordError
from kg.records import load_records

MINIMAL = """\
document:
  id: demo
  slug: demo-2024
  sha256: "{sha}"
  chars: 40
  title: {{zh: 示例报告, en: Demo report}}
  date: 2024-01
  publisher: 示例报社
  city: shenyang
  year: 2024
  reviewed: false
goals:
  - id: g1
    label: 民生实事
    parent: null
    span: [0, 4]
measures:
  - id: parks
    goal: g1
    label: 建设口袋公园
    category: pocket-parks
    districts: [浑南]
    span: [5, 11]
    statements:
      - kind: target
        value: 1000
        unit: zuo
        comparator: exactly
        as_written: 1000座
        span: [5, 16]
"""


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    d = tmp_path / "records"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d


def good(tmp_path: Path) -> Path:
    return write(tmp_path, MINIMAL.format(sha="0" * 64))


def error_of(records_dir: Path) -> str:
    with pytest.raises(RecordError) as e:
        load_records(records_dir)
    return str(e.value)


def test_committed_records_load():
    corpus = load_records(paths.RECORDS)
    ids = {r.document.id for r in corpus.records}
    national = {"prc-2018", "prc-2019", "prc-2021", "prc-2022", "prc-2023", "prc-2024", "prc-2025"}
    assert ids == {"000_2843d9040c2a1b1a", "003_6c8fb738ee7d04de"} | national
    years = {r.document.year for r in corpus.records}
    assert years == {2018, 2019, 2021, 2022, 2023, 2024, 2025}
    for r in corpus.records:
        assert r.goals and r.measures
        assert sum(len(m.statements) for m in r.measures) > 10  # a national record: its headline figures


def test_minimal_record_loads_and_normalises_district(tmp_path):
    corpus = load_records(good(tmp_path))
    (record,) = corpus.records
    (measure,) = record.measures
    assert measure.districts == ("hunnan",)
    assert measure.statements[0].id == "parks-1"
    assert measure.statements[0].year == 2024


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("districts: [浑南]", "districts: [Hunnan]", "demo.yaml:22: measure parks.districts: unknown district 'Hunnan'; known: 沈阳市, 和平区"),
        ("value: 1000", "value: 一千多", "demo.yaml:26: measure parks.statements[0].value: '一千多' is not a number"),
        ("category: pocket-parks", "category: pocket-park", "did you mean 'pocket-parks'?"),
        ("unit: zuo", "unit: zuoo", "unknown unit 'zuoo'"),
        ("comparator: exactly", "comparator: about", "'about' is not one of exactly, at-least"),
        ("comparator: exactly", "comparator: [exactly, at-least]",
         "comparator: exactly and at-least are both a bound; a statement has at most one change"),
        ("comparator: exactly", "comparator: [increase-by, decrease-by]",
         "comparator: increase-by and decrease-by are both a change"),
        ("    goal: g1", "    goal: g9", "demo.yaml:19: measure parks.goal: no goal with id 'g9'"),
        ("span: [5, 16]", "span: [5, 99]", "runs past the end of the text (40 chars)"),
        ("span: [5, 16]", "span: [16, 5]", "is empty or negative"),
        ("span: [5, 16]", "span: five", "expected [start, end] as two whole numbers"),
        ("    label: 建设口袋公园", "    lable: 建设口袋公园", "demo.yaml:20: measure parks.lable: unknown field (did you mean 'label'?)"),
        ("  year: 2024\n", "  year: 二〇二四\n", "document.year: expected a whole number"),
        ("  date: 2024-01", "  date: January", "is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ("  city: shenyang", "  city: dalian", "no gazetteer data/gazetteer/dalian.yaml"),
    ],
)
def test_bad_field_is_named_with_file_line_and_fix(tmp_path, old, new, expected):
    text = MINIMAL.format(sha="0" * 64)
    assert old in text
    message = error_of(write(tmp_path, text.replace(old, new, 1)))
    assert expected in message


def test_malformed_yaml_names_the_line(tmp_path):
    text = MINIMAL.format(sha="0" * 64).replace("    label: 建设口袋公园", "    label: [建设口袋公园")
    message = error_of(write(tmp_path, text))
    assert "demo.yaml:" in message and "malformed YAML" in message


def test_duplicate_ids_are_reported(tmp_path):
    text = MINIMAL.format(sha="0" * 64) + """\
  - id: parks
    goal: g1
    label: 又一项
    category: other
    span: [0, 2]
"""
    assert "measure parks: duplicate id (first used on line 18)" in error_of(write(tmp_path, text))


def test_duplicate_yaml_key_is_reported(tmp_path):
    text = MINIMAL.format(sha="0" * 64).replace("  year: 2024\n", "  year: 2024\n  year: 2025\n")
    assert "duplicate key 'year'" in error_of(write(tmp_path, text))


def test_file_name_must_match_document_id(tmp_path):
    d = write(tmp_path, MINIMAL.format(sha="0" * 64), name="other.yaml")
    assert "name the file demo.yaml" in error_of(d)


def test_gbk_and_binary_files_are_refused_clearly(tmp_path):
    d = tmp_path / "records"
    d.mkdir()
    (d / "demo.yaml").write_bytes(MINIMAL.format(sha="0" * 64).encode("gbk"))
    assert "not UTF-8" in error_of(d) and "re-save the file as UTF-8" in error_of(d)
    (d / "demo.yaml").write_bytes(b"\x00\x01\x02binary")
    assert "binary file" in error_of(d)


def test_bom_is_tolerated(tmp_path):
    d = tmp_path / "records"
    d.mkdir()
    (d / "demo.yaml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.format(sha="0" * 64).encode())
    assert load_records(d).records[0].document.id == "demo"


def test_empty_and_missing_directories(tmp_path):
    assert "no *.yaml record files" in error_of(tmp_path)
    assert "no such directory" in error_of(tmp_path / "nope")


def test_facility_conflict_across_files(tmp_path):
    d = tmp_path / "records"
    shutil.copytree(paths.RECORDS, d)
    corpus = load_records(d)
    fac = next(iter(corpus.records[0].facilities))
    other = d / "003_6c8fb738ee7d04de.yaml"
    text = other.read_text(encoding="utf-8")
    text = text.replace("facilities:\n", f"facilities:\n  - id: {fac.id}\n    label: 不同的名字\n    type: park\n"
                                         f"    span: [10, 12]\n", 1)
    other.write_text(text, encoding="utf-8")
    assert f"facility {fac.id}: defined in" in error_of(d)


def test_vocab_entry_with_a_stray_key_is_refused(tmp_path):
    from kg.vocab import load_vocab

    vocab = tmp_path / "vocab"
    shutil.copytree(paths.VOCAB, vocab)
    f = vocab / "units.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "- {key: bad, zh: 坏, en: one, two}\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"units.yaml:\d+: unknown field\(s\) two; quote values"):
        load_vocab(vocab, paths.GAZETTEERS)
