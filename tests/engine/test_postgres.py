"""The compiled packs run for real on PostgreSQL: `check explain-sql --dialect postgres` output, run unchanged on a
server, gives every (record, rule) status and deciding clause the per-record engine and DuckDB give.

The server comes from `CHECKER_POSTGRES_DSN` (`.ci/run` starts a throwaway one and sets it). Without one the tests
skip, saying why; under CI (`CI=true`) they fail instead, so CI really runs them.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import shutil
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

from checker.api import compiled_sql, load_packs, packs_for
from checker.inputs.recordtypes import CASE_FILE, record_type
from checker.engine.evaluate import Evaluator
from checker.engine.fixtures import merge
from checker.inputs.records import CaseRecord
from checker.inputs.timestamps import parse_timestamp
from checker.runner import run_check
from checker.sql import calendar as workday_table
from checker.sql.postgres import PostgresTarget
from checker.sql.run import SqlBatch, SqlPlan, outcome_of
from synthetic.cases import generate_cases
from tests.conftest import case_file_fixture_records, paths_of, run_cli, write_pack
from tests.engine.test_sql_coverage import update_edges
from tests.engine.test_sql_engine import (CEL_OUTCOMES, ONE_RULE, SAMPLE, TIMESTAMP_TEXTS, checked,
                                          run_settings)

ROOT = Path(__file__).resolve().parent.parent.parent
DSN_VARIABLE = "CHECKER_POSTGRES_DSN"


def server_dsn(environ: dict[str, str]) -> str:
    """The test server's connection string; without one a skip saying why, or under CI a failure."""
    dsn = environ.get(DSN_VARIABLE, "")
    if dsn:
        return dsn
    reason = f"no PostgreSQL server for the warehouse tests: {DSN_VARIABLE} is not set (.ci/run starts one)"
    if environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI these tests must run")
    pytest.skip(reason)


def test_without_a_server_the_tests_skip_but_under_ci_they_fail() -> None:
    with pytest.raises(pytest.skip.Exception, match=DSN_VARIABLE):
        server_dsn({})
    with pytest.raises(pytest.fail.Exception, match="under CI these tests must run"):
        server_dsn({"CI": "true"})
    assert server_dsn({DSN_VARIABLE: "host=/tmp/x", "CI": "true"}) == "host=/tmp/x"


@pytest.fixture(scope="module")
def dsn() -> str:
    value = server_dsn(dict(os.environ))
    try:
        import psycopg  # noqa: F401  (the test extra)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("psycopg is not installed: pip install -e '.[test]'")
        pytest.skip("psycopg is not installed (the test extra)")
    return value


@pytest.fixture(scope="module")
def database(dsn: str) -> Iterator[Any]:
    """A connection whose tables live in a schema of their own (tests on other processes share the server),
    in a session zone far from the run's: the query must not depend on it."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
        connection.execute(f"SET search_path TO {schema}")
        connection.execute("SET TimeZone = 'Pacific/Chatham'")
        try:
            yield connection
        finally:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def years_of(records: list[CaseRecord]) -> tuple[int, int]:
    """The calendar's years for these records, as the DuckDB engine covers a batch."""
    years = {int(year) for year in re.findall(r'"(\d{4})-\d\d-\d\d', json.dumps([r.raw for r in records]))}
    return workday_table.year_span(years)


def run_printed(connection: Any, text: str, records: list[CaseRecord]) -> tuple[list[str], dict[int, tuple[int, ...]]]:
    """Load the records as the printed header says (record_index, record JSONB), run the printed text as it is
    (its SET, the calendar's CREATE and INSERT, the query), and return the rule columns and each record's codes."""
    connection.execute("DROP TABLE IF EXISTS records, workday_calendar")
    connection.execute("CREATE TABLE records (record_index BIGINT, record JSONB NOT NULL)")
    with connection.cursor() as cursor:
        with cursor.copy("COPY records (record_index, record) FROM STDIN") as loading:
            for index, record in enumerate(records):
                loading.write_row((index, json.dumps(record.raw)))
        cursor.execute(text)
        while cursor.description is None:  # the statements before the query
            assert cursor.nextset(), "the printed text gave no rows"
        columns = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    assert columns[0] == "record_index" and len(rows) == len(records)
    return columns[1:], {row[0]: tuple(row[1:]) for row in rows}


