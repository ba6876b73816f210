"""The compiled variables of a pack (`compile_scope` → `PackScope`): what other compilers of rules read."""

from __future__ import annotations

import pytest

from checker import cel
from checker.cel.reference import binding
from checker.cel.syntax import unparse
from checker.packs.expressions import (
    REFERENCE, ExpressionError, VariableError, compile_expression, compile_scope, parse_expression,
)

VARIABLES = {
    "late": "variables.gap > settings.limit",
    "gap": "case.b - variables.start",
    "start": "case.a",
    "codes": '["x", "y"]',
}


def test_variables_are_compiled_once_each_in_dependency_order() -> None:
    scope = compile_scope({"limit": 2}, VARIABLES)
    assert list(scope.variables) == ["late", "gap", "start", "codes"]  # the pack's order
    assert scope.order.index("start") < scope.order.index("gap") < scope.order.index("late")
    assert scope.variables["late"].reads == ("gap",)
    assert unparse(scope.variables["gap"].tree) == "case.b - variables.start"
    assert isinstance(scope.variables["late"].program, cel.Program)
    assert scope.variables_read(parse_expression("variables.late || case.c in variables.codes")) == [
        "late", "codes", "gap", "start"]


def test_an_expression_reads_the_variables_once_per_record() -> None:
    scope = compile_scope({"limit": 2}, VARIABLES)
    tree, program = scope.compile("variables.late && variables.gap == 5 && case.c in variables.codes")
    activation = cel.make_activation({"case": {"a": 1, "b": 6, "c": "x"}})
    assert program.execute(activation) is True
    assert scope.case_paths(tree) == ("b", "a", "c")  # in the order of the text, variables read where named


def test_the_reference_engine_gets_the_variables_written_out() -> None:
    scope = compile_scope({"limit": 2}, VARIABLES, engine=REFERENCE)
    tree = parse_expression("variables.late && case.c in variables.codes")
    assert scope.reference_text(tree) == '((case.b - (case.a)) > 2) && (case.c in (["x", "y"]))'
    _, program = scope.compile("variables.late")
    assert program.execute(binding.Context({"case": {"a": 1, "b": 6}}, {})) is True


def test_problems_name_the_variable() -> None:
    with pytest.raises(VariableError) as caught:
        compile_scope({}, {"a": "variables.b", "b": "variables.a"})
    assert (caught.value.variable, caught.value.offset) == ("a", 10)
    with pytest.raises(VariableError) as caught:
        compile_scope({}, {"a": "1", "b": "variables.nope + 1"})
    assert caught.value.variable == "b" and "undeclared reference to 'variables.nope'" in str(caught.value)
    with pytest.raises(ExpressionError, match="characters long; the limit is 4000"):
        compile_expression("1 + " * 1001 + "1")
