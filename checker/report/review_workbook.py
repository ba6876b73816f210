"""The reviewer's round trip for manual rules: a workbook of pending judgements, written and read back.

    raws = keep_raw_records(source)                     # the run's own records, read once
    report = run_check(source, packs, settings)
    rows = review_rows(report, packs, facts_of(raws, timezone))
    data = write_review_workbook(rows, report)          # the reviewer fills the answer column
    judgements = read_judgements(path, None, manual_rule_ids(packs))
    report = run_check(source, packs, settings, judgements=judgements)
    check_case_ids(judgements, <the case ids the run read>)

One row per evaluated record and manual rule still pending (status `manual`).
The "Review" sheet has the columns in `COLUMNS`; the answer column has a
drop-down of yes, no, not_applicable. Reading back finds columns by their
header, so reviewers may sort, filter and add columns. Answers are matched
case-insensitively, and "n/a", "not applicable" and "not-applicable" are read
as not_applicable (`checker.engine.judgements.parse_answer`); a blank answer stays
pending. Every problem in a workbook is collected as a `ReviewError` located by
sheet and cell, and all are raised together in `FileErrors`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from checker import __version__
from checker.errors import REVIEW_WORKBOOK, FileErrors
from checker.sidefiles import (
    MAX_REVIEW_WORKBOOK_EXPANDED_BYTES, SideFileError, check_workbook, workbook_problem,
)
from checker.inputs.recordmodel import value_at
from checker.inputs.records import CaseRecord, file_sha256
from checker.engine.judgements import ANSWERS, Judgement, Judgements, parse_answer
from checker.report.safetext import read_workbook_text, restore_controls, workbook_value
from checker.report.table import settings_line
from checker.report.wording import for_people
from checker.results import MANUAL, Evidence, RunReport
from checker.packs.rules import RulePack

SHEET, ABOUT_SHEET = "Review", "About"
FACT_COLUMNS = ("crime reference", "offence", "outcome", "finalised", "victim", "flags")
COLUMNS = ("case_id", "rule_id", "question", "answer", "reviewer", "notes") + FACT_COLUMNS + ("evidence",)
REQUIRED_COLUMNS = ("case_id", "rule_id", "answer")
ANSWER_COLUMN = get_column_letter(COLUMNS.index("answer") + 1)
_WIDTHS = {"case_id": 20, "rule_id": 24, "question": 60, "answer": 14, "reviewer": 16, "notes": 40,
           "offence": 30, "evidence": 60}
_CRIME_FLAGS = ("domestic_abuse", "hate_crime", "sexual_offence", "serious_crime")
_VICTIM_FLAGS = ("vulnerable", "intimidated", "persistently_targeted", "bereaved_relative")


@dataclass(frozen=True)
class ReviewRow:
    """One judgement to make: a case file, a manual rule's question, the file's key facts and an empty answer."""

    case_id: str
    rule_id: str
    question: str
    facts: dict[str, Any] = field(default_factory=dict)  # FACT_COLUMNS → value
    evidence: str = ""  # the rule's evidence items, "path = value" one a line
    answer: str = ""
    reviewer: str = ""
    notes: str = ""

    def values(self) -> list[Any]:
        """The row's cells in COLUMNS order."""
        fixed = {"case_id": self.case_id, "rule_id": self.rule_id, "question": self.question, "answer": self.answer,
                 "reviewer": self.reviewer, "notes": self.notes, "evidence": self.evidence}
        return [fixed[name] if name in fixed else self.facts.get(name) for name in COLUMNS]


@dataclass(frozen=True)
class ReviewError:
    """One problem in a filled review workbook: where, what was found and what was expected."""

    file: str
    sheet: str | None
    cell: str | None  # e.g. "Review!D7"; "Review!1:1" for the header row; None for the whole file
    found: Any
    expected: str
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.cell or self.sheet, self.message) if part)


# --- building the rows -------------------------------------------------------------------------------

def key_facts(record: Mapping[str, Any]) -> dict[str, Any]:
    """The few facts a reviewer needs to find and place the file, as written in it."""
    offence = " ".join(str(part) for part in (value_at(record, "crime.offence.code"),
                                              value_at(record, "crime.offence.description")) if part)
    if value_at(record, "crime.cancellation") is not None:
        outcome = "cancelled"
    elif value_at(record, "outcome") is None:
        outcome = "open"
    else:
        outcome = value_at(record, "outcome.code")
    flags = [name.replace("_", " ") for name in _CRIME_FLAGS if value_at(record, f"crime.flags.{name}") is True]
    flags += [name.replace("_", " ") for name in _VICTIM_FLAGS if value_at(record, f"victim.{name}") is True]
    return {"crime reference": value_at(record, "crime.reference"), "offence": offence or None,
            "outcome": outcome, "finalised": value_at(record, "outcome.finalised_at"),
            "victim": value_at(record, "victim.kind"), "flags": ", ".join(flags) or None}


