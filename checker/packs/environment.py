"""What a pack's expressions may read, as types for the static analysis (`checker.cel.analysis`).

- `case`: the case model, typed from `schemas/case.schema.json` (timestamps as CEL timestamps, lists
  with their items' types, enums with their allowed values, free-form maps such as audit.judgements);
- `settings`: the pack's settings, each of its declared type;
- `variables`: the pack's variables, each of the type inferred from its expression;
- the helper functions rules call (`HELPERS`: their parameters and results; the engine binds them).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from checker.cel.analysis import Environment, FunctionType
from checker.cel.types import (
    BOOL_TYPE, DOUBLE_TYPE, DYN_TYPE, INT_TYPE, NUMBER, STRING_TYPE, TIMESTAMP_TYPE, CelType, list_of, object_type,
    type_from_schema,
)
from checker.inputs import casemodel

HELPERS: dict[str, FunctionType] = {
    "hours_between": FunctionType((TIMESTAMP_TYPE, TIMESTAMP_TYPE), CelType("double", nullable=True)),
    "working_days_between": FunctionType((TIMESTAMP_TYPE, TIMESTAMP_TYPE), CelType("int", nullable=True)),
    "longest_gap_days": FunctionType((list_of(TIMESTAMP_TYPE),), CelType("double", nullable=True)),
    "code_number": FunctionType((STRING_TYPE,), CelType("int", nullable=True)),
    # Local dates: days and months counted on dates in the run's zone (see checker.engine.workdays).
    "longest_gap_local_days": FunctionType((list_of(TIMESTAMP_TYPE),), CelType("int", nullable=True)),
    "local_date": FunctionType((TIMESTAMP_TYPE,), CelType("string", nullable=True)),
    "local_date_plus_months": FunctionType((TIMESTAMP_TYPE, INT_TYPE), CelType("string", nullable=True)),
    # The latest timestamp in a list, or anywhere in a record (`latest(case)`: the latest dated entry).
    "latest": FunctionType((DYN_TYPE,), CelType("timestamp", nullable=True)),
    # The run's reference date (--as-of) as the start of that day; null when none was given.
    "as_of": FunctionType((), CelType("timestamp", nullable=True)),
}
SETTING_KINDS = {"integer": INT_TYPE, "number": DOUBLE_TYPE, "string": STRING_TYPE, "boolean": BOOL_TYPE,
                 "list": list_of(DYN_TYPE)}  # a list of strings or of whole numbers (checker.packs.rules.Setting)


@lru_cache(maxsize=1)
def case_type() -> CelType:
    """The case model as the analysis sees it (a record after normalisation)."""
    return type_from_schema(casemodel.case_schema(), {casemodel.TIMESTAMP_FORMAT: "timestamp"},
                            description="the case model")


def settings_type(setting_types: Mapping[str, str]) -> CelType:
    return object_type({name: SETTING_KINDS.get(kind, CelType(NUMBER)) for name, kind in setting_types.items()},
                       label="setting")


def variables_type(variable_types: Mapping[str, CelType]) -> CelType:
    return object_type(variable_types, label="variable")


def pack_environment(setting_types: Mapping[str, str], variable_types: Mapping[str, CelType]) -> Environment:
    """The names a pack's expressions read: `case`, `settings` (name → declared type), `variables`."""
    return Environment({"case": case_type(), "settings": settings_type(setting_types),
                        "variables": variables_type(variable_types)}, HELPERS)


def case_environment() -> Environment:
    """The names an expression outside any pack reads (`check sample --where`): `case` and the helpers."""
    return Environment({"case": case_type()}, HELPERS)
