"""Record files → checked corpus + sorted N-Triples, one record file per task, in worker processes.

A record file is one document, and its triples (kg.build.iter_document_triples) depend on nothing but the
record, its source text and the vocabulary. So each task reads a file, checks it against its source text and
maps it to its own N-Triples lines, sorted and unique; the parent only runs the checks that span files and
merges the sorted lines. At ten million triples this keeps the Python work of the mapping in the workers (on
every CPU) and leaves the parent one sort of nearly merged runs, where it used to map every record itself and
de-duplicate ten million lines in a dict.

The corpus, the source texts and every error message are those of `kg.records.load_records` followed by
`kg.sources.load_sources` (in that order: record problems, then the checks across files, then the texts), and
the N-Triples are the bytes the one-process mapping gives (tests/test_bulk.py), whatever the number of workers.
"""

from __future__ import annotations

import gc
import io
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from .build import Minter, NTriplesTerms, iter_corpus_triples, iter_document_triples
from .errors import RecordError, SourceError
from .namespaces import DEFAULT_BASE
from .perf import check_jobs, gc_paused, release_free_memory
from .records import Corpus, Record, checked_corpus, gazetteer_dir_for, load_record, map_files, record_files
from .sources import SourceFinder, SourceText, raise_source_problems, source_of
from .vocab import Vocab, load_vocab


@dataclass
class _Mapped:
    """What one task hands back for one record file."""

    outcome: Record | list[str]  # the record, or the problems of its file (as kg.records.load_records has them)
    source: SourceText | None = None  # its source text, when there is one
    source_problems: tuple[str, ...] = ()  # between the record and its text (kg.sources.check_record)
    source_error: SourceError | None = None  # a text that is there but cannot be read
    lines: bytes = b""  # its N-Triples lines, sorted, unique, joined by newlines (none if anything is wrong)


class _Context:
    """What every task needs: made once per worker (or once in this process without workers)."""

    def __init__(self, vocab: Vocab, finder: SourceFinder | None, base: str):
        self.vocab, self.finder = vocab, finder
        self.mint = Minter(base, make=str)
        self.terms = NTriplesTerms()


_context: _Context | None = None


def _init_worker(vocab: Vocab, finder: SourceFinder | None, base: str) -> None:
    global _context
    _context = _Context(vocab, finder, base)
    gc.disable()  # a worker lives for one build; see kg.perf


def _map_one(path: Path, *context) -> _Mapped:
    """Read, check and map one record file (in a worker: with the context `_init_worker` made)."""
    ctx = _Context(*context) if context else _context
    assert ctx is not None
    try:
        record = load_record(path, ctx.vocab)
    except RecordError as e:
        return _Mapped(e.problems)
    done = _Mapped(record)
    if ctx.finder is not None:
        try:
            done.source, problems = source_of(record, ctx.finder)
        except SourceError as e:
            done.source_error = e
            return done
        done.source_problems = tuple(problems)
        if problems:
            return done
    # UTF-8 keeps code point order, so sorting the str lines sorts their bytes; one encode for the document
    lines = {f"{s} {p} {o} ." for s, p, o in iter_document_triples(record, ctx.vocab, ctx.mint, done.source,
                                                                  ctx.terms)}
    done.lines = "\n".join(sorted(lines)).encode("utf-8")
    return done


