"""Evaluating rules on case records.

Each rule is compiled once per run (`Evaluator`); each record gets one CEL
context (the record bound as `case`, plus the date helpers) on which every rule
runs. Expressions run on the fast engine (`checker.celfast`, with a plain dict as
the context) unless the Evaluator is built with engine="reference" (the `cel`
binding and a `cel.Context`), which the differential tests use. A rule's outcome
for a record is one of the statuses in `results`:

- `not_applicable` when `applies_when` is false;
- automatic rules: clauses run in order; with `all`, the first false clause
  fails the rule; with `any`, the first true clause passes it;
- manual rules: the reviewer's `audit.judgements[<rule id>]` ("yes" → pass,
  "no" → fail, "not_applicable"); failing that, a judgement given to the
  Evaluator (a filled review workbook); and `manual` (pending) when there is none;
- `error` when an expression cannot be evaluated on the record (a missing key,
  a field read through null, a type mismatch, a non-boolean result): never a
  pass or a fail.

Fails and errors carry an explanation: which clause decided, and the values it
read, e.g. `victim.decision_record.signed_by_victim = false (expected true)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import cel

from checker import celfast
from checker.casemodel import display_value, value_at
from checker.cases import CaseRecord
from checker.expressions import FAST, REFERENCE, Program, case_paths, compile_expression, expand
from checker.judgements import Judgement
from checker.results import ERROR, FAIL, MANUAL, NOT_APPLICABLE, PASS, Evidence, RuleResult
from checker.rules import Clause, Expression, Rule, RulePack
from checker.timestamps import is_date_only

if TYPE_CHECKING:  # annotations only: checker.settings loads the interval methods (scipy, statsmodels)
    from checker.settings import RunSettings

JUDGEMENT_STATUS = {"yes": PASS, "no": FAIL, "not_applicable": NOT_APPLICABLE}


def code_number(code: str | None) -> int | None:
    """The number of a Home Office code without its letter suffix: "3A" → 3, "16" → 16; null if none."""
    if code is None:
        return None
    digits = code[: len(code) - len(code.lstrip("0123456789"))]
    return int(digits) if digits else None


def cel_functions(settings: RunSettings) -> dict[str, Callable[..., Any]]:
    """The helpers rules may call; the date helpers are bound to the run's calendar and zone."""
    calendar = settings.working_days
    return {
        "hours_between": calendar.hours_between,
        "working_days_between": calendar.working_days_between,
        "longest_gap_days": calendar.longest_gap_days,
        "code_number": code_number,
    }


class EvaluationError(Exception):
    """An expression could not be evaluated on one record."""


def new_context(record: CaseRecord, functions: dict[str, Callable[..., Any]], engine: str = FAST) -> Any:
    """What every expression runs on for one record: the record as `case` plus the helpers.

    A plain dict for the fast engine (nothing is converted); a cel.Context for the reference binding."""
    if engine == REFERENCE:
        return cel.Context({"case": record.normalised}, functions)
    return celfast.make_activation({"case": record.normalised}, functions)


@dataclass(frozen=True)
class CompiledExpression:
    source: Expression
    expanded: str
    program: Program  # a celfast.Program, or a cel.Program with engine="reference"
    paths: tuple[str, ...]  # case paths it reads

    def run(self, context: Any) -> Any:
        """Evaluate on a context from `new_context` (made for the same engine)."""
        try:
            return self.program.execute(context)
        except Exception as exc:  # celfast raises CelError (NoSuchKeyError is a KeyError); the binding
            # raises KeyError, TypeError, ValueError, RuntimeError
            raise EvaluationError(_error_reason(exc)) from None


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    applies_when: CompiledExpression | None
    clauses: tuple[tuple[Clause, CompiledExpression], ...]
    evidence: tuple[tuple[str, str | None, CompiledExpression | None], ...]  # label, path, expression

    @cached_property
    def evidence_plan(self) -> tuple[tuple[str, tuple[str, ...] | None, Any], ...]:
        """(label, path split into keys, or None and the expression) for each evidence item."""
        return tuple((path, tuple(path.split(".")), None) if path is not None else (label, None, expression)
                     for label, path, expression in self.evidence)


def compile_in_pack(expression: Expression, pack: RulePack, pack_settings: dict[str, Any],
                    engine: str = FAST) -> CompiledExpression:
    """Compile an expression with the pack's settings and variables expanded (rules and waiver selectors)."""
    variables = {name: variable.text for name, variable in pack.variables.items()}
    text = expand(expression.text, pack_settings, variables)
    return CompiledExpression(expression, text, compile_expression(text, engine), tuple(case_paths(text)))


def compile_rule(rule: Rule, pack: RulePack, pack_settings: dict[str, Any], engine: str = FAST) -> CompiledRule:
    def build(expression: Expression) -> CompiledExpression:
        return compile_in_pack(expression, pack, pack_settings, engine)

    return CompiledRule(
        rule=rule,
        applies_when=build(rule.applies_when) if rule.applies_when else None,
        clauses=tuple((clause, build(clause.expression)) for clause in rule.clauses),
        evidence=tuple((item.label, item.path, build(item.expression) if item.expression else None)
                       for item in rule.evidence),
    )


