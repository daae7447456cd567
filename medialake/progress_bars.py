"""Rich progress bars on the terminal, one per label, fed by :mod:`medialake.progress`.

Every long command (sync, enrich, transcode, download, rip) uses this one class with
its own columns; tasks only report ``(label, done, total)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from medialake import progress

if TYPE_CHECKING:
    from rich.console import Console

Fields = Callable[[int, float], dict[str, Any]]


class ProgressBars:
    """A context manager that draws a bar for every label reported while it is open.

    Args:
        console: where to draw.
        columns: the rich columns of each bar (default: the label as plain text, the
            bar, done of total, time elapsed).
        accept: which labels get a bar (default: all).
        describe: a label's description (default: the label).
        fields: extra task fields from (done, seconds since the bar appeared).
    """

    def __init__(
        self,
        console: Console,
        *columns: ProgressColumn | str,
        accept: Callable[[str], bool] = lambda label: True,
        describe: Callable[[str], str] = lambda label: label,
        fields: Fields | None = None,
    ) -> None:
        if not columns:
            columns = (
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
        self.bar = Progress(*columns, console=console, transient=True)
        self.accept, self.describe, self.fields = accept, describe, fields
        self.jobs: dict[str, tuple[TaskID, float]] = {}
        self.unsubscribe: Callable[[], None] = lambda: None

    def __enter__(self) -> ProgressBars:
        self.bar.start()
        self.unsubscribe = progress.subscribe(self._update)
        return self

    def _update(self, label: str, done: int, total: int) -> None:
        if not self.accept(label):
            return
        if label not in self.jobs:
            extra = self.fields(0, 0.0) if self.fields else {}
            job = self.bar.add_task(self.describe(label), total=total or None, **extra)
            self.jobs[label] = (job, time.monotonic())
        job, started = self.jobs[label]
        extra = self.fields(done, time.monotonic() - started) if self.fields else {}
        self.bar.update(job, completed=done, total=total or None, **extra)

    def __exit__(self, *exc: object) -> None:
        self.unsubscribe()
        self.bar.stop()
