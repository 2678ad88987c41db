"""Source texts: find them, check they are the texts the records were made from, check every span.

The repo never stores the texts; when they are present the build verifies each record against them and
attaches the exact (short) quotes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError
from .inputs import MAX_TEXT_BYTES, read_regular
from .records import Corpus, Record


@dataclass(frozen=True)
class SourceText:
    doc_id: str
    path: Path
    text: str
    sha256: str


def read_source(path: Path) -> SourceText:
    """Read one source text (UTF-8, code points as stored) and fingerprint its bytes."""
    data = read_regular(path, "source texts", MAX_TEXT_BYTES, SourceError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SourceError(f"{path}: not UTF-8 at byte {e.start}; convert it (e.g. iconv -f GBK -t UTF-8)") from None
    return SourceText(path.stem, path, text, hashlib.sha256(data).hexdigest())


Sources = Path | Sequence[Path]


def source_dirs(sources: Sources) -> list[Path]:
    """One directory or several (`--sources` given more than once), each checked to exist."""
    dirs = [Path(sources)] if isinstance(sources, str | Path) else [Path(d) for d in sources]
    for d in dirs:
        if not d.is_dir():
            raise SourceError(f"{d}: no such directory of source texts (--sources DIR)")
    return dirs


class SourceFinder:
    """Finds `<doc-id>.txt` in one or more directories: directly in each, else anywhere below it (so a
    parent such as ../shared covers seeds/ and corpus/national/). The first directory given wins."""

    def __init__(self, sources: Sources):
        self.dirs = source_dirs(sources)
        self._below: dict[str, Path] | None = None

    def find(self, doc_id: str) -> Path | None:
        name = f"{doc_id}.txt"
        for d in self.dirs:
            if (d / name).is_file():
                return d / name
        if self._below is None:
            self._below = {}
            for d in self.dirs:
                for p in sorted(d.rglob("*.txt")):
                    self._below.setdefault(p.name, p)
        return self._below.get(name)

    def __str__(self) -> str:
        return ", ".join(str(d) for d in self.dirs)


def load_sources(sources_dir: Sources, corpus: Corpus) -> dict[str, SourceText]:
    """The source text of every record's document, checked against the records.

    `sources_dir` is one directory or several (see `SourceFinder`). A record whose text is absent is built
    without quotes; a text that is present but differs (checksum) or does not match a span is an error naming
    the record.
    """
    finder = SourceFinder(sources_dir)
    out: dict[str, SourceText] = {}
    problems: list[str] = []
    for record in corpus.records:
        src, found = source_of(record, finder)
        problems.extend(found)
        if src is not None:
            out[record.document.id] = src
    raise_source_problems(problems)
    return out


def source_of(record: Record, finder: SourceFinder) -> tuple[SourceText | None, list[str]]:
    """A record's source text (None when there is none) and the problems between them (`check_record`);
    SourceError when the text is there but cannot be read."""
    path = finder.find(record.document.id)
    if path is None:
        return None, []
    src = read_source(path)
    return src, check_record(record, src)


def raise_source_problems(problems: list[str]) -> None:
    """One SourceError with the first 30 problems, if there are any."""
    if problems:
        raise SourceError("\n".join(problems[:30]) + (f"\n… and {len(problems) - 30} more" if len(problems) > 30 else ""))


def check_record(record: Record, src: SourceText) -> list[str]:
    """Every problem between one record and its text: checksum, length, spans, numbers as written."""
    doc = record.document
    where = record.path
    if src.sha256 != doc.sha256:
        return [f"{where}: document.sha256 is {doc.sha256[:12]}… but {src.path} hashes to {src.sha256[:12]}…: "
                "the text changed; re-check the record's offsets and update sha256"]
    problems = []
    n = len(src.text)
    if doc.chars is not None and doc.chars != n:
        problems.append(f"{where}: document.chars is {doc.chars} but the text has {n} code points")
    for kind, item_id, span, line in record.spans():
        if span.end > n:
            problems.append(f"{where}:{line}: {kind} {item_id}: span [{span.start}, {span.end}] is outside the "
                            f"text ({n} code points)")
    for m in record.measures:
        for s in m.statements:
            if s.span.end <= n and s.as_written not in src.text[s.span.start:s.span.end]:
                problems.append(f"{where}:{s.line}: statement {s.id}: span [{s.span.start}, {s.span.end}] is "
                                f"{src.text[s.span.start:s.span.end][:30]!r}, which does not contain "
                                f"as_written {s.as_written!r}; fix the offsets")
    return problems
