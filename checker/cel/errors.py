"""CEL errors: evaluation errors (CEL error values) and located syntax errors, and CEL type names for messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

# --- errors -------------------------------------------------------------------------------------


class CelError(Exception):
    """An expression could not be evaluated on this activation (a CEL error value)."""


class NoSuchKeyError(CelError, KeyError):
    """A map (or the record) has no such key. Also a KeyError, which callers report as a missing field."""

    def __str__(self) -> str:
        return f"no such key: {self.args[0]!r}"


class BudgetExceeded(CelError):
    """The comprehensions run on one activation visited more list items than its evaluation budget."""


class CelSyntaxError(ValueError):
    """The text is not CEL, or uses CEL this engine does not support; located like the binding's errors."""

    def __init__(self, problem: str, text: str, offset: int) -> None:
        self.problem = problem
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        super().__init__(f"ERROR: <input>:{self.line}:{self.column}: {problem}")


def type_name(value: Any) -> str:
    """The CEL name of a value's type, for messages."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {type(None): "null", bool: "bool", int: "int", float: "double", str: "string", list: "list",
               dict: "map", datetime: "timestamp", timedelta: "duration"}


def _no_overload(operator_text: str, left: Any, right: Any) -> CelError:
    return CelError(f"no such overload: {type_name(left)} {operator_text} {type_name(right)}")


def _not_bool(where: str, value: Any) -> CelError:
    return CelError(f"{where} needs a bool, got {type_name(value)}")
