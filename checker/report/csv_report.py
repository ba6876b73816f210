"""CSV findings: one row per record and rule, safe to open in a spreadsheet.

`CsvFindingsWriter` writes the rows as the run goes, so a large input does not
have to be held in memory; `render` writes a finished report the same way.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, TextIO

from checker.report.wording import for_people
from checker.results import Evidence, RecordResult, RunReport

HEADERS = ["case_id", "rule_id", "status", "message", "evidence", "clause"]

# A spreadsheet treats a cell starting with one of these as a formula; case files hold free text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# The csv module quotes a value holding "\n" (the line terminator) but not one holding "\r" or another
# line break that readers (and Python's own str.splitlines) end a line at: a new row, and a formula at
# its start, could begin inside a value. A row holding one is written with every value quoted.
_OTHER_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


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
        rows = [[neutralise(cell) for cell in row] for row in record_rows(record)]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        text = buffer.getvalue()
        if _OTHER_LINE_BREAKS.search(text):  # rare: write again, quoting every row that holds one
            buffer = io.StringIO()
            plain, quoted = csv.writer(buffer, lineterminator="\n"), csv.writer(
                buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
            for row in rows:
                (quoted if any(_OTHER_LINE_BREAKS.search(str(cell)) for cell in row) else plain).writerow(row)
            text = buffer.getvalue()
        return text

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
