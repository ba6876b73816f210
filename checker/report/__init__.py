"""Output formats. Each is a small module with `render(report) -> str | bytes` over the same `RunReport`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from checker.report import json_report, table
from checker.results import RunReport

FORMATS: dict[str, Callable[[RunReport], str | bytes]] = {
    "table": table.render,
    "json": json_report.render,
}

# File extension → format, for `--output report.json --output findings.csv`.
EXTENSIONS: dict[str, str] = {
    ".txt": "table",
    ".json": "json",
}


def format_for_extension(path: Path) -> str | None:
    name = EXTENSIONS.get(path.suffix.lower())
    return name if name in FORMATS else None
