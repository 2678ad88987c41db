"""The output folder of a build: one writer at a time, and the whole set of files replaced in one step.

`commit_folder(out, files)` locks `out` (flock on the folder itself: a second build to the same folder stops
with "another build is writing here"), stages every file in a hidden sibling folder `.NAME.XXXXXXXX.tmp`
(fsynced; the files of `out` that are not outputs are hard-linked in, so they stay), then exchanges the two
folders with one renameat2(RENAME_EXCHANGE): a reader, a crash or `kill -9` sees either the whole previous set
or the whole new one, never a mix. The old set, now under the staging name, is removed. A staging folder a
killed build left behind is swept by the next build (it is unlocked: nobody is writing it).

Where the exchange is not available (not Linux, an old kernel, a file system without it), the old folder is
renamed aside and the new one into place: two renames, between which `out` is briefly absent, never mixed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import KgError

_STAGING = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp")


class Busy(KgError):
    """Another process is writing the same output folder or store."""


@contextlib.contextmanager
def locked(folder: Path, what: str = "build") -> Iterator[int]:
    """Hold an exclusive flock on a folder (its own inode, no lock file) for the duration; raise Busy at once
    when another process holds it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"{folder}: another {what} is writing here; wait for it to finish (or give another "
                       "--out), nothing was changed") from None
        yield fd
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); OSError(ENOSYS/EINVAL) if unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        raise OSError(errno.ENOSYS, "renameat2 is not available") from None
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a))


def _sweep_stale(out: Path) -> None:
    """Remove staging folders of `out` that killed builds left behind (those nobody holds a lock on)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(out.parent):
            m = _STAGING.fullmatch(entry.name)
            if not m or m.group("name") != out.name or not entry.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError, Busy), locked(Path(entry.path), "build"):
                shutil.rmtree(entry.path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _stage(staging: Path, out: Path | None, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    if out is not None:  # keep what else the folder holds (not stale temp files of an older kg)
        for entry in os.scandir(out):
            if entry.name in files or re.fullmatch(r"\..+\.[A-Za-z0-9_]{8}\.tmp", entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                continue  # sub-folders are moved across just before the exchange
            os.link(entry.path, staging / entry.name, follow_symlinks=False)
    _fsync_dir(staging)


def commit_folder(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Replace the files of folder `out` by `files` ({name: bytes}) in one atomic step (see the module)."""
    shown = out
    out = Path(os.path.realpath(out))
    staging: Path | None = None
    try:
        with contextlib.ExitStack() as stack:
            exists = out.is_dir()
            if exists:
                stack.enter_context(locked(out))
                _sweep_stale(out)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
            os.chmod(staging, 0o755)
            stack.enter_context(locked(staging))
            _stage(staging, out if exists else None, files)
            if not exists:
                os.rename(staging, out)  # fails if another build created it meanwhile
                staging = None
            else:
                try:
                    _exchange(staging, out)
                except OSError as e:
                    if e.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
                        raise
                    aside = staging.with_name(staging.name + ".old")
                    os.rename(out, aside)
                    os.rename(staging, out)
                    staging = aside
                for entry in os.scandir(staging):  # the old folder's sub-folders move into the new one
                    if entry.is_dir(follow_symlinks=False):
                        os.rename(entry.path, out / entry.name)
            _fsync_dir(out.parent)
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
                staging = None
    except OSError as e:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        why = e.strerror or str(e)
        if isinstance(e, NotADirectoryError):
            why += f" (a part of {shown.parent} is a file, not a directory)"
        raise KgError(f"cannot write {shown}: {why}; nothing was changed") from None
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / name for name in sorted(files)]
