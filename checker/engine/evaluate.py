"""Evaluating rules on case records.

Each rule is compiled once per run (`Evaluator`); each record gets one CEL
context (the record bound as `case`, plus the date helpers) on which every rule
runs. Expressions run on the fast engine (`checker.cel`, with a plain dict as
the context) unless the Evaluator is built with engine="reference" (the `cel`
binding and a `binding.Context`), which the differential tests use. A rule's outcome
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

Speed: every record runs every rule, so the common outcomes build nothing. Each
compiled rule has one `decide` closure (applies_when, then the clauses, calling
the compiled programs directly) that returns an `Outcome`, mostly a shared
constant. A result that carries nothing per record (not applicable; a pass when
passes show no evidence) is one object per rule, shared by every record. Only
fails, errors and manual rules go on to the explanation code, which re-reads the
record; evidence is read by a per-rule closure made once (`evidence_reader`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from checker import cel
from checker.inputs.recordmodel import RecordModel, display_value, record_model, value_at
from checker.inputs.recordtypes import DEFAULT_RECORD_TYPE, record_type
from checker.inputs.records import CaseRecord
from checker.cel.reference import binding
from checker.cel.syntax import Access, Chain, Group, Ident, Literal, Node, literal_text
from checker.packs.expressions import FAST, REFERENCE, PackScope, Program, compile_scope
from checker.engine.judgements import Judgement
from checker.results import ERROR, FAIL, MANUAL, NOT_APPLICABLE, PASS, Evidence, RuleResult, new_evidence
from checker.packs.rules import Clause, Expression, Rule, RulePack
from checker.inputs.timestamps import is_date_only
from checker.engine.workdays import start_of_local_day

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
    """The helpers rules may call (`checker.packs.environment.HELPERS` gives `check validate` their types); the
    date helpers are bound to the run's calendar and zone, `as_of()` to the run's reference date."""
    calendar = settings.working_days
    reference = (None if settings.rules_as_of is None
                 else start_of_local_day(settings.rules_as_of, settings.timezone))
    return {
        "hours_between": calendar.hours_between,
        "working_days_between": calendar.working_days_between,
        "longest_gap_days": calendar.longest_gap_days,
        "longest_gap_local_days": calendar.longest_gap_local_days,
        "local_date": calendar.local_date,
        "local_date_plus_months": calendar.local_date_plus_months,
        "latest": calendar.latest,
        "as_of": lambda: reference,
        "code_number": code_number,
    }


class EvaluationError(Exception):
    """An expression could not be evaluated on one record."""


def new_context(record: CaseRecord, functions: dict[str, Callable[..., Any]], engine: str = FAST,
                variable: str = "case") -> Any:
    """What every expression runs on for one record: the record as `variable` (its record type's: `case`,
    `search`, `call`) plus the helpers.

    A plain dict for the fast engine (nothing is converted); a binding.Context for the reference binding."""
    if engine == REFERENCE:
        return binding.Context({variable: record.normalised}, functions)
    return cel.make_activation({variable: record.normalised}, functions)


@dataclass(frozen=True)
class CompiledExpression:
    source: Expression
    tree: Node  # its syntax tree, as written (pack variables and settings by name)
    program: Program  # a cel.Program, or a binding.Program with engine="reference"
    paths: tuple[str, ...]  # case paths it reads, with those of the pack variables it reads
    settings: Mapping[str, Any] = field(default_factory=dict)  # the run's values of the pack's settings
    root: str = "case"  # the name the record is read by (its record type's variable)

    @cached_property
    def simple_comparison(self) -> tuple[str, str] | None:
        """(path, what was expected) when the expression is `case.path <op> literal` (see `explain_clause`).
        Worked out once: a rule's clauses explain themselves on every record they fail."""
        return simple_comparison(self.tree, self.settings, self.root)

    @cached_property
    def summary(self) -> str:
        """The expression in one line, for an explanation."""
        return _summary(self.source.text)

    def run(self, context: Any) -> Any:
        """Evaluate on a context from `new_context` (made for the same engine)."""
        try:
            return self.program.execute(context)
        except Exception as exc:  # checker.cel raises CelError (NoSuchKeyError is a KeyError); the binding
            # raises KeyError, TypeError, ValueError, RuntimeError
            raise EvaluationError(_error_reason(exc)) from None


