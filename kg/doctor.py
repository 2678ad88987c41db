"""`kg doctor`: throw every bad input a user will really give kg at each command, in a scratch directory, and
check that each run ends with ONE clear message, a documented exit code, and no partial or changed files.

The cases are data (`CASES`): the reliability tests (tests/reliability/) run exactly these, and `kg doctor`
runs them all and prints a summary table. Every case runs in-process through click's CliRunner inside a
fresh `Workspace`: a tiny project (one record file, its own short source text, a complete build in
`exports/`). Before and after each run every file of the workspace is fingerprinted: a run that fails must
leave all of them as they were (no half-written export, no stray temp file), a run that succeeds may only
write the files the case names, and those must be complete.

Faults that cannot be produced for real on a test machine are simulated by wrapping the few OS calls
`kg.export.commit_files` makes: a full disk (ENOSPC after part of a file is written), a read-only file
system (EROFS when the temp file is created).
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import xml.dom.minidom
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# --------------------------------------------------------------------------------------------------------
# The scratch project every case runs in

#: A short source text of our own (not from any report): a title, two headed items, three quantities.
SOURCE_TEXT = (
    "示例市2030年工作安排\n"
    "一、公园与绿地\n"
    "在浑南区新建口袋公园12个。\n"
    "二、旧城更新\n"
    "改造老旧小区300个以上，新建示例博物馆1座。\n"
)
DOC_ID = "doctor-2030"
RECORD_NAME = f"{DOC_ID}.yaml"
#: A label that would run script if any HTML output pasted it unescaped.
HOSTILE_LABEL = '"><script>alert(1)</script>&'  # 28 characters: fits a label (at most 30)
ENV_NAMES = ("KG_SOURCES",)


def _span(text: str, phrase: str, after: int = 0) -> list[int]:
    start = text.index(phrase, after)
    return [start, start + len(phrase)]


def good_record(text: str = SOURCE_TEXT) -> dict:
    """The record of SOURCE_TEXT, as the YAML data a curator would write (spans computed, not typed)."""
    data = text.encode("utf-8")
    return {
        "document": {
            "id": DOC_ID, "slug": "doctor-2030", "sha256": hashlib.sha256(data).hexdigest(), "chars": len(text),
            "title": {"zh": "示例市2030年工作安排", "en": "Example city work plan 2030"},
            "date": "2030-01", "publisher": "示例", "city": "shenyang", "year": 2030, "reviewed": True,
        },
        "goals": [
            {"id": "plan", "label": "2030年工作安排", "parent": None, "span": _span(text, "2030年工作安排")},
            {"id": "parks", "label": "公园与绿地", "parent": "plan", "ordinal": 1, "span": _span(text, "公园与绿地")},
            {"id": "renewal", "label": "旧城更新", "parent": "plan", "ordinal": 2, "span": _span(text, "旧城更新")},
        ],
        "measures": [
            {"id": "pocket-parks", "goal": "parks", "label": "新建口袋公园", "category": "pocket-parks",
             "districts": ["浑南区"], "facilities": [], "span": _span(text, "新建口袋公园12个"),
             "statements": [{"kind": "target", "value": 12, "unit": "ge", "comparator": "exactly",
                             "as_written": "12个", "span": _span(text, "12个")}]},
            {"id": "old-compounds", "goal": "renewal", "label": "改造老旧小区", "category": "old-residential-compounds",
             "districts": [], "facilities": ["example-museum"], "span": _span(text, "改造老旧小区300个以上"),
             "statements": [{"kind": "target", "value": 300, "unit": "ge", "comparator": "at-least",
                             "as_written": "300个以上", "span": _span(text, "300个以上")}]},
        ],
        "facilities": [
            {"id": "example-museum", "label": "示例博物馆", "type": "museum", "span": _span(text, "示例博物馆")},
        ],
        "district_mentions": [{"district": "浑南区", "span": _span(text, "浑南区")}],
    }


def dump_record(data: dict) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200, default_flow_style=None).encode("utf-8")


def fingerprint(root: Path) -> dict[str, str]:
    """Every file and directory under root → sha256 of its bytes ('dir' for directories)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


TEMP_FILE = re.compile(r"(^|/)\.[^/]+\.tmp$")


