"""Records held in tables: the rows of a Parquet file or of a DuckDB database table.

DuckDB reads the table and writes each row as the JSON object it holds (`to_json`: struct columns as
objects, list columns as arrays, maps as objects, a null as null), so a row reaches the checker as a JSON
Lines record does: as text, validated and located (row N) by the same code, whichever engine scores it.
Columns follow the case model (`checker.inputs.parquet.arrow_schema`); timestamps are text columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from checker.errors import InputError
from checker.inputs.records import RawRecord

TABLE_BATCH = 10_000  # rows fetched from DuckDB at a time: memory holds one batch
READER_MEMORY_LIMIT = "200MB"  # what DuckDB may hold while it reads the table


def parquet_rows(path: str) -> Iterator[RawRecord]:
    """A Parquet file's rows as records, numbered from 1."""
    import duckdb

    if path == "-":
        raise InputError(path, "a Parquet file cannot be read from standard input: give its file name")
    if not Path(path).is_file():
        raise InputError(path, "cannot read the file: No such file or directory")
    connection = duckdb.connect()
    try:
        yield from _rows(connection, f"read_parquet({_literal(path)})", path, "not a readable Parquet file")
    finally:
        connection.close()


def database_tables(path: str) -> list[str]:
    """The tables (and views) of a DuckDB database file, by name."""
    with _open_database(path) as connection:
        return [name for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "ORDER BY table_name").fetchall()]


def database_rows(path: str, table: str | None) -> Iterator[RawRecord]:
    """The rows of `table` in the DuckDB database at `path` (the database's only table when None), numbered
    from 1 in the table's own order."""
    tables = database_tables(path)
    if table is None:
        if len(tables) != 1:
            listed = ", ".join(tables) if tables else "none"
            raise InputError(path, f"the database holds {len(tables)} tables ({listed}): name the one holding the "
                                   "records with --table NAME")
        table = tables[0]
    elif table not in tables:
        raise InputError(path, f"no table {table!r} in the database (its tables: {', '.join(tables) or 'none'})")
    with _open_database(path) as connection:
        yield from _rows(connection, _identifier(table), path, f"the table {table!r} could not be read")


def _open_database(path: str):  # type: ignore[no-untyped-def]  # a duckdb connection
    import duckdb

    if path == "-":
        raise InputError(path, "a DuckDB database cannot be read from standard input: give its file name")
    if not Path(path).is_file():
        raise InputError(path, "cannot read the file: No such file or directory")
    try:
        return duckdb.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise InputError(path, f"not a readable DuckDB database: {exc}") from None


def _rows(connection, relation: str, path: str, unreadable: str) -> Iterator[RawRecord]:  # type: ignore[no-untyped-def]
    import duckdb

    index = 0
    try:
        # Bounded: left to itself, DuckDB reads ahead of the checker with every core and memory to spare (a
        # 100,000-row file took a run past 1 GB); one thread keeps well ahead of either engine.
        connection.execute(f"SET memory_limit = '{READER_MEMORY_LIMIT}'")
        connection.execute("SET threads = 1")
        cursor = connection.execute(f"SELECT to_json(row_value)::VARCHAR FROM {relation} AS row_value")
        while True:
            rows = cursor.fetchmany(TABLE_BATCH)
            if not rows:
                return
            for (text,) in rows:
                yield RawRecord(index, index + 1, None, text=text)
                index += 1
    except duckdb.Error as exc:
        raise InputError(path, f"{unreadable}: {str(exc).splitlines()[0]}") from None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