# What `CompiledRule.decide` gives: the status and, for a fail or error, the clause that decided it.
APPLIES_WHEN = -1  # Outcome.clause when `applies_when` could not be evaluated


class Outcome(NamedTuple):
    """What a rule's expressions decided on one record, before any result is built.

    Most outcomes are shared constants (not applicable, pass), so deciding costs no allocation;
    only fails, errors and manual rules go on to the explanation code."""

    status: str  # PASS, FAIL, NOT_APPLICABLE, ERROR, or MANUAL: a manual rule that applies (judgements decide)
    clause: int | None = None  # index of the deciding clause, APPLIES_WHEN, or None: every clause (`any` failed)
    reason: str = ""  # why an expression could not be evaluated (errors only)


NOT_APPLICABLE_OUTCOME = Outcome(NOT_APPLICABLE)
PASS_OUTCOME = Outcome(PASS)
JUDGED_OUTCOME = Outcome(MANUAL)
EVERY_CLAUSE_FAILED = Outcome(FAIL)

Decide = Callable[[Any], Outcome]
ReadEvidence = Callable[[CaseRecord, Any], tuple[Evidence, ...]]


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    applies_when: CompiledExpression | None
    clauses: tuple[tuple[Clause, CompiledExpression], ...]
    evidence: tuple[tuple[str, str | None, CompiledExpression | None], ...]  # label, path, expression

    @cached_property
    def decide(self) -> Decide:
        """`decide(context) -> Outcome`: applies_when, then the clauses, as one closure (see `decider`)."""
        return decider(self)

    @cached_property
    def read_evidence(self) -> ReadEvidence:
        """`read_evidence(record, context)`: the rule's evidence items (see `evidence_reader`)."""
        return evidence_reader(self.evidence)

    @cached_property
    def not_applicable(self) -> RuleResult:
        """The rule's not_applicable result: it carries nothing per record, so every record shares it."""
        return RuleResult(self.rule.id, NOT_APPLICABLE)

    @cached_property
    def bare_pass(self) -> RuleResult:
        """The rule's pass without evidence (`--evidence findings`), shared like `not_applicable`."""
        return RuleResult(self.rule.id, PASS)


# A step of `_until_false`: the program, the outcome when it gives false, where it is (for errors).
Step = tuple[Callable[[Any], Any], Outcome, int]


def decider(compiled: CompiledRule) -> Decide:
    """The closure that decides a rule's status on a context, building nothing on the common paths.

    It runs each program directly (no `CompiledExpression.run` wrapper) and turns an exception or
    a non-boolean value into an ERROR outcome, as `_error` then explains. `applies_when` runs first:
    false makes the rule not applicable. Clauses run in order: with `all` the first false clause
    fails the rule (an error there is the rule's error); with `any` the first true clause passes it,
    and errors count only if no clause is true. A manual rule that applies is left to judgements."""
    gate: tuple[Step, ...] = ()
    if compiled.applies_when is not None:
        gate = ((compiled.applies_when.program.execute, NOT_APPLICABLE_OUTCOME, APPLIES_WHEN),)
    runs = tuple(expression.program.execute for _, expression in compiled.clauses)
    if compiled.rule.kind == "manual":
        return _until_false(gate, JUDGED_OUTCOME)
    if compiled.rule.combine == "all":
        return _until_false(gate + tuple((run, Outcome(FAIL, index), index) for index, run in enumerate(runs)),
                            PASS_OUTCOME)
    any_clause_holds = _any_clause_holds(runs)
    if not gate:
        return any_clause_holds
    applies = _until_false(gate, PASS_OUTCOME)

    def decide(context: Any) -> Outcome:
        outcome = applies(context)
        return any_clause_holds(context) if outcome is PASS_OUTCOME else outcome

    return decide


