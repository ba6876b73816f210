"""CSV findings: one row per record and rule, safe to open in a spreadsheet.

`CsvFindingsWriter` writes the rows as the run goes, so a large input does not
have to be held in memory; `render` writes a finished report the same way.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, TextIO

from checker.report.wording import for_people
from checker.results import Evidence, RecordResult, RunReport

HEADERS = ["case_id", "rule_id", "status", "message", "evidence", "clause"]

# A spreadsheet treats a cell starting with one of these as a formula; case files hold free text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; other values pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def evidence_text(evidence: tuple[Evidence, ...], human: bool = False) -> str:
    """`path=value; …`; with `human`, numbers rounded for people (the xlsx), else in full (the CSV is data)."""
    shown = for_people if human else (lambda value: value)
    return "; ".join(f"{item.path}={json.dumps(shown(item.value), ensure_ascii=False, default=str)}"
                     for item in evidence)


def record_rows(record: RecordResult, human: bool = False) -> list[list[str]]:
    """One record's findings, one row per rule, in HEADERS order (not yet neutralised)."""
    return [[record.case_id, result.rule_id, result.status, result.message, evidence_text(result.evidence, human),
             result.clause or ""] for result in record.results]


def finding_rows(report: RunReport, human: bool = False) -> list[list[str]]:
    """The findings of every record the report holds."""
    return [row for record in report.records for row in record_rows(record, human)]


class CsvFindingsWriter:
    """Writes the findings to `stream` as records are evaluated: `start`, `record`…, `finish`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def start(self, header: dict[str, Any]) -> None:
        csv.writer(self.stream, lineterminator="\n").writerow(HEADERS)

    @staticmethod
    def render_record(record: RecordResult) -> str:
        """One record's rows as CSV text (pure: runs in worker processes)."""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            [neutralise(cell) for cell in row] for row in record_rows(record))
        return buffer.getvalue()

    record_separator = ""  # each record's rows end with a newline

    def write_records(self, text: str, count: int) -> None:
        """`count` rendered records, joined by `record_separator`."""
        self.stream.write(text)

    def record(self, record: RecordResult) -> None:
        self.write_records(self.render_record(record), 1)

    def rejected(self, rejection: dict[str, Any]) -> None:
        """Rejected records have no findings; the other outputs list them."""

    def finish(self, report: RunReport) -> None:
        """Nothing follows the rows."""


def render(report: RunReport) -> str:
    buffer = io.StringIO()
    writer = CsvFindingsWriter(buffer)
    writer.start({})
    for record in report.records:
        writer.record(record)
    return buffer.getvalue()
