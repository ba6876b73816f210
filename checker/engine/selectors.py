"""Selectors and groupings: CEL over one record, outside any rule.

A selector (`check sample --where`) is checked as `check validate` checks a rule's expression (functions,
field paths, literal types and values, `size()`), must give true or false, and runs with the run's date
helpers. Evaluating it on a record gives True, False, or raises `EvaluationError` saying why (with a hint
when a field read is not recorded), so the caller can list the records it could not judge.

A grouping (`check CASES --by EXPR`) is checked the same way and gives each record the group it is
counted in: its value as text (a path such as `search.person.self_defined_ethnicity`, or an expression
such as `search.person.self_defined_ethnicity == "white" ? "White" : "Ethnic minority"`), NOT_RECORDED
for null, and NOT_EVALUATED when it cannot be evaluated on the record.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.cel.analysis import analyse
from checker.engine.evaluate import CompiledExpression, EvaluationError, cel_functions, new_context, null_hint
from checker.errors import Location
from checker.inputs.records import CaseRecord
from checker.inputs.recordmodel import RecordModel, record_model, value_at
from checker.packs.environment import record_environment
from checker.packs.expressions import ExpressionError, case_paths, compile_expression, parse_expression
from checker.packs.rules import Expression
from checker.settings import RunSettings


class SelectorError(ValueError):
    """The selector's text is not a usable condition; the message names the column."""


@dataclass(frozen=True)
class Selector:
    expression: CompiledExpression
    settings: RunSettings
    variable: str = "case"  # the name the record is read by

    def selects(self, record: CaseRecord) -> bool:
        """Whether the record meets the condition; EvaluationError (with a null hint) when it cannot say."""
        try:
            value = self.expression.run(new_context(record, cel_functions(self.settings), variable=self.variable))
        except EvaluationError as exc:
            raise EvaluationError(null_hint(self.expression.paths, record) or str(exc)) from None
        if not isinstance(value, bool):
            raise EvaluationError(f"the expression gave {value!r}, expected true or false")
        return value


def compile_selector(text: str, settings: RunSettings, name: str = "--where", model: RecordModel | None = None
                     ) -> Selector:
    """The selector for `text` over records of `model` (default: case files); SelectorError naming the column
    of the first problem found."""
    model = model or record_model()
    expression = _compiled(text, name, model, ("bool", "dyn"), "a filter gives true or false")
    return Selector(expression, settings, model.kind.variable)


NOT_RECORDED = "(not recorded)"
NOT_EVALUATED = "(could not be evaluated)"
_GROUP_KINDS = ("string", "int", "double", "number", "bool", "dyn", "null")


@dataclass(frozen=True)
class Grouping:
    """What `--by` counts records by: the text of a CEL expression's value on each record."""

    text: str
    expression: CompiledExpression
    settings: RunSettings
    variable: str = "case"

    def group_of(self, record: CaseRecord) -> str:
        try:
            value = self.expression.run(new_context(record, cel_functions(self.settings), variable=self.variable))
        except EvaluationError:
            # A field path whose object is not recorded (`case.outcome.code` on an open file): not recorded.
            if self.text.strip() == f"{self.variable}.{'.'.join(self.expression.paths)}" and \
                    value_at(record.normalised, self.expression.paths[0]) is None:
                return NOT_RECORDED
            return NOT_EVALUATED
        if value is None:
            return NOT_RECORDED
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


def compile_grouping(text: str, settings: RunSettings, model: RecordModel | None = None) -> Grouping:
    """The grouping for `text` over records of `model` (default: case files); SelectorError naming the column
    of the first problem found, or saying that a list or a map cannot be a group."""
    model = model or record_model()
    expression = _compiled(text, "--by", model, _GROUP_KINDS, "a group is one value: text, a number or true/false")
    return Grouping(text, expression, settings, model.kind.variable)


def _compiled(text: str, name: str, model: RecordModel, kinds: tuple[str, ...], wanted: str) -> CompiledExpression:
    variable = model.kind.variable
    try:
        tree = parse_expression(text)
        analysis = analyse(tree, record_environment(model))
        if analysis.errors:
            first = analysis.errors[0]
            raise SelectorError(f"{name} (column {_column(text, first.offset)}): {first.message}")
        if analysis.type.kind not in kinds:
            kind = str(analysis.type)
            raise SelectorError(f"{name} gives {'an' if kind[0] in 'aeiou' else 'a'} {kind}; {wanted}")
        program = compile_expression(text)
    except ExpressionError as exc:
        raise SelectorError(f"{name} {text!r}: expression {exc}") from None
    return CompiledExpression(Expression(text, Location(name, 1, 1)), tree, program,
                              tuple(case_paths(tree, variable)), root=variable)


def _column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{column}" if line == 1 else f"line {line}, column {column}"
