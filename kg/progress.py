"""Progress bars for long steps, on stderr, silent when stderr is not a terminal or the user asked for quiet.

Library functions take an optional `Progress` and report through `task()`; only the CLI creates a visible one,
so importing kg or calling it from a notebook never draws anything unless asked.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class Progress:
    """A set of progress bars (rich) drawn on stderr while the `with` block runs."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bars = None
        self._current = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bars, SpinnerColumn, \
                TextColumn, TimeElapsedColumn

            self._bars = Bars(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self._bars.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def task(self, description: str, total: int | None = None) -> Callable[[int], None]:
        """Start a step (the previous one is marked done) and return `advance(n)` for it.

        With no total the bar is a spinner that runs until the next step starts.
        """
        if self._bars is None:
            return _ignore
        if self._current is not None:  # a spinner that ends shows as a full bar
            done = next(t for t in self._bars.tasks if t.id == self._current)
            self._bars.update(self._current, total=done.total or 1, completed=done.total or 1)
        self._current = self._bars.add_task(description, total=total)
        bars, task_id = self._bars, self._current
        return lambda n=1: bars.advance(task_id, n)


def _ignore(n: int = 1) -> None:
    pass


def task(progress: Progress | None, description: str, total: int | None = None) -> Callable[[int], None]:
    """`progress.task(...)`, or a no-op when there is no progress display."""
    return progress.task(description, total) if progress is not None else _ignore
