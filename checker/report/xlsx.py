"""Excel workbook: a Summary sheet, every finding, and one sheet per rule listing its failing files."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from checker.report.csv_report import HEADERS, finding_rows
from checker.report.safetext import workbook_value
from checker.report.table import settings_line
from checker.report.wording import count_of
from checker.results import ERROR, FAIL, MANUAL, PASS, WAIVED, RunReport

PERCENT = "0.0%"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_SHEET_NAME = 31


def sheet_name(name: str, taken: set[str]) -> str:
    """A legal Excel sheet name (≤31 characters, none of []:*?/\\), unique (case-insensitively) among `taken`."""
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "rule"
    candidate, n = base[:_MAX_SHEET_NAME], 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"~{n}"
        candidate = base[: _MAX_SHEET_NAME - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _header(sheet: Worksheet, row: int, values: list[str]) -> None:
    for column, value in enumerate(values, start=1):
        sheet.cell(row=row, column=column, value=value).font = Font(bold=True)


def _append(sheet: Worksheet, values: list[Any]) -> None:
    sheet.append([workbook_value(value) for value in values])


def _summary(sheet: Worksheet, report: RunReport) -> None:
    grades = bool(report.settings.get("grade_bands"))
    waivers = report.waivers is not None  # the waived column only when a waivers file was given
    level = f"{report.settings['confidence'] * 100:g}%"
    headers = ["rule", "title", "passed", "applicable", "rate", f"{level} interval low", f"{level} interval high",
               "fail", "error", "pending"] + (["waived"] if waivers else []) + ["reliable", "note"] + (
                   ["grade"] if grades else [])
    _header(sheet, 1, headers)
    sheet.freeze_panes = "A2"
    for score in report.rules:
        interval = score.interval or {}
        _append(sheet, [score.id, score.title, count_of(score.counts[PASS], score.applicable), score.applicable,
                        score.rate, interval.get("low"), interval.get("high"), score.counts[FAIL],
                        score.counts[ERROR], score.counts[MANUAL]]
                       + ([score.counts[WAIVED]] if waivers else [])
                       + [None if score.reliable is None else ("yes" if score.reliable else "no: quote X of Y"),
                        score.note] + ([score.grade] if grades else []))
        for column in (5, 6, 7):
            sheet.cell(row=sheet.max_row, column=column).number_format = PERCENT
    summary = report.summary
    sheet.append([])
    for label, key in (("Records read", "records_read"), ("Records evaluated", "records_evaluated"),
                       ("Records rejected", "records_rejected")):
        sheet.append([label, summary[key]])
    for pack in report.rulesets:
        _append(sheet, ["Rule pack", pack["name"], pack["version"], pack["code_version"]])
    _append(sheet, [settings_line(report)])
    for warning in report.warnings:
        _append(sheet, ["Warning", warning])


WAIVER_HEADERS = ["rule", "cases", "where", "reason", "approved by", "expires", "state", "waived", "waived from",
                  "would have waived (expired)", "case ids not scored", "selector errors", "location"]


def _waivers(sheet: Worksheet, waivers: list[dict[str, Any]]) -> None:
    """One row per waiver: what it covers, who approved it until when, and what it did in this run."""
    _header(sheet, 1, WAIVER_HEADERS)
    sheet.freeze_panes = "A2"
    for entry in waivers:
        was = ", ".join(f"{count} {status}" for status, count in entry["waived_from"].items() if count)
        _append(sheet, [entry["rule_id"], ", ".join(entry["cases"] or []), entry["where"], entry["reason"],
                        entry["approved_by"], entry["expires"], entry["state"], entry["waived"], was,
                        entry["would_have_waived"], ", ".join(entry["cases_not_scored"]), entry["selector_errors"],
                        entry["location"]])


def _findings(sheet: Worksheet, report: RunReport) -> None:
    _header(sheet, 1, HEADERS)
    sheet.freeze_panes = "A2"
    for row in finding_rows(report, human=True):
        _append(sheet, row)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{sheet.max_row}"


def _rule_sheets(workbook: Workbook, report: RunReport, taken: set[str]) -> None:
    failing: dict[str, list[tuple[str, str, str | None]]] = {}
    for record in report.records:
        for result in record.results:
            if result.status == FAIL:
                failing.setdefault(result.rule_id, []).append((record.case_id, result.message, result.clause))
    for score in report.rules:
        if score.id not in failing:
            continue
        sheet = workbook.create_sheet(sheet_name(score.id, taken))
        _append(sheet, [f"{score.id}: {score.message}", score.statement])
        sheet.cell(row=1, column=1).font = Font(bold=True)
        _header(sheet, 2, ["case_id", "message", "clause"])
        sheet.freeze_panes = "A3"
        for case_id, message, clause in failing[score.id]:
            _append(sheet, [case_id, message, clause])
        _fit(sheet, 2, sheet.max_row)


MIN_WIDTH, MAX_WIDTH = 8, 60  # characters; longer text wraps in the cell rather than widening the sheet


def _fit(sheet: Worksheet, header_row: int, last_row: int) -> None:
    """Columns as wide as their content (within MIN_WIDTH..MAX_WIDTH), the header row frozen, filters on
    the table from the header row to `last_row`."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=header_row, max_row=max(last_row, header_row)):
        for cell in row:
            if isinstance(cell.value, float):
                longest = 8  # shown as a percentage or a short number, not its full repr
            elif cell.value is not None:
                longest = max(len(line) for line in str(cell.value).splitlines() or [""])
            else:
                continue
            widths[cell.column] = max(widths.get(cell.column, 0), longest)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = f"A{header_row + 1}"
    last_column = max((cell.column for cell in sheet[header_row] if cell.value is not None), default=1)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(last_column)}{max(last_row, header_row + 1)}"


def render(report: RunReport) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    taken = {"summary", "findings"}
    _summary(summary, report)
    _fit(summary, 1, 1 + len(report.rules))  # the rules' table; the run's facts below it are not filtered
    findings = workbook.create_sheet("Findings")
    _findings(findings, report)
    _fit(findings, 1, findings.max_row)
    if report.waivers is not None:
        taken.add("waivers")
        waivers = workbook.create_sheet("Waivers")
        _waivers(waivers, report.waivers)
        _fit(waivers, 1, waivers.max_row)
    _rule_sheets(workbook, report, taken)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
