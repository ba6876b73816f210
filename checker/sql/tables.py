"""Python values into DuckDB tables, without pandas.

Building an Arrow array from a Python list (`pyarrow.array`, `pyarrow.table`) imports pandas when it is
installed (pyarrow asks whether the list is a pandas object): about 0.4 s of every run's start-up. DuckDB
takes Python lists as query parameters instead, converted in its own code, as fast as Arrow for a batch
(`create_table`); a table DuckDB scans where it lies is built by `arrow_table` from the values' buffers.
"""

from __future__ import annotations

import array
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa


def create_table(db: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, Sequence[Any]]],
                 temporary: bool = True) -> None:
    """CREATE OR REPLACE (TEMP) TABLE `name` whose columns (name → (SQL type, values), values of equal length, in
    row order) hold the values given, None as NULL."""
    lengths = {len(values) for _, values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths for table {name}: {sorted(lengths)}")
    # one UNNEST per column in one SELECT: DuckDB unnests them side by side, row k of each together
    select = ", ".join(f"UNNEST(CAST(${number} AS {sql_type}[])) AS {column}"
                       for number, (column, (sql_type, _)) in enumerate(columns.items(), start=1))
    kind = "TEMP TABLE" if temporary else "TABLE"
    db.execute(f"CREATE OR REPLACE {kind} {name} AS SELECT {select}", [list(values) for _, values in columns.values()])


def create_row_table(db: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, Any]],
                     temporary: bool = True) -> None:
    """CREATE OR REPLACE (TEMP) TABLE `name` of one row: column name → (SQL type, value)."""
    select = ", ".join(f"CAST(${number} AS {sql_type}) AS {column}"
                       for number, (column, (sql_type, _)) in enumerate(columns.items(), start=1))
    kind = "TEMP TABLE" if temporary else "TABLE"
    db.execute(f"CREATE OR REPLACE {kind} {name} AS SELECT {select}", [value for _, value in columns.values()])


def arrow_table(columns: dict[str, tuple[str, Sequence[Any]]], slice_rows: int | None = None) -> "pa.Table":
    """An Arrow table of BIGINT and VARCHAR columns (name → (type, values), None as null), built from the values'
    buffers (faster than `pyarrow.array`, and pandas is not imported); text columns are Arrow's large strings.
    With `slice_rows`, held as record batches of that many rows (zero-copy slices), which DuckDB's threads scan
    in parallel."""
    import pyarrow as pa

    arrays = []
    for name, (sql_type, values) in columns.items():
        valid = _validity(values)
        if sql_type == "BIGINT":
            data = array.array("q", [0 if value is None else value for value in values])
            arrays.append(pa.Array.from_buffers(pa.int64(), len(values), [valid, pa.py_buffer(data)]))
        elif sql_type == "VARCHAR":
            encoded = [b"" if value is None else value.encode() for value in values]
            offsets = array.array("q", accumulate((len(text) for text in encoded), initial=0))
            arrays.append(pa.Array.from_buffers(pa.large_string(), len(values),
                                                [valid, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]))
        else:
            raise ValueError(f"column {name}: type {sql_type} is not one arrow_table builds (BIGINT, VARCHAR)")
    table = pa.Table.from_arrays(arrays, names=list(columns))
    if slice_rows is None:
        return table
    return pa.Table.from_batches(table.to_batches(max_chunksize=slice_rows), schema=table.schema)


def _validity(values: Sequence[Any]) -> "pa.Buffer | None":
    """Arrow's validity bitmap of the values (a bit set for each one that is not None); None when none is None."""
    import pyarrow as pa

    if all(value is not None for value in values):
        return None
    bits = bytearray((len(values) + 7) // 8)
    for position, value in enumerate(values):
        if value is not None:
            bits[position >> 3] |= 1 << (position & 7)
    return pa.py_buffer(bytes(bits))
