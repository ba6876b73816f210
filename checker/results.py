"""The result model: plain data shared by evaluation, scoring and every output format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

PASS, FAIL, NOT_APPLICABLE, ERROR, MANUAL = "pass", "fail", "not_applicable", "error", "manual"
# `waived`: an audit team's documented waiver took the file out of the rule (see checker.engine.waivers).
# A rule never gives it itself, so fixtures cannot expect it (RULE_STATUSES).
WAIVED = "waived"
RULE_STATUSES = (PASS, FAIL, NOT_APPLICABLE, ERROR, MANUAL)
STATUSES = RULE_STATUSES + (WAIVED,)


class Evidence(NamedTuple):
    """A value a rule read or computed, shown with its result. A named tuple: a run makes millions."""

    path: str  # a case path, or the label of a computed value
    value: Any  # JSON-friendly

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value}


# An Evidence from a (path, value) pair, built without the named tuple's Python-level __new__, which
# costs as much again as the tuple itself: the engine builds one per evidence item, tens of millions in
# a large run. Only ever give it pairs.
new_evidence: Callable[[tuple[str, Any]], Evidence] = partial(tuple.__new__, Evidence)


class RuleResult(NamedTuple):
    """One rule's result on one record. A named tuple, like Evidence: a run makes one for every rule and
    record that shows anything, and a named tuple is built several times faster than a frozen dataclass.
    Immutable, so results that carry nothing per record are shared (see checker.engine.evaluate); change one with
    `_replace`, which makes a new result."""

    rule_id: str
    status: str
    message: str = ""
    evidence: tuple[Evidence, ...] = ()
    clause: str | None = None  # the clause that decided a fail or error
    explanation: tuple[str, ...] = ()  # the values read, in the rule's words
    waived_from: str | None = None  # for a waived result: the status the rule gave before the waiver

    def as_dict(self) -> dict[str, Any]:
        # each evidence item as Evidence.as_dict gives it, written out: one fewer call per item
        document = {"rule_id": self.rule_id, "status": self.status, "message": self.message,
                    "clause": self.clause, "explanation": list(self.explanation),
                    "evidence": [{"path": path, "value": value} for path, value in self.evidence]}
        if self.waived_from is not None:
            document["waived_from"] = self.waived_from
        return document


@dataclass(frozen=True)
class RecordResult:
    index: int
    line: int | None
    case_id: str
    results: tuple[RuleResult, ...]

    def as_dict(self, result_form: Callable[[RuleResult], Any] = RuleResult.as_dict) -> dict[str, Any]:
        """`result_form` gives each result's form (the JSON report passes one that reuses ready-made JSON)."""
        return {"case_id": self.case_id, "index": self.index, "line": self.line,
                "results": [result_form(result) for result in self.results]}


@dataclass
class RuleScore:
    """A rule's tally over the sample, as the inspectorate reports it."""

    id: str
    title: str
    family: str
    severity: str
    kind: str
    pack: str
    source: dict[str, str]
    message: str = ""  # what a failing file lacks, in the rule's words
    counts: dict[str, int] = field(default_factory=dict)
    applicable: int = 0
    rate: float | None = None
    interval: dict[str, Any] | None = None
    note: str = ""  # e.g. "no applicable files: no rate"
    reliable: bool | None = None  # False: report as "X of Y", the interval is unreliable
    statement: str = ""  # the result in the inspectorate's wording
    grade: str | None = None  # from the force's grade bands, when given

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "family": self.family, "severity": self.severity,
                "kind": self.kind, "pack": self.pack, "source": self.source, "message": self.message, "counts": dict(self.counts),
                "applicable": self.applicable, "rate": self.rate, "interval": self.interval, "note": self.note,
                "reliable": self.reliable, "statement": self.statement, "grade": self.grade}


@dataclass
class RunReport:
    """Everything one run produced; every output format is written from this."""

    tool: dict[str, str]
    input: dict[str, Any]
    rulesets: list[dict[str, str]]
    settings: dict[str, Any]
    summary: dict[str, int]
    rules: list[RuleScore]
    records: list[RecordResult]
    rejected: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    stratified: list[dict[str, Any]] | None = None  # population estimates when a sample manifest is given
    # Where a case file's judgement and a review workbook's differ; None when no workbook was given.
    judgement_conflicts: list[dict[str, Any]] | None = None
    waivers: list[dict[str, Any]] | None = None  # each waiver's use, when a waivers file is given
    # With --by: {"by": the expression, "groups": [{"value", "records", "rules": [RuleScore.as_dict()]}]}
    breakdown: dict[str, Any] | None = None

    def as_dict(self, include_records: bool = True) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "tool": self.tool,
            "input": self.input,
            "rulesets": self.rulesets,
            "settings": self.settings,
            "summary": self.summary,
            "warnings": self.warnings,
            "rules": [score.as_dict() for score in self.rules],
            **({"records": [record.as_dict() for record in self.records]} if include_records else {}),
            "rejected": self.rejected,
            **({"stratified": self.stratified} if self.stratified is not None else {}),
            **({"judgement_conflicts": self.judgement_conflicts} if self.judgement_conflicts is not None else {}),
            **({"waivers": self.waivers} if self.waivers is not None else {}),
            **({"breakdown": self.breakdown} if self.breakdown is not None else {}),
        }
