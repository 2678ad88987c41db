"""The scratch project every `kg doctor` case runs in: one record of its own short text, a complete build in
exports/, and a fingerprint of every file to tell what a run changed."""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .faults import StubStore

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


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # a list used twice is written twice: kg refuses YAML aliases
        return True


def dump_record(data: dict) -> bytes:
    return yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=200,
                     default_flow_style=None).encode("utf-8")


def fingerprint(root: Path) -> dict[str, str]:
    """Every file and directory under root → sha256 of its bytes ('dir' for directories)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            if os.path.islink(p):  # a symlink (e.g. to /dev/zero) is never followed
                out[os.path.relpath(p, root)] = "link:" + os.readlink(p)
            elif not os.path.isfile(p):  # a FIFO, a socket: never opened
                out[os.path.relpath(p, root)] = "special"
            else:
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
        from ..pipeline import build, write_all

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
    _case_fds: list = field(default_factory=list)

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

    def hold_lock(self, folder: Path) -> Path:
        """Lock a folder as a running `kg build` does (kg.outdir.locked), until the case ends."""
        import fcntl

        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._case_fds.append(fd)
        return folder

    def end_case(self) -> None:
        """Release what `hold_lock` took for one case."""
        while self._case_fds:
            os.close(self._case_fds.pop())

    def close(self) -> None:
        self.end_case()
        for s in self._held:
            s.close()
        self._held.clear()
        if self._stub is not None:
            self._stub.close()
            self._stub = None

