"""The case model as the DuckDB types the compiled query reads records into.

Records reach the query as JSON text read by DuckDB's `JSON_TRANSFORM` into the model's columns: objects as
structs, lists as lists, timestamps as text (read in the run's zone by the query), the model's maps
(`audit.judgements`, read only by manual rules, which judgements decide outside SQL) left out. These are the
columns of the model's Parquet layout (`checker.inputs.parquet.arrow_type` with `maps=False`), derived here
directly from the schema so that the SQL engine does not load pyarrow (and numpy) to know them.
"""

from __future__ import annotations

from typing import Any

from checker.inputs.recordmodel import RecordModel, schema_types

_SCALARS = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


def json_type(schema: dict[str, Any]) -> Any:
    """A field's type for JSON_TRANSFORM: a DuckDB type name, a dict of fields (a struct), a one-element list (a
    list of that element); None when the field is not read into a column (a map, or of several JSON types)."""
    kinds = schema_types(schema) - {"null"}
    if kinds == {"object"}:
        if isinstance(schema.get("additionalProperties"), dict):
            return None
        fields = {name: json_type(child) for name, child in schema.get("properties", {}).items()}
        return {name: kind for name, kind in fields.items() if kind is not None}
    if kinds == {"array"}:
        item = json_type(schema["items"])
        return [item] if item is not None else None
    return _SCALARS.get(next(iter(kinds)) if len(kinds) == 1 else "")


def record_structure(model: RecordModel) -> dict[str, Any]:
    """The structure JSON_TRANSFORM reads a record into: one entry per top-level field read into a column."""
    fields = {name: json_type(child) for name, child in model.schema["properties"].items()}
    return {name: kind for name, kind in fields.items() if kind is not None}
