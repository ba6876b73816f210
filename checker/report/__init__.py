"""Output formats. Each is a small module with `render(report) -> str | bytes` over the same `RunReport`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from checker.report import csv_report, html, json_report, markdown, table, xlsx
from checker.results import RunReport

FORMATS: dict[str, Callable[[RunReport], str | bytes]] = {
    "table": table.render,
    "json": json_report.render,
    "csv": csv_report.render,
    "markdown": markdown.render,
    "xlsx": xlsx.render,
    "html": html.render,
}

# File extension → format, for `--output report.json --output findings.csv`.
EXTENSIONS: dict[str, str] = {
    ".txt": "table",
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".xlsx": "xlsx",
    ".html": "html",
}


def format_for_extension(path: Path) -> str | None:
    name = EXTENSIONS.get(path.suffix.lower())
    return name if name in FORMATS else None
