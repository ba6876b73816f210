"""Waivers: an audit team's documented decision that a rule does not apply to certain files.

A waivers file (YAML, checked against `schemas/waivers.schema.json`) lists
waivers, each for one rule, naming its files by case id (`cases`) or by a CEL
selector over the record (`where`, the same language and case paths as rules;
the rule's pack settings and variables may be read), with a `reason`, who
approved it (`approved_by`) and the last date it holds (`expires`).

Semantics, and why:

- A waiver takes the file out of the rule, whatever the rule found: an
  applicable result (pass, fail, error, manual) becomes `waived`. Waiving only
  failures would let a waiver raise a rate by picking the files that failed;
  taking the file out whatever its result keeps the sample honest.
  `not_applicable` stays as it is (the rule did not apply anyway).
- `waived` is never a pass and is not in the denominator: applicable = pass + fail.
- The result keeps the status it had (`waived_from`), its clause, evidence and
  explanation; its message gives the waiver's reason, approver, expiry and
  location, then the original message.
- A waiver applies to a run whose reference date (`--as-of`, default today)
  is on or before `expires`. Expired waivers are not applied and are reported,
  with the number of results they would have waived.
- Waivers are tried in file order; the first that matches a result waives it.
- Reported: each waiver's count of waived results by original status; expired
  waivers; unused ones (nothing waived); case ids not among the scored records;
  selectors that could not be evaluated on a record (that record is not waived).

Every problem in the file is a `SourceError` located by file, line and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any



from checker.inputs.records import CaseRecord
from checker.engine.evaluate import CompiledExpression, EvaluationError, Evaluator
from checker.results import ERROR, FAIL, MANUAL, PASS, WAIVED, RuleResult
from checker.packs.rules import Expression, RulePack, check_expression
from checker.errors import FileErrors, WAIVERS_FILE
from checker.schemaerrors import (
    describe, dotted, error_location, error_path, found, suggestion,
)
from checker.inputs.timestamps import TimestampError, parse_date
from checker.yamlfiles import load_checked_yaml
from checker.yamlsource import Locations

# Statuses a waiver turns into `waived`: every result in which the rule applied.
from checker.errors import Location, SourceError
WAIVABLE = (PASS, FAIL, ERROR, MANUAL)

APPLIED, UNUSED, EXPIRED = "applied", "unused", "expired"


@dataclass(frozen=True)
class Waiver:
    rule_id: str
    cases: tuple[str, ...] | None  # the files by case id, or
    where: Expression | None  # a CEL selector over the record
    reason: str
    approved_by: str
    expires: date
    pack: str  # the rule's pack: its settings and variables are in scope for `where`
    location: Location

    @property
    def label(self) -> str:
        return f"waiver for {self.rule_id} ({self.location})"

    def note(self) -> str:
        """What a waived result's message says about the waiver."""
        return (f"{self.reason} (approved by {self.approved_by}; expires {self.expires.isoformat()}; "
                f"{self.location})")


