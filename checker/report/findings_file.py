"""The findings file (`check CASES --findings FILE.parquet|FILE.jsonl`): one row per finding, written by DuckDB.

A finding is a result a reviewer must look at: `fail`, `error` or `manual` (pending a judgement). Columns,
in order, one row per (record, rule) in input order and the packs' rule order:

| column | type | meaning |
|---|---|---|
| `index` | integer | the record's position in the input, from 0 (as `records[].index` in the JSON report) |
| `line` | integer or null | the line where the record starts |
| `case_id` | text | the case file's id |
| `rule_id` | text | the rule |
| `status` | text | `fail`, `error` or `manual` |
| `clause` | text or null | the clause that decided a fail or error (`applies_when`, a clause name, names joined by `, ` when every clause of an `any` rule failed, `judgement` for a reviewer's `no`); null for `manual` |
| `evidence` | JSON text | the rule's evidence: `[{"path": …, "value": …}, …]`, values as written in the case file (computed values as computed) |

Both engines write the same rows: the per-record engine through `FindingsSink` (a stream of JSON lines,
loaded into DuckDB at the end), the bulk path (`checker.sql.bulk`) from its query. The file is written
under a temporary name beside the target and renamed when complete (`checker.outputs.AtomicFile`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from checker.outputs import AtomicFile
from checker.results import ERROR, FAIL, MANUAL, RecordResult

if TYPE_CHECKING:
    import duckdb

FINDING_STATUSES = (FAIL, ERROR, MANUAL)
FINDINGS_FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ROW_GROUP = 10_000  # small row groups: a reader holds one at a time
# The findings table, as DuckDB holds it before it is written (`position`: the rule's place, for the order).
TABLE_COLUMNS = ("index BIGINT, line BIGINT, case_id VARCHAR, rule_id VARCHAR, status VARCHAR, clause VARCHAR, "
                 "evidence JSON, position INTEGER")
FILE_COLUMNS = "index, line, case_id, rule_id, status, clause, evidence"


def findings_format(path: Path) -> str:
    """parquet or jsonl, from the file's extension; ValueError for any other."""
    kind = FINDINGS_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"cannot tell the findings file's format from {path.name!r}: name it .parquet or .jsonl")
    return kind


MEMORY_LIMIT = "500MB"  # DuckDB's memory when it writes the per-record engine's findings


def copy_findings(connection: duckdb.DuckDBPyConnection, source: str, path: Path) -> None:
    """Write the rows of `source` (a table or a SELECT in parentheses, in order) to `path` atomically."""
    kind = findings_format(path)
    target = AtomicFile(path, binary=True)
    try:
        target.handle.close()
        options = f"FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP}" if kind == "parquet" else "FORMAT json"
        temporary = str(target.temporary).replace("'", "''")
        connection.execute(f"COPY (SELECT {FILE_COLUMNS} FROM {source}) TO '{temporary}' ({options})")
        target.handle = open(target.temporary, "rb+")  # flushed to disk and renamed by commit()
        target.commit()
    except BaseException:
        target.abandon()
        raise


def finding_rows(record: RecordResult) -> list[dict[str, Any]]:
    """A record's findings, as rows of the findings table (`position`: the rule's place in the record's results)."""
    return [{"index": record.index, "line": record.line, "case_id": record.case_id, "rule_id": result.rule_id,
             "status": result.status, "clause": result.clause if result.status != MANUAL else None,
             "evidence": [evidence.as_dict() for evidence in result.evidence], "position": position}
            for position, result in enumerate(record.results) if result.status in FINDING_STATUSES]


class FindingsSink:
    """The findings file written by the per-record engine: each record's findings rendered as JSON lines where
    it is evaluated, appended to a scratch file, loaded into DuckDB and written at the end (`finish`)."""

    record_separator = ""

    def __init__(self, path: Path) -> None:
        findings_format(path)
        self.path = path
        self.folder = tempfile.TemporaryDirectory(prefix="findings-")
        self.scratch = Path(self.folder.name) / "findings.jsonl"
        self.handle = self.scratch.open("w", encoding="utf-8")
        self.written: Path | None = None  # the bulk path's findings, written by DuckDB (see write_from)

    @staticmethod
    def render_record(record: RecordResult) -> str:
        return "".join(orjson.dumps(row).decode() + "\n" for row in finding_rows(record))

    def write_records(self, text: str, count: int) -> None:
        self.handle.write(text)

    def rejected(self, rejection: dict[str, Any]) -> None:
        """Rejections are in the report, not among the findings."""

    def write_from(self, connection: duckdb.DuckDBPyConnection, table: str) -> None:
        """Take the rows of `table` (the bulk path's findings) instead of the records': written by DuckDB to a
        scratch file now, put in place by `finish` (only once the run is known to have scored something)."""
        kind = findings_format(self.path)
        self.written = Path(self.folder.name) / f"written.{kind}"
        options = f"FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP}" if kind == "parquet" else "FORMAT json"
        scratch = str(self.written).replace("'", "''")
        connection.execute(f"COPY (SELECT {FILE_COLUMNS} FROM {table}) TO '{scratch}' ({options})")

    def finish(self) -> None:
        """Write the file (atomically): from the bulk path's rows, or from the records' findings."""
        if self.written is not None:
            target = AtomicFile(self.path, binary=True)
            try:
                with self.written.open("rb") as source:
                    shutil.copyfileobj(source, target.handle, 1 << 20)
                target.commit()
            except BaseException:
                target.abandon()
                raise
            finally:
                self.abandon()
            return
        import duckdb  # loaded only by runs that write findings

        self.handle.close()
        connection = duckdb.connect()
        # bounded as the bulk path's DuckDB is: a year's findings (gigabytes of JSON Lines) spill to the scratch
        # folder rather than fill memory while DuckDB reads them ahead of the Parquet writer
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        connection.execute("SET temp_directory = '" + str(Path(self.folder.name) / "spill").replace("'", "''") + "'")
        try:
            scratch = str(self.scratch).replace("'", "''")
            columns = ("{'index': 'BIGINT', 'line': 'BIGINT', 'case_id': 'VARCHAR', 'rule_id': 'VARCHAR', "
                       "'status': 'VARCHAR', 'clause': 'VARCHAR', 'evidence': 'JSON', 'position': 'INTEGER'}")
            empty = os.path.getsize(self.scratch) == 0
            source = (f"(SELECT * FROM (SELECT NULL::BIGINT AS index, NULL::BIGINT AS line, NULL AS case_id, "
                      "NULL AS rule_id, NULL AS status, NULL AS clause, NULL::JSON AS evidence) WHERE FALSE)" if empty else
                      f"read_json('{scratch}', format = 'newline_delimited', columns = {columns})")
            copy_findings(connection, source, self.path)
        finally:
            connection.close()
            self.abandon()

    def abandon(self) -> None:
        """Remove the scratch file (an unfinished findings file is never written)."""
        if not self.handle.closed:
            self.handle.close()
        self.folder.cleanup()
