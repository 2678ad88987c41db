"""Reading a file a user named: only regular files, only up to a size, with one clear error otherwise.

A record, a source text, a text to extract or a query file that is a FIFO would hang the command on open or
read; a symlink to /dev/zero would be read until memory runs out. So every such file is opened without
blocking, checked to be a regular file, and read to at most its cap (docs/reliability.md).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import InputError

MiB = 1 << 20
#: Caps by what the file is: far above any real one (the biggest report is under 1 MB, its record under 3 MB).
MAX_RECORD_BYTES = 64 * MiB
MAX_TEXT_BYTES = 32 * MiB
MAX_QUERY_BYTES = 8 * MiB
#: `kg extract` holds about 150 times its text in memory while drafting (8 MB of text: about 1.2 GB).
MAX_EXTRACT_BYTES = 8 * MiB

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def read_regular(path: Path, what: str, limit: int,
                 error: Callable[[str], Exception] = InputError) -> bytes:
    """The bytes of `path` if it is a regular file (a symlink to one is fine) of at most `limit` bytes; else
    raise `error(message)` naming the file, what it is, and what to do."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((k for test, k in _KINDS if test(mode)), "not a regular file")
            raise error(f"{path}: is {kind}, not a regular file; kg reads {what} only from regular files "
                        "(copy the data into a file first)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 4 * MiB))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(f"{path}: larger than {limit // MiB} MB, the most kg reads as {what}; split it or "
                        "check that it is the right file")
        return b"".join(chunks)
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e.strerror}") from None
    finally:
        os.close(fd)


def utf16_hint(data: bytes) -> str | None:
    """'UTF-16' when bytes look like UTF-16 text (a BOM, or NULs in every other byte), else None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    head = data[:4096]
    if len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4):
        return "UTF-16"
    return None
