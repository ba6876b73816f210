"""CEL expressions in rule packs: expansion, static reading and compilation.

Rules are written in CEL (the Common Expression Language used by Kubernetes and
Kyverno). They run on `checker.cel` (engine "fast", the default), which
compiles each expression once into Python closures over the normalised record;
the `common-expression-language` binding (engine "reference") is the syntax
authority and the reference the fast engine is tested against. The record is the
root variable `case`. Two pack-level names are resolved before compiling, so
each rule compiles once per run and reads no extra variables per record:

- `settings.NAME` is replaced by the run's value of the pack setting, as a CEL
  literal (typed: integer, number, string or boolean);
- `variables.NAME` is replaced by the pack variable's expression, in brackets.

No rule text is ever evaluated as Python.
"""

from __future__ import annotations

import json
import re
from typing import Any, Union

from checker import cel
from checker.cel.reference import binding

MAX_EXPRESSION_LENGTH = 4000

FAST, REFERENCE = "fast", "reference"
ENGINES = (FAST, REFERENCE)
Program = Union[cel.Program, binding.Program]
MAX_EXPANSION_DEPTH = 8

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
SETTING_REFERENCE = re.compile(rf"\bsettings\.({_NAME})\b")
VARIABLE_REFERENCE = re.compile(rf"\bvariables\.({_NAME})\b")
# `case.a.b.c`, stopping before a method call such as `.all(` or `.size(`.
CASE_PATH = re.compile(rf"\bcase((?:\.{_NAME}\b(?!\s*\())+)")
_STRING_LITERAL = re.compile(r"""(?s)(?:[rR]?'''.*?'''|[rR]?\"\"\".*?\"\"\"|[rR]?'(?:\\.|[^'\\])*'|[rR]?"(?:\\.|[^"\\])*")""")


class ExpressionError(ValueError):
    """An expression that cannot be expanded or compiled."""


def without_strings(text: str) -> str:
    """`text` with string literals blanked, so names inside strings are not read as references."""
    return _STRING_LITERAL.sub('""', text)


def cel_literal(value: Any) -> str:
    """A Python setting value as CEL source text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if "e" not in repr(value) else f"{value:.17f}"
    if isinstance(value, str):
        return json.dumps(value)
    raise ExpressionError(f"setting value {value!r} has no CEL literal form")


def referenced_settings(text: str) -> list[str]:
    return SETTING_REFERENCE.findall(without_strings(text))


def referenced_variables(text: str) -> list[str]:
    return VARIABLE_REFERENCE.findall(without_strings(text))


def case_paths(text: str) -> list[str]:
    """The `case.…` paths an expression reads, without the `case.` prefix, in order, unique."""
    found = [match.lstrip(".") for match in CASE_PATH.findall(without_strings(text))]
    return list(dict.fromkeys(found))


def expand(text: str, settings: dict[str, Any], variables: dict[str, str], depth: int = 0) -> str:
    """Replace `settings.NAME` and `variables.NAME` by their values; raise on an undeclared name."""
    if depth > MAX_EXPANSION_DEPTH:
        raise ExpressionError("variables refer to each other too deeply (a cycle?)")
    for name in referenced_settings(text):
        if name not in settings:
            raise ExpressionError(f"undeclared setting 'settings.{name}'")
    for name in referenced_variables(text):
        if name not in variables:
            raise ExpressionError(f"undeclared variable 'variables.{name}'")
    text = SETTING_REFERENCE.sub(lambda m: cel_literal(settings[m.group(1)]), text)
    if VARIABLE_REFERENCE.search(text):
        text = VARIABLE_REFERENCE.sub(
            lambda m: "(" + expand(variables[m.group(1)], settings, variables, depth + 1) + ")", text
        )
    return text


def compile_expression(text: str, engine: str = FAST) -> Program:
    """Compile CEL source for `engine`; raise ExpressionError with the parser's located message.

    The binding always parses the text (it is the syntax authority); for the fast engine the text
    must also be in the subset `checker.cel` supports, so validating packs checks both."""
    if engine not in ENGINES:
        raise ValueError(f"unknown CEL engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_LENGTH}")
    try:
        reference = binding.compile(text)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ExpressionError(_parser_message(str(exc))) from None
    if engine == REFERENCE:
        return reference
    try:
        return cel.compile_program(text)
    except cel.CelSyntaxError as exc:
        raise ExpressionError(_parser_message(str(exc))) from None


_PARSER_ERROR = re.compile(r"ERROR: <input>:(\d+):(\d+): (.*)")


def _parser_message(message: str) -> str:
    """The parser's own message, with its position inside the expression."""
    match = _PARSER_ERROR.search(message)
    if match:
        line, column, problem = match.groups()
        where = f"column {column}" if line == "1" else f"line {line}, column {column}"
        return f"does not compile ({where} of the expression): {problem}"
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[0] if lines else message