class Evaluator:
    """Runs every rule of the loaded packs on one record at a time."""

    def __init__(self, packs: list[RulePack], settings: RunSettings,
                 judgements: Mapping[tuple[str, str], Judgement] | None = None, engine: str = FAST) -> None:
        """`engine`: "fast" (checker.celfast) or "reference" (the cel binding, for differential tests)."""
        self.settings = settings
        self.engine = engine
        self.evidence_on_passes = settings.evidence == "all"
        self.judgements = judgements or {}  # (case id, rule id) → answer given outside the case file
        self.functions = cel_functions(settings)
        self.rules: list[CompiledRule] = [
            compile_rule(rule, pack, self.pack_settings(pack), engine) for pack in packs for rule in pack.rules
        ]

    def pack_settings(self, pack: RulePack) -> dict[str, Any]:
        """The run's values of the pack's settings (defaults with the user's overrides)."""
        return self.settings.packs.get(pack.name, pack.default_settings())

    def context(self, record: CaseRecord) -> Any:
        """The record bound as `case`, with the date helpers: one per record, shared by rules and waivers."""
        return new_context(record, self.functions, self.engine)

    def evaluate(self, record: CaseRecord, context: Any = None) -> tuple[RuleResult, ...]:
        if context is None:
            context = self.context(record)
        return tuple(self.evaluate_rule(compiled, record, context) for compiled in self.rules)

    def evaluate_rule(self, compiled: CompiledRule, record: CaseRecord, context: Any) -> RuleResult:
        rule = compiled.rule
        if compiled.applies_when is not None:
            try:
                applies = _boolean(compiled.applies_when.run(context))
            except EvaluationError as exc:
                return self._error(compiled, record, context, "applies_when", compiled.applies_when, str(exc))
            if not applies:
                return RuleResult(rule.id, NOT_APPLICABLE)
        if rule.kind == "manual":
            return self._judgement(compiled, record, context)
        return self._assert(compiled, record, context)

    def _assert(self, compiled: CompiledRule, record: CaseRecord, context: Any) -> RuleResult:
        rule = compiled.rule
        wanted = rule.combine == "any"  # "any" stops at the first true clause, "all" at the first false
        errors: list[tuple[Clause, CompiledExpression, str]] = []
        for clause, expression in compiled.clauses:
            try:
                value = _boolean(expression.run(context))
            except EvaluationError as exc:
                if not wanted:
                    return self._error(compiled, record, context, clause.name, expression, str(exc))
                errors.append((clause, expression, str(exc)))
                continue
            if value is wanted:
                if wanted:
                    return self._pass(compiled, record, context)
                return self._fail(compiled, record, context, [(clause, expression)])
        if not wanted:
            return self._pass(compiled, record, context)
        if errors:
            clause, expression, reason = errors[0]
            return self._error(compiled, record, context, clause.name, expression, reason)
        return self._fail(compiled, record, context, list(compiled.clauses))

    def _pass(self, compiled: CompiledRule, record: CaseRecord, context: Any) -> RuleResult:
        evidence = self._evidence(compiled, record, context) if self.evidence_on_passes else ()
        return RuleResult(compiled.rule.id, PASS, evidence=evidence)

    def _judgement(self, compiled: CompiledRule, record: CaseRecord, context: Any) -> RuleResult:
        rule = compiled.rule
        judgements = value_at(record.normalised, "audit.judgements") or {}
        answer = judgements.get(rule.id)
        evidence = self._evidence(compiled, record, context)
        if answer is None:
            # The case file's own judgement comes first; a given one only fills a pending rule.
            given = self.judgements.get((record.case_id, rule.id))
            if given is not None:
                return self._given_judgement(compiled, given, evidence)
            return RuleResult(rule.id, MANUAL, message=f"awaiting a reviewer's judgement: {rule.question}",
                              evidence=evidence)
        status = JUDGEMENT_STATUS[answer]
        reviewer = value_at(record.normalised, "audit.reviewer") or "the reviewer"
        explanation = (f"audit.judgements.{rule.id} = {answer!r} (recorded by {reviewer})",)
        message = rule.message if status == FAIL else ""
        return RuleResult(rule.id, status, message=message, evidence=self._shown(status, evidence), clause="judgement",
                          explanation=explanation)

    def _given_judgement(self, compiled: CompiledRule, given: Judgement,
                         evidence: tuple[Evidence, ...]) -> RuleResult:
        status = JUDGEMENT_STATUS[given.answer]
        reviewer = f"recorded by {given.reviewer}" if given.reviewer else "no reviewer named"
        explanation = (f"{given.where} = {given.answer!r} (review workbook, {reviewer})",)
        if given.notes:
            explanation += (f"reviewer's notes: {given.notes}",)
        message = compiled.rule.message if status == FAIL else ""
        return RuleResult(compiled.rule.id, status, message=message, evidence=self._shown(status, evidence),
                          clause="judgement", explanation=explanation)

    def _shown(self, status: str, evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
        """A pass shows its evidence only when the run asks for evidence on every result."""
        return evidence if status != PASS or self.evidence_on_passes else ()

    def _fail(self, compiled: CompiledRule, record: CaseRecord, context: Any,
              clauses: list[tuple[Clause, CompiledExpression]]) -> RuleResult:
        explanation = tuple(line for clause, expression in clauses
                            for line in explain_clause(clause, expression, record))
        names = ", ".join(clause.name for clause, _ in clauses)
        message = f"{compiled.rule.message} [{'; '.join(explanation)}]" if explanation else compiled.rule.message
        return RuleResult(compiled.rule.id, FAIL, message=message, evidence=self._evidence(compiled, record, context),
                          clause=names, explanation=explanation)

    def _error(self, compiled: CompiledRule, record: CaseRecord, context: Any, where: str,
               expression: CompiledExpression, reason: str) -> RuleResult:
        reason = null_hint(expression.paths, record) or reason
        explanation = tuple(read_values(expression.paths, record))
        message = f"could not evaluate {where!r}: {reason}"
        return RuleResult(compiled.rule.id, ERROR, message=message, evidence=self._evidence(compiled, record, context),
                          clause=where, explanation=explanation)

    def _evidence(self, compiled: CompiledRule, record: CaseRecord, context: Any) -> tuple[Evidence, ...]:
        """The rule's evidence items for this record: fields as written in the file, computed values shown.

        Runs for every result, passes included, so it avoids re-splitting paths and converting values
        that are already JSON (the raw record's)."""
        items: list[Evidence] = []
        raw = record.raw
        for label, parts, expression in compiled.evidence_plan:
            if parts is not None:
                value: Any = raw
                for part in parts:
                    value = value.get(part) if type(value) is dict else None
                items.append(Evidence(label, value))
                continue
            try:
                items.append(Evidence(label, display_value(expression.run(context))))
            except EvaluationError:
                items.append(Evidence(label, None))  # e.g. a deadline with one date not recorded
        return tuple(items)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise EvaluationError(f"the expression gave {display_value(value)!r}, expected true or false")
    return value


def _error_reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no field {exc.args[0]!r} in the record"
    text = str(exc).split(". CEL does not coerce")[0]
    return text.strip() or type(exc).__name__


def null_hint(paths: tuple[str, ...], record: CaseRecord) -> str | None:
    """When an expression failed on a field that is not recorded, say which one."""
    for path in paths:
        parts = path.split(".")
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if value_at(record.normalised, prefix) is None:
                return f"{prefix} is not recorded (null), so {path} cannot be read"
    missing = [path for path in paths if value_at(record.normalised, path) is None]
    if missing:
        return f"{', '.join(missing)} not recorded (null), so the expression cannot be evaluated"
    return None


def read_values(paths: tuple[str, ...], record: CaseRecord) -> list[str]:
    """`path = value` for each path, noting a date given without a time."""
    lines = []
    for path in paths:
        raw = value_at(record.raw, path)
        text = _show(raw if raw is not None or value_at(record.normalised, path) is None
                     else display_value(value_at(record.normalised, path)))
        if isinstance(raw, str) and is_date_only(raw):
            text += " (date only: start of day assumed)"
        lines.append(f"{path} = {text}")
    return lines


_SIMPLE_COMPARISON = re.compile(
    r"^\s*case\.([A-Za-z0-9_.]+)\s*(==|!=|<=|>=|<|>)\s*(true|false|null|-?\d+(?:\.\d+)?|\"[^\"]*\"|'[^']*')\s*$"
)


def explain_clause(clause: Clause, expression: CompiledExpression, record: CaseRecord) -> list[str]:
    """The values a failed clause read, with what was expected where the clause says it simply."""
    match = _SIMPLE_COMPARISON.match(expression.expanded)
    if match:
        path, operator, literal = match.groups()
        (line,) = read_values((path,), record)
        if operator == "==":
            expected = f"expected {literal}"
        elif operator == "!=" and literal == "null":
            expected = "expected a recorded value"
        else:
            expected = f"expected {operator} {literal}"
        return [f"{line} ({expected})"]
    values = read_values(expression.paths, record)
    label = f"{clause.name}: " if clause.name != "assert" else ""
    return [f"{label}{'; '.join(values)} ({_summary(expression.source.text)})"] if values else [
        f"{label}false ({_summary(expression.source.text)})"]


def _summary(text: str) -> str:
    """An expression in one line, for an explanation."""
    text = " ".join(text.split())
    return f"expected {text}" if len(text) <= 160 else f"expected {text[:157]}..."


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return f"{len(value)} item(s)" if isinstance(value, list) else "{…}"
    return str(value)
