"""The SQL engine's bulk path (checker.sql.bulk): DuckDB screens, decides and counts; the report and the findings
are the per-record engine's, every rejection located as it locates it."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest

from checker import runner
from checker.api import load_packs, render
from checker.inputs.recordmodel import record_model
from checker.engine.evaluate import Evaluator
from checker.inputs.records import CaseIds, CaseRecord, RawRecord, check_record
from checker.report.findings_file import FindingsSink
from checker.runner import _paths_read, run_check
from checker.settings import RunSettings, pack_settings
from checker.sql import bulk
from checker.sql.screen import Screen
from synthetic.cases import generate_cases
from tests.conftest import rule_yaml, rules_yaml, run_cli, write_pack

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "samples" / "cases.json"
READ = '"crime": {"reported_at": "2022-01-01"}'

# Lines a JSON Lines export may hold that SQL must not take as valid case files (or that are valid but only
# Python reads exactly): each is decided by the Python validator, so its rejection (or reading) is the same.
DAMAGED_LINES = [
    '{"case_id": "D1", "crime": {"reported_at": "2022-02-30T10:00:00Z"}}',  # no such day
    '{"case_id": "D2", "case_id": "D2b", ' + READ + '}',  # a key twice
    '{"case_id": "D3", ' + READ + ',}',  # a comma before the brace: DuckDB reads it, JSON does not
    '{"case_id": "D4", "crime": {"reported_at": "2022-01-01", "colour": null}}',  # valid, a field not in the model
    '{"case_id": "D5", ' + READ + ', "victim": {"age_at_offence": "40"}}',  # text for a number
    '{"case_id": "D6", ' + READ + ', "victim": {"age_at_offence": 40.0}}',  # valid: 40.0 is an integer
    '{"case_id": "D7", ' + READ + ', "victim": {"age_at_offence": NaN}}',  # not JSON
    '{"case_id": "D8", ',  # cut short
    '[1, 2]',  # not a case file
    '{"case_id": "D9\\ud800", ' + READ + '}',  # an unpaired surrogate
    '{"case_id": "D10"}',  # crime missing
    '{"case_id": "D11", ' + READ + ', "key_events": [null]}',  # a list item that is not an object
    '{"case_id": "D12", "crime": {"reported_at": "2022-01-01", "case_id": "x"}}',  # a known name at the wrong level
    '{"case_id": "D13", ' + READ + ', "victim": {"kind": "alien"}}',  # not in the enum
    '{"case_id": "D14", "crime": {"reported_at": "2022-06-01T12:00:00+0100"}}',  # valid: an offset without colon
    '{"case_id": "D15", ' + READ + ', "audit": {"judgements": {"Bad Key": "yes"}}}',  # a judgement's rule id
    '{"case_\\u0069d": "D16", ' + READ + '}',  # valid: an escaped key
    '{"case_id": "", ' + READ + '}',  # empty id
    '{"case_id": "D18", "crime": {"reported_at": "2022-01-01T24:00:00"}}',  # no such hour
    '{"case_id": "D19", ' + READ + ', "victim": {"age_at_offence": 99999999999999999999}}',  # beyond 64 bits
    '{"case_id": "D20", ' + READ + ', "outcome": {}}',  # outcome.code required
    '{"case_id": "D21", ' + READ + ', "victim": null}',  # valid
    '{"case_id": "D22", ' + READ + ', "victim": {"age_at_offence": -1}}',  # below the minimum
]


@pytest.fixture(scope="module")
def packs() -> list[Any]:
    return load_packs([ROOT / "rules"])


def run_settings(packs: list[Any], **options: Any) -> RunSettings:
    return RunSettings(packs=pack_settings(packs, {}), **options)


def jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def generated_lines(count: int, seed: int) -> list[str]:
    return [orjson.dumps(record).decode() for record in generate_cases(count, seed)]


def findings_rows(path: Path) -> list[dict[str, Any]]:
    """The findings file's rows, evidence decoded, whatever its format."""
    if path.suffix == ".parquet":
        table = duckdb.connect().sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table()
        rows = table.to_pylist()
    else:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if isinstance(row["evidence"], str):
            row["evidence"] = json.loads(row["evidence"])
    return rows