def manual_rule_ids(packs: Iterable[RulePack]) -> set[str]:
    return {rule.id for pack in packs for rule in pack.rules if rule.kind == "manual"}


def _evidence_text(evidence: tuple[Evidence, ...]) -> str:
    return "\n".join(f"{item.path} = {_plain(for_people(item.value))}" for item in evidence)


def _plain(value: Any) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value) or "none"
    return str(value)


def review_rows(report: RunReport, packs: Iterable[RulePack],
                facts: Mapping[str, Mapping[str, Any]] | None = None) -> list[ReviewRow]:
    """One row per evaluated record and manual rule still pending, in record order then rule order.

    `facts` (case id → key facts, see `facts_of`) fills the fact columns; without it they are blank.
    """
    questions = {rule.id: rule.question or rule.title for pack in packs for rule in pack.rules
                 if rule.kind == "manual"}
    facts = facts or {}
    return [ReviewRow(record.case_id, result.rule_id, questions[result.rule_id],
                      dict(facts.get(record.case_id, {})), _evidence_text(result.evidence))
            for record in report.records for result in record.results
            if result.rule_id in questions and result.status == MANUAL]


# --- writing the workbook ----------------------------------------------------------------------------

def write_review_workbook(rows: list[ReviewRow], report: RunReport) -> bytes:
    """The review workbook (.xlsx) for `rows`; `report` is the run they came from (named on the About sheet)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    for column, name in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=column, value=name).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = _WIDTHS.get(name, 16)
    for row in rows:
        sheet.append([workbook_value(value) for value in row.values()])  # case text must not become a formula
    last = max(sheet.max_row, 2)
    wrap = Alignment(wrap_text=True, vertical="top")
    for name in ("question", "evidence", "notes"):
        letter = get_column_letter(COLUMNS.index(name) + 1)
        for cell in sheet[f"{letter}2:{letter}{last}"]:
            cell[0].alignment = wrap
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    choices = DataValidation(type="list", formula1=f'"{",".join(ANSWERS)}"', allow_blank=True,
                             showErrorMessage=True, errorStyle="stop", errorTitle="Not an answer",
                             error=f"Choose {', '.join(ANSWERS)}, or leave the cell blank (still pending).",
                             showInputMessage=True, promptTitle="Your judgement",
                             prompt="yes: the rule is met; no: it is not; not_applicable; blank: pending")
    sheet.add_data_validation(choices)
    choices.add(f"{ANSWER_COLUMN}2:{ANSWER_COLUMN}{last}")
    _about(workbook.create_sheet(ABOUT_SHEET), rows, report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _about(sheet: Any, rows: list[ReviewRow], report: RunReport) -> None:
    lines: list[list[Any]] = [
        ["Reviewer's judgements for manual rules"],
        [],
        ["How to fill it", f"For each row of the {SHEET} sheet, read the question and the case file, then choose "
                           f"an answer in column {ANSWER_COLUMN} ('answer'): yes (the rule is met: pass), no (not "
                           "met: fail) or not_applicable. Leave it blank to keep the judgement pending."],
        ["", "'reviewer' (your name) and 'notes' are optional. Do not change case_id or rule_id; you may sort, "
             "filter and add columns."],
        ["Then score", f"check {report.input['path']} --judgements THIS-WORKBOOK.xlsx"],
        ["", "A case file's own audit.judgements is counted first; where it differs from this workbook, the run "
             "keeps the case file's answer and reports the conflict."],
        [],
        ["Pending judgements", len(rows)],
        ["Case file", report.input["path"], report.input.get("sha256")],
    ]
    lines += [["Rule pack", pack["name"], pack["version"], pack["code_version"], pack["path"]]
              for pack in report.rulesets]
    lines += [["Settings", settings_line(report).removeprefix("Settings: ")],
              ["Made by", f"{report.tool['name']} {__version__}"]]
    for line in lines:
        sheet.append([workbook_value(value) for value in line])
    sheet["A1"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 100


# --- reading it back ---------------------------------------------------------------------------------

def read_judgements(path: Path, known_case_ids: Iterable[str] | None, manual_rule_ids: Iterable[str]) -> Judgements:
    """The answers of a filled review workbook; FileErrors listing every problem found.

    With `known_case_ids` None the case ids are not checked here: the run checks them against the case
    ids it read (`check_case_ids`), so the case file is read once, in whatever form it comes."""
    file = str(path)
    sheet, header = _review_sheet(path)
    reader = _RowReader(file, header, None if known_case_ids is None else set(known_case_ids), set(manual_rule_ids))
    for row in sheet.iter_rows(min_row=2):
        reader.read(row)
    if reader.errors:
        raise FileErrors(REVIEW_WORKBOOK, reader.errors)
    return Judgements(path=file, items=reader.items, sha256=file_sha256(path), rows=tuple(reader.row_cases))


def _review_sheet(path: Path) -> tuple[Any, dict[str, int]]:
    """The Review sheet of a workbook and its header (name → column), or FileErrors saying what is wrong."""
    file = str(path)
    try:
        check_workbook(path, MAX_REVIEW_WORKBOOK_EXPANDED_BYTES)  # read whole: a small file must not unzip to gigabytes
        workbook = load_workbook(path, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, SyntaxError,
            SideFileError) as exc:  # SyntaxError: malformed XML; ValueError: defusedxml refusing entities
        raise FileErrors(REVIEW_WORKBOOK, [ReviewError(file, None, None, None, "an .xlsx workbook written by check review",
                                                f"cannot read the workbook: {workbook_problem(exc)}")]) from None
    if SHEET not in workbook.sheetnames:
        raise FileErrors(REVIEW_WORKBOOK, [ReviewError(
            file, None, None, workbook.sheetnames, f"a sheet named {SHEET!r}",
            f"no sheet {SHEET!r} (found {', '.join(workbook.sheetnames)}): expected the workbook of check review")])
    sheet = workbook[SHEET]
    header = {}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        name = _text(cell.value).lower()
        if name and name not in header:
            header[name] = cell.column
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise FileErrors(REVIEW_WORKBOOK, [ReviewError(
            file, SHEET, f"{SHEET}!1:1", sorted(header), f"columns {', '.join(REQUIRED_COLUMNS)}",
            f"the header row has no {', '.join(repr(name) for name in missing)} column "
            f"(expected {', '.join(REQUIRED_COLUMNS)})")])
    return sheet, header


@dataclass(frozen=True)
class GivenAnswer:
    """What a reviewer wrote on one row of an existing workbook (answer, name or notes), as typed."""

    case_id: str
    rule_id: str
    answer: str
    reviewer: str
    notes: str
    cell: str


def given_answers(path: Path) -> list[GivenAnswer]:
    """Every row of an existing review workbook where a reviewer wrote something (answer, name or notes).

    FileErrors when the file is not a review workbook (no Review sheet, no answer column)."""
    sheet, header = _review_sheet(path)
    found: list[GivenAnswer] = []
    for row in sheet.iter_rows(min_row=2):
        values = {name: _text(row[column - 1].value) if column <= len(row) else "" for name, column in header.items()}
        if any(values.get(name) for name in ("answer", "reviewer", "notes")):
            found.append(GivenAnswer(values["case_id"], values["rule_id"], values["answer"], values.get("reviewer", ""),
                                     values.get("notes", ""), f"{SHEET}!{get_column_letter(header['answer'])}{row[0].row}"))
    return found


def carry_forward(rows: list[ReviewRow], answers: list[GivenAnswer]) -> tuple[list[ReviewRow], list[GivenAnswer]]:
    """The rows with the reviewer's earlier answers, names and notes filled in; and the answers that fit no
    row (their judgement is no longer pending), which the caller must not drop silently."""
    by_key = {(answer.case_id, answer.rule_id): answer for answer in answers}
    filled = []
    for row in rows:
        answer = by_key.pop((row.case_id, row.rule_id), None)
        filled.append(row if answer is None else replace(row, answer=answer.answer, reviewer=answer.reviewer,
                                                         notes=answer.notes))
    return filled, list(by_key.values())


def facts_of(raws: Iterable[Any], timezone: str, record_type: str = "case-file") -> dict[str, dict[str, Any]]:
    """Record id → key facts, for the valid records among raw records already read (the run's own). The fact
    columns are a case file's (crime reference, offence…); other record types leave them empty, and a
    reviewer reads what a rule shows in its evidence column (e.g. a search's recorded grounds)."""
    from checker.inputs.recordmodel import record_model
    from checker.inputs.records import check_record

    facts: dict[str, dict[str, Any]] = {}
    model = record_model(record_type)
    if model.kind.name != "case-file":
        return facts
    for raw in raws:
        item = check_record(raw, timezone, model)
        if isinstance(item, CaseRecord):
            facts.setdefault(item.case_id, key_facts(item.raw))
    return facts


def check_case_ids(judgements: Judgements, case_ids: Iterable[str]) -> None:
    """FileErrors naming every row of the workbook whose case id the run did not read."""
    known = set(case_ids)
    errors = [ReviewError(judgements.path, SHEET, cell, case_id, "a case id of the case file",
                          f"case id {case_id!r} is not in the case file")
              for case_id, cell in judgements.rows if case_id not in known]
    if errors:
        raise FileErrors(REVIEW_WORKBOOK, errors)


class _RowReader:
    """Checks the rows of the Review sheet one by one, collecting answers and errors."""

    def __init__(self, file: str, header: dict[str, int], known_case_ids: set[str] | None,
                 manual_rule_ids: set[str]):
        self.file, self.header = file, header
        self.known_case_ids, self.manual_rule_ids = known_case_ids, manual_rule_ids
        self.row_cases: list[tuple[str, str]] = []  # (case id, cell) of each filled row
        self.items: dict[tuple[str, str], Judgement] = {}
        self.first_row: dict[tuple[str, str], int] = {}
        self.errors: list[ReviewError] = []

    def read(self, row: tuple[Any, ...]) -> None:
        cells = {name: row[column - 1] if column <= len(row) else None for name, column in self.header.items()}
        values = {name: _text(cell.value) if cell is not None else "" for name, cell in cells.items()}
        if not any(values.get(name) for name in ("case_id", "rule_id", "answer", "reviewer", "notes")):
            return  # an empty row
        number = row[0].row
        case_id, rule_id, typed = values["case_id"], values["rule_id"], values["answer"]
        if self.known_case_ids is None or (case_id not in self.known_case_ids
                                           and restore_controls(case_id) in self.known_case_ids):
            # Written with its control characters shown as pictures. Without the run's ids (checked later,
            # against the records read) a control picture in a case id is always read as the character.
            case_id = restore_controls(case_id)
        before = len(self.errors)
        if not case_id:
            self._error("case_id", number, case_id, "a case id of the case file", "case id is blank")
        elif self.known_case_ids is None:
            self.row_cases.append((case_id, self._ref("case_id", number)))
        elif case_id not in self.known_case_ids:
            self._error("case_id", number, case_id, "a case id of the case file",
                        f"case id {case_id!r} is not in the case file")
        if not rule_id:
            self._error("rule_id", number, rule_id, "a manual rule id", "rule id is blank")
        elif rule_id not in self.manual_rule_ids:
            expected = ", ".join(sorted(self.manual_rule_ids)) or "none loaded"
            self._error("rule_id", number, rule_id, "a manual rule id",
                        f"rule id {rule_id!r} is not a manual rule of the rule packs (expected one of {expected})")
        answer = parse_answer(typed) if typed else None
        if typed and answer is None:
            self._error("answer", number, typed, ", ".join(ANSWERS),
                        f"answer {typed!r} is not one of {', '.join(ANSWERS)}")
        key = (case_id, rule_id)
        if case_id and rule_id:
            if key in self.first_row:
                self._error("case_id", number, case_id, "one row per case and rule",
                            f"duplicate row for case {case_id!r} and rule {rule_id!r} "
                            f"(first on row {self.first_row[key]})")
            else:
                self.first_row[key] = number
        if len(self.errors) == before and answer is not None:
            self.items[key] = Judgement(case_id, rule_id, answer, self.file, self._ref("answer", number),
                                        reviewer=values.get("reviewer") or None, notes=values.get("notes") or None)

    def _ref(self, name: str, number: int) -> str:
        return f"{SHEET}!{get_column_letter(self.header[name])}{number}"

    def _error(self, name: str, number: int, found: Any, expected: str, message: str) -> None:
        self.errors.append(ReviewError(self.file, SHEET, self._ref(name, number), found, expected, message))


def _text(value: Any) -> str:
    """A cell's value as trimmed text, without the apostrophe we put before formula-like text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a case id typed as a number
    return read_workbook_text(str(value).strip())
