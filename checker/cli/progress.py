"""A progress bar for long runs, on a terminal only (never in CI logs or piped output)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from checker.api import CaseSource, Progress


@contextmanager
def terminal_progress(enabled: bool) -> Iterator[Progress | None]:
    """A `run_check` progress callback drawing on standard error, or None when not wanted.

    Wanted when `enabled` (no --quiet) and standard error is a terminal: a bar by bytes read
    when the input's size is known, else a running count.
    """
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeElapsedColumn

    with Bar(TextColumn("checking {task.fields[records]:,} case files"), BarColumn(),
             TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("check", total=None, records=0)

        def update(records: int, source: CaseSource) -> None:
            bar.update(task, completed=source.bytes_read, total=source.size, records=records)

        yield update