@dataclass
class Workspace:
    """A scratch project: records/, sources/, a complete build in exports/ and one in baseline/ (never
    touched: what a good run must reproduce), and in/<case>/ for each case's own inputs."""

    root: Path

    @property
    def records(self) -> Path:
        return self.root / "records"

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def baseline(self) -> Path:
        return self.root / "baseline"

    @property
    def graph(self) -> Path:
        return self.exports / "shenyang.ttl"

    @classmethod
    def create(cls, root: Path) -> Workspace:
        from .pipeline import build, write_all

        ws = cls(Path(root))
        ws.records.mkdir(parents=True)
        (ws.root / "out").mkdir()
        ws.sources.mkdir()
        (ws.records / RECORD_NAME).write_bytes(dump_record(good_record()))
        (ws.sources / f"{DOC_ID}.txt").write_bytes(SOURCE_TEXT.encode("utf-8"))
        result = build(ws.records, sources_dir=ws.sources)
        write_all(result, ws.exports)
        shutil.copytree(ws.exports, ws.baseline)
        return ws

    def inputs(self, name: str) -> Path:
        d = self.root / "in" / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    def file(self, name: str, rel: str, data: bytes | str) -> Path:
        p = self.inputs(name) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return p

    def records_with(self, name: str, data: bytes | str | dict, file_name: str = RECORD_NAME) -> Path:
        """A records directory holding one record file with these contents (a dict is dumped as YAML)."""
        if isinstance(data, dict):
            data = dump_record(data)
        self.file(name, f"records/{file_name}", data)
        return self.inputs(name) / "records"

    def mutated(self, name: str, change: Callable[[dict], object]) -> Path:
        """A records directory with the good record changed in place by `change(record_dict)`."""
        data = copy.deepcopy(good_record())
        change(data)
        return self.records_with(name, data)

    def out(self, name: str) -> Path:
        """A directory a successful case may write into (not created)."""
        return self.root / "out" / name

    def out_dir(self, name: str) -> Path:
        """The same, created (for commands that want an existing directory)."""
        self.out(name).mkdir(parents=True, exist_ok=True)
        return self.out(name)

    _stub: StubStore | None = None
    _held: list = field(default_factory=list)

    def hold_port(self) -> int:
        """A loopback port something else is listening on (until `close`)."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        self._held.append(s)
        return s.getsockname()[1]

    def stub(self) -> StubStore:
        """A stand-in triple store on loopback, started on first use."""
        if self._stub is None:
            self._stub = StubStore()
        return self._stub

    def close(self) -> None:
        for s in self._held:
            s.close()
        self._held.clear()
        if self._stub is not None:
            self._stub.close()
            self._stub = None


# --------------------------------------------------------------------------------------------------------
# Simulated faults around kg.export.commit_files


class _FailingFile:
    """A file object that writes part of what it is given, then fails like a full disk."""

    def __init__(self, fh, fail: bool):
        self._fh = fh
        self._fail = fail

    def write(self, data) -> int:
        if self._fail:
            self._fh.write(data[: len(data) // 2])
            self._fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
        return False


class _OsProxy:
    """The `os` module as kg.export sees it, with some functions replaced."""

    def __init__(self, **overrides):
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(os, name)


class _TempfileProxy:
    def __init__(self, **overrides):
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(tempfile, name)


@contextlib.contextmanager
def fault(kind: str | None) -> Iterator[None]:
    """Simulate a fault in kg.export for the duration: 'enospc' (the disk fills up while the first file is
    written), 'enospc-late' (… while the third file is written, after two were staged), 'erofs' (read-only
    file system: no temp file can be created)."""
    if kind is None:
        yield
        return
    import kg.export as ex

    saved = {"os": ex.os, "tempfile": ex.tempfile}
    if kind in ("enospc", "enospc-late"):
        fail_at = 1 if kind == "enospc" else 3
        opened = [0]

        def fdopen(fd, *args, **kwargs):
            opened[0] += 1
            return _FailingFile(os.fdopen(fd, *args, **kwargs), opened[0] >= fail_at)

        ex.os = _OsProxy(fdopen=fdopen)
    elif kind == "erofs":
        def mkstemp(*args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), kwargs.get("dir"))

        ex.tempfile = _TempfileProxy(mkstemp=mkstemp)
    else:
        raise ValueError(f"unknown fault {kind!r}")
    try:
        yield
    finally:
        ex.os, ex.tempfile = saved["os"], saved["tempfile"]


# --------------------------------------------------------------------------------------------------------
# A stand-in triple store for `kg push` (loopback only)


class _StubStore(http.server.BaseHTTPRequestHandler):
    """Answers Graph Store requests by path: /ok (201), /fail (500 with an HTML page), /auth (401 Basic),
    /slow (answers after 3 s), /reset (closes the connection without an answer)."""

    protocol_version = "HTTP/1.1"
    received: list[int] = []

    def log_message(self, *args) -> None:
        pass

    def _body(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)

    def _answer(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/auth":
            self._body()
            return self._answer(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="stub"'})
        if path == "/reset":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if path == "/slow":
            time.sleep(3)
            self._body()
            return self._answer(204)
        if self.command == "HEAD":
            return self._answer(404 if path == "/ok" else 200)
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if path == "/ok":
            type(self).received.append(n)
            return self._answer(201, b"created")
        return self._answer(500, b"<html><head><title>oops</title><script>x()</script></head><body><h1>Store "
                                 b"error</h1><p>disk quota exceeded</p></body></html>",
                            {"Content-Type": "text/html"})

    do_HEAD = do_PUT = do_POST = do_GET = _route


class StubStore:
    """A threaded HTTP server on a free loopback port (stopped by `close`)."""

    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StubStore)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------------
# The cases


@dataclass(frozen=True)
class Case:
    """One bad (or awkward) input to one command.

    `args(ws, name)` creates the case's input files under ws.inputs(name) and returns the command line after
    `kg`. A case expects exit code `exit` and, on failure, a message matching `expect` (a regex). A case that
    should succeed (exit 0) may write only under ws.out(name), and `check(ws, name, output)` says what is
    wrong with what it wrote (None: nothing)."""

    command: str
    name: str
    what: str
    args: Callable[[Workspace, str], list]
    exit: int
    expect: str = ""
    fault: str | None = None
    check: Callable[[Workspace, str, str], str | None] | None = None
    stdout_on_error: bool = False  # the command reports a failure on stdout (SHACL report, ASK false)

    @property
    def id(self) -> str:
        return f"{self.command}:{self.name}"


def _gbk(text: str) -> bytes:
    return text.encode("gbk")


SHORT_TEXT = "一、建设公园\n在浑南区新建口袋公园12个。\n"
GBK_TEXT = _gbk(SHORT_TEXT)
BINARY = bytes(range(256)) * 16
BOM = b"\xef\xbb\xbf"
BILLION_LAUGHS_XML = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8))
    + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/a"><ex:b>&i;</ex:b></rdf:Description></rdf:RDF>\n')
XXE_XML = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/a"><ex:b>&x;</ex:b></rdf:Description></rdf:RDF>\n')
BILLION_LAUGHS_YAML = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(7))
DEEP_TURTLE = "<http://example.org/a> <http://example.org/b> " + "(" * 3000 + ")" * 3000 + " .\n"
HUGE_INTEGER_TTL = ('<http://example.org/a> <http://example.org/b> "' + "9" * 6000
                    + '"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
LONG_LINE_TTL = '<http://example.org/a> <http://example.org/b> "' + "长" * 2_000_000 + '" .\n'
MALFORMED_TTL = "@prefix ex: <http://example.org/> .\nex:a ex:b .\n"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SELECT_ONE = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"


def _ttl_with_label(ws: Workspace, label: str) -> str:
    """The built graph with the zh label of goal `parks` replaced (Turtle-escaped)."""
    escaped = label.replace("\\", "\\\\").replace('"', '\\"')
    text = ws.graph.read_text(encoding="utf-8")
    assert '"公园与绿地"@zh' in text
    return text.replace('"公园与绿地"@zh', f'"{escaped}"@zh')


def _without_values(ws: Workspace) -> bytes:
    """The built graph less every sy:value (a SHACL violation per statement)."""
    from rdflib import Graph

    from .export import serialize
    from .namespaces import SY

    g = Graph().parse(ws.graph)
    g.remove((None, SY.value, None))
    return serialize(g, "nt")


def _set(path: str, value):
    """A record mutation: set data[a][b]… (ints index lists) to value."""
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]

    def change(d):
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value

    return change


def _del(path: str):
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]

    def change(d):
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]

    return change


def _edit(change):
    """Case args for `kg build` on the good record changed by `change`."""
    return lambda ws, n: ["build", "--records", ws.mutated(n, change), "--sources", ws.sources, "--out",
                          ws.exports, "-q"]


def _raw(data: bytes | str | Callable[[Workspace], bytes | str]):
    """Case args for `kg build` on a record file with exactly these bytes."""
    def args(ws, n):
        content = data(ws) if callable(data) else data
        return ["build", "--records", ws.records_with(n, content), "--sources", ws.sources, "--out", ws.exports,
                "-q"]
    return args


def _text_edit(old: str, new: str, count: int = 1):
    def content(ws):
        text = dump_record(good_record()).decode("utf-8")
        assert old in text, old
        return text.replace(old, new, count)
    return content


def _build_into_out(records: Callable[[Workspace, str], Path]):
    return lambda ws, n: ["build", "--records", records(ws, n), "--sources", ws.sources, "--out", ws.out(n),
                          "-q"]


# -- checks for the runs that must succeed


def _parse_outputs(directory: Path) -> str | None:
    """Every export in a directory parses with a strict parser of its format; None when all do."""
    from rdflib import Dataset, Graph

    for p in sorted(directory.iterdir()):
        try:
            data = p.read_bytes()
            if p.suffix in (".ttl", ".nt", ".rdf", ".jsonld"):
                fmt = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml", ".jsonld": "json-ld"}[p.suffix]
                if p.name == "context.jsonld":
                    json.loads(data)
                else:
                    Graph().parse(data=data, format=fmt)
            elif p.suffix == ".trig":
                Dataset().parse(data=data, format="trig")
            if p.suffix in (".rdf", ".graphml"):
                xml.dom.minidom.parseString(data)
            if p.suffix == ".html" and HOSTILE_LABEL.encode() in data:
                return f"{p.name} contains the label {HOSTILE_LABEL!r} unescaped"
        except Exception as e:  # noqa: BLE001 - any parser error is the finding
            return f"{p.name} does not parse: {type(e).__name__}: {str(e)[:200]}"
    return None


def _same_as_baseline(ws: Workspace, n: str, output: str) -> str | None:
    out = ws.out(n)
    names = sorted(os.listdir(out))
    if names != sorted(os.listdir(ws.baseline)):
        return f"wrote {names}, expected {sorted(os.listdir(ws.baseline))}"
    for name in names:
        if (out / name).read_bytes() != (ws.baseline / name).read_bytes():
            return f"{name} differs from the same build of the plain UTF-8 record"
    return None


def _outputs_ok(ws: Workspace, n: str, output: str) -> str | None:
    return _parse_outputs(ws.out(n))


def _hostile_outputs_ok(ws: Workspace, n: str, output: str) -> str | None:
    problem = _parse_outputs(ws.out(n))
    if problem:
        return problem
    from rdflib import Graph, Literal

    g = Graph().parse(ws.out(n) / "shenyang.ttl")
    if not any(o == Literal(HOSTILE_LABEL, lang="zh") for o in g.objects()):
        return "the label did not survive the round trip through Turtle"
    return None


def _file_check(name: str, needle: str | None = None, parse: str | None = None):
    def check(ws: Workspace, n: str, output: str) -> str | None:
        p = ws.out(n) / name
        if not p.is_file():
            return f"{name} was not written"
        data = p.read_bytes()
        if parse == "xml":
            try:
                xml.dom.minidom.parseString(data)
            except Exception as e:  # noqa: BLE001
                return f"{name} is not well-formed XML: {e}"
        if parse == "record":
            from .records import load_record
            from .errors import RecordError

            try:
                load_record(p)
            except RecordError as e:
                return f"{name} does not load: {str(e)[:200]}"
        if parse == "html" and HOSTILE_LABEL.encode() in data:
            return f"{name} contains the label {HOSTILE_LABEL!r} unescaped"
        if needle is not None and needle.encode() not in data:
            return f"{name} lacks {needle!r}"
        return None
    return check


def _pushed(ws: Workspace, n: str, output: str) -> str | None:
    return None if _StubStore.received and "replaced graph" in output else "the store received nothing"


def _stub(ws: Workspace, path: str) -> str:
    return ws.stub().url + path


# -- the table

_B = "build"
_V = "validate"
_Q = "query"
_Z = "viz"
_X = "extract"
_E = "export"
_S = "serve"
_P = "push"

CASES: list[Case] = [
    # build: the record files
    Case(_B, "missing-records-dir", "--records names no directory",
         lambda ws, n: ["build", "--records", ws.root / "no-such-dir", "--sources", ws.sources, "--out", ws.exports],
         1, r"no-such-dir: no such directory"),
    Case(_B, "no-record-files", "a records directory without *.yaml",
         lambda ws, n: ["build", "--records", ws.inputs(n), "--sources", ws.sources, "--out", ws.exports],
         1, r"no \*\.yaml record files"),
    Case(_B, "empty-record", "an empty record file", _raw(b""), 1, r"doctor-2030\.yaml:1: expected a mapping"),
    Case(_B, "binary-record", "a binary file named .yaml", _raw(BINARY), 1, r"binary file"),
    Case(_B, "gbk-record", "a record saved as GBK", _raw(lambda ws: dump_record(good_record()).decode().encode("gbk")),
         1, r"not UTF-8 .*re-save the file as UTF-8"),
    Case(_B, "bom-record", "a record saved with a UTF-8 BOM (accepted, same exports)",
         _build_into_out(lambda ws, n: ws.records_with(n, BOM + dump_record(good_record()))), 0,
         check=_same_as_baseline),
    Case(_B, "unclosed-bracket", "malformed YAML: an unclosed [", _raw(_text_edit("span: [", "span: [[")),
         1, r"doctor-2030\.yaml:\d+: malformed YAML"),
    Case(_B, "tab-indent", "malformed YAML: a tab for indentation", _raw(_text_edit("\n  slug", "\n\tslug")),
         1, r"doctor-2030\.yaml:\d+: malformed YAML"),
    Case(_B, "duplicate-key", "a key given twice in one mapping", _raw(_text_edit("  year: 2030\n",
                                                                                  "  year: 2030\n  year: 2031\n")),
         1, r"duplicate key 'year'"),
    Case(_B, "list-as-key", "a list where a key belongs", _raw("? [a, b]\n: 1\n"), 1, r"a key must be a plain value"),
    Case(_B, "nested-too-deep", "lists nested 1,500 deep", _raw("document: " + "[" * 1500 + "]" * 1500 + "\n"),
         1, r"nested too deeply"),
    Case(_B, "alias-bomb", "YAML aliases that expand a billion-fold", _raw(BILLION_LAUGHS_YAML),
         1, r"unknown field"),
    Case(_B, "span-as-text", "wrong type: span written as text", _edit(_set("goals.0.span", "12-20")),
         1, r"goal plan\.span: expected \[start, end\]"),
    Case(_B, "year-as-text", "wrong type: year written as words", _edit(_set("document.year", "twenty-thirty")),
         1, r"document\.year: expected a whole number"),
    Case(_B, "value-as-list", "wrong type: a list as a value", _edit(_set("measures.0.statements.0.value", [1, 2])),
         1, r"value: expected a number"),
    Case(_B, "category-as-list", "wrong type: a list where a category key belongs",
         _edit(_set("measures.0.category", ["pocket-parks", "parks-greening"])), 1, r"unknown category"),
    Case(_B, "unit-as-mapping", "wrong type: a mapping where a unit key belongs",
         _edit(_set("measures.0.statements.0.unit", {"key": "ge"})), 1, r"unknown unit"),
    Case(_B, "parent-as-list", "wrong type: a list as a goal's parent", _edit(_set("goals.1.parent", ["plan"])),
         1, r"goal parks\.parent: no goal with id"),
    Case(_B, "unknown-district", "a district the gazetteer does not know",
         _edit(_set("measures.0.districts", ["浦东新区"])), 1, r"unknown district '浦东新区'"),
    Case(_B, "unknown-category", "a category not in the vocabulary", _edit(_set("measures.0.category", "pocket-park")),
         1, r"unknown category 'pocket-park' \(did you mean 'pocket-parks'\?\)"),
    Case(_B, "misspelt-field", "a misspelt field name",
         _edit(lambda d: d["goals"][0].__setitem__("lable", d["goals"][0].pop("label"))), 1, r"lable: unknown field"),
    Case(_B, "duplicate-goal-id", "two goals with one id",
         _edit(lambda d: d["goals"].append({**d["goals"][1], "parent": "plan"})), 1, r"goal parks: duplicate id"),
    Case(_B, "goal-cycle", "goals that are each other's parent", _edit(_set("goals.0.parent", "parks")),
         1, r"goals form a cycle"),
    Case(_B, "dangling-facility", "a measure naming a facility nobody defined",
         _edit(_set("measures.1.facilities", ["no-such-museum"])), 1, r"no facility with id 'no-such-museum'"),
    Case(_B, "span-past-end", "a span past the end of the text", _edit(_set("goals.1.span", [10, 99999])),
         1, r"\[10, 99999\] runs past the end of the text"),
    Case(_B, "span-empty", "an empty span", _edit(_set("goals.1.span", [12, 12])), 1, r"is empty or negative"),
    Case(_B, "span-negative", "a negative offset", _edit(_set("goals.1.span", [-5, 3])), 1, r"is empty or negative"),
    Case(_B, "span-outside-text", "a span past the text when chars is not given",
         _edit(lambda d: (d["document"].pop("chars"), d["goals"][1].__setitem__("span", [10, 5000]))),
         1, r"is outside the text"),
    Case(_B, "span-misses-number", "a statement whose span does not hold as_written",
         _edit(_set("measures.0.statements.0.as_written", "13个")), 1, r"does not contain as_written '13个'"),
    Case(_B, "huge-value", "a value of 10^30", _edit(_set("measures.0.statements.0.value", 10**30)),
         1, r"not a finite number below 10\^18"),
    Case(_B, "huge-value-digits", "a value written with 5,000 digits",
         _edit(_set("measures.0.statements.0.value", "9" * 5000)), 1, r"not a finite number below 10\^18"),
    Case(_B, "infinite-value", "a value of .inf", _raw(_text_edit("value: 12\n", "value: .inf\n")),
         1, r"not a finite number"),
    Case(_B, "nan-value", "a value of .nan", _raw(_text_edit("value: 12\n", "value: .nan\n")),
         1, r"not a finite number"),
    Case(_B, "long-label", "a 100,000-character label on one line", _edit(_set("goals.1.label", "长" * 100_000)),
         1, r"100000 characters; keep it under 30"),
    Case(_B, "control-character", "a label with control characters",
         _edit(_set("goals.1.label", "公园\x01与\x00绿地")), 1, r"control character .*U\+0001"),
    Case(_B, "html-label", "labels with HTML and script (accepted; escaped in every output)",
         _build_into_out(lambda ws, n: ws.mutated(n, lambda d: (_set("goals.1.label", HOSTILE_LABEL)(d),
                                                                 _set("measures.0.label_en", HOSTILE_LABEL)(d)))),
         0, check=_hostile_outputs_ok),
    Case(_B, "id-not-file-name", "document.id differs from the file name", _edit(_set("document.id", "other-id")),
         1, r"differs from the file name"),
    Case(_B, "unknown-city", "a city without a gazetteer", _edit(_set("document.city", "atlantis")),
         1, r"no gazetteer data/gazetteer/atlantis\.yaml"),
    Case(_B, "date-garbage", "a date that is not a date", _edit(_set("document.date", "next spring")),
         1, r"'next spring' is not YYYY"),
    # build: the source texts
    Case(_B, "missing-sources-dir", "--sources names no directory",
         lambda ws, n: ["build", "--records", ws.records, "--sources", ws.root / "no-such-sources", "--out",
                        ws.exports], 1, r"no-such-sources: no such directory"),
    Case(_B, "gbk-source", "the source text saved as GBK",
         lambda ws, n: ["build", "--records", ws.records, "--sources",
                        ws.file(n, f"sources/{DOC_ID}.txt", SOURCE_TEXT.encode("gbk")).parent, "--out", ws.exports],
         1, r"doctor-2030\.txt: not UTF-8 at byte \d+; convert it"),
    Case(_B, "edited-source", "a source text that changed after curation",
         lambda ws, n: ["build", "--records", ws.records, "--sources",
                        ws.file(n, f"sources/{DOC_ID}.txt", SOURCE_TEXT.replace("12", "13")).parent, "--out",
                        ws.exports], 1, r"document\.sha256 is .* the text changed"),
    # build: the output directory
    Case(_B, "out-under-a-file", "--out below a regular file",
         lambda ws, n: ["build", "--records", ws.records, "--sources", ws.sources, "--out", ws.graph / "sub"],
         1, r"cannot write .*is a file, not a directory\); nothing was changed"),
    Case(_B, "out-is-a-file", "--out names a regular file",
         lambda ws, n: ["build", "--records", ws.records, "--sources", ws.sources, "--out", ws.graph],
         2, r"is a file"),
    Case(_B, "bad-base-iri", "--base-iri that is not an IRI",
         lambda ws, n: ["build", "--records", ws.records, "--sources", ws.sources, "--out", ws.exports,
                        "--base-iri", 'http://example.org/<x>"{}/'], 2, r"not an absolute http\(s\) IRI"),
    Case(_B, "disk-full", "the disk fills up while the first export is written",
         lambda ws, n: ["build", "--records", ws.records, "--sources", ws.sources, "--out", ws.exports],
         1, r"cannot write .*No space left on device; nothing was changed", fault="enospc"),
    Case(_B, "disk-full-late", "the disk fills up at the third export (two already staged)",
         lambda ws, n: ["build", "--records", ws.records, "--sources", ws.sources, "--out", ws.exports],
         1, r"No space left on device; nothing was changed", fault="enospc-late"),
    Case(_B, "read-only", "the output directory is on a read-only file system",
         lambda ws, n: ["build", "--records", ws.records, "--sources", ws.sources, "--out", ws.exports],
         1, r"Read-only file system; nothing was changed", fault="erofs"),

    # validate
    Case(_V, "missing-file", "a graph file that does not exist", lambda ws, n: ["validate", ws.root / "nope.ttl"],
         2, r"nope\.ttl: no such RDF file"),
    Case(_V, "directory", "a directory instead of a file", lambda ws, n: ["validate", ws.exports], 2,
         r"is a directory"),
    Case(_V, "empty-file", "an empty .ttl", lambda ws, n: ["validate", ws.file(n, "empty.ttl", b"")],
         2, r"holds no triples"),
    Case(_V, "binary-file", "binary bytes in a .ttl", lambda ws, n: ["validate", ws.file(n, "bin.ttl", BINARY)],
         2, r"bin\.ttl: cannot parse as turtle"),
    Case(_V, "gbk-file", "a Turtle file saved as GBK",
         lambda ws, n: ["validate", ws.file(n, "gbk.ttl", ws.graph.read_text().encode("gbk"))],
         2, r"gbk\.ttl: cannot parse as turtle"),
    Case(_V, "bom-file", "a Turtle file with a UTF-8 BOM (accepted)",
         lambda ws, n: ["validate", ws.file(n, "bom.ttl", BOM + ws.graph.read_bytes())], 0),
    Case(_V, "malformed-turtle", "Turtle with a statement cut short",
         lambda ws, n: ["validate", ws.file(n, "bad.ttl", MALFORMED_TTL)], 2, r"bad\.ttl: cannot parse as turtle"),
    Case(_V, "truncated-turtle", "the first half of a good Turtle file",
         lambda ws, n: ["validate", ws.file(n, "half.ttl", ws.graph.read_bytes()[: ws.graph.stat().st_size // 2])],
         2, r"half\.ttl: cannot parse"),
    Case(_V, "shape-violations", "a graph whose statements lost their values",
         lambda ws, n: ["validate", ws.file(n, "novalue.nt", _without_values(ws))], 1,
         r"SHACL violation", stdout_on_error=True),
    Case(_V, "xml-entity-bomb", "RDF/XML with nested entities (billion laughs)",
         lambda ws, n: ["validate", ws.file(n, "lol.rdf", BILLION_LAUGHS_XML)], 2, r"declares XML entities"),
    Case(_V, "xml-external-entity", "RDF/XML with an external entity (XXE) to /etc/passwd",
         lambda ws, n: ["validate", ws.file(n, "xxe.rdf", XXE_XML)], 2, r"declares XML entities"),
    Case(_V, "remote-jsonld-context", "JSON-LD whose @context is on a dead loopback port",
         lambda ws, n: ["validate", ws.file(n, "remote.jsonld", json.dumps(
             {"@context": f"http://127.0.0.1:{closed_port()}/ctx.jsonld", "@id": "http://example.org/a",
              "name": "x"}))], 2, r"remote\.jsonld: cannot parse as json-ld"),
    Case(_V, "deep-collection", "a Turtle collection nested 3,000 deep",
         lambda ws, n: ["validate", ws.file(n, "deep.ttl", DEEP_TURTLE)], 2, r"deep\.ttl: cannot parse"),
    Case(_V, "huge-integer", "an xsd:integer with 6,000 digits (valid; no traceback)",
         lambda ws, n: ["validate", ws.file(n, "big.ttl", HUGE_INTEGER_TTL)], 0),
    Case(_V, "long-line", "one literal of 2 million characters on one line",
         lambda ws, n: ["validate", ws.file(n, "long.ttl", LONG_LINE_TTL)], 0),

    # query
    Case(_Q, "syntax-error", "a triple pattern missing its object",
         lambda ws, n: ["query", "-g", ws.graph, "SELECT * WHERE { ?s ?p }"], 2, r"syntax error at line 1, column"),
    Case(_Q, "unknown-prefix", "an undeclared prefix",
         lambda ws, n: ["query", "-g", ws.graph, "SELECT * WHERE { ?s nope:x ?o }"], 2, r"unknown prefix nope:"),
    Case(_Q, "update-insert", "SPARQL UPDATE: INSERT DATA",
         lambda ws, n: ["query", "-g", ws.graph, "INSERT DATA { <http://a.example/> <http://b.example/> 1 }"],
         2, r"SPARQL UPDATE \(INSERT\); kg query is read-only"),
    Case(_Q, "update-load", "SPARQL UPDATE: LOAD from the web",
         lambda ws, n: ["query", "-g", ws.graph, "LOAD <http://example.org/data.ttl>"], 2, r"UPDATE \(LOAD\)"),
    Case(_Q, "update-drop", "SPARQL UPDATE: DROP ALL", lambda ws, n: ["query", "-g", ws.graph, "DROP ALL"],
         2, r"UPDATE \(DROP\)"),
    Case(_Q, "service", "a federated SERVICE call",
         lambda ws, n: ["query", "-g", ws.graph, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"],
         2, r"SERVICE .* is not allowed"),
    Case(_Q, "from-web", "FROM a web graph",
         lambda ws, n: ["query", "-g", ws.graph, "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"],
         2, r"FROM / FROM NAMED are not allowed"),
    Case(_Q, "empty-query", "an empty query", lambda ws, n: ["query", "-g", ws.graph, "  # nothing\n"],
         2, r"the query is empty"),
    Case(_Q, "nested-too-deep", "groups nested 3,000 deep",
         lambda ws, n: ["query", "-g", ws.graph, "SELECT * WHERE { " + "{" * 3000 + "?s ?p ?o" + "}" * 3000 + " }"],
         2, r"too deeply to parse"),
    Case(_Q, "parentheses-too-deep", "parentheses nested 3,000 deep",
         lambda ws, n: ["query", "-g", ws.graph, "SELECT * WHERE { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }"],
         2, r"too deeply to parse"),
    Case(_Q, "missing-query-file", "-f names no file", lambda ws, n: ["query", "-g", ws.graph, "-f", ws.root / "no.rq"],
         2, r"no\.rq"),
    Case(_Q, "binary-query-file", "-f names a binary file",
         lambda ws, n: ["query", "-g", ws.graph, "-f", ws.file(n, "bin.rq", BINARY)], 2, r"bin\.rq: not UTF-8"),
    Case(_Q, "gbk-query-file", "-f names a query saved as GBK",
         lambda ws, n: ["query", "-g", ws.graph, "-f", ws.file(n, "gbk.rq", _gbk('SELECT * WHERE { ?s ?p "公园" }'))],
         2, r"gbk\.rq: not UTF-8"),
    Case(_Q, "bom-query-file", "-f names a query with a UTF-8 BOM (accepted)",
         lambda ws, n: ["query", "-g", ws.graph, "--format", "csv", "-f",
                        ws.file(n, "bom.rq", BOM + SELECT_ONE.encode())], 0),
    Case(_Q, "long-literal", "a 1 MB literal in the query (accepted)",
         lambda ws, n: ["query", "-g", ws.graph, "--format", "csv",
                        'SELECT * WHERE { ?s ?p "' + "x" * 1_000_000 + '" }'], 0),
    Case(_Q, "huge-numbers", "numbers beyond any machine type (accepted)",
         lambda ws, n: ["query", "-g", ws.graph, "--format", "csv",
                        "SELECT * WHERE { ?s ?p ?o FILTER(?o > 1e999999 || ?o = " + "9" * 400 + ") }"], 0),
    Case(_Q, "missing-graph", "--graph names no file",
         lambda ws, n: ["query", "-g", ws.root / "nope.ttl", SELECT_ONE], 2, r"nope\.ttl: no such graph file"),
    Case(_Q, "malformed-graph", "--graph names malformed Turtle",
         lambda ws, n: ["query", "-g", ws.file(n, "bad.ttl", MALFORMED_TTL), SELECT_ONE], 2, r"bad\.ttl: cannot parse"),
    Case(_Q, "binary-graph", "--graph names a binary file",
         lambda ws, n: ["query", "-g", ws.file(n, "bin.nt", BINARY), SELECT_ONE], 2, r"bin\.nt: cannot parse"),
    Case(_Q, "entity-bomb-graph", "--graph names RDF/XML with nested entities",
         lambda ws, n: ["query", "-g", ws.file(n, "lol.rdf", BILLION_LAUGHS_XML), SELECT_ONE], 2,
         r"declares XML entities"),
    Case(_Q, "bad-param", "--param without a value", lambda ws, n: ["query", "-g", ws.graph, "-p", "year", SELECT_ONE],
         2, r"write NAME=VALUE"),
    Case(_Q, "unknown-canned", "--name of no canned query",
         lambda ws, n: ["query", "-g", ws.graph, "--name", "no-such-query"], 2, r"no canned query named"),
    Case(_Q, "ask-false", "an ASK query whose answer is no (exit 1 by design)",
         lambda ws, n: ["query", "-g", ws.graph, "ASK { ?s ?p 'no such literal anywhere' }"], 1, r"false",
         stdout_on_error=True),
    Case(_Q, "timeout", "a cartesian product stopped by --timeout",
         lambda ws, n: ["query", "-g", ws.graph, "--timeout", "1", CARTESIAN], 124, r"stopped after 1 s \(timeout\)"),
    Case(_Q, "output-under-a-file", "-o below a regular file",
         lambda ws, n: ["query", "-g", ws.graph, "-o", ws.graph / "rows.csv", SELECT_ONE], 1,
         r"cannot write .*rows\.csv.*not a directory"),
    Case(_Q, "output-disk-full", "the disk fills up while -o is written (the old file stays)",
         lambda ws, n: ["query", "-g", ws.graph, "-o", ws.file(n, "rows.csv", "old rows\n"), SELECT_ONE], 1,
         r"No space left on device; nothing was changed", fault="enospc"),

    # viz
    Case(_Z, "missing-graph", "--graph names no file",
         lambda ws, n: ["viz", "--graph", ws.root / "nope.ttl", "--out", ws.out(n) / "g.html"], 2, r"nope\.ttl"),
    Case(_Z, "malformed-graph", "--graph names malformed Turtle",
         lambda ws, n: ["viz", "--graph", ws.file(n, "bad.ttl", MALFORMED_TTL), "--out", ws.out(n) / "g.html"],
         2, r"bad\.ttl: cannot parse"),
    Case(_Z, "empty-graph", "--graph names an empty file",
         lambda ws, n: ["viz", "--graph", ws.file(n, "empty.ttl", b""), "--out", ws.out(n) / "g.html"],
         2, r"no goals, measures"),
    Case(_Z, "gbk-graph", "--graph names Turtle saved as GBK",
         lambda ws, n: ["viz", "--graph", ws.file(n, "gbk.ttl", ws.graph.read_text().encode("gbk")), "--out",
                        ws.out(n) / "g.html"], 2, r"gbk\.ttl: cannot parse"),
    Case(_Z, "unknown-district", "--district the graph does not have",
         lambda ws, n: ["viz", "--graph", ws.graph, "--district", "浦东新区", "--out", ws.out(n) / "g.html"],
         2, r"unknown district '浦东新区'"),
    Case(_Z, "year-without-nodes", "--year with nothing in it",
         lambda ws, n: ["viz", "--graph", ws.graph, "--year", "1999", "--out", ws.out(n) / "g.html"],
         2, r"no node of the graph is in year 1999"),
    Case(_Z, "unknown-focus", "--focus on nothing",
         lambda ws, n: ["viz", "--graph", ws.graph, "--focus", "nothing-like-this", "--out", ws.out(n) / "g.html"],
         2, r"no node 'nothing-like-this'"),
    Case(_Z, "depth-without-focus", "--depth without --focus",
         lambda ws, n: ["viz", "--graph", ws.graph, "--depth", "3", "--out", ws.out(n) / "g.html"],
         2, r"--depth needs --focus"),
    Case(_Z, "html-labels", "labels with HTML and script (accepted; passed as data, never as HTML)",
         lambda ws, n: ["viz", "--graph", ws.file(n, "hostile.ttl", _ttl_with_label(ws, HOSTILE_LABEL)),
                        "--out", ws.out(n) / "g.html"], 0, check=_file_check("g.html", parse="html")),
    Case(_Z, "out-under-a-file", "--out below a regular file",
         lambda ws, n: ["viz", "--graph", ws.graph, "--out", ws.graph / "g.html"], 1, r"cannot write .*g\.html"),
    Case(_Z, "disk-full", "the disk fills up while the page is written (the old page stays)",
         lambda ws, n: ["viz", "--graph", ws.graph, "--out", ws.file(n, "g.html", "<p>old page</p>")], 1,
         r"No space left on device; nothing was changed", fault="enospc"),
    Case(_Z, "read-only", "the output is on a read-only file system",
         lambda ws, n: ["viz", "--graph", ws.graph, "--out", ws.file(n, "g.html", "<p>old page</p>")], 1,
         r"Read-only file system", fault="erofs"),

    # extract
    Case(_X, "missing-text", "a text file that does not exist", lambda ws, n: ["extract", ws.root / "nope.txt"],
         2, r"nope\.txt' does not exist"),
    Case(_X, "binary-text", "a binary file", lambda ws, n: ["extract", ws.file(n, "bin.txt", BINARY)],
         2, r"bin\.txt:\d+: not UTF-8"),
    Case(_X, "gbk-text", "a text saved as GBK, no --encoding",
         lambda ws, n: ["extract", ws.file(n, "gbk.txt", GBK_TEXT), "--city", "沈阳", "--year", "2030"],
         2, r"looks like GBK/GB18030: pass --encoding gbk"),
    Case(_X, "gbk-text-declared", "a text saved as GBK with --encoding gbk (accepted)",
         lambda ws, n: ["extract", ws.file(n, "gbk-ok.txt", GBK_TEXT), "--encoding", "gbk", "--city", "沈阳",
                        "--year", "2030", "-o", ws.out_dir(n)], 0,
         check=_file_check("gbk-ok.yaml", needle="ge", parse="record")),
    Case(_X, "bom-text", "a text with a UTF-8 BOM (accepted)",
         lambda ws, n: ["extract", ws.file(n, "bom.txt", BOM + SHORT_TEXT.encode()), "--city", "沈阳", "--year",
                        "2030", "-o", ws.out_dir(n)], 0,
         check=_file_check("bom.yaml", parse="record")),
    Case(_X, "empty-text", "an empty text (accepted: an empty draft)",
         lambda ws, n: ["extract", ws.file(n, "empty.txt", b""), "--city", "沈阳", "--year", "2030", "-o",
                        ws.out_dir(n)], 0,
         check=_file_check("empty.yaml", parse="record")),
    Case(_X, "no-city", "a text that names no city, without --city",
         lambda ws, n: ["extract", ws.file(n, "plain.txt", "一、事项\n完成3个。\n")], 2, r"cannot tell which city"),
    Case(_X, "unknown-city", "--city nobody has a gazetteer for",
         lambda ws, n: ["extract", ws.file(n, "t.txt", SHORT_TEXT), "--city", "atlantis"], 2,
         r"unknown city 'atlantis'"),
    Case(_X, "unknown-encoding", "--encoding that does not exist",
         lambda ws, n: ["extract", ws.file(n, "t.txt", SHORT_TEXT), "--encoding", "klingon"], 2, r"unknown encoding"),
    Case(_X, "malformed-gazetteer", "--gazetteer with malformed YAML",
         lambda ws, n: ["extract", ws.file(n, "t.txt", SHORT_TEXT), "--gazetteer", ws.file(n, "g.yaml", "city: [\n")],
         1, r"g\.yaml:\d+: malformed YAML"),
    Case(_X, "wrong-gazetteer", "--gazetteer of the wrong shape",
         lambda ws, n: ["extract", ws.file(n, "t.txt", SHORT_TEXT), "--gazetteer", ws.file(n, "g.yaml", "city: 1\n")],
         1, r"a gazetteer needs `city:` and `divisions:`"),
    Case(_X, "long-line", "one line of 200,000 characters (accepted)",
         lambda ws, n: ["extract", ws.file(n, "long.txt", "新建口袋公园12个，" * 20_000), "--city", "沈阳", "--year",
                        "2030", "-o", ws.out_dir(n)], 0,
         check=_file_check("long.yaml", parse="record")),
    Case(_X, "huge-number", "a number with 5,000 digits (accepted, not kept)",
         lambda ws, n: ["extract", ws.file(n, "big.txt", "一、建设公园\n新建公园" + "9" * 5000 + "个。\n"), "--city",
                        "沈阳", "--year", "2030", "-o", ws.out_dir(n)], 0,
         check=_file_check("big.yaml", parse="record")),
    Case(_X, "html-text", "a text with HTML and script in it (accepted)",
         lambda ws, n: ["extract", ws.file(n, "html.txt", f"一、{HOSTILE_LABEL}公园\n新建<b>口袋公园</b>12个。\n"),
                        "--city", "沈阳", "--year", "2030", "-o", ws.out_dir(n)], 0,
         check=_file_check("html.yaml", parse="record")),
    Case(_X, "misnamed-output", "-o FILE not named after the document",
         lambda ws, n: ["extract", ws.file(n, "t.txt", SHORT_TEXT), "--city", "沈阳", "--year", "2030", "-o",
                        ws.out(n) / "other.yaml"], 2, r"must be named after its document: t\.yaml"),
    Case(_X, "output-under-a-file", "-o below a regular file",
         lambda ws, n: ["extract", ws.file(n, "t.txt", SHORT_TEXT), "--city", "沈阳", "--year", "2030", "-o",
                        ws.graph / "t.yaml"], 1, r"cannot write .*t\.yaml"),
    Case(_X, "disk-full", "the disk fills up while the draft is written (the old draft stays)",
         lambda ws, n: ["extract", ws.file(n, "t.txt", SHORT_TEXT), "--city", "沈阳", "--year", "2030", "-o",
                        ws.file(n, "t.yaml", "old: draft\n")], 1, r"No space left on device", fault="enospc"),
    Case(_X, "folder-without-texts", "a folder with no *.txt",
         lambda ws, n: ["extract", ws.inputs(n), "-o", ws.out(n)], 2, r"no \*\.txt files"),

    # export
    Case(_E, "unknown-format", "--format nobody knows",
         lambda ws, n: ["export", "--format", "xlsx", "--graph", ws.graph, "--out", ws.out(n) / "x"], 2,
         r"Invalid value for --format: 'xlsx'"),
    Case(_E, "missing-graph", "--graph names no file",
         lambda ws, n: ["export", "--format", "nt", "--graph", ws.root / "nope.ttl"], 2, r"nope\.ttl: no such"),
    Case(_E, "malformed-graph", "--graph names malformed Turtle",
         lambda ws, n: ["export", "--format", "nt", "--graph", ws.file(n, "bad.ttl", MALFORMED_TTL)], 2,
         r"bad\.ttl: cannot parse"),
    Case(_E, "binary-graph", "--graph names a binary file",
         lambda ws, n: ["export", "--format", "jsonld", "--graph", ws.file(n, "bin.ttl", BINARY)], 2,
         r"bin\.ttl: cannot parse"),
    Case(_E, "entity-bomb-graph", "--graph names RDF/XML with nested entities",
         lambda ws, n: ["export", "--format", "nt", "--graph", ws.file(n, "lol.rdf", BILLION_LAUGHS_XML)], 2,
         r"declares XML entities"),
    Case(_E, "rdfxml-impossible", "RDF/XML of a predicate no XML name can hold",
         lambda ws, n: ["export", "--format", "rdfxml", "--graph", ws.file(
             n, "p.nt", "<http://example.org/a> <http://example.org/1> <http://example.org/c> .\n"),
                        "--out", ws.out(n) / "x.rdf"], 2, r"cannot write this graph as rdfxml"),
    Case(_E, "xml-control-characters", "RDF/XML of a literal with control characters",
         lambda ws, n: ["export", "--format", "rdfxml", "--graph", ws.file(
             n, "c.nt", '<http://example.org/a> <http://example.org/b> "a\\u0001b" .\n'),
                        "--out", ws.out(n) / "x.rdf"], 2, r"U\+0001, which XML cannot"),
    Case(_E, "graphml-control-characters", "GraphML of a label with control characters",
         lambda ws, n: ["export", "--format", "graphml", "--graph", ws.file(
             n, "c.ttl", _ttl_with_label(ws, "公园\x07绿地").replace("\x07", "\\u0007")),
                        "--out", ws.out(n) / "x.graphml"], 2, r"U\+0007, which XML cannot"),
    Case(_E, "html-labels", "GraphML of labels with HTML and script (accepted, well-formed)",
         lambda ws, n: ["export", "--format", "graphml", "--graph",
                        ws.file(n, "hostile.ttl", _ttl_with_label(ws, HOSTILE_LABEL)), "--out",
                        ws.out(n) / "x.graphml"],
         0, check=_file_check("x.graphml", parse="xml")),
    Case(_E, "out-under-a-file", "--out below a regular file",
         lambda ws, n: ["export", "--format", "nt", "--graph", ws.graph, "--out", ws.graph / "x.nt"], 1,
         r"cannot write .*x\.nt"),
    Case(_E, "disk-full", "the disk fills up while --out is written (the old file stays)",
         lambda ws, n: ["export", "--format", "nt", "--graph", ws.graph, "--out", ws.file(n, "x.nt", "old\n")], 1,
         r"No space left on device; nothing was changed", fault="enospc"),
    Case(_E, "read-only", "the output is on a read-only file system",
         lambda ws, n: ["export", "--format", "nt", "--graph", ws.graph, "--out", ws.file(n, "x.nt", "old\n")], 1,
         r"Read-only file system", fault="erofs"),

    # serve (each fails before a socket is opened)
    Case(_S, "missing-graph", "--graph names no file", lambda ws, n: ["serve", "--graph", ws.root / "nope.ttl"],
         2, r"nope\.ttl: no such graph file"),
    Case(_S, "malformed-graph", "--graph names malformed Turtle",
         lambda ws, n: ["serve", "--graph", ws.file(n, "bad.ttl", MALFORMED_TTL)], 2, r"bad\.ttl: cannot parse"),
    Case(_S, "binary-graph", "--graph names a binary file",
         lambda ws, n: ["serve", "--graph", ws.file(n, "bin.nt", BINARY)], 2, r"bin\.nt: cannot parse"),
    Case(_S, "gbk-graph", "--graph names Turtle saved as GBK",
         lambda ws, n: ["serve", "--graph", ws.file(n, "gbk.ttl", ws.graph.read_text().encode("gbk"))], 2,
         r"gbk\.ttl: cannot parse"),
    Case(_S, "entity-bomb-graph", "--graph names RDF/XML with nested entities",
         lambda ws, n: ["serve", "--graph", ws.file(n, "lol.rdf", BILLION_LAUGHS_XML)], 2, r"declares XML entities"),
    Case(_S, "xml-external-entity", "--graph names RDF/XML with an external entity (XXE)",
         lambda ws, n: ["serve", "--graph", ws.file(n, "xxe.rdf", XXE_XML)], 2, r"declares XML entities"),
    Case(_S, "busy-port", "--port another program listens on",
         lambda ws, n: ["serve", "--graph", ws.graph, "--port", ws.hold_port()], 2, r"in use"),
    Case(_S, "foreign-host", "--host an address this machine does not have",
         lambda ws, n: ["serve", "--graph", ws.graph, "--host", "192.0.2.1", "--port", closed_port()], 2,
         r"192\.0\.2\.1"),
    Case(_S, "port-out-of-range", "--port 70000", lambda ws, n: ["serve", "--graph", ws.graph, "--port", "70000"],
         2, r"70000 is not in the range"),
    Case(_S, "zero-timeout", "--timeout 0", lambda ws, n: ["serve", "--graph", ws.graph, "--timeout", "0"],
         2, r"--timeout"),
    Case(_S, "zero-workers", "--workers 0", lambda ws, n: ["serve", "--graph", ws.graph, "--workers", "0"],
         2, r"--workers"),
    Case(_S, "zero-rows", "--max-rows 0", lambda ws, n: ["serve", "--graph", ws.graph, "--max-rows", "0"],
         2, r"--max-rows"),

    # push (against a stand-in store on loopback)
    Case(_P, "missing-graph", "a graph file that does not exist",
         lambda ws, n: ["push", ws.root / "nope.ttl", "--endpoint", _stub(ws, "/ok")], 2, r"nope\.ttl: no such graph"),
    Case(_P, "malformed-graph", "malformed Turtle (nothing leaves the machine)",
         lambda ws, n: ["push", ws.file(n, "bad.ttl", MALFORMED_TTL), "--endpoint", _stub(ws, "/ok")], 2,
         r"bad\.ttl: cannot parse"),
    Case(_P, "binary-graph", "a binary file",
         lambda ws, n: ["push", ws.file(n, "bin.nt", BINARY), "--endpoint", _stub(ws, "/ok")], 2, r"cannot parse"),
    Case(_P, "empty-graph", "an empty file (would empty the store's graph)",
         lambda ws, n: ["push", ws.file(n, "empty.ttl", b""), "--endpoint", _stub(ws, "/ok")], 2,
         r"holds no triples; pushing it would empty the graph"),
    Case(_P, "entity-bomb-graph", "RDF/XML with nested entities",
         lambda ws, n: ["push", ws.file(n, "lol.rdf", BILLION_LAUGHS_XML), "--endpoint", _stub(ws, "/ok")], 2,
         r"declares XML entities"),
    Case(_P, "ftp-endpoint", "an ftp:// endpoint", lambda ws, n: ["push", ws.graph, "--endpoint", "ftp://127.0.0.1/x"],
         2, r"not an http\(s\) URL"),
    Case(_P, "garbage-endpoint", "an endpoint that is not a URL",
         lambda ws, n: ["push", ws.graph, "--endpoint", "not a url"], 2, r"not an http\(s\) URL"),
    Case(_P, "bad-graph-iri", "--graph that is not an IRI",
         lambda ws, n: ["push", ws.graph, "--endpoint", _stub(ws, "/ok"), "--graph", "not an iri"], 2,
         r"--graph 'not an iri': not an absolute IRI"),
    Case(_P, "connection-refused", "nothing listens on the endpoint's port",
         lambda ws, n: ["push", ws.graph, "--endpoint", f"http://127.0.0.1:{closed_port()}/data"], 1,
         r"cannot connect .*Nothing was sent"),
    Case(_P, "store-error", "the store answers 500 with an HTML page",
         lambda ws, n: ["push", ws.graph, "--endpoint", _stub(ws, "/fail")], 1,
         r"HTTP 500 .*Store error disk quota exceeded"),
    Case(_P, "needs-credentials", "the store wants credentials, none given",
         lambda ws, n: ["push", ws.graph, "--endpoint", _stub(ws, "/auth")], 1, r"pass --user and --password"),
    Case(_P, "wrong-credentials", "the store refuses the credentials",
         lambda ws, n: ["push", ws.graph, "--endpoint", _stub(ws, "/auth"), "--user", "u", "--password", "p"], 1,
         r"refused user 'u'"),
    Case(_P, "store-too-slow", "the store does not answer within --timeout",
         lambda ws, n: ["push", ws.graph, "--endpoint", _stub(ws, "/slow"), "--timeout", "1"], 1, r"within 1 s"),
    Case(_P, "connection-reset", "the store drops the connection without an answer",
         lambda ws, n: ["push", ws.graph, "--endpoint", _stub(ws, "/reset")], 1, r"PUT .*reset"),
    Case(_P, "pushed", "a good graph to a store that takes it (accepted)",
         lambda ws, n: ["push", ws.graph, "--endpoint", _stub(ws, "/ok")], 0, check=_pushed),
]

COMMANDS = ["build", "validate", "query", "viz", "extract", "export", "serve", "push"]


# --------------------------------------------------------------------------------------------------------
# Running the cases


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


def run_case(case: Case, ws: Workspace, time_limit: float = 120.0) -> Outcome:
    """Run one case in-process and judge it: exit code, message, files before and after."""
    from click.testing import CliRunner

    from .cli import INTERNAL_ERROR, cli

    args = [str(a) for a in case.args(ws, case.name)]
    before = fingerprint(ws.root)
    runner = CliRunner()
    started = time.monotonic()
    hung = False
    result = None
    try:
        with _time_limit(time_limit), fault(case.fault):
            result = runner.invoke(cli, args, prog_name="kg", catch_exceptions=True)
    except _Hang:
        hung = True
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


def run_cases(cases: list[Case] | None = None, root: Path | None = None,
              progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run cases (default: all) in a fresh workspace under root (default: a temp dir, removed after)."""
    cases = CASES if cases is None else cases
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kg-doctor-")))
        ws = Workspace.create(Path(root) / "ws")
        stack.callback(ws.close)
        outcomes = []
        for case in cases:
            outcome = run_case(case, ws)
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
