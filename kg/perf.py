"""Speed at scale: worker counts for parallel loading, and pausing Python's cyclic garbage collector.

Loading a million-triple corpus makes millions of long-lived objects (parsed YAML, records); each of them
counts towards the collector's thresholds, so it keeps re-scanning everything made so far: about half of the
load time. None of these objects form reference cycles that need collecting while they are built, so the
heavy steps run with the collector paused (it resumes, as it was, afterwards).
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator

from .errors import InputError


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (reference counting still frees memory)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cpu_count() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_jobs(jobs: int | None) -> int | None:
    """A `--jobs` value: None (one per CPU) or a whole number >= 1."""
    if jobs is None:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"--jobs {jobs!r}: use a whole number of worker processes, 1 or more (1: no workers)")
    return jobs


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the OS (glibc's malloc_trim; nothing elsewhere).

    Freed memory in the middle of the heap stays in a process's resident size: after ten million N-Triples
    lines were merged (kg.bulk) it would stay there while the store loads, on top of what loading takes."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None
