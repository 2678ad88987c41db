"""Files in, record files out: read a text (UTF-8, or another encoding on request), write drafts atomically,
and draft a whole folder of texts in parallel."""

from __future__ import annotations

import codecs
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, KgError
from ..export import write_atomic
from ..inputs import MAX_EXTRACT_BYTES, read_regular
from ..vocab import load_gazetteer
from .draft import DOC_ID_RE, Draft, extract_text, to_yaml


def read_input(path: Path, encoding: str = "utf-8") -> tuple[str, bytes]:
    """(text, bytes to fingerprint). UTF-8 is read as stored (a BOM stays, so offsets match `kg build`);
    another encoding is decoded and fingerprinted as the UTF-8 text `kg build` will need."""
    data = read_regular(path, "texts to extract", MAX_EXTRACT_BYTES)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r} (try utf-8, gbk, gb18030, big5)") from None
    if codec == "utf-8":
        try:
            return data.decode("utf-8"), data
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            try:
                data.decode("gb18030")
                hint = ("it looks like GBK/GB18030: pass --encoding gbk, or convert it first with "
                        f"iconv -f GBK -t UTF-8 {path.name}")
            except UnicodeDecodeError:
                hint = "pass --encoding NAME with the file's encoding"
            raise InputError(f"{path}:{line}: not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
                             f"{hint}") from None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not {encoding} (byte 0x{data[e.start]:02x} at offset {e.start}); "
                         "check --encoding") from None
    return text, text.encode("utf-8")


def doc_id_for(path: Path) -> str:
    """The document id of a source file: its stem, or a stable id when the stem is not a valid id."""
    stem = path.stem
    return stem if DOC_ID_RE.match(stem) else "doc-" + hashlib.sha256(stem.encode()).hexdigest()[:12]


def record_path(out: Path, doc_id: str) -> Path:
    """Where the draft goes: OUT itself (named <doc-id>.yaml), or <doc-id>.yaml inside a directory OUT."""
    if out.is_dir() or str(out).endswith(("/", os.sep)) or (not out.exists() and out.suffix == ""):
        return out / f"{doc_id}.yaml"  # a folder (created when new, as `kg query -o` does)
    if out.suffix != ".yaml" or out.stem != doc_id:
        raise InputError(f"{out}: a record file must be named after its document: {doc_id}.yaml "
                         "(kg build checks it); pass -o DIR/ or --doc-id")
    return out


def gazetteer_option(gazetteer_file: Path | None):
    return load_gazetteer(gazetteer_file) if gazetteer_file else None


def extract_file(path: Path, *, doc_id: str | None = None, encoding: str = "utf-8", **options) -> Draft:
    """Draft the record of one text file (options as for `extract_text`)."""
    text, data = read_input(path, encoding)
    doc_id = doc_id or path.stem
    if not DOC_ID_RE.match(doc_id):
        raise InputError(f"{path}: {doc_id!r} cannot be a document id (letters, digits, '_', '.', '-'); "
                         "pass --doc-id ID")
    return extract_text(text, doc_id=doc_id, data=data, source_name=path.name, **options)


def write_draft(draft: Draft, out: Path) -> Path:
    target = record_path(out, draft.document.id)
    write_atomic(target, to_yaml(draft))
    return target


@dataclass(frozen=True)
class BatchItem:
    source: str
    record: str | None
    counts: dict[str, int] | None
    error: str | None


def _one(args) -> BatchItem:
    path, out_dir, encoding, options = args
    try:
        draft = extract_file(path, doc_id=doc_id_for(path), encoding=encoding, **options)
        target = write_draft(draft, out_dir)
        return BatchItem(path.name, target.name, draft.counts(), None)
    except KgError as e:
        return BatchItem(path.name, None, None, str(e))


def extract_dir(src_dir: Path, out_dir: Path, *, jobs: int = 1, encoding: str = "utf-8",
                **options) -> list[BatchItem]:
    """Draft every *.txt in src_dir into out_dir/<doc-id>.yaml, `jobs` files at a time (0 = every core).

    A file that fails is reported in its item and does not stop the others; results follow file order.
    """
    files = sorted(src_dir.glob("*.txt"))
    if not files:
        raise InputError(f"{src_dir}: no *.txt files to extract")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: not a directory (give -o DIR for a folder of texts)")
    out_dir.mkdir(parents=True, exist_ok=True)
    work = [(p, out_dir, encoding, options) for p in files]
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(files) == 1:
        return [_one(w) for w in work]
    with ProcessPoolExecutor(max_workers=min(jobs, len(files))) as pool:
        return list(pool.map(_one, work, chunksize=max(1, len(work) // (jobs * 4))))