def _until_false(steps: tuple[Step, ...], settled: Outcome) -> Decide:
    """Runs the steps in order (applies_when, then the clauses of an `all`): the first that gives false
    decides with its outcome, the first that fails or gives a non-boolean is an error; else `settled`.
    One loop for applies_when and the clauses, so a rule costs one call however many clauses it has."""
    def until_false(context: Any) -> Outcome:
        for run, if_false, where in steps:
            try:
                value = run(context)
            except Exception as exc:  # checker.cel raises CelError (KeyError for a missing key); the binding others
                return _raised(where, exc)
            if value is not True:
                return if_false if value is False else _not_boolean(where, value)
        return settled

    return until_false


def _any_clause_holds(runs: tuple[Callable[[Any], Any], ...]) -> Decide:
    """`any`: pass at the first true clause; otherwise the first error, or a fail naming every clause."""
    def any_clause_holds(context: Any) -> Outcome:
        error: Outcome | None = None
        for index, run in enumerate(runs):
            try:
                value = run(context)
            except Exception as exc:
                error = error or _raised(index, exc)
                continue
            if value is True:
                return PASS_OUTCOME
            if value is not False:
                error = error or _not_boolean(index, value)
        return error or EVERY_CLAUSE_FAILED

    return any_clause_holds


def _raised(clause: int | None, exc: Exception) -> Outcome:
    return Outcome(ERROR, clause, _error_reason(exc))


def _not_boolean(clause: int | None, value: Any) -> Outcome:
    return Outcome(ERROR, clause, f"the expression gave {display_value(value)!r}, expected true or false")


# Types whose values are already JSON-friendly as CEL gives them (display_value would return them as they are).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def evidence_reader(items: tuple[tuple[str, str | None, CompiledExpression | None], ...]) -> ReadEvidence:
    """The closure that reads a rule's evidence on one record: fields as written in the file, computed
    values shown (a computed value that cannot be evaluated is null, e.g. a deadline with one date missing).

    Runs for every result that shows evidence (with `--evidence all`, every pass too), so each item's
    reader is chosen once here: paths are split once and read from the raw record, which is already JSON."""
    readers = tuple((label, _path_reader(path) if path is not None else _computed_reader(expression))
                    for label, path, expression in items)
    if not readers:
        return lambda record, context: ()

    def read_evidence(record: CaseRecord, context: Any) -> tuple[Evidence, ...]:
        raw = record.raw
        return tuple(map(new_evidence, [(label, read(raw, context)) for label, read in readers]))

    return read_evidence


def _path_reader(path: str) -> Callable[[dict[str, Any], Any], Any]:
    """Reads a dotted path from the raw record: null when a step is missing or not an object."""
    keys = tuple(path.split("."))
    if len(keys) == 2:  # the common depths get a reader without a loop
        first, second = keys

        def read_two(raw: dict[str, Any], context: Any) -> Any:
            value = raw.get(first)
            return value.get(second) if type(value) is dict else None
        return read_two
    if len(keys) == 3:
        first, second, third = keys

        def read_three(raw: dict[str, Any], context: Any) -> Any:
            value = raw.get(first)
            value = value.get(second) if type(value) is dict else None
            return value.get(third) if type(value) is dict else None
        return read_three

    def read(raw: dict[str, Any], context: Any) -> Any:
        value: Any = raw
        for key in keys:
            value = value.get(key) if type(value) is dict else None
        return value
    return read


def _computed_reader(expression: CompiledExpression | None) -> Callable[[dict[str, Any], Any], Any]:
    """Evaluates a computed evidence item on the context; null when it cannot be evaluated."""
    assert expression is not None
    run = expression.program.execute

    def computed(raw: dict[str, Any], context: Any) -> Any:
        try:
            value = run(context)
        except Exception:
            return None
        return value if type(value) in _PLAIN_TYPES else display_value(value)
    return computed


