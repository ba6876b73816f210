"""CSV findings: one row per record and rule, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from checker.results import Evidence, RunReport

HEADERS = ["case_id", "rule_id", "status", "message", "evidence", "clause"]

# A spreadsheet treats a cell starting with one of these as a formula; case files hold free text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; other values pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def evidence_text(evidence: tuple[Evidence, ...]) -> str:
    return "; ".join(f"{item.path}={json.dumps(item.value, ensure_ascii=False, default=str)}" for item in evidence)


def finding_rows(report: RunReport) -> list[list[str]]:
    """The findings, one row per record and rule, in HEADERS order (not yet neutralised)."""
    return [[record.case_id, result.rule_id, result.status, result.message, evidence_text(result.evidence),
             result.clause or ""]
            for record in report.records for result in record.results]


def render(report: RunReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADERS)
    writer.writerows([neutralise(cell) for cell in row] for row in finding_rows(report))
    return buffer.getvalue()