@pytest.fixture(scope="module")
def mixed_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated files, the sample's, every damaged line, a duplicate case id and a blank line."""
    lines = generated_lines(400, 21)
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    lines += [orjson.dumps({**record, "case_id": "S-" + record["case_id"]}).decode() for record in sample]
    lines[50:50] = DAMAGED_LINES
    lines.insert(120, lines[10])  # the same case id again
    lines.insert(200, "   ")  # a blank line: skipped, the next line keeps its number
    return jsonl(tmp_path_factory.mktemp("bulk") / "cases.jsonl", lines)


@pytest.fixture(scope="module")
def engine_runs(packs: list[Any], mixed_input: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The mixed input run by the per-record engine and by the bulk path, each writing its findings."""
    folder = tmp_path_factory.mktemp("findings")
    runs: dict[str, Any] = {"notices": [], "counted": []}
    original = bulk.run_bulk

    def spy(*args: Any, **kwargs: Any) -> Any:
        counted = original(*args, **kwargs)
        runs["counted"].append(counted)
        return counted

    patch = pytest.MonkeyPatch()
    patch.setattr(bulk, "run_bulk", spy)
    try:
        for engine, name in (("records", "records.jsonl"), ("sql", "bulk.parquet")):
            sink = FindingsSink(folder / name)
            runs[engine] = run_check(mixed_input, packs, run_settings(packs), sinks=[sink], keep=False, engine=engine,
                                     notice=runs["notices"].append)
            sink.finish()
            runs[f"{engine}_findings"] = findings_rows(folder / name)
    finally:
        patch.undo()
    return runs


def test_the_bulk_path_ran_and_screened_the_valid_records(engine_runs: dict[str, Any]) -> None:
    assert engine_runs["notices"] == []
    (counted,) = engine_runs["counted"]
    assert counted.read == 400 + 80 + len(DAMAGED_LINES) + 1
    # every generated and sample file is screened by SQL (the repeated one too, then refused as a duplicate id by
    # Python), and the valid damaged line with an escaped key; the other damaged lines go to the Python validator
    assert counted.screened == 482


def test_reports_are_the_per_record_engines(engine_runs: dict[str, Any]) -> None:
    records, sql = engine_runs["records"], engine_runs["sql"]
    assert sql.summary == records.summary
    invalid = [line for index, line in enumerate(DAMAGED_LINES)
               if not isinstance(check_record(RawRecord(index, 1, None, text=line + "\n"), "Europe/London"), CaseRecord)]
    assert len(invalid) >= 15
    assert sql.summary["records_rejected"] == len(invalid) + 1  # and a duplicate case id
    assert sql.rejected == records.rejected
    assert sql.warnings == records.warnings
    assert any("crime.colour" in warning for warning in sql.warnings)
    for format_name in ("markdown", "table"):
        assert render(format_name, sql) == render(format_name, records)


def test_findings_are_the_per_record_engines(engine_runs: dict[str, Any]) -> None:
    expected = [{key: value for key, value in row.items() if key != "position"}
                for row in engine_runs["records_findings"]]
    found = engine_runs["sql_findings"]
    assert len(found) > 1000
    assert found == expected
    assert {row["status"] for row in found} == {"fail", "manual"} | ({"error"} & {row["status"] for row in expected})


def test_small_batches_give_the_same_report_and_findings(packs: list[Any], mixed_input: Path,
                                                         engine_runs: dict[str, Any], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 37 records: duplicate ids across batches, the fields first seen in a later batch, findings in
    input order, and each batch's tables freed before the next."""
    monkeypatch.setattr(bulk, "CHUNK", 37)
    sink = FindingsSink(tmp_path / "findings.jsonl")
    report = run_check(mixed_input, packs, run_settings(packs), sinks=[sink], keep=False, engine="sql")
    sink.finish()
    expected = engine_runs["records"]
    assert report.summary == expected.summary and report.rules == expected.rules
    assert report.rejected == expected.rejected and report.warnings == expected.warnings
    assert findings_rows(tmp_path / "findings.jsonl") == engine_runs["sql_findings"]


def test_a_pack_whose_findings_quote_no_field(tmp_path: Path) -> None:
    """Findings without evidence read from the record (none, or computed only) are written as with `records`."""
    pack = write_pack(tmp_path, rules_yaml(
        rule_yaml("t-no-evidence", check="case.crime.reported_at < timestamp('2000-01-01T00:00:00Z')"),
        rule_yaml("t-computed", check="size(case.key_events) > 100", evidence=['{label: events, expr: "size(case.key_events)"}'])))
    packs = load_packs([pack])
    cases = jsonl(tmp_path / "cases.jsonl", generated_lines(30, 4))
    rows = {}
    for engine in ("records", "sql"):
        sink = FindingsSink(tmp_path / f"{engine}.jsonl")
        run_check(cases, packs, run_settings(packs), sinks=[sink], keep=False, engine=engine)
        sink.finish()
        rows[engine] = findings_rows(tmp_path / f"{engine}.jsonl")
    assert len(rows["sql"]) == 60 and rows["sql"] == rows["records"]
    assert {str(row["evidence"]) for row in rows["sql"] if row["rule_id"] == "t-no-evidence"} == {"[]"}


def test_the_screen_never_takes_what_the_validator_refuses(tmp_path: Path) -> None:
    """Soundness: a line SQL screens is one the Python validator accepts with no field outside the model."""
    lines = generated_lines(60, 3) + DAMAGED_LINES
    connection = duckdb.connect()
    connection.register("documents", pa.table({"record_index": pa.array(range(len(lines)), pa.int64()),
                                               "document": pa.array(lines, pa.string())}))
    screen = Screen(record_model().schema)
    for statement in screen.read_fields("documents"):
        connection.execute(statement)
    for table in screen.tables():
        verdicts = screen.key_verdicts(table, connection.execute(screen.distinct_keys(table)).fetchall())
        connection.register("verdicts", pa.table({"key_text": pa.array([text for text, _ in verdicts], pa.string()),
                                                  "allowed": pa.array([allowed for _, allowed in verdicts], pa.bool_())}))
        connection.execute(f"CREATE TABLE {table}_keys AS SELECT * FROM verdicts")
        connection.unregister("verdicts")
    screened = dict(connection.execute(screen.screened()).fetchall())
    for index, line in enumerate(lines):
        item = check_record(RawRecord(index, index + 1, None, text=line + "\n"), "Europe/London")
        exact = isinstance(item, CaseRecord) and not item.unknown_fields
        assert not screened.get(index) or exact, line
    assert all(screened[index] for index in range(60))  # the generated files are all screened
    # of the damaged lines only the valid file with an escaped key (read by DuckDB as Python reads it) is screened
    assert [line for index, line in enumerate(lines[60:], start=60) if screened.get(index)] == [
        line for line in DAMAGED_LINES if '"D16"' in line]


def test_cli_findings_file_and_outputs_match_between_engines(tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", generated_lines(120, 8) + DAMAGED_LINES[:3])
    by_records = run_cli(str(cases), "--engine", "records", "-f", "markdown", "--findings", str(tmp_path / "r.jsonl"))
    by_sql = run_cli(str(cases), "--engine", "sql", "-f", "markdown", "--findings", str(tmp_path / "s.parquet"))
    assert by_records.returncode == by_sql.returncode == 3  # three rejected
    assert by_sql.stdout == by_records.stdout
    assert "bulk path is not used" not in by_sql.stderr
    rows = findings_rows(tmp_path / "s.parquet")
    assert rows == [{key: value for key, value in row.items() if key != "position"}
                    for row in findings_rows(tmp_path / "r.jsonl")]
    assert list(rows[0]) == ["index", "line", "case_id", "rule_id", "status", "clause", "evidence"]
    assert [path.name for path in tmp_path.iterdir() if "partial" in path.name] == []


def test_cli_says_when_the_bulk_path_is_not_used(tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", generated_lines(20, 9))
    result = run_cli(str(cases), "--engine", "sql", "-o", str(tmp_path / "report.json"))
    assert result.returncode == 0
    assert "note: the SQL engine's bulk path is not used (a json or csv output is written record by record)" in result.stderr


def test_cli_refuses_a_findings_file_it_cannot_write(tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", generated_lines(5, 9))
    wrong = run_cli(str(cases), "--findings", str(tmp_path / "findings.csv"))
    assert wrong.returncode == 2 and "name it .parquet or .jsonl" in wrong.stderr
    over_input = run_cli(str(cases), "--findings", str(cases))
    assert over_input.returncode == 2 and "--findings" in over_input.stderr
    assert cases.read_text(encoding="utf-8").count("\n") == 5


def test_auto_takes_the_bulk_path_above_the_threshold(packs: list[Any], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", generated_lines(60, 4))
    used: list[int] = []
    original = bulk.run_bulk

    def spy(*args: Any, **kwargs: Any) -> Any:
        counted = original(*args, **kwargs)
        used.append(counted.read)
        return counted

    monkeypatch.setattr(bulk, "run_bulk", spy)
    monkeypatch.setattr(runner, "AUTO_SQL_THRESHOLD", 50)
    report = run_check(cases, packs, run_settings(packs), keep=False, engine="auto")
    assert used == [60] and report.summary["records_evaluated"] == 60


def test_a_batch_the_query_cannot_compute_is_decided_record_by_record(packs: list[Any], tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", generated_lines(40, 6))
    expected = run_check(cases, packs, run_settings(packs), keep=False, engine="records")
    original = bulk.BulkRunner._evaluate

    def stopped(self: bulk.BulkRunner, evaluated: list[int], screened: int, counted: Any) -> Any:
        original(self, evaluated, screened, counted)  # the counts it made are not kept
        raise duckdb.OutOfRangeException("a value out of range")

    monkeypatch.setattr(bulk.BulkRunner, "_evaluate", stopped)
    notices: list[str] = []
    report = run_check(cases, packs, run_settings(packs), keep=False, engine="sql", notice=notices.append)
    assert notices == []
    assert report.summary == expected.summary and report.rules == expected.rules
    assert report.warnings == expected.warnings


def test_no_findings_file_when_nothing_is_scored(tmp_path: Path) -> None:
    blank = jsonl(tmp_path / "blank.jsonl", ["", "  "])
    for engine in ("sql", "records"):
        result = run_cli(str(blank), "--engine", engine, "--findings", str(tmp_path / "findings.parquet"))
        assert result.returncode == 2 and "no case files" in result.stderr
        assert sorted(path.name for path in tmp_path.iterdir()) == ["blank.jsonl"]


def test_the_bulk_path_is_refused_where_an_output_needs_each_record() -> None:
    for form in ("jsonl", "parquet", "duckdb"):
        assert bulk.bulk_refusal(form, False, None, None, None, False) is None
    assert bulk.bulk_refusal("json", False, None, None, None, False) == (
        "the input is json, not JSON Lines, Parquet or a DuckDB table")
    assert "xlsx, html or --case" in bulk.bulk_refusal("jsonl", True, None, None, None, False)
    assert "json or csv" in bulk.bulk_refusal("jsonl", False, None, None, None, True)
    assert "--judgements" in bulk.bulk_refusal("jsonl", False, object(), None, None, False)
    assert "--by" in bulk.bulk_refusal("jsonl", False, None, None, None, False, by="case.force")


# --- the screening thread: the next batch screened while this one is evaluated ---------------------------------


def bulk_runner(packs: list[Any]) -> bulk.BulkRunner:
    packs = [pack for pack in packs if pack.record_type == "case-file"]
    evaluator = Evaluator(packs, run_settings(packs))
    return bulk.BulkRunner(evaluator, _paths_read(evaluator))


def raw_records(lines: list[str], pulled: list[int], fail_after: int | None = None) -> Iterator[RawRecord]:
    """The lines as records, counting in `pulled` how many were taken; an error after `fail_after`."""
    for index, line in enumerate(lines):
        if index == fail_after:
            raise OSError("the disk went away")
        pulled[0] = index + 1
        yield RawRecord(index, index + 1, None, text=line)


def screening_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "bulk-screen"]


def test_an_error_while_reading_is_raised_and_the_screening_thread_stops(packs: list[Any],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 10)
    runner = bulk_runner(packs)
    try:
        with pytest.raises(OSError, match="the disk went away"):
            runner.run(raw_records(generated_lines(60, 3), [0], fail_after=35))
    finally:
        runner.close()
    assert screening_threads() == []


def test_at_most_two_batches_are_held_and_an_error_while_evaluating_stops_the_screening(
        packs: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """While batch k is evaluated, batch k + 1 may be screened, but batch k + 2 is not read (memory holds two
    batches); an error in the evaluation is raised, and the screening thread stops without reading on."""
    monkeypatch.setattr(bulk, "CHUNK", 10)
    pulled, seen = [0], []
    original = bulk.BulkRunner.evaluate_batch

    def evaluate(self: bulk.BulkRunner, batch: bulk.ScreenedBatch) -> Any:
        time.sleep(0.2)  # the screening thread has time to run ahead, were it allowed to
        seen.append(pulled[0])
        if len(seen) == 4:
            raise RuntimeError("stopped")
        return original(self, batch)

    monkeypatch.setattr(bulk.BulkRunner, "evaluate_batch", evaluate)
    runner = bulk_runner(packs)
    try:
        with pytest.raises(RuntimeError, match="stopped"):
            runner.run(raw_records(generated_lines(100, 4), pulled))
    finally:
        runner.close()
    # batch k is evaluated with batch k + 1 read (given the time: 20, 30, 40, 50), never batch k + 2
    assert len(seen) == 4 and all(10 * (k + 1) <= pulled_then <= 10 * (k + 2) for k, pulled_then in enumerate(seen))
    assert pulled[0] <= 50 and screening_threads() == []  # nothing read after the error


def test_case_ids_spilled_to_disk_by_the_screening_thread(packs: list[Any], mixed_input: Path,
                                                           engine_runs: dict[str, Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Duplicate ids are found across batches once the ids are on disk, and the id file (made by the screening
    thread) is closed without an error wherever it is freed."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    monkeypatch.setattr(bulk, "CHUNK", 37)
    monkeypatch.setattr(CaseIds, "IN_MEMORY", 50)
    report = run_check(mixed_input, packs, run_settings(packs), keep=False, engine="sql")
    gc.collect()
    expected = engine_runs["records"]
    assert report.summary == expected.summary and report.rejected == expected.rejected
    assert [rejection["message"] for rejection in report.rejected if "duplicate" in rejection["message"]] == [
        "duplicate case_id 'SYN-2022-000011': first seen at record 11 (line 11); case ids must be unique"]
    assert unraisable == []


def test_a_terminated_bulk_run_stops_its_screening_and_leaves_no_files(tmp_path: Path) -> None:
    """SIGTERM while the bulk path runs (a thread screening, DuckDB evaluating): the command ends promptly with
    128 + SIGTERM, the previous findings file is kept and the scratch folders are removed."""
    lines = generated_lines(400, 9)
    assert all(line.startswith('{"case_id":"') for line in lines)
    cases = jsonl(tmp_path / "big.jsonl", [line.replace('{"case_id":"', f'{{"case_id":"R{copy}-', 1)
                                           for copy in range(100) for line in lines])  # 40,000 files
    findings = tmp_path / "findings.parquet"
    findings.write_text("the previous findings")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "checker.cli.main", str(cases), "--engine", "sql", "--quiet",
                                "--findings", str(findings)], cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(scratch.glob("bulk-*/bulk.duckdb")):
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1)  # into the first batch
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert process.stderr is not None and b"Traceback" not in process.stderr.read()
    assert findings.read_text() == "the previous findings"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["big.jsonl", "findings.parquet", "scratch"]
    assert list(scratch.iterdir()) == []