def pack_scope(pack: RulePack, pack_settings: dict[str, Any], engine: str = FAST) -> PackScope:
    """The pack's variables compiled once, with the run's values of its settings (see packs.expressions)."""
    return compile_scope(pack_settings, {name: variable.text for name, variable in pack.variables.items()}, engine,
                         root=record_type(pack.record_type).variable)


def compile_in_scope(expression: Expression, scope: PackScope) -> CompiledExpression:
    """Compile an expression (a rule's, a waiver selector) in a pack's scope."""
    tree, program = scope.compile(expression.text)
    return CompiledExpression(expression, tree, program, scope.case_paths(tree), scope.settings, scope.root)


def compile_rule(rule: Rule, scope: PackScope) -> CompiledRule:
    def build(expression: Expression) -> CompiledExpression:
        return compile_in_scope(expression, scope)

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
                 judgements: Mapping[tuple[str, str], Judgement] | None = None, engine: str = FAST,
                 model: RecordModel | None = None) -> None:
        """`engine`: "fast" (checker.cel) or "reference" (the cel binding, for differential tests).

        Every pack must be for the records of `model` (default: the packs' type; `checker.packs.rules.packs_for`
        picks them for an input)."""
        kinds = {pack.record_type for pack in packs} | ({model.kind.name} if model is not None else set())
        if len(kinds) > 1:
            raise ValueError(f"packs for different record types cannot run together: {', '.join(sorted(kinds))}")
        self.model: RecordModel = model or record_model(kinds.pop() if kinds else DEFAULT_RECORD_TYPE)
        self.variable = self.model.kind.variable
        self.settings = settings
        self.engine = engine
        self.evidence_on_passes = settings.evidence == "all"
        self.judgements = judgements or {}  # (case id, rule id) → answer given outside the case file
        self.functions = cel_functions(settings)
        self.scopes: dict[str, PackScope] = {pack.name: pack_scope(pack, self.pack_settings(pack), engine)
                                             for pack in packs}
        self.rules: list[CompiledRule] = [
            compile_rule(rule, self.scopes[pack.name]) for pack in packs for rule in pack.rules
        ]

    def pack_settings(self, pack: RulePack) -> dict[str, Any]:
        """The run's values of the pack's settings (defaults with the user's overrides)."""
        return self.settings.packs.get(pack.name, pack.default_settings())

    def compile_in_pack(self, expression: Expression, pack: RulePack) -> CompiledExpression:
        """An expression (a waiver's selector) compiled in the scope of one of the run's packs."""
        return compile_in_scope(expression, self.scopes[pack.name])

    def context(self, record: CaseRecord) -> Any:
        """The record bound as its type's variable (`case`…), with the date helpers: one per record, shared by
        rules and waivers."""
        return new_context(record, self.functions, self.engine, self.variable)

    def evaluate(self, record: CaseRecord, context: Any = None) -> tuple[RuleResult, ...]:
        """Every rule's result on the record, in the packs' order.

        The loop is written out because it runs for every rule of every record: a rule that does not
        apply (most, on most records) costs its `decide` call and nothing else."""
        if context is None:
            context = self.context(record)
        results: list[RuleResult] = []
        append = results.append
        for compiled in self.rules:
            outcome = compiled.decide(context)
            if outcome is NOT_APPLICABLE_OUTCOME:
                append(compiled.not_applicable)
            else:
                append(self.result(compiled, outcome, record, context))
        return tuple(results)

    def result(self, compiled: CompiledRule, outcome: Outcome, record: CaseRecord, context: Any) -> RuleResult:
        """What the result shows for the rule's outcome on the record.

        Not applicable, and pass without evidence, are shared results (they carry nothing per record);
        fails, errors and manual rules are explained."""
        status = outcome.status
        if status == NOT_APPLICABLE:
            return compiled.not_applicable
        if status == PASS:
            if not self.evidence_on_passes:
                return compiled.bare_pass
            return RuleResult(compiled.rule.id, PASS, "", compiled.read_evidence(record, context))
        if status == FAIL:
            clauses = compiled.clauses if outcome.clause is None else compiled.clauses[outcome.clause:outcome.clause + 1]
            return self._fail(compiled, record, context, clauses)
        if status == ERROR:
            return self._error(compiled, record, context, outcome)
        return self._judgement(compiled, record, context)

    def _judgement(self, compiled: CompiledRule, record: CaseRecord, context: Any) -> RuleResult:
        rule = compiled.rule
        judgements = value_at(record.normalised, "audit.judgements") or {}
        answer = judgements.get(rule.id)
        evidence = compiled.read_evidence(record, context)
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
              clauses: tuple[tuple[Clause, CompiledExpression], ...]) -> RuleResult:
        explanation = tuple(line for clause, expression in clauses
                            for line in explain_clause(clause, expression, record))
        names = ", ".join(clause.name for clause, _ in clauses)
        message = f"{compiled.rule.message} [{'; '.join(explanation)}]" if explanation else compiled.rule.message
        return RuleResult(compiled.rule.id, FAIL, message=message, evidence=compiled.read_evidence(record, context),
                          clause=names, explanation=explanation)

    def _error(self, compiled: CompiledRule, record: CaseRecord, context: Any, outcome: Outcome) -> RuleResult:
        """Which expression could not be evaluated, why (naming the field not recorded, when one is), and what it read."""
        if outcome.clause == APPLIES_WHEN:
            where, expression = "applies_when", compiled.applies_when
        else:
            assert outcome.clause is not None  # an error always names the expression that failed
            clause, expression = compiled.clauses[outcome.clause]
            where = clause.name
        assert expression is not None
        reason = null_hint(expression.paths, record) or outcome.reason
        explanation = tuple(read_values(expression.paths, record))
        message = f"could not evaluate {where!r}: {reason}"
        return RuleResult(compiled.rule.id, ERROR, message=message, evidence=compiled.read_evidence(record, context),
                          clause=where, explanation=explanation)


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


