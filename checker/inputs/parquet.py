"""Case files as Parquet: the Arrow schema of the case model, and writing records to a Parquet file.

Reading is `checker.inputs.sources` (`--input-format parquet`, or a `.parquet` name). The layout a
Parquet file of case files has: one row per case file, the case model's objects as struct columns,
its lists as list columns, `audit.judgements` as a map of strings, and timestamps as text columns
written as in JSON (an offset-less time is local time in the run's zone).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as parquet

from checker.inputs.recordmodel import RecordModel, record_model, schema_types

ROW_GROUP = 10_000  # small row groups: a reader holds one at a time


def arrow_type(schema: dict[str, Any], maps: bool = True) -> pa.DataType | None:
    """The Arrow type of a case-model field (timestamps as text). Maps (`audit.judgements`) are maps of
    strings, or left out (None) when `maps` is false."""
    kinds = schema_types(schema) - {"null"}
    if kinds == {"object"}:
        if isinstance(schema.get("additionalProperties"), dict):
            return pa.map_(pa.string(), pa.string()) if maps else None
        fields = [(name, arrow_type(child, maps)) for name, child in schema.get("properties", {}).items()]
        return pa.struct([(name, kind) for name, kind in fields if kind is not None])
    if kinds == {"array"}:
        item = arrow_type(schema["items"], maps)
        return pa.list_(item) if item is not None else None
    return {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}.get(
        next(iter(kinds)) if len(kinds) == 1 else "", None)


def arrow_schema(model: RecordModel, maps: bool = True) -> pa.Schema:
    """One column per top-level field of a record type's model."""
    fields = []
    for name, child in model.schema["properties"].items():
        kind = arrow_type(child, maps)
        if kind is not None:
            fields.append(pa.field(name, kind))
    return pa.schema(fields)


def write_parquet(records: Iterable[dict[str, Any]], path: Path, batch: int = ROW_GROUP,
                  model: RecordModel | None = None) -> int:
    """Write case-file records (dicts in the case model) to `path` atomically (a `.partial` file renamed
    at the end); fields outside the model are left out. Returns the number of records written."""
    schema = arrow_schema(model or record_model())
    partial = path.with_name(path.name + ".partial")
    count = 0
    try:
        with parquet.ParquetWriter(partial, schema) as writer:
            rows: list[dict[str, Any]] = []
            for record in records:
                rows.append(record)
                if len(rows) == batch:
                    writer.write_table(pa.Table.from_pylist(rows, schema=schema), row_group_size=batch)
                    count, rows = count + len(rows), []
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema), row_group_size=batch)
                count += len(rows)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count
