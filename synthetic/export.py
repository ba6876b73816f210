"""Synthetic case files written the way a force's crime system exports them: CSV or .xlsx.

This plays the part of a force's system, on purpose independently of
`checker.inputs.exports.mapping`: its own column names ("Crime Ref", "Date Reported", "VNA
Completed", "Victim Signed (Y/N)" …), UK dates in local time ("18/02/2022 07:43";
a date alone where the file has one), Y/N flags, labels instead of codes
("16 - Evidential difficulties: …", "Individual", "PS"), a list of key events and
of supervisor reviews in numbered columns, and the updates given to the victim in
a second file, a contact log ordered by time (not by case), one row per update.
`samples/export/mapping.yaml` is the mapping a user would write to read it; the
tests check that the export read through it scores exactly like the JSON.

The shipped export is produced, and kept in step by tests/test_mapping.py, with:

    python -m synthetic.export --count 80 --seed 2022 --output-dir samples/export

(the same cases as samples/cases.json). `--xlsx` also writes cases.xlsx, with the
sheets "Cases" and "Updates".

A wall time in the autumn hour that happens twice is written with its offset
("30/10/2022 01:23 +0000") when it is the second of the two readings, since a
local time alone would be read as the first.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from checker.inputs.recordmodel import value_at
from synthetic.cases import generate_cases
from checker.inputs.timestamps import is_date_only, parse_timestamp

Record = dict[str, Any]
Cell = str | int | None

LONDON = ZoneInfo("Europe/London")
DATE_TIME = "%d/%m/%Y %H:%M"
DATE_ONLY = "%d/%m/%Y"
CASES_FILE, UPDATES_FILE, WORKBOOK_FILE = "cases.csv", "updates.csv", "cases.xlsx"

OUTCOME_LABELS = {
    "1": "1 - Charged/summonsed",
    "1A": "1A - Charged/summonsed (alternative offence)",
    "2": "2 - Youth caution",
    "2A": "2A - Youth caution (alternative offence)",
    "3": "3 - Adult caution",
    "3A": "3A - Adult caution (alternative offence)",
    "4": "4 - Taken into consideration",
    "5": "5 - Offender has died",
    "6": "6 - Penalty Notice for Disorder",
    "7": "7 - Cannabis/khat warning",
    "8": "8 - Community resolution",
    "10": "10 - Formal action not in the public interest (police decision)",
    "11": "11 - Prosecution prevented: suspect under age",
    "12": "12 - Prosecution prevented: suspect too ill",
    "13": "13 - Prosecution prevented: victim or key witness dead or too ill",
    "14": "14 - Evidential difficulties: suspect not identified; victim does not support further action",
    "15": "15 - Evidential difficulties: named suspect identified; victim supports action",
    "16": "16 - Evidential difficulties: named suspect identified; victim does not support action",
    "17": "17 - Prosecution time limit expired",
    "18": "18 - Investigation complete: no suspect identified",
    "20": "20 - Other body or agency has investigation primacy",
    "21": "21 - Further investigation not in the public interest",
    "22": "22 - Diversionary, educational or intervention activity",
}
KEY_EVENT_LABELS = {
    "suspect_arrested": "Arrested",
    "suspect_interviewed": "Interviewed",
    "suspect_released_on_bail": "Released on bail",
    "suspect_released_under_investigation": "Released under investigation",
    "suspect_released_no_further_action": "Released - NFA",
    "bail_conditions_changed": "Bail conditions varied",
    "suspect_charged": "Charged",
    "out_of_court_disposal": "Out of court disposal",
    "decision_not_to_investigate": "Decision not to investigate",
    "decision_not_to_prosecute": "Decision not to prosecute",
}
VICTIM_TYPES = {"person": "Individual", "business": "Business", "organisation": "Organisation"}
SUPPORT_LABELS = {"supported": "Supports action", "never_supported": "Does not support",
                  "withdrew": "Withdrew support"}
DECISION_FORMS = {"signed_statement": "Signed statement (MG11)", "recorded_call": "Recorded call",
                  "body_worn_video": "Body-worn video", "notebook": "Pocket notebook", "other": "Other"}
CONTACT_METHODS = {"phone": "Telephone", "email": "Email", "letter": "Letter", "visit": "Home visit"}
RANKS = {"sergeant": "PS", "inspector": "Insp"}
CANCELLATION_REASONS = {"transferred": "Transferred to another force", "duplicate": "Duplicate record",
                        "recorded_in_error": "Recorded in error",
                        "verifiable_information": "Additional verifiable information"}
DECIDED_BY = {"designated_decision_maker": "DDM", "force_crime_registrar": "FCR",
              "investigating_officer": "OIC"}
JUDGEMENTS = {"yes": "Yes", "no": "No", "not_applicable": "N/A"}
ADVICE = {"given": "Given", "not_applicable": "Not required"}
RISK_LEVELS = {"standard": "Standard", "medium": "Medium", "high": "High"}


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Export:
    cases: Table
    updates: Table


# --------------------------------------------------------------------------- cells

def uk_time(text: str | None) -> str | None:
    """A case-model timestamp as the crime system shows it: UK local time, or the date alone."""
    if text is None:
        return None
    if is_date_only(text):
        return date.fromisoformat(text).strftime(DATE_ONLY)
    instant = parse_timestamp(text, "Europe/London")
    local = instant.astimezone(LONDON)
    if local.second or local.microsecond:
        raise ValueError(f"{text!r} has seconds, which the export's format ({DATE_TIME}) cannot show")
    read_back = local.replace(tzinfo=None).replace(tzinfo=LONDON, fold=0)
    if read_back.utcoffset() != local.utcoffset():  # the second reading of the repeated autumn hour
        return local.strftime(f"{DATE_TIME} %z")
    return local.strftime(DATE_TIME)


def yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Y" if value else "N")


def label(labels: dict[str, str], value: str | None) -> str | None:
    if value is None:
        return None
    if value not in labels:
        raise ValueError(f"the export has no label for {value!r}: add it to the table of labels")
    return labels[value]


def _at(path: str) -> Callable[[Record], Any]:
    return lambda record: value_at(record, path)


def _time(path: str) -> Callable[[Record], Cell]:
    return lambda record: uk_time(value_at(record, path))


def _flag(path: str) -> Callable[[Record], Cell]:
    return lambda record: yes_no(value_at(record, path))


def _labelled(labels: dict[str, str], path: str) -> Callable[[Record], Cell]:
    return lambda record: label(labels, value_at(record, path))


# --------------------------------------------------------------------------- columns

CASE_COLUMNS: tuple[tuple[str, Callable[[Record], Cell]], ...] = (
    ("Occurrence ID", _at("case_id")),
    ("Crime Ref", _at("crime.reference")),
    ("HO Offence Code", _at("crime.offence.code")),
    ("Offence Description", _at("crime.offence.description")),
    ("Summary Only (Y/N)", _flag("crime.offence.summary_only")),
    ("Offence Category", _at("crime.offence.category")),
    ("Date Committed", _time("crime.committed_at")),
    ("Date Reported", _time("crime.reported_at")),
    ("Date Recorded", _time("crime.recorded_at")),
    ("DA Flag (Y/N)", _flag("crime.flags.domestic_abuse")),
    ("Hate Crime (Y/N)", _flag("crime.flags.hate_crime")),
    ("Hostility Perceived by Victim (Y/N)", _flag("crime.perceived_hostility.by_victim")),
    ("Hostility Perceived by Others (Y/N)", _flag("crime.perceived_hostility.by_other_person")),
    ("Sexual Offence (Y/N)", _flag("crime.flags.sexual_offence")),
    ("Serious Crime (Y/N)", _flag("crime.flags.serious_crime")),
    ("Cancelled Date", _time("crime.cancellation.at")),
    ("Cancellation Reason", _labelled(CANCELLATION_REASONS, "crime.cancellation.criterion")),
    ("Cancellation Authorised By", _labelled(DECIDED_BY, "crime.cancellation.decided_by_role")),
    ("Cancellation Evidence", _at("crime.cancellation.evidence")),
    ("Victim Type", _labelled(VICTIM_TYPES, "victim.kind")),
    ("Victim Age", _at("victim.age_at_offence")),
    ("Vulnerable (Y/N)", _flag("victim.vulnerable")),
    ("Intimidated (Y/N)", _flag("victim.intimidated")),
    ("Persistently Targeted (Y/N)", _flag("victim.persistently_targeted")),
    ("Bereaved Relative (Y/N)", _flag("victim.bereaved_relative")),
    ("Enhanced Rights (Y/N)", _flag("victim.enhanced_rights_recorded")),
    ("VNA Completed", _time("victim.needs_assessment.completed_at")),
    ("VNA Enhanced Rights Assessed (Y/N)", _flag("victim.needs_assessment.enhanced_rights_assessed")),
    ("VNA Support Required (Y/N)", _flag("victim.needs_assessment.support_required")),
    ("Referral Date", _time("victim.referral.made_at")),
    ("Referral Service", _at("victim.referral.service")),
    ("Referral Declined Date", _time("victim.referral.declined_at")),
    ("Written Acknowledgement Sent", _time("victim.written_acknowledgement_at")),
    ("OIC Details Given", _time("victim.officer_in_case_told_at")),
    ("Investigation Decision Given", _time("victim.investigation_decision_told_at")),
    ("Safeguarding Advice", _labelled(ADVICE, "victim.advice.safeguarding")),
    ("Crime Prevention Advice", _labelled(ADVICE, "victim.advice.crime_prevention")),
    ("Evidence Preservation Advice", _labelled(ADVICE, "victim.advice.evidence_preservation")),
    ("DASH Risk", _labelled(RISK_LEVELS, "victim.domestic_abuse_risk")),
    ("IDVA/ISVA Offered", _at("victim.independent_adviser.service")),
    ("IDVA/ISVA Offered Date", _time("victim.independent_adviser.offered_at")),
    ("IDVA/ISVA Declined Date", _time("victim.independent_adviser.declined_at")),
    ("Contact Agreed Date", _time("victim.contact_agreement.agreed_at")),
    ("Contact Frequency (days)", _at("victim.contact_agreement.interval_days")),
    ("Contact Method", _labelled(CONTACT_METHODS, "victim.contact_agreement.method")),
    ("No Updates Wanted (Y/N)", _flag("victim.contact_agreement.opted_out")),
    ("VPS Offered", _time("victim.vps.offered_at")),
    ("VPS Made", _time("victim.vps.made_at")),
    ("VPS Declined", _time("victim.vps.declined_at")),
    ("Victim Supports Action", _labelled(SUPPORT_LABELS, "victim.support_for_action")),
    ("Withdrawal Date", _time("victim.withdrawal.at")),
    ("Withdrawal Reasons Recorded (Y/N)", _flag("victim.withdrawal.reasons_recorded")),
    ("Victim Decision Recorded", _time("victim.decision_record.at")),
    ("Victim Signed (Y/N)", _flag("victim.decision_record.signed_by_victim")),
    ("Victim Decision Record Type", _labelled(DECISION_FORMS, "victim.decision_record.form")),
    ("Victim Views on Outcome Recorded", _time("victim.views_on_outcome_recorded_at")),
    ("Suspect Named (Y/N)", _flag("suspect.named")),
    ("Suspect Identified Date", _time("suspect.identified_at")),
)
KEY_EVENT_COLUMNS: tuple[tuple[str, Callable[[Record], Cell]], ...] = (
    ("Key Event {n}", _labelled(KEY_EVENT_LABELS, "type")),
    ("Key Event {n} Date", _time("at")),
    ("Key Event {n} Victim Informed", _time("victim_informed_at")),
)
INVESTIGATION_COLUMNS: tuple[tuple[str, Callable[[Record], Cell]], ...] = (
    ("Allocated Date", _time("investigation.allocated_at")),
    ("Investigation Plan (Y/N)", _flag("investigation.plan_recorded")),
    ("Attendance Due", _time("investigation.attendance.expected_by")),
    ("Attended", _time("investigation.attendance.attended_at")),
    ("Victim Told of Delay", _time("investigation.attendance.victim_told_of_delay_at")),
)
REVIEW_COLUMNS: tuple[tuple[str, Callable[[Record], Cell]], ...] = (
    ("Supervisor Review {n} Date", _time("at")),
    ("Supervisor Review {n} Rank", _labelled(RANKS, "rank")),
)
OUTCOME_COLUMNS: tuple[tuple[str, Callable[[Record], Cell]], ...] = (
    ("Outcome", _labelled(OUTCOME_LABELS, "outcome.code")),
    ("Outcome Date", _time("outcome.finalised_at")),
    ("Outcome Rationale", _at("outcome.rationale")),
    ("Victim Informed of Outcome", _time("outcome.victim_informed_at")),
    ("VRR Information Given (Y/N)", _flag("outcome.review_information_given")),
    ("Outcome Approved Date", _time("outcome.supervisor_approval.at")),
    ("Outcome Approved By", _labelled(RANKS, "outcome.supervisor_approval.rank")),
    ("Evidence Sufficient (Y/N)", _flag("outcome.evidence_sufficient")),
    ("DVPN/DVPO Considered (Y/N)", _flag("outcome.protective_orders_considered")),
    ("Evidence-led Prosecution Considered (Y/N)", _flag("outcome.evidence_led_prosecution_considered")),
    ("Intervention Completed", _time("outcome.intervention_completed_at")),
    ("Victim Agreed to Disposal", _time("outcome.victim_agreed_at")),
    ("Reviewer", _at("audit.reviewer")),
    ("Review: Engagement Good", _labelled(JUDGEMENTS, "audit.judgements.vc-engagement-good")),
    ("Review: Outcome 16 Justifiable", _labelled(JUDGEMENTS, "audit.judgements.out16-justifiable")),
    ("Review Notes", _at("audit.notes")),
)
UPDATE_HEADER = ("Crime Ref", "Contact Date", "Contact Method", "Automated (Y/N)")


def _numbered(columns: Sequence[tuple[str, Callable[[Record], Cell]]], count: int) -> list[str]:
    return [name.replace("{n}", str(number)) for number in range(1, count + 1) for name, _ in columns]


def _numbered_cells(columns: Sequence[tuple[str, Callable[[Record], Cell]]], items: list[Record],
                    count: int) -> list[Cell]:
    cells: list[Cell] = []
    for number in range(count):
        item = items[number] if number < len(items) else None
        cells += [read(item) if item is not None else None for _, read in columns]
    return cells


def export_tables(records: Iterable[Record]) -> Export:
    """The case table (one row per case) and the update log (one row per update, by time)."""
    records = list(records)
    events = max([len(r.get("key_events") or []) for r in records] + [1])
    reviews = max([len(value_at(r, "investigation.supervisor_reviews") or []) for r in records] + [1])
    header = ([name for name, _ in CASE_COLUMNS] + _numbered(KEY_EVENT_COLUMNS, events)
              + [name for name, _ in INVESTIGATION_COLUMNS] + _numbered(REVIEW_COLUMNS, reviews)
              + [name for name, _ in OUTCOME_COLUMNS])
    rows = []
    for record in records:
        cells = [read(record) for _, read in CASE_COLUMNS]
        cells += _numbered_cells(KEY_EVENT_COLUMNS, record.get("key_events") or [], events)
        cells += [read(record) for _, read in INVESTIGATION_COLUMNS]
        cells += _numbered_cells(REVIEW_COLUMNS, value_at(record, "investigation.supervisor_reviews") or [], reviews)
        cells += [read(record) for _, read in OUTCOME_COLUMNS]
        rows.append(tuple(cells))
    return Export(Table(tuple(header), tuple(rows)), _update_log(records))


def _update_log(records: list[Record]) -> Table:
    """Every update of every case, ordered by when it was given (a contact log, not sorted by case)."""
    entries: list[tuple[datetime, tuple[Cell, ...]]] = []
    for record in records:
        reference = value_at(record, "crime.reference")
        for update in value_at(record, "victim.updates") or []:
            row = (reference, uk_time(update["at"]), label(CONTACT_METHODS, update["method"]),
                   yes_no(update["automated"]))
            entries.append((parse_timestamp(update["at"]), row))
    entries.sort(key=lambda entry: entry[0])  # stable: a case's updates keep their order
    return Table(UPDATE_HEADER, tuple(row for _, row in entries))


# --------------------------------------------------------------------------- writing

def write_csv(table: Table, path: Path) -> None:
    """UTF-8, comma-separated, quoted where needed, an empty cell for a value not recorded."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.header)
        writer.writerows(["" if cell is None else cell for cell in row] for row in table.rows)


