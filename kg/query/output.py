"""Writing a query's result as its rows come: what `kg query` does with a result.

CSV, TSV and JSON are written piece by piece (kg.results.render_chunks: the header at once, then each batch of
rows), flushed after each piece, so a reader sees the first rows of a large answer while the query still runs;
the table (column widths need every row) and graph results are written whole. The bytes are those of
`kg.results.render` when the query completes.

To standard output, an error part-way (a timeout, the engine failing) leaves the rows already written where
they are and raises with a note that the output is incomplete (the caller prints it on stderr and exits with
the error's code). To a file, the pieces go to a temporary file beside it, renamed over it at the end: the file
is whole or untouched, and nothing is left behind on an error. Either way the query's child process (or writer
thread) is stopped when writing stops, also when the reader went away (a broken pipe).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ..errors import KgError
from .result import QueryResult


def write_result(result: QueryResult, fmt: str, out: BinaryIO | None = None, *, path: Path | None = None,
                 width: int | None = None) -> None:
    """`result` in `fmt` (kg.results.FORMATS) to the binary stream `out`, or atomically to the file `path`."""
    if path is not None:
        return _write_file(result, fmt, path, width)
    written = 0  # pieces written (the header is the first)
    pieces = _pieces(result, fmt, width)
    try:
        for piece in pieces:
            with result.paused():  # a slow reader (a pager) is not the query's time
                out.write(piece)
                out.flush()
            written += 1
    except KgError as e:
        if written:  # the rows written stay: say that they are not the whole answer
            e.args = (f"{e}\n(the output above stopped there: it is incomplete)",)
        raise
    finally:
        pieces.close()
        result.close()  # the child process or writer thread of a query not read to its end


def _pieces(result: QueryResult, fmt: str, width: int | None):
    from ..results import render_chunks

    return render_chunks(result, fmt, width)


def _write_file(result: QueryResult, fmt: str, path: Path, width: int | None) -> None:
    """The pieces into a temporary file beside `path` (same file system), renamed over it at the end
    (kg.export.write_atomic: its messages, and no temporary file left on an error or a timeout)."""
    from ..export import write_atomic

    pieces = _pieces(result, fmt, width)
    try:
        write_atomic(path, pieces)
    finally:
        pieces.close()
        result.close()