@lru_cache(maxsize=1)
def waivers_schema() -> dict[str, Any]:
    text = resources.files("checker").joinpath("schemas/waivers.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


# --- loading ------------------------------------------------------------------------------------


def load_waivers(path: Path | str, packs: Sequence[RulePack]) -> list[Waiver]:
    """Read and check a waivers file against the loaded packs; raise FileErrors listing every problem."""
    loaded = load_checked_yaml(path, WAIVERS_FILE, "a waivers file is a mapping with a 'waivers' list, e.g.\n"
                               "waivers:\n  - rule: vc-needs-assessment\n    cases: [LC-2022-000123]\n    reason: ...",
                               waivers_schema())
    data, locations, errors = loaded.data, loaded.locations, loaded.schema_errors
    problems = [SourceError(_location(error, locations), _wording(error)) for error in errors]
    # Waivers whose shape is right are checked further (rule id, date, selector), so one run lists every problem.
    misshapen = {error.absolute_path[1] for error in errors if len(error.absolute_path) >= 2}
    if any(len(error.absolute_path) < 2 for error in errors):
        raise FileErrors(WAIVERS_FILE, problems)  # the file's own shape is wrong: there are no waivers to check
    packs_by_rule = {rule.id: pack for pack in packs for rule in pack.rules}
    waivers: list[Waiver] = []
    for index, spec in enumerate(data["waivers"]):
        if index in misshapen:
            continue
        waiver, found_problems = _build(spec, index, locations, packs_by_rule)
        problems += found_problems
        if waiver is not None:
            waivers.append(waiver)
    if problems:
        raise FileErrors(WAIVERS_FILE, sorted(problems, key=lambda problem: (problem.location.line, problem.location.column)))
    return waivers


def _build(spec: dict[str, Any], index: int, locations: Locations,
           packs_by_rule: dict[str, RulePack]) -> tuple[Waiver | None, list[SourceError]]:
    """One waiver, or what is wrong with it beyond its shape: the rule id, the date, the selector."""
    at = ("waivers", index)
    problems: list[SourceError] = []
    rule_id = spec["rule"]
    pack = packs_by_rule.get(rule_id)
    if pack is None:
        problems.append(SourceError(locations.at(at + ("rule",)),
                                    f"{dotted(at + ('rule',))}: unknown rule id {rule_id!r}"
                                    f"{suggestion(rule_id, packs_by_rule)}: a waiver names a rule of the loaded packs"))
    try:
        expires = parse_date(spec["expires"])
    except TimestampError as exc:
        problems.append(SourceError(locations.at(at + ("expires",)), f"{dotted(at + ('expires',))}: {exc}"))
    where = None
    if "where" in spec:
        where = Expression(spec["where"], locations.at(at + ("where",)), locations.scalar_at(at + ("where",)))
        if pack is not None:  # the selector is checked in the scope of the rule's pack
            problems += check_expression(where, pack, what=dotted(at + ("where",)))
    if problems or pack is None:
        return None, problems
    cases = tuple(spec["cases"]) if "cases" in spec else None
    return Waiver(rule_id=rule_id, cases=cases, where=where, reason=spec["reason"].strip(),
                  approved_by=spec["approved_by"].strip(), expires=expires, pack=pack.name,
                  location=locations.at(at)), []


def _location(error: Any, locations: Locations) -> Location:
    if error.validator == "oneOf" and isinstance(error.instance, dict) and {"cases", "where"} <= set(error.instance):
        return locations.key_at(tuple(error.absolute_path) + ("where",))
    return error_location(error, locations)


def _wording(error: Any) -> str:
    """Schema errors about a waiver, in an auditor's words, prefixed by where they are."""
    path = error_path(error)
    where = f"{dotted(path)}: " if path else ""
    last = path[-1] if path else None
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        if {"cases", "where"} <= set(error.instance):
            return f"{where}give either 'cases' (a list of case ids) or 'where' (a CEL selector), not both"
        return f"{where}missing 'cases' or 'where': name the files by a list of case ids or by a CEL selector"
    if last == "reason":
        if error.validator == "required":
            return (f"{dotted(path[:-1])}: no 'reason': a waiver is refused without the documented reason "
                    "why the rule does not apply to these files")
        return f"{where}found {found(error.instance)}, expected the documented reason why the rule does not apply"
    if last == "approved_by" and error.validator != "required":
        return f"{where}found {found(error.instance)}, expected who approved the waiver, e.g. 'DI A. Example'"
    if last == "expires" and error.validator != "required":
        return f"{where}found {found(error.instance)}, expected a date YYYY-MM-DD, e.g. 2023-03-31"
    if last == "cases" and error.validator == "uniqueItems":
        return f"{where}a case id is listed more than once"
    return f"{where}{describe(error)}"


# --- applying -----------------------------------------------------------------------------------


def waive(result: RuleResult, waiver: Waiver) -> RuleResult:
    """`result` waived: status `waived`, the status it had kept, the waiver's reason and approver in the message."""
    message = f"waived (was {result.status}): {waiver.note()}"
    if result.message:
        message += f"; before the waiver: {result.message}"
    return result._replace(status=WAIVED, waived_from=result.status, message=message)


# What a waiver did to one result (WaiverEvent.kind).
DID_WAIVE, WOULD_HAVE_WAIVED, SELECTOR_ERROR = "waived", "would_have_waived", "selector_error"


@dataclass(frozen=True)
class WaiverEvent:
    """One thing a waiver did to one result of a record: plain data, sent back from worker processes."""

    waiver: int  # position of the waiver in the file
    kind: str  # DID_WAIVE, WOULD_HAVE_WAIVED or SELECTOR_ERROR
    detail: str  # the status waived, or why the selector could not be evaluated


@dataclass
class WaiverUse:
    """What one waiver did in a run."""

    waiver: Waiver
    expired: bool
    selector: CompiledExpression | None
    waived_from: dict[str, int] = field(default_factory=lambda: {status: 0 for status in WAIVABLE})
    would_have_waived: int = 0  # an expired waiver: results it would have waived
    selector_errors: int = 0  # records the selector could not be evaluated on (they are not waived)
    first_selector_error: tuple[str, str] | None = None  # (case id, reason)

    @property
    def waived(self) -> int:
        return sum(self.waived_from.values())

    @property
    def state(self) -> str:
        return EXPIRED if self.expired else (APPLIED if self.waived else UNUSED)

    def matches(self, record: CaseRecord, context: Any) -> bool | str:
        """Whether the waiver covers the record, or why its selector could not be evaluated on it."""
        if self.waiver.cases is not None:
            return record.case_id in self.waiver.cases
        assert self.selector is not None
        try:
            value = self.selector.run(context)
        except EvaluationError as exc:
            return str(exc)
        if not isinstance(value, bool):
            return f"the selector gave {value!r}, expected true or false"
        return value

    def summary(self, scored: set[str]) -> dict[str, Any]:
        waiver = self.waiver
        return {
            "rule_id": waiver.rule_id, "cases": list(waiver.cases) if waiver.cases is not None else None,
            "where": waiver.where.text if waiver.where else None, "reason": waiver.reason,
            "approved_by": waiver.approved_by, "expires": waiver.expires.isoformat(), "location": str(waiver.location),
            "state": self.state, "waived": self.waived, "waived_from": dict(self.waived_from),
            "would_have_waived": self.would_have_waived, "cases_not_scored": self.cases_not_scored(scored),
            "selector_errors": self.selector_errors,
        }

    def cases_not_scored(self, scored: set[str]) -> list[str]:
        return [case_id for case_id in self.waiver.cases or () if case_id not in scored]

    def warnings(self, scored: set[str], as_of: date) -> list[str]:
        label = self.waiver.label
        if self.expired:
            would = f"; it would have waived {self.would_have_waived} result(s)" if self.would_have_waived else ""
            return [f"{label} expired on {self.waiver.expires.isoformat()}, before the as-of date "
                    f"{as_of.isoformat()}: not applied{would}"]
        found: list[str] = []
        missing = self.cases_not_scored(scored)
        missing_text = f"case id(s) not among the scored records: {', '.join(missing)}" if missing else ""
        if not self.waived:
            found.append(f"{label} waived nothing: no file it covers had an applicable result"
                         + (f"; {missing_text}" if missing_text else ""))
        elif missing_text:
            found.append(f"{label}: {missing_text}")
        if self.first_selector_error is not None:
            case_id, reason = self.first_selector_error
            found.append(f"{label}: its 'where' could not be evaluated on {self.selector_errors} record(s), "
                         f"which were not waived (first: {case_id}: {reason})")
        return found


class WaiverApplier:
    """Applies a run's waivers to each record's results, and keeps the tally for the report."""

    def __init__(self, waivers: Iterable[Waiver], packs: Sequence[RulePack], evaluator: Evaluator,
                 as_of: date) -> None:
        packs_by_name = {pack.name: pack for pack in packs}
        self.as_of = as_of
        self.uses: list[WaiverUse] = []
        for waiver in waivers:
            pack = packs_by_name[waiver.pack]
            selector = evaluator.compile_in_pack(waiver.where, pack) if waiver.where else None
            self.uses.append(WaiverUse(waiver, expired=waiver.expires < as_of, selector=selector))
        self.scored: set[str] = set()

    def apply(self, record: CaseRecord, results: tuple[RuleResult, ...],
              context: Any) -> tuple[tuple[RuleResult, ...], tuple[WaiverEvent, ...]]:
        """The record's results with every matching waiver applied (see the module docstring), and what
        each waiver did. Counting is left to `record`, so that worker processes can apply waivers and the
        main process keeps the tally."""
        applied: list[RuleResult] = []
        events: list[WaiverEvent] = []
        for result in results:
            for number, use in enumerate(self.uses):
                if use.waiver.rule_id != result.rule_id or result.status not in WAIVABLE:
                    continue
                covered = use.matches(record, context)
                if isinstance(covered, str):
                    events.append(WaiverEvent(number, SELECTOR_ERROR, covered))
                    continue
                if not covered:
                    continue
                if use.expired:
                    events.append(WaiverEvent(number, WOULD_HAVE_WAIVED, result.status))
                    continue
                events.append(WaiverEvent(number, DID_WAIVE, result.status))
                result = waive(result, use.waiver)
            applied.append(result)
        return tuple(applied), tuple(events)

    def record(self, case_id: str, events: Iterable[WaiverEvent]) -> None:
        """Count what the waivers did to one scored record's results."""
        self.scored.add(case_id)
        for event in events:
            use = self.uses[event.waiver]
            if event.kind == DID_WAIVE:
                use.waived_from[event.detail] += 1
            elif event.kind == WOULD_HAVE_WAIVED:
                use.would_have_waived += 1
            else:
                use.selector_errors += 1
                if use.first_selector_error is None:
                    use.first_selector_error = (case_id, event.detail)

    def summary(self) -> list[dict[str, Any]]:
        return [use.summary(self.scored) for use in self.uses]

    def warnings(self) -> list[str]:
        return [line for use in self.uses for line in use.warnings(self.scored, self.as_of)]