def compare(packs: list[Any], settings: Any, records: list[CaseRecord], columns: list[str],
            codes: dict[int, tuple[int, ...]]) -> list[str]:
    """Every (record, rule) where PostgreSQL's status or deciding clause differs from the per-record engine's, or its
    outcome code from DuckDB's; empty when the three agree."""
    evaluator = Evaluator(packs, settings)
    duck_plan = SqlPlan.build(evaluator)
    duck_columns = [rule.column for rule in duck_plan.rules if rule.code is not None]
    duck_codes = SqlBatch(duck_plan).codes(records)
    by_column = {"rule_" + compiled.rule.id.replace("-", "_"): compiled for compiled in evaluator.rules}
    found = []
    for index, record in enumerate(records):
        context = evaluator.context(record)
        duck = dict(zip(duck_columns, duck_codes[index]))
        for column, code in zip(columns, codes[index]):
            expected = by_column[column].decide(context)
            if outcome_of(code)[:2] != expected[:2]:
                found.append(f"{record.case_id} {column}: postgres {outcome_of(code)[:2]}, records {expected[:2]}")
            if column in duck and duck[column] != code:
                found.append(f"{record.case_id} {column}: postgres code {code}, duckdb {duck[column]}")
    return found


# Values that exercise nulls, errors and clock changes, put anywhere in generated records.
AWKWARD = [None, True, False, 0, 3, 17, 40, 0.5, -1.0, "", " ", "\u00a0", "16", "3A", "x", "withdrew", "person",
           "2022-10-30T01:30:00", "2022-10-30T00:59:59", "2022-03-27T01:30:00", "2022-03-27 00:30", "2022-10-30",
           "2022-12-25", "2022-04-15T23:30:00+01:00", "2022-06-01T12:00:00.123456789Z", "2022-06-01T12:00:00+0100",
           "2021-12-31T23:59:59Z", [], [{"at": None, "type": "suspect_charged"}]]


def damaged(count: int, seed: int) -> list[dict[str, Any]]:
    """Generated records with one to four values replaced, deleted or added beside (a fixed seed)."""
    draw = random.Random(seed)
    records = generate_cases(count, seed)
    for record in records:
        for _ in range(draw.randint(1, 4)):
            path = draw.choice(paths_of(record))
            parent = record
            for step in path[:-1]:
                parent = parent[step]
            action = draw.choice(["replace", "delete", "unknown"])
            if action == "replace":
                parent[path[-1]] = copy.deepcopy(draw.choice(AWKWARD))
            elif action == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[f"unexpected_{path[-1]}"] = draw.choice(AWKWARD[:10])
    return records


@pytest.fixture(scope="module")
def packs() -> list[Any]:
    """The case-file packs (rules/ holds packs of every record type; explain-sql compiles case-file's by default)."""
    return packs_for(load_packs([ROOT / "rules"]), CASE_FILE)


@pytest.fixture(scope="module")
def shipped_run(packs: list[Any], database: Any) -> tuple[list[CaseRecord], list[str], dict[int, tuple[int, ...]]]:
    """The shipped packs' query, printed by the command line, run once over the sample, every rule fixture's
    record, generated records and damaged ones (the records the checker accepts: the query's contract)."""
    records = checked(json.loads(SAMPLE.read_text(encoding="utf-8")))
    records += checked(case_file_fixture_records())
    records += checked(generate_cases(300, 21)) + checked(damaged(300, 22))
    first, last = years_of(records)
    printed = run_cli("explain-sql", str(ROOT / "rules"), "--dialect", "postgres", "--calendar-years", f"{first}-{last}")
    assert printed.returncode == 0, printed.stderr
    columns, codes = run_printed(database, printed.stdout, records)
    return records, columns, codes


def test_the_printed_query_runs_on_postgresql_and_agrees_with_both_engines(
        packs: list[Any], shipped_run: tuple[list[CaseRecord], list[str], dict[int, tuple[int, ...]]]) -> None:
    records, columns, codes = shipped_run
    assert len(records) > 600
    assert len(columns) == sum(len(pack.rules) for pack in packs)
    assert compare(packs, run_settings(packs), records, columns, codes) == []
    statuses = Counter(outcome_of(code).status for row in codes.values() for code in row)
    assert {"pass", "fail", "not_applicable", "manual"} <= set(statuses)  # errors: test_cel_outcomes_hold_on_postgresql