def explain_clause(clause: Clause, expression: CompiledExpression, record: CaseRecord) -> list[str]:
    """The values a failed clause read, with what was expected where the clause says it simply."""
    simple = expression.simple_comparison
    if simple is not None:
        path, expected = simple
        (line,) = read_values((path,), record)
        return [f"{line} ({expected})"]
    values = read_values(expression.paths, record)
    label = f"{clause.name}: " if clause.name != "assert" else ""
    return [f"{label}{'; '.join(values) if values else 'false'} ({expression.summary})"]


_COMPARISON_OPERATORS = frozenset({"==", "!=", "<=", ">=", "<", ">"})


def simple_comparison(tree: Node, settings: Mapping[str, Any] | None = None, root: str = "case"
                      ) -> tuple[str, str] | None:
    """(path, what was expected) when an expression is `case.path <op> literal` (`root`: the record's name) (a setting counts as
    a literal: its value is shown), else None."""
    while isinstance(tree, Group):
        tree = tree.inner
    if not (isinstance(tree, Chain) and len(tree.rest) == 1 and tree.rest[0][0] in _COMPARISON_OPERATORS):
        return None
    (operator, right), left = tree.rest[0], tree.first
    path = _field_path(left, root)
    if path is None:
        return None
    if isinstance(right, Literal) and type(right.value) in (bool, int, float, str, type(None)):
        literal = literal_text(right.value)
    else:
        name = _field_path(right, "settings")
        if name is None or settings is None or name not in settings:
            return None
        literal = literal_text(settings[name])
    if operator == "==":
        return path, f"expected {literal}"
    if operator == "!=" and literal == "null":
        return path, "expected a recorded value"
    return path, f"expected {operator} {literal}"


def _field_path(node: Node, root: str) -> str | None:
    """`a.b` when `node` is `root.a.b` (fields only), else None."""
    if (isinstance(node, Access) and isinstance(node.root, Ident) and node.root.name == root
            and all(kind == "field" for kind, _ in node.steps)):
        return ".".join(name for _, name in node.steps)
    return None


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
