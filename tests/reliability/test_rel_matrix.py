"""The bad-input matrix: every case of kg.doctor.CASES (the table `kg doctor` runs) ends with one clear message,
its documented exit code, and every file of the scratch project as it was (or, for the inputs kg accepts,
complete outputs that parse)."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

import pytest

import kg.export
from kg.cli import cli
from kg.doctor import CASES, COMMANDS, TEMP_FILE, Case, fingerprint, run_case, summarise


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, workspace):
    outcome = run_case(case, workspace, cli)
    assert outcome.ok, f"{case.what}: {outcome.problems}\n--- output:\n{outcome.output[-2000:]}"
    if case.exit != 0:
        assert not outcome.crashed and not outcome.corrupted


def test_every_command_is_covered():
    counts = {c: sum(case.command == c for case in CASES) for c in COMMANDS}
    assert all(n >= 8 for n in counts.values()), counts
    kinds = {"missing", "empty", "binary", "gbk", "bom", "malformed", "disk-full", "under-a-file", "html"}
    names = " ".join(c.name for c in CASES)
    assert all(k in names for k in kinds)


def test_faults_leave_the_exports_byte_identical(workspace):
    """The disk-full and read-only builds change nothing: every export keeps its bytes, no temp file stays."""
    before = fingerprint(workspace.exports)
    for case in [c for c in CASES if c.fault and c.command == "build"]:
        assert run_case(case, workspace, cli).ok
        assert fingerprint(workspace.exports) == before
    assert not [n for n in os.listdir(workspace.exports) if TEMP_FILE.search(n)]


# The judge itself: it must see a crash, a changed file and a stray temp file when there is one.

def _unsafe_commit(files):
    """A commit that writes targets in place (no temp file) and dies half way: what kg must never do."""
    for path, data in files:
        with open(path, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")


def test_the_judge_sees_a_half_written_file(workspace, monkeypatch):
    monkeypatch.setattr(kg.export, "commit_files", _unsafe_commit)
    target = workspace.file("judge-unsafe", "x.nt", "old\n")
    case = Case("export", "judge-unsafe", "non-atomic write",
                ["export", "--format", "nt", "--graph", workspace.graph, "--out", target], 1, r"No space")
    outcome = run_case(case, workspace, cli)
    assert not outcome.ok and outcome.corrupted == [f"in{os.sep}judge-unsafe{os.sep}x.nt changed"]
    target.write_text("old\n")


def test_the_judge_sees_a_crash_and_a_temp_file(workspace, monkeypatch):
    def leaky(files):
        for path, data in files:
            (path.parent / f".{path.name}.abcdefgh.tmp").write_bytes(data)
        raise TypeError("boom")

    monkeypatch.setattr(kg.export, "commit_files", leaky)
    out = workspace.out_dir("judge-leak")
    case = Case("export", "judge-leak", "leaves a temp file, then crashes",
                ["export", "--format", "nt", "--graph", workspace.graph, "--out", out / "x.nt"], 1, r"x")
    outcome = run_case(case, workspace, cli)
    assert outcome.crashed and "internal error (exit 70)" in outcome.problems
    assert outcome.corrupted == [f"out{os.sep}judge-leak{os.sep}.x.nt.abcdefgh.tmp created"]
    assert "Traceback" not in outcome.output and outcome.output.startswith("Error: internal error")
    with contextlib.suppress(FileNotFoundError):
        (out / ".x.nt.abcdefgh.tmp").unlink()


def test_summary_counts(workspace):
    cases = [c for c in CASES if c.command == "export"][:3]
    rows = summarise([run_case(c, workspace, cli) for c in cases])
    export = next(r for r in rows if r.command == "export")
    assert (export.tried, export.clear_errors, export.crashes, export.corrupted) == (3, 3, 0, 0)
    assert {r.command for r in rows} == {"export"}
    assert Path(workspace.exports).is_dir()
