"""Output formats. Each is a small module with `render(report) -> str` over the same `RunReport`."""

from __future__ import annotations

from collections.abc import Callable

from checker.report import json_report, table
from checker.results import RunReport

FORMATS: dict[str, Callable[[RunReport], str]] = {
    "table": table.render,
    "json": json_report.render,
}