def test_the_sample_counts_are_the_reports_counts(
        packs: list[Any], shipped_run: tuple[list[CaseRecord], list[str], dict[int, tuple[int, ...]]]) -> None:
    """Each compiled rule's status counts over the sample, from PostgreSQL, are those of the report of either engine
    (a manual rule's applicable files are pending in SQL: the reviewers' judgements in the records decide them)."""
    _, columns, codes = shipped_run
    reports = [run_check(SAMPLE, packs, run_settings(packs), engine=engine) for engine in ("records", "sql")]
    for report in reports:
        assert report.summary["records_evaluated"] == 80
        scores = {"rule_" + score.id.replace("-", "_"): score for score in report.rules}
        for position, column in enumerate(columns):
            counted = Counter(outcome_of(codes[index][position]).status for index in range(80))
            expected = Counter({status: count for status, count in scores[column].counts.items() if count})
            if scores[column].kind == "manual":
                expected = Counter({status: expected[status] for status in ("not_applicable", "error")
                                    if expected[status]})
                expected["manual"] = 80 - sum(expected.values())
            assert counted == expected, column


def test_another_zone_and_calendar(packs: list[Any], database: Any) -> None:
    settings = run_settings(packs, timezone="America/New_York", calendar="weekdays-only")
    records = checked(generate_cases(200, 23), "America/New_York") + checked(damaged(200, 24), "America/New_York")
    text = compiled_sql(packs, settings, "postgres", years_of(records))
    assert text.startswith("-- Rule packs compiled to SQL (postgres); time zone America/New_York, calendar weekdays-only")
    columns, codes = run_printed(database, text, records)
    assert compare(packs, settings, records, columns, codes) == []


@pytest.mark.parametrize("as_of", [None, date(2023, 6, 1), date(2022, 2, 15)])
def test_update_frequency_edges_and_the_reference_date(packs: list[Any], database: Any, as_of: date | None) -> None:
    """latest(), as_of() and local-day gaps (vc-updates-at-agreed-frequency) on files at the clock changes, bank
    holidays, nulls and empty lists, with and without --as-of: PostgreSQL, DuckDB and the per-record engine agree."""
    settings = run_settings(packs, as_of=as_of)
    records = checked(update_edges()) + checked(generate_cases(100, 25))
    text = compiled_sql(packs, settings, "postgres", years_of(records))
    assert "not compiled" not in text
    columns, codes = run_printed(database, text, records)
    assert compare(packs, settings, records, columns, codes) == []
    updates = columns.index("rule_vc_updates_at_agreed_frequency")
    statuses = Counter(outcome_of(row[updates]).status for row in codes.values())
    assert {"pass", "fail", "not_applicable"} <= set(statuses)


@pytest.mark.parametrize(("expression", "fragment", "status"), CEL_OUTCOMES)
def test_cel_outcomes_hold_on_postgresql(database: Any, tmp_path: Path, expression: str, fragment: dict[str, Any],
                                         status: str) -> None:
    packs = load_packs([write_pack(tmp_path, ONE_RULE.format(expression=expression))])
    base = json.loads((ROOT / "rules" / "tests" / "base-case.json").read_text(encoding="utf-8"))
    records = checked([merge(base, fragment)])
    text = compiled_sql(packs, run_settings(packs), "postgres", (2020, 2024))
    assert "not compiled" not in text
    columns, codes = run_printed(database, text, records)
    assert columns == ["rule_t_expression"]
    assert outcome_of(codes[0][0]).status == status


def test_integer_overflow_is_an_error_on_postgresql(database: Any, tmp_path: Path) -> None:
    packs = load_packs([write_pack(tmp_path, ONE_RULE.format(
        expression="case.victim.age_at_offence * 4000000000000000000 > 0"))])
    base = json.loads((ROOT / "rules" / "tests" / "base-case.json").read_text(encoding="utf-8"))
    records = checked([merge(base, {"victim": {"age_at_offence": age}}) for age in (30, 1)])
    _, codes = run_printed(database, compiled_sql(packs, run_settings(packs), "postgres"), records)
    assert [outcome_of(codes[index][0]).status for index in (0, 1)] == ["error", "pass"]


