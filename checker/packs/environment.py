"""What a pack's expressions may read, as types for the static analysis (`checker.cel.analysis`).

- the record, by its type's name (`case`, `search`, `call`): its model, typed from the type's schema in
  `schemas/` (timestamps as CEL timestamps, lists with their items' types, enums with their allowed
  values, free-form maps such as audit.judgements);
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
from checker.inputs.recordmodel import TIMESTAMP_FORMAT, RecordModel

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


@lru_cache(maxsize=None)
def record_cel_type(model: RecordModel) -> CelType:
    """A record type's model as the analysis sees it (a record after normalisation)."""
    return type_from_schema(model.schema, {TIMESTAMP_FORMAT: "timestamp"}, description=f"the {model.kind.model}")


def settings_type(setting_types: Mapping[str, str]) -> CelType:
    return object_type({name: SETTING_KINDS.get(kind, CelType(NUMBER)) for name, kind in setting_types.items()},
                       label="setting")


def variables_type(variable_types: Mapping[str, CelType]) -> CelType:
    return object_type(variable_types, label="variable")


def pack_environment(model: RecordModel, setting_types: Mapping[str, str], variable_types: Mapping[str, CelType]
                     ) -> Environment:
    """The names a pack's expressions read: the record (`case`…), `settings` (name → declared type), `variables`."""
    return Environment({model.kind.variable: record_cel_type(model), "settings": settings_type(setting_types),
                        "variables": variables_type(variable_types)}, HELPERS)


def record_environment(model: RecordModel) -> Environment:
    """The names an expression outside any pack reads (`check sample --where`): the record and the helpers."""
    return Environment({model.kind.variable: record_cel_type(model)}, HELPERS)
