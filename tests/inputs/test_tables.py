"""Records held in tables (checker.inputs.tables): a Parquet file's rows and a DuckDB database table's, read by
DuckDB as JSON text, scored as the same records in JSON are, whichever engine runs; faults located by row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from checker.api import load_packs, render
from checker.errors import InputError
from checker.inputs.parquet import write_parquet
from checker.inputs.sources import open_source
from checker.report.findings_file import FindingsSink
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "samples" / "cases.json"


@pytest.fixture(scope="module")
def packs() -> list[Any]:
    return load_packs([ROOT / "rules"])


@pytest.fixture(scope="module")
def sample_records() -> list[dict[str, Any]]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def database(path: Path, tables: dict[str, Path]) -> Path:
    """A DuckDB database whose tables are copies of Parquet files."""
    with duckdb.connect(str(path)) as connection:
        for name, parquet in tables.items():
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{parquet}')")
    return path


def settings(packs: list[Any]) -> RunSettings:
    return RunSettings(packs=pack_settings(packs, {}))


def comparable(report: Any) -> dict[str, Any]:
    """A report's JSON without what names the input (its path, form and lines)."""
    document = json.loads(render("json", report))
    document.pop("input")
    for record in document["records"]:
        record.pop("line")
    return document


def test_a_database_table_scores_as_its_json_does_with_either_engine(packs: list[Any], sample_records: list[Any],
                                                                      tmp_path: Path) -> None:
    assert write_parquet(sample_records, tmp_path / "cases.parquet") == 80
    db = database(tmp_path / "force.duckdb", {"cases": tmp_path / "cases.parquet"})
    from_json = comparable(run_check(SAMPLE, packs, settings(packs)))
    for engine in ("records", "sql"):
        report = run_check(db, packs, settings(packs), engine=engine)
        assert report.input["format"] == "duckdb" and report.input["sha256"] is not None
        assert report.summary == {"records_read": 80, "records_evaluated": 80, "records_rejected": 0}
        assert comparable(report) == from_json


def test_parquet_and_database_inputs_take_the_bulk_path_and_find_what_json_lines_finds(
        packs: list[Any], sample_records: list[Any], tmp_path: Path) -> None:
    write_parquet(sample_records, tmp_path / "cases.parquet")
    db = database(tmp_path / "force.duckdb", {"cases": tmp_path / "cases.parquet"})
    lines = tmp_path / "cases.jsonl"
    lines.write_text("".join(json.dumps(record) + "\n" for record in sample_records), encoding="utf-8")
    findings: dict[str, list[tuple[Any, ...]]] = {}
    for name, path in (("jsonl", lines), ("parquet", tmp_path / "cases.parquet"), ("duckdb", db)):
        notices: list[str] = []
        sink = FindingsSink(tmp_path / f"{name}-findings.parquet")
        run_check(path, packs, settings(packs), sinks=[sink], keep=False, engine="sql", notice=notices.append)
        sink.finish()
        assert notices == [], name  # no "the bulk path is not used"
        rows = duckdb.connect().execute(
            f"SELECT index, line, case_id, rule_id, status, clause, evidence::VARCHAR FROM "
            f"read_parquet('{tmp_path / f'{name}-findings.parquet'}') ORDER BY index, rule_id").fetchall()
        # the JSON Lines file's line k is the table's row k: every finding is located alike
        findings[name] = rows
    assert findings["jsonl"] and findings["parquet"] == findings["jsonl"] == findings["duckdb"]


def test_a_bad_row_is_rejected_by_row_and_field(packs: list[Any], sample_records: list[Any], tmp_path: Path) -> None:
    records = [dict(record) for record in sample_records[:5]]
    records[2] = {**records[2], "crime": {**records[2]["crime"], "reported_at": "2022-02-30T10:00:00Z"}}
    write_parquet(records, tmp_path / "cases.parquet")
    db = database(tmp_path / "force.duckdb", {"cases": tmp_path / "cases.parquet"})
    for engine in ("records", "sql"):
        report = run_check(db, packs, settings(packs), engine=engine)
        assert report.summary == {"records_read": 5, "records_evaluated": 4, "records_rejected": 1}
        rejection = report.rejected[0]
        assert (rejection["index"], rejection["line"], rejection["path"]) == (2, 3, "crime.reported_at")
        assert rejection["case_id"] == records[2]["case_id"]


def test_the_table_is_named_when_the_database_holds_several(sample_records: list[Any], tmp_path: Path) -> None:
    write_parquet(sample_records[:3], tmp_path / "a.parquet")
    write_parquet(sample_records[3:5], tmp_path / "b.parquet")
    db = database(tmp_path / "force.duckdb", {"crimes_2024": tmp_path / "a.parquet",
                                              "crimes_2025": tmp_path / "b.parquet"})
    with pytest.raises(InputError, match=r"force.duckdb.*holds 2 tables \(crimes_2024, crimes_2025\): name the one "
                                         r"holding the records with --table NAME"):
        list(open_source(db).records())
    with pytest.raises(InputError, match=r"no table 'crimes' in the database \(its tables: crimes_2024, crimes_2025\)"):
        list(open_source(db, table="crimes").records())
    assert len(list(open_source(db, table="crimes_2025").records())) == 2
    with pytest.raises(InputError, match=r"--table names a table of a DuckDB database \(.duckdb\); this input is "
                                         r"read as json"):
        open_source(SAMPLE, table="cases")


def test_cli_reads_a_table_of_a_database(sample_records: list[Any], tmp_path: Path) -> None:
    write_parquet(sample_records, tmp_path / "cases.parquet")
    db = database(tmp_path / "force.duckdb", {"cases": tmp_path / "cases.parquet", "other": tmp_path / "cases.parquet"})
    result = run_cli(str(db), "--table", "cases", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert "**Records (case files):** 80 read, 80 evaluated, 0 rejected." in result.stdout
    refused = run_cli(str(db))
    assert refused.returncode == 2
    assert "holds 2 tables (cases, other): name the one holding the records with --table NAME" in refused.stderr


def test_a_file_that_is_not_a_database_is_a_located_input_error(tmp_path: Path) -> None:
    broken = tmp_path / "force.duckdb"
    broken.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match="force.duckdb.*not a readable DuckDB database"):
        list(open_source(broken).records())
