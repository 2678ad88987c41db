"""Run `kg doctor` cases and judge them: exit code, message, every file of the workspace before and after.

Every case runs in-process through click's CliRunner on the command given (kg.cli.cli), inside a `Workspace`:
a run that fails must leave all files as they were (no half-written export, no stray temp file), a run that
succeeds may only write the files the case names, and those must be complete."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from ..errors import INTERNAL_ERROR
from .case import Case
from .cases import CASES, COMMANDS
from .faults import fault
from .workspace import TEMP_FILE, Workspace, fingerprint


#: The longest line a failing command may print: values echoed back must be cut (docs/reliability.md).
MAX_LINE = 1000


class _Hang(BaseException):
    """Raised in the main thread when a case runs past its time limit (not an Exception: nothing catches it)."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise _Hang()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Outcome:
    case: Case
    exit_code: int | None
    output: str
    seconds: float
    crashed: bool = False  # an uncaught exception, an internal error (exit 70), a traceback, or a hang
    corrupted: list[str] = field(default_factory=list)  # files changed, created or left behind that must not be
    problems: list[str] = field(default_factory=list)  # everything wrong with this run

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def clear_error(self) -> bool:
        """Ended with the expected non-zero exit code and one clear message, nothing changed."""
        return self.ok and self.case.exit != 0


def run_case(case: Case, ws: Workspace, main: click.Command, time_limit: float = 120.0) -> Outcome:
    """Run one case on the command line `main` (kg.cli.cli) in-process and judge it: exit code, message,
    files before and after."""
    from click.testing import CliRunner

    args = case.command_line(ws)
    before = fingerprint(ws.root)
    runner = CliRunner()
    started = time.monotonic()
    hung = False
    result = None
    try:
        with _time_limit(time_limit), fault(case.fault):
            result = runner.invoke(main, args, prog_name="kg", catch_exceptions=True)
    except _Hang:
        hung = True
    finally:
        ws.end_case()
    seconds = time.monotonic() - started
    after = fingerprint(ws.root)
    if result is None:
        out = Outcome(case, None, "", seconds, crashed=True)
        out.problems.append(f"still running after {time_limit:g} s")
    else:
        out = Outcome(case, result.exit_code, result.output, seconds)
        exc = result.exception
        if exc is not None and not isinstance(exc, SystemExit):
            out.crashed = True
            out.problems.append(f"crashed: {type(exc).__name__}: {str(exc)[:200]}")
        elif result.exit_code == INTERNAL_ERROR:
            out.crashed = True
            out.problems.append("internal error (exit 70)")
        if "Traceback" in result.output:
            out.crashed = True
            out.problems.append("a traceback was printed")
        if not out.crashed:
            _judge_messages(case, result, out)
    if hung:
        out.crashed = True
    _judge_files(case, ws, before, after, out)
    if case.exit == 0 and case.check is not None and not out.problems:
        problem = case.check(ws, case.name, out.output)
        if problem:
            out.problems.append(problem)
    return out


def _judge_messages(case: Case, result, out: Outcome) -> None:
    if result.exit_code != case.exit:
        out.problems.append(f"exit code {result.exit_code}, expected {case.exit}")
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    longest = max((len(line) for line in result.output.splitlines()), default=0)
    if case.exit != 0 and not case.stdout_on_error and longest > MAX_LINE:
        out.problems.append(f"a message line of {longest:,} characters (at most {MAX_LINE:,})")
    if len(errors) > 1:
        out.problems.append(f"{len(errors)} error messages instead of one")
    if case.exit != 0:
        if case.expect and not re.search(case.expect, result.output, re.S):
            out.problems.append(f"the message does not say /{case.expect}/")
        if not errors and not case.stdout_on_error:
            out.problems.append("no 'Error:' message")
        if result.stdout.strip() and not case.stdout_on_error:
            out.problems.append("wrote to standard output although it failed")


def _judge_files(case: Case, ws: Workspace, before: dict, after: dict, out: Outcome) -> None:
    allowed = f"out{os.sep}{case.name}"
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    for rel in changed:
        may_write = case.exit == 0 and (rel == allowed or rel.startswith(allowed + os.sep))
        if not may_write or TEMP_FILE.search(rel):
            what = "removed" if rel not in after else "created" if rel not in before else "changed"
            out.corrupted.append(f"{rel} {what}")
    if out.corrupted:
        out.problems.append("files touched: " + ", ".join(out.corrupted[:5]))


def run_cases(main: click.Command, cases: list[Case] | None = None, root: Path | None = None,
              progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run cases (default: all) on `main` in a fresh workspace under root (default: a temp dir, removed after)."""
    cases = CASES if cases is None else cases
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kg-doctor-")))
        ws = Workspace.create(Path(root) / "ws")
        stack.callback(ws.close)
        outcomes = []
        for case in cases:
            outcome = run_case(case, ws, main)
            outcomes.append(outcome)
            if progress:
                progress(outcome)
        return outcomes


@dataclass
class Row:
    command: str
    tried: int = 0
    clear_errors: int = 0
    accepted: int = 0
    crashes: int = 0
    corrupted: int = 0
    failed: int = 0


def summarise(outcomes: list[Outcome]) -> list[Row]:
    rows = {c: Row(c) for c in COMMANDS}
    for o in outcomes:
        r = rows.setdefault(o.case.command, Row(o.case.command))
        r.tried += 1
        r.clear_errors += o.clear_error
        r.accepted += o.ok and o.case.exit == 0
        r.crashes += o.crashed
        r.corrupted += bool(o.corrupted)
        r.failed += not o.ok
    return [r for r in rows.values() if r.tried]


def format_summary(rows: list[Row]) -> str:
    head = ("command", "inputs", "clear error", "accepted", "crashes", "corrupted", "failed")
    lines = [f"{head[0]:<10}" + "".join(f"{h:>13}" for h in head[1:])]
    total = Row("total")
    for r in rows:
        lines.append(f"{r.command:<10}{r.tried:>13}{r.clear_errors:>13}{r.accepted:>13}{r.crashes:>13}"
                     f"{r.corrupted:>13}{r.failed:>13}")
        for k in ("tried", "clear_errors", "accepted", "crashes", "corrupted", "failed"):
            setattr(total, k, getattr(total, k) + getattr(r, k))
    lines.append(f"{'total':<10}{total.tried:>13}{total.clear_errors:>13}{total.accepted:>13}{total.crashes:>13}"
                 f"{total.corrupted:>13}{total.failed:>13}")
    return "\n".join(lines)
