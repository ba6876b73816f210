"""Output formats. Each is a small module with `render(report) -> str | bytes` over the same `RunReport`.

Formats that can be written while the run goes (`WRITERS`) have a writer class
with `start(header)`, `record(record)`, `rejected(rejection)` and
`finish(report)`; the others are rendered from the finished report, and those
in `NEEDS_RECORDS` need every record held until then.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from checker.report import csv_report, html, json_report, markdown, table
from checker.results import RunReport


def _render_xlsx(report: RunReport) -> bytes:
    from checker.report import xlsx  # openpyxl (and the numpy it loads) only when a workbook is written

    return xlsx.render(report)


FORMATS: dict[str, Callable[[RunReport], str | bytes]] = {
    "table": table.render,
    "json": json_report.render,
    "csv": csv_report.render,
    "markdown": markdown.render,
    "xlsx": _render_xlsx,
    "html": html.render,
}

WRITERS = {"json": json_report.JsonReportWriter, "csv": csv_report.CsvFindingsWriter}
NEEDS_RECORDS = {"xlsx", "html"}  # every other format reads only the scores, or is written as the run goes

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
