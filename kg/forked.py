"""Run a function in a forked child process while this one goes on: the everyday build on two cores.

`kg build` of the real corpus is a row of independent CPU steps (SHACL, pyoxigraph's writers, the Python
exporters), each a few hundredths of a second: too short for a process pool (starting one and importing kg in it
costs more), long enough together that a second core halves the wait. A fork shares what the parent has loaded
and built (modules, the sorted N-Triples) for free; the child sends back its result, pickled, through a pipe.

`Forked(fn, *args).result()` returns fn's value or raises its exception, as calling it would. Without `fork`
(Windows), or with KG_PARALLEL=0 set, fn runs at once in this process: same results, one core. Callers fork only
when `worth_forking()`: on a machine whose CPUs are busy the second process costs more than it saves.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any

_DONE, _FAILED = 0, 1


def can_fork() -> bool:
    """Whether `Forked` forks: where the OS can, unless KG_PARALLEL=0 (then it runs the function in place)."""
    return hasattr(os, "fork") and os.environ.get("KG_PARALLEL", "auto") != "0"


def worth_forking() -> bool:
    """Whether to hand work to a child process: KG_PARALLEL=1 always (where the OS can fork), =0 never, else
    (auto) when another process would get a CPU to itself: the load average of the last minute is below the CPUs
    this process may use minus one half. On a busy machine a second process only adds the cost of forking (and
    slows the other jobs), so kg then works in one (as `make --load-average` holds jobs back)."""
    from .perf import cpu_count

    if not can_fork():
        return False
    if os.environ.get("KG_PARALLEL", "auto") == "1":
        return True
    cpus = cpu_count()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this system: trust the CPU count
        load = 0.0
    return cpus >= 2 and load < cpus - 0.5


class Forked:
    """`fn(*args)` computed in a child process; `result()` waits for it."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        self._pid: int | None = None
        self._outcome: tuple[int, Any] | None = None
        if not can_fork():
            self._outcome = _call(fn, args)
            return
        read, write = os.pipe()
        # Objects the collector no longer scans stay on pages both processes share (copy-on-write): frozen until
        # the result is in, so neither process copies memory only to update the collector's bookkeeping.
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, leave without running the parent's clean-up (atexit, buffers)
            code = 0
            try:
                os.close(read)
                data = _pickled(_call(fn, args))
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
            except BaseException:  # the parent went away (broken pipe) or an interrupt: nothing to report to
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> Any:
        """fn's return value (or its exception, raised here), waiting for the child if it is still running."""
        if self._outcome is None:
            with os.fdopen(self._read, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            gc.unfreeze()
            if not data:
                raise RuntimeError(f"a worker process of kg ended without a result (exit status {status})")
            self._outcome = pickle.loads(data)
        kind, value = self._outcome
        if kind == _FAILED:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child if it still runs (when the result is no longer wanted: another step failed)."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
                os.close(self._read)
            except OSError:
                pass
            self._pid = None
            gc.unfreeze()

    def __del__(self) -> None:
        self.cancel()


def _call(fn: Callable[..., Any], args: tuple) -> tuple[int, Any]:
    try:
        return _DONE, fn(*args)
    except Exception as e:  # noqa: BLE001  (any error is the caller's, raised again by result())
        return _FAILED, e


def _pickled(outcome: tuple[int, Any]) -> bytes:
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as e:  # noqa: BLE001  (an exception that cannot be pickled: its text still can)
        kind, value = outcome
        return pickle.dumps((_FAILED, RuntimeError(f"{type(value).__name__}: {value}" if kind == _FAILED
                                                   else f"a result kg cannot pass between processes: {e}")))
