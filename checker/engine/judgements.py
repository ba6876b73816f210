"""Reviewers' judgements given outside the case file (a filled review workbook), and merging them.

The case file's own `audit.judgements` always wins: a judgement from elsewhere
only fills a manual rule that is still pending. When both exist and differ the
run keeps the case file's answer and reports the disagreement (`reconcile`),
so a reviewer's answer is never silently dropped or silently preferred.

Plain data only: the workbook itself is read and written by `checker.report.review_workbook`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.results import RuleResult

ANSWERS = ("yes", "no", "not_applicable")
# Spellings a reviewer may type in a spreadsheet; matched after trimming and lower-casing.
ANSWER_VARIANTS = {"n/a": "not_applicable", "not applicable": "not_applicable", "not-applicable": "not_applicable"}


def parse_answer(value: str) -> str | None:
    """The canonical answer for what a reviewer typed (case-insensitive, n/a variants); None if not an answer."""
    text = value.strip().lower()
    if text in ANSWERS:
        return text
    return ANSWER_VARIANTS.get(text)


@dataclass(frozen=True)
class Judgement:
    """One reviewer's answer for one case file and manual rule, and where it was given."""

    case_id: str
    rule_id: str
    answer: str  # one of ANSWERS
    file: str  # e.g. "review.xlsx"
    cell: str  # e.g. "Review!D7"
    reviewer: str | None = None
    notes: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file} {self.cell}"


@dataclass(frozen=True)
class Judgements:
    """The answers read from one source, by (case id, rule id)."""

    path: str
    items: Mapping[tuple[str, str], Judgement] = field(default_factory=dict)
    sha256: str | None = None
    rows: tuple[tuple[str, str], ...] = ()  # (case id, cell) of every filled row, answered or not

    def __len__(self) -> int:
        return len(self.items)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "answers": len(self.items)}


@dataclass
class Reconciliation:
    """What became of the given judgements in one run."""

    used: set[tuple[str, str]] = field(default_factory=set)  # decided a pending manual rule, or agreed with the file
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[tuple[str, str], str] = field(default_factory=dict)  # status of each answered rule and file

    def add(self, case_id: str, in_file: dict[str, str], results: Iterable[RuleResult],
            judgements: Judgements) -> None:
        """Compare one evaluated record's case-file judgements (`in_file`) with the given ones."""
        for result in results:
            given = judgements.items.get((case_id, result.rule_id))
            if given is not None:
                self.statuses[(given.case_id, given.rule_id)] = result.status
            if given is None or result.clause != "judgement":
                continue  # no answer given, or the rule did not reach its judgement (not applicable, error)
            self.used.add((given.case_id, given.rule_id))
            recorded = in_file.get(result.rule_id)
            if recorded is not None and recorded != given.answer:
                self.conflicts.append({"case_id": given.case_id, "rule_id": given.rule_id,
                                       "case_file_answer": recorded, "workbook_answer": given.answer,
                                       "workbook": given.file, "cell": given.cell, "counted": "case_file"})

    def warnings(self, judgements: Judgements) -> list[str]:
        """One line per conflict and per given answer that decided nothing."""
        lines = [f"judgement conflict: {c['case_id']} {c['rule_id']}: the case file says {c['case_file_answer']!r}, "
                 f"{c['workbook']} {c['cell']} says {c['workbook_answer']!r}; the case file's answer is counted"
                 for c in self.conflicts]
        for key, given in judgements.items.items():
            if key in self.used:
                continue
            status = self.statuses.get(key)
            why = (f"no evaluated record has case id {given.case_id!r}" if status is None
                   else f"the rule's status on this file is {status}, not pending")
            lines.append(f"judgement not used: {given.where} ({given.case_id} {given.rule_id}): {why}")
        return lines