def read_corpus(records_dir: Path, *, sources_dir=None, base: str = DEFAULT_BASE, jobs: int | None = None,
                progress: Callable[[int], None] | None = None) -> tuple[Corpus, dict[str, SourceText], bytes]:
    """The checked corpus of a records directory, its source texts ({doc id: text}; `sources_dir` is one
    directory or several, as for kg.sources.load_sources) and its graph as sorted, unique N-Triples.

    `jobs`: worker processes (kg.records.load_records: None is one per CPU for big corpora). `progress` is told
    of each record file done."""
    jobs = check_jobs(jobs)
    vocab = load_vocab(gazetteer_dir=gazetteer_dir_for(records_dir))
    files = record_files(records_dir)
    finder = finder_error = None
    if sources_dir:
        try:
            finder = SourceFinder(sources_dir)
        except SourceError as e:  # reported after the records' own problems, as load_sources would
            finder_error = e
    mapped: list[_Mapped] = []
    with gc_paused():  # millions of short-lived objects: see kg.perf
        for done in map_files(_map_one, files, jobs, _init_worker, (vocab, finder, base)):
            mapped.append(done)
            if progress:
                progress(1)
        corpus = checked_corpus([m.outcome for m in mapped], vocab)
        if finder_error is not None:
            raise finder_error
        problems: list[str] = []
        for m in mapped:
            if m.source_error is not None:
                raise m.source_error
            problems.extend(m.source_problems)
        raise_source_problems(problems)
        sources = {m.outcome.document.id: m.source for m in mapped if m.source is not None}  # type: ignore[union-attr]
        mint, terms = Minter(base, make=str), NTriplesTerms()
        header = "\n".join(sorted({f"{s} {p} {o} ." for s, p, o in iter_corpus_triples(corpus, mint, terms)}))
        runs = [header.encode("utf-8")]
        for m in mapped:
            runs.append(m.lines)
            m.lines = b""
        del mapped
        return corpus, sources, merge_sorted(runs)


#: Bytes of N-Triples sorted at once when merging (kg.bulk.merge_sorted): bounds the Python objects alive.
MERGE_BYTES = 100_000_000


def merge_sorted(runs: list[bytes]) -> bytes:
    """Sorted, unique, newline-terminated lines of runs that are each sorted and unique (newline-joined).

    Ten million lines as Python bytes objects take more than twice the memory of their text; so the key space
    is cut into ranges of about `MERGE_BYTES` (at quantiles of lines sampled from every run), every run into
    its part of each range, and one range at a time is sorted (timsort merges the runs' pieces) and written
    out. The result does not depend on where the ranges are cut. `runs` is emptied on the way."""
    size = sum(len(r) for r in runs)
    ranges = max(1, size // MERGE_BYTES)
    bounds: list[bytes] = []
    if ranges > 1:
        sample = []
        for run in filter(None, runs):  # lines at evenly spaced offsets of each run (its quantiles)
            n = 16 + 20 * ranges * len(run) // size
            for j in range(n):
                start = run.rfind(b"\n", 0, len(run) * j // n) + 1
                end = run.find(b"\n", start)
                sample.append(run[start:end if end >= 0 else len(run)])
        sample.sort()
        bounds = sorted({sample[len(sample) * i // ranges] for i in range(1, ranges)})
    parts: list[list[bytes]] = [[] for _ in range(len(bounds) + 1)]
    if not bounds:  # one range: the runs are its pieces
        parts[0], runs[:] = [r for r in runs if r], []
    moved = 0
    for i, run in enumerate(runs):
        runs[i] = b""
        if not run:
            continue
        moved += len(run)
        if moved > MERGE_BYTES // 4:  # the runs cut so far, so that their pieces take their place
            release_free_memory()
            moved = 0
        lines = run.split(b"\n")
        del run
        start = 0
        for k, bound in enumerate(bounds):  # range k holds the lines in [bounds[k-1], bounds[k])
            end = bisect_left(lines, bound, start)
            if end > start:
                parts[k].append(b"\n".join(lines[start:end]))
            start = end
        if start < len(lines):
            parts[-1].append(b"\n".join(lines[start:]))
    release_free_memory()
    out = io.BytesIO()  # grows in place; getvalue() hands over its buffer without a copy
    for k in range(len(parts)):
        lines = []
        for piece in parts[k]:
            lines.extend(piece.split(b"\n"))
        parts[k] = []
        if lines:
            lines.sort()
            out.write(b"\n".join(map(itemgetter(0), groupby(lines))))  # equal lines are neighbours now
            out.write(b"\n")
        del lines
        release_free_memory()  # the range's pieces, so that the output takes their place
    return out.getvalue()
