"""Selectors: a CEL condition over one case file, outside any rule (`check sample --where`).

A selector is checked as `check validate` checks a rule's expression (functions, case paths, literal types
and values, `size()`), must give true or false, and runs with the run's date helpers. Evaluating it on a
record gives True, False, or raises `EvaluationError` saying why (with a hint when a field read is not
recorded), so the caller can list the records it could not judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.cel.analysis import analyse
from checker.engine.evaluate import CompiledExpression, EvaluationError, cel_functions, new_context, null_hint
from checker.errors import Location
from checker.inputs.records import CaseRecord
from checker.inputs.recordmodel import RecordModel, record_model
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
    variable = model.kind.variable
    try:
        tree = parse_expression(text)
        analysis = analyse(tree, record_environment(model))
        if analysis.errors:
            first = analysis.errors[0]
            raise SelectorError(f"{name} (column {_column(text, first.offset)}): {first.message}")
        if analysis.type.kind not in ("bool", "dyn"):
            kind = str(analysis.type)
            raise SelectorError(f"{name} gives {'an' if kind[0] in 'aeiou' else 'a'} {kind}; "
                                "a filter gives true or false")
        program = compile_expression(text)
    except ExpressionError as exc:
        raise SelectorError(f"{name} {text!r}: expression {exc}") from None
    expression = CompiledExpression(Expression(text, Location(name, 1, 1)), tree, program,
                                    tuple(case_paths(tree, variable)), root=variable)
    return Selector(expression, settings, variable)


def _column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{column}" if line == 1 else f"line {line}, column {column}"
