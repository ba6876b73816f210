"""Python values into DuckDB tables, without Arrow.

Building an Arrow array from a Python list (`pyarrow.array`, `pyarrow.table`) imports pandas when it is
installed (pyarrow asks whether the list is a pandas object): about 0.4 s of every run's start-up. DuckDB
takes Python lists as query parameters instead, converted in its own code, as fast as Arrow for a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


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