def write_xlsx(sheets: dict[str, Table], path: Path) -> None:
    """One workbook, one sheet per table; numbers stay numbers, dates stay text as the system writes them."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, table in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append(list(row))
    workbook.save(path)


def write_export(records: Iterable[Record], directory: Path, xlsx: bool = False) -> list[Path]:
    """Write cases.csv and updates.csv (and cases.xlsx) into `directory`; the paths written."""
    export = export_tables(records)
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / CASES_FILE, directory / UPDATES_FILE]
    write_csv(export.cases, written[0])
    write_csv(export.updates, written[1])
    if xlsx:
        written.append(directory / WORKBOOK_FILE)
        write_xlsx({"Cases": export.cases, "Updates": export.updates}, written[2])
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see `python -m synthetic.export --help`."""
    parser = argparse.ArgumentParser(
        prog="python -m synthetic.export",
        description="Write synthetic case files as a force's CSV (or .xlsx) export (no real personal data).")
    parser.add_argument("--count", type=int, default=80, help="number of files (default 80)")
    parser.add_argument("--seed", type=int, default=2022, help="random seed (default 2022, as samples/cases.json)")
    parser.add_argument("--output-dir", type=Path, required=True, help="folder to write cases.csv and updates.csv")
    parser.add_argument("--xlsx", action="store_true", help="also write cases.xlsx (sheets Cases and Updates)")
    args = parser.parse_args(argv)
    try:
        written = write_export(generate_cases(args.count, args.seed), args.output_dir, xlsx=args.xlsx)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