@pytest.mark.parametrize("zone_name", ["Europe/London", "America/New_York", "Australia/Sydney", "UTC"])
def test_timestamps_read_on_postgresql_as_the_checker_reads_them(database: Any, zone_name: str) -> None:
    """Local times in the run's zone whatever the session's; the earlier reading of a repeated hour; the missing
    hour with the offset from before the change; digits beyond microseconds dropped, not rounded."""
    target = PostgresTarget()
    texts = TIMESTAMP_TEXTS + ["2022-06-01T12:00:00.9999999Z", "2022-06-01T12:00:00.123456789+01:00",
                               "2022-06-01T12:00:00z", "2022-04-03T02:30:00", "2022-10-02T02:30:00"]
    texts += [f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00" for year in (1975, 2022, 2045)
              for month, day in ((3, 27), (3, 28), (10, 30), (10, 31), (4, 3), (10, 2), (11, 6), (3, 13))
              for hour in (0, 1, 2, 3) for minute in (0, 30, 59)]
    column = exp.column("t")
    instant = target.epoch_us(target.timestamp_of(column, zone_name)).sql("postgres")
    rows = database.execute(f"SELECT t, {instant} FROM UNNEST(%s::TEXT[]) AS texts(t)", [texts]).fetchall()
    assert len(rows) == len(texts)
    for text, microseconds in rows:
        expected = parse_timestamp(text, zone_name) - datetime(1970, 1, 1, tzinfo=timezone.utc)
        assert microseconds == (expected.days * 86_400 + expected.seconds) * 1_000_000 + expected.microseconds, text


def test_records_load_with_the_documented_copy_command(dsn: str, tmp_path: Path) -> None:
    """The header's psql `\\copy` reads each JSON line as it is written (backslashes, quotes, tabs, non-ASCII)."""
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    text = compiled_sql(packs_for(load_packs([ROOT / "rules"]), CASE_FILE), dialect="postgres")
    commands = [line[len("--   "):] for line in text.splitlines() if line.startswith("--   ")]
    assert commands[0].startswith("CREATE TABLE records") and commands[1].startswith("\\copy records (record)")
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))[:3]
    records[0]["crime"]["reference"] = 'back\\slash "quoted"\ttab, comma; caf\u00e9'
    lines = tmp_path / "cases.jsonl"
    lines.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    script = "\n".join([f"CREATE SCHEMA {schema};", f"SET search_path TO {schema};", commands[0],
                        commands[1].replace("'cases.jsonl'", f"'{lines}'"),
                        "SELECT record_index, record::text FROM records ORDER BY record_index;",
                        f"DROP SCHEMA {schema} CASCADE;"])
    result = subprocess.run(["psql", dsn, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"], input=script,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded = [line.split("|", 1) for line in result.stdout.splitlines() if line]
    assert [int(index) for index, _ in loaded] == [1, 2, 3]
    assert [json.loads(document) for _, document in loaded] == records


@pytest.mark.parametrize("kind, sample", [("stop-search", "stop-search.json"), ("call", "calls.json")])
def test_the_other_record_types_run_on_postgresql_as_on_both_engines(kind: str, sample: str, database: Any) -> None:
    """The stop-search and call packs, printed for their type (`--record-type`), agree with the per-record
    engine and DuckDB on their samples."""
    packs = packs_for(load_packs([ROOT / "rules"]), record_type(kind))
    records = checked(json.loads((ROOT / "samples" / sample).read_text(encoding="utf-8")), kind=kind)
    assert len(records) > 50
    first, last = years_of(records)
    printed = run_cli("explain-sql", str(ROOT / "rules"), "--record-type", kind, "--dialect", "postgres",
                      "--calendar-years", f"{first}-{last}")
    assert printed.returncode == 0, printed.stderr
    columns, codes = run_printed(database, printed.stdout, records)
    assert len(columns) == sum(len(pack.rules) for pack in packs)  # every rule of these packs compiles
    assert compare(packs, run_settings(packs), records, columns, codes) == []
