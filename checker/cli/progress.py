"""A progress bar for long runs, on a terminal only (never in CI logs or piped output)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from checker.api import CaseSource, Progress

# Reading runs ahead of evaluation (buffers, chunks queued for the workers): the bytes read reach the
# file's size before the last records are scored, so the bar stops short of the end until the run ends.
RUNNING_CAP = 0.99


def bar_position(bytes_read: int, size: int | None, finished: bool = False) -> tuple[float, float | None]:
    """(completed, total) for the bar: bytes of a file of known size, never 100% before the run ends; no
    total (a running count of records) when the size is unknown or the bytes are not counted (standard
    input, mapped exports)."""
    if not size or not bytes_read:
        return (1.0, 1.0) if finished else (0.0, None)
    if finished:
        return float(size), float(size)
    return min(float(bytes_read), size * RUNNING_CAP), float(size)


@contextmanager
def terminal_progress(enabled: bool) -> Iterator[Progress | None]:
    """A `run_check` progress callback drawing on standard error, or None when not wanted.

    Wanted when `enabled` (no --quiet) and standard error is a terminal: a bar by bytes read
    when the input's size is known, else a running count; the count of case files shown is the
    records read so far, and the bar reaches 100% only when the run has ended.
    """
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeElapsedColumn

    with Bar(TextColumn("checking {task.fields[records]:,} case files"), BarColumn(),
             TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("check", total=None, records=0)
        last: list[CaseSource] = []

        def update(records: int, source: CaseSource) -> None:
            last[:] = [source]
            completed, total = bar_position(source.bytes_read, source.size)
            bar.update(task, completed=completed, total=total, records=records)

        yield update
        if last:
            completed, total = bar_position(last[0].bytes_read, last[0].size, finished=True)
            bar.update(task, completed=completed, total=total)
