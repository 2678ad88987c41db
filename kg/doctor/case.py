"""The words the case table is written in: a `Case` is one row, and its command line is a plain list in which
the parts that exist only in a workspace (paths, ports, input files, a changed record) are `Ref`s the runner
resolves. So a new case is one entry: `B("year-as-text", "…", build(edit("document.year", "x")), 1, r"…")`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .faults import closed_port
from .workspace import Workspace, dump_record, good_record

Content = bytes | str | Callable[[Workspace], bytes | str]
Check = Callable[[Workspace, str, str], "str | None"]


class Ref:
    """A part of a command line known only in a workspace, for one case: `resolve(ws, case_name)`."""

    __slots__ = ("resolve",)

    def __init__(self, resolve: Callable[[Workspace, str], object]):
        self.resolve = resolve

    def __truediv__(self, rel: str) -> Ref:
        return Ref(lambda ws, n: Path(self.resolve(ws, n)) / rel)

    @property
    def parent(self) -> Ref:
        return Ref(lambda ws, n: Path(self.resolve(ws, n)).parent)


@dataclass(frozen=True)
class Case:
    """One bad (or awkward) input to one command.

    `args` is the command line after `kg` (strings and `Ref`s). A case expects exit code `exit` and, on
    failure, a message matching `expect` (a regex). A case that should succeed (exit 0) may write only under
    ws.out(name), and `check(ws, name, output)` says what is wrong with what it wrote (None: nothing)."""

    command: str
    name: str
    what: str
    args: list
    exit: int
    expect: str = ""
    fault: str | None = None
    check: Check | None = None
    stdout_on_error: bool = False  # the command reports a failure on stdout (SHACL report, ASK false)

    @property
    def id(self) -> str:
        return f"{self.command}:{self.name}"

    def command_line(self, ws: Workspace) -> list[str]:
        """The arguments after `kg`, with every Ref resolved (creating the case's input files)."""
        return [str(a.resolve(ws, self.name) if isinstance(a, Ref) else a) for a in self.args]


def _content(data: Content, ws: Workspace) -> bytes | str:
    return data(ws) if callable(data) else data


# -- places in the workspace
ROOT = Ref(lambda ws, n: ws.root)
GRAPH = Ref(lambda ws, n: ws.graph)  # the complete build's exports/shenyang.ttl
RECORDS = Ref(lambda ws, n: ws.records)
SOURCES = Ref(lambda ws, n: ws.sources)
EXPORTS = Ref(lambda ws, n: ws.exports)
INPUTS = Ref(lambda ws, n: ws.inputs(n))  # the case's own input folder (created)
OUT = Ref(lambda ws, n: ws.out(n))  # where a run that succeeds may write (not created)
OUTDIR = Ref(lambda ws, n: ws.out_dir(n))  # the same, created
HELD_PORT = Ref(lambda ws, n: ws.hold_port())  # a loopback port something else listens on
CLOSED_PORT = Ref(lambda ws, n: closed_port())  # a loopback port nothing listens on
BUSY_EXPORTS = Ref(lambda ws, n: ws.hold_lock(ws.exports))  # exports/, locked as by a build still writing


def url(template: str) -> Ref:
    """A URL on a loopback port nothing listens on: `url("http://127.0.0.1:{port}/x")`."""
    return Ref(lambda ws, n: template.format(port=closed_port()))


def stub(path: str) -> Ref:
    """A URL of the stand-in triple store (kg.doctor.faults.StubStore): /ok, /fail, /auth, /slow, /reset."""
    return Ref(lambda ws, n: ws.stub().url + path)


def file(rel: str, data: Content) -> Ref:
    """An input file of the case with these contents (a function of the workspace for derived contents)."""
    return Ref(lambda ws, n: ws.file(n, rel, _content(data, ws)))


def special(rel: str, kind: str) -> Ref:
    """An input that is no regular file: `fifo` (a named pipe nobody writes to) or `zero` (a symlink to
    /dev/zero, endless)."""
    def make(ws: Workspace, n: str) -> Path:
        p = ws.inputs(n) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not os.path.lexists(p):
            os.mkfifo(p) if kind == "fifo" else os.symlink("/dev/zero", p)
        return p
    return Ref(make)


def record(data: Content) -> Ref:
    """A records folder holding one record file with exactly these contents."""
    return Ref(lambda ws, n: ws.records_with(n, _content(data, ws)))


def edit(path: str | Callable[[dict], object], value: object = None) -> Ref:
    """A records folder holding the good record with data[a][b]… set to value (`edit("goals.0.span", [1, 2])`;
    ints index lists), or changed by a function of the record's dict."""
    change = path if callable(path) else put(path, value)
    return Ref(lambda ws, n: ws.mutated(n, change))


def put(path: str, value: object) -> Callable[[dict], None]:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]

    def change(d):
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value

    return change


def text_edit(old: str, new: str) -> Callable[[Workspace], str]:
    """The good record's YAML text with `old` replaced by `new` once (for what a dict cannot say)."""
    def content(ws: Workspace) -> str:
        text = dump_record(good_record()).decode("utf-8")
        assert old in text, old
        return text.replace(old, new, 1)
    return content


def build(records: object = RECORDS, *more: object, out: object = EXPORTS, sources: object = SOURCES) -> list:
    """`kg build` of these records (default: the workspace's) into exports/ (or `out`)."""
    return ["build", "--records", records, "--sources", sources, "--out", out, "-q", *more]


def extract(text: object, *more: object) -> list:
    """`kg extract` of a text as the city of Shenyang, year 2030."""
    return ["extract", text, "--city", "沈阳", "--year", "2030", *more]


# One constructor per command: B("name", "what", args, exit, expect, …)
B, V, Q, Z, X, E, S, P = (partial(Case, c) for c in
                          ("build", "validate", "query", "viz", "extract", "export", "serve", "push"))
