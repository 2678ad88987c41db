"""Loading records fast: worker processes (`--jobs`) and the fast YAML constructor give exactly what the serial
loader and PyYAML's own constructor give: the same records, the same errors with the same file:line.

Correctness only, on a small synthetic corpus; speed lives in benchmarks/bench.py.
"""

from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path

import pytest
import yaml

from kg import paths, records
from kg.cli import cli
from kg.errors import InputError, RecordError
from kg.records import load_records
from kg.synth import Plan, synthesize
from kg.yamlio import LineDict, _FastLoader, _load_fast, load_yaml


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    """2 cities × 3 years: six record files."""
    out = tmp_path_factory.mktemp("par") / "corpus"
    synthesize(Plan(cities=2, years=3, seed=11), out)
    return out


def copy_corpus(src: Path, dst: Path) -> Path:
    shutil.copytree(src / "records", dst / "records")
    shutil.copytree(src / "gazetteer", dst / "gazetteer")
    return dst / "records"


def break_unit(path: Path, nth: int = 0) -> int:
    """Give the nth statement of a record file an unknown unit; return that line (1-based)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if re.search(r'\bunit: "[^"]+"', line)]
    i = hits[nth]
    lines[i] = re.sub(r'\bunit: "[^"]+"', 'unit: "no-such-unit"', lines[i], count=1)
    path.write_text("".join(lines), encoding="utf-8")
    return i + 1


# --------------------------------------------------------------------------------------------------------------
# Worker processes


def test_parallel_load_gives_the_serial_corpus(corpus_dir, monkeypatch):
    serial = load_records(corpus_dir / "records", jobs=1)
    assert len(serial.records) == 6
    monkeypatch.setattr(records, "PARALLEL_BYTES", 0)  # so jobs=None (one per CPU) uses workers here too
    monkeypatch.setattr(records, "cpu_count", lambda: 2)
    for jobs in (2, 3, None):
        parallel = load_records(corpus_dir / "records", jobs=jobs)
        assert parallel.records == serial.records  # every field, every line number, in file order
        assert [r.path for r in parallel.records] == sorted(r.path for r in serial.records)


def test_parallel_load_of_the_seed_records():
    assert load_records(paths.RECORDS, jobs=2).records == load_records(paths.RECORDS, jobs=1).records


def test_an_error_in_one_file_among_many_names_its_file_and_line(corpus_dir, tmp_path, runner):
    records = copy_corpus(corpus_dir, tmp_path)
    bad = sorted(records.glob("*.yaml"))[3]
    line = break_unit(bad)
    errors = {}
    for jobs in (1, 2):
        with pytest.raises(RecordError) as e:
            load_records(records, jobs=jobs)
        errors[jobs] = e.value.problems
    assert errors[1] == errors[2]
    assert len(errors[2]) == 1
    assert errors[2][0].startswith(f"{bad}:{line}: measure ")
    assert ".unit: unknown unit 'no-such-unit'" in errors[2][0]
    result = runner.invoke(cli, ["build", "--records", str(records), "--no-sources", "--jobs", "2",
                                 "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == RecordError.exit_code == 1
    assert f"{bad}:{line}: measure " in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_errors_in_several_files_come_in_file_order(corpus_dir, tmp_path):
    records = copy_corpus(corpus_dir, tmp_path)
    files = sorted(records.glob("*.yaml"))
    lines = {files[4]: break_unit(files[4], 2), files[1]: break_unit(files[1], 0)}
    (records / "zz-not-yaml.yaml").write_text("document: [unclosed\n", encoding="utf-8")
    serial = pytest.raises(RecordError, load_records, records, jobs=1).value.problems
    parallel = pytest.raises(RecordError, load_records, records, jobs=2).value.problems
    assert parallel == serial
    assert [p.split(": ", 1)[0] for p in parallel] == [f"{files[1]}:{lines[files[1]]}",
                                                       f"{files[4]}:{lines[files[4]]}",
                                                       f"{records / 'zz-not-yaml.yaml'}:2"]
    assert "malformed YAML" in parallel[2]


def test_checks_across_files_still_run_after_parallel_loading(corpus_dir, tmp_path):
    records = copy_corpus(corpus_dir, tmp_path)
    first, second = sorted(records.glob("*.yaml"))[:2]
    slug = re.search(r'slug: "([^"]+)"', first.read_text(encoding="utf-8")).group(1)
    text = second.read_text(encoding="utf-8")
    second.write_text(re.sub(r'slug: "[^"]+"', f'slug: "{slug}"', text, count=1), encoding="utf-8")
    for jobs in (1, 2):
        problems = pytest.raises(RecordError, load_records, records, jobs=jobs).value.problems
        assert problems == [f"{second}: document.slug: {slug!r} is already used by {first}"]


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True, "2"])
def test_jobs_must_be_a_whole_number_from_one(jobs, corpus_dir):
    with pytest.raises(InputError, match="--jobs"):
        load_records(corpus_dir / "records", jobs=jobs)


def test_cli_refuses_jobs_zero(runner, tmp_path):
    result = runner.invoke(cli, ["build", "--jobs", "0", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--jobs" in result.output
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------------------------
# The fast YAML constructor


def shape(value, lines: bool = True):
    """A value with every mapping's line and key lines, to compare two constructions exactly."""
    if isinstance(value, LineDict):
        return ("map", value.line if lines else None,
                [(shape(k), shape(v, lines), value.line_of(k) if lines else None) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [shape(v, lines) for v in value])
    return (type(value).__name__, value)


def pyyaml(text: str):
    return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - CSafeLoader subclass, PyYAML's constructor


PLAIN_DOCS = [
    "a: 1\nb: [x, 2.5, true, null, ~, 2022-01-05, 2022]\nc: {d: 'q', e: \"w\"}\n",
    "- 1\n- {a: b}\n- - nested\n  - list\n",
    "l: 1_000\nm: .inf\nn: yes\np: !!str 12\n2: int key\ntrue: bool key\n~: null key\n",
    "",
    "just a string",
    "a:\n  b:\n    c:\n      - {d: [1, {e: f}]}\n",
]
UNUSUAL_DOCS = [  # left to PyYAML's constructor: same result
    "<<: {a: 1}\nb: 2\n",
    "a: !!binary aGk=\n",
    "a: !!set {x, y}\n",
    "a: !!omap [{x: 1}]\n",
    "=: 1\n",
]


@pytest.mark.parametrize("text", PLAIN_DOCS + UNUSUAL_DOCS)
def test_fast_constructor_builds_what_pyyaml_builds(text):
    fast, slow = _load_fast(text), pyyaml(text)
    assert shape(fast) == shape(slow)


def test_fast_constructor_on_every_record_and_vocabulary_file(corpus_dir):
    files = sorted(corpus_dir.glob("records/*.yaml")) + sorted(paths.DATA.rglob("*.yaml"))
    assert len(files) > 8
    for f in files:
        text = f.read_text(encoding="utf-8-sig")
        assert shape(_load_fast(text)) == shape(pyyaml(text)), f


@pytest.mark.parametrize(("text", "what"), [
    ("k: 0x10\n", "hexadecimal number 16"),
    ("o: 1:30\n", "base 60 number 90"),
    ("a: 010\n", "octal number 8"),
    ("a: &x {b: [1]}\nc: *x\n", "kg does not expand aliases"),
])
def test_yaml_11_surprises_and_aliases_are_refused_where_pyyaml_reads_them(text, what):
    """PyYAML reads these silently (16, 90, 8, a shared object); the fast constructor refuses them."""
    assert yaml.safe_load(text) is not None  # PyYAML's own safe loader reads it
    with pytest.raises(Exception, match=what):
        _load_fast(text)


@pytest.mark.parametrize(("text", "line", "what"), [
    ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
    ("a: &x [*x]\n", 1, "kg does not expand aliases"),
    ("? [1, 2]\n: v\n", 1, "a key must be a plain value"),
    ("a: [1, 2\n", 2, "malformed YAML"),
])
def test_unusual_files_still_report_as_before(tmp_path, text, line, what):
    f = tmp_path / "x.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(RecordError) as e:
        load_yaml(f)
    assert e.value.problems[0].startswith(f"{f}:{line}: ") and what in e.value.problems[0]


def test_key_lines_are_the_lines_of_the_keys():
    data = _load_fast("top: 1\n\nitems:\n  - id: a\n    label: x\n\n    span: [1, 2]\n")
    item = data["items"][0]
    assert (data.line, data.line_of("top"), data.line_of("items")) == (1, 1, 3)
    assert (item.line, item.line_of("id"), item.line_of("label"), item.line_of("span")) == (4, 4, 5, 7)
    assert item.line_of("missing") == 4  # an absent key: the mapping's own line
    assert item.key_lines == {"id": 4, "label": 5, "span": 7}


def test_a_line_dict_pickles_with_its_lines_and_without_the_yaml_tree():
    data = _load_fast("a:\n  b: 1\n  c: 2\n")
    blob = pickle.dumps(data)
    assert b"MappingNode" not in blob and b"ScalarNode" not in blob
    back = pickle.loads(blob)
    assert back == data and isinstance(back["a"], LineDict)
    assert (back["a"].line, back["a"].line_of("c")) == (data["a"].line, data["a"].line_of("c")) == (2, 3)
