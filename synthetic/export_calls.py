"""The synthetic audit sample of calls written the way a force's command-and-control system exports it.

Like `synthetic.export` for case files, and on purpose independent of the checker's mapping code: the
system's own column names ("Incident No", "Call Received", "Time to Answer (s)" …), UK local times to
the second ("12/10/2021 22:14:05"), Y/N flags, the force's labels for channels and grades ("999",
"G2 Priority") and the changes of grading in numbered columns. `samples/export-calls/mapping.yaml` is
the mapping a user would write to read it; a test checks that the export read through it scores
exactly like samples/calls.json. The shipped export is produced with:

    python -m synthetic.export_calls --seed 2022 --output-dir samples/export-calls
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from checker.inputs.recordmodel import value_at
from synthetic.calls import audit_sample
from synthetic.export import ADVICE, JUDGEMENTS, RANKS, Cell, Table, label, uk_time, write_csv, yes_no

Record = dict[str, Any]

CALLS_FILE = "calls.csv"
DATE_TIME_SECONDS = "%d/%m/%Y %H:%M:%S"
CHANNELS = {"emergency_999": "999", "non_emergency_101": "101", "online": "Online report", "other": "Other"}
GRADES = {"emergency": "G1 Emergency", "priority": "G2 Priority", "scheduled": "G3 Scheduled",
          "resolution_without_deployment": "G4 Resolution without deployment"}
LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}

Column = tuple[str, Callable[[Record], Cell]]


def _at(path: str) -> Callable[[Record], Cell]:
    return lambda record: value_at(record, path)


def _time(path: str) -> Callable[[Record], Cell]:
    return lambda record: uk_time(value_at(record, path), DATE_TIME_SECONDS)


def _flag(path: str) -> Callable[[Record], Cell]:
    return lambda record: yes_no(value_at(record, path))


def _labelled(labels: dict[str, str], path: str) -> Callable[[Record], Cell]:
    return lambda record: label(labels, value_at(record, path))


CALL_COLUMNS: tuple[Column, ...] = (
    ("Incident No", _at("call_id")),
    ("Channel", _labelled(CHANNELS, "channel")),
    ("Incident Type", _at("incident_type")),
    ("Call Received", _time("received_at")),
    ("Call Answered", _time("answered_at")),
    ("Time to Answer (s)", _at("answer_seconds")),
    ("Recording Held (Y/N)", _flag("recording_available")),
    ("Repeat Caller (Y/N)", _flag("caller.repeat_caller")),
    ("Vulnerable Caller (Y/N)", _flag("caller.vulnerable")),
    ("Repeat Flag Set (Y/N)", _flag("caller.flagged_repeat")),
    ("Vulnerability Flag Set (Y/N)", _flag("caller.flagged_vulnerable")),
    ("Risk Model", _at("risk_assessment.model")),
    ("Threat", _labelled(LEVELS, "risk_assessment.threat")),
    ("Harm", _labelled(LEVELS, "risk_assessment.harm")),
    ("Risk", _labelled(LEVELS, "risk_assessment.risk")),
    ("Vulnerability", _labelled(LEVELS, "risk_assessment.vulnerability")),
    ("Risk Assessed At", _time("risk_assessment.recorded_at")),
    ("Initial Grade", _labelled(GRADES, "grading.initial_priority")),
    ("Final Grade", _labelled(GRADES, "grading.final_priority")),
)
REGRADE_COLUMNS: tuple[Column, ...] = (
    ("Regrade {n} Time", _time("at")),
    ("Regrade {n} From", _labelled(GRADES, "from")),
    ("Regrade {n} To", _labelled(GRADES, "to")),
    ("Regrade {n} Reason", _at("reason")),
)
LATER_COLUMNS: tuple[Column, ...] = (
    ("Safeguarding Advice", _labelled(ADVICE, "advice.safeguarding")),
    ("Crime Prevention Advice", _labelled(ADVICE, "advice.crime_prevention")),
    ("Deployed", _time("response.deployed_at")),
    ("Attended", _time("response.attended_at")),
    ("Supervisor Review Required (Y/N)", _flag("supervision.required")),
    ("Supervisor Reviewed", _time("supervision.reviewed_at")),
    ("Supervisor", _labelled(RANKS, "supervision.reviewer")),
    ("Auditor", _at("audit.reviewer")),
    ("Audit: Prioritisation Appropriate", _labelled(JUDGEMENTS, "audit.judgements.call-prioritised-appropriately")),
    ("Audit: Manner Professional", _labelled(JUDGEMENTS, "audit.judgements.call-manner-professional")),
    ("Audit Notes", _at("audit.notes")),
)
REGRADE_SLOTS = 2  # the system's export has room for two changes of grading


def export_table(records: Iterable[Record]) -> Table:
    """One row per call."""
    header = [name for name, _ in CALL_COLUMNS]
    header += [name.replace("{n}", str(n)) for n in range(1, REGRADE_SLOTS + 1) for name, _ in REGRADE_COLUMNS]
    header += [name for name, _ in LATER_COLUMNS]
    rows = []
    for record in records:
        changes = value_at(record, "grading.changes") or []
        if len(changes) > REGRADE_SLOTS:
            raise ValueError(f"{record['call_id']}: {len(changes)} changes of grading; the export has room for "
                             f"{REGRADE_SLOTS}")
        cells = [read(record) for _, read in CALL_COLUMNS]
        for slot in range(REGRADE_SLOTS):
            change = changes[slot] if slot < len(changes) else None
            cells += [read(change) if change is not None else None for _, read in REGRADE_COLUMNS]
        cells += [read(record) for _, read in LATER_COLUMNS]
        rows.append(tuple(cells))
    return Table(tuple(header), tuple(rows))


def write_export(records: Iterable[Record], directory: Path) -> Path:
    """Write calls.csv into `directory`; the path written."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CALLS_FILE
    write_csv(export_table(records), path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see `python -m synthetic.export_calls --help`."""
    parser = argparse.ArgumentParser(
        prog="python -m synthetic.export_calls",
        description="Write the synthetic audit sample of calls as a force's CSV export (no real personal data).")
    parser.add_argument("--seed", type=int, default=2022, help="random seed (default 2022, as samples/calls.json)")
    parser.add_argument("--output-dir", type=Path, required=True, help="folder to write calls.csv")
    args = parser.parse_args(argv)
    path = write_export(audit_sample(args.seed), args.output_dir)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
