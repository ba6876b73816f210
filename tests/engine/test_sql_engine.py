"""The SQL engine (checker.sql): rules compiled to SQL and run on DuckDB give what the per-record engine gives.

Differential: every (record, rule) status and deciding clause from SQL against the per-record engine's, on
the sample, the rule fixtures, generated records and hypothesis-damaged records; whole reports byte for byte.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from checker import runner
from checker.api import compiled_sql, load_packs, render
from checker.engine.evaluate import Evaluator
from checker.inputs.recordmodel import record_model
from checker.engine.fixtures import load_fixtures
from checker.inputs.records import CaseRecord, RawRecord, Rejection, check_record
from checker.inputs.timestamps import parse_timestamp
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from checker.sql import calendar as workday_table
from checker.sql.compile import timestamp_of
from checker.sql.run import SqlBatch, SqlPlan, explain_sql, outcome_of
from synthetic.cases import generate_cases
from tests.conftest import case_file_fixture_records, mutate_once, run_cli, write_cases, write_pack

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "samples" / "cases.json"


@pytest.fixture(scope="module")
def packs() -> list[Any]:
    """The case-file packs (rules/ holds packs of every record type)."""
    return [pack for pack in load_packs([ROOT / "rules"]) if pack.record_type == "case-file"]


def run_settings(packs: list[Any], **options: Any) -> RunSettings:
    return RunSettings(packs=pack_settings(packs, {}), **options)


def checked(records: list[dict[str, Any]], zone_name: str = "Europe/London", kind: str = "case-file") -> list[CaseRecord]:
    items = [check_record(RawRecord(index, None, record), zone_name, record_model(kind))
             for index, record in enumerate(records)]
    return [item for item in items if not isinstance(item, Rejection)]


_COMPILED: dict[int, tuple[Evaluator, SqlPlan, SqlBatch]] = {}


def compiled_for(packs: list[Any], settings: RunSettings) -> tuple[Evaluator, SqlPlan, SqlBatch]:
    """The evaluator, plan and batch runner for these packs and settings, built once per test session."""
    key = hash((id(packs), settings.timezone, settings.calendar, settings.evidence))
    if key not in _COMPILED:
        evaluator = Evaluator(packs, settings)
        plan = SqlPlan.build(evaluator)
        _COMPILED[key] = (evaluator, plan, SqlBatch(plan))
    return _COMPILED[key]


def disagreements(packs: list[Any], records: list[CaseRecord], settings: RunSettings | None = None) -> list[str]:
    """Every (record, rule) where SQL's status or deciding clause differs from the per-record engine's, and every
    result (message, clause, explanation, evidence) that differs; empty when the engines agree."""
    evaluator, plan, batch = compiled_for(packs, settings or run_settings(packs))
    contexts = [evaluator.context(record) for record in records]
    found = []
    for record, context, codes in zip(records, contexts, batch.codes(records)):
        compiled_codes = iter(codes)
        for rule in plan.rules:
            if rule.code is None:
                continue
            sql_outcome = outcome_of(next(compiled_codes))
            expected = rule.compiled.decide(context)
            if (sql_outcome.status, sql_outcome.clause) != (expected.status, expected.clause):
                found.append(f"{record.case_id} {rule.compiled.rule.id}: sql {sql_outcome[:2]}, records {expected[:2]}")
    for record, context, results in zip(records, contexts, batch.results(records, contexts)):
        if results != evaluator.evaluate(record, context):
            found.append(f"{record.case_id}: results differ")
    return found


def test_every_shipped_rule_compiles(packs: list[Any]) -> None:
    """No shipped case-file rule is left to the per-record engine (the stop-search and call packs are checked
    with their samples), so SQL decides every status the differential tests below compare."""
    _, plan, _ = compiled_for(packs, run_settings(packs))
    assert plan.fallback == {}
    assert len(plan.rules) == sum(len(pack.rules) for pack in packs)


def test_sample_statuses_and_clauses_agree(packs: list[Any]) -> None:
    records = checked(json.loads(SAMPLE.read_text(encoding="utf-8")))
    assert len(records) == 80
    assert disagreements(packs, records) == []


def test_rule_fixtures_agree(packs: list[Any]) -> None:
    records = checked(case_file_fixture_records())
    assert len(records) > 100
    assert disagreements(packs, records) == []


def test_stop_search_sample_and_fixtures_agree() -> None:
    """The stop-search pack on SQL: the audit sample and the pack's fixtures, status for status."""
    search_packs = [pack for pack in load_packs([ROOT / "rules"]) if pack.record_type == "stop-search"]
    sample = json.loads((ROOT / "samples" / "stop-search.json").read_text(encoding="utf-8"))
    fixtures = [dict(fixture.record, search_id=f"F-{position}") for position, fixture in enumerate(
        fixture for fixture in load_fixtures(ROOT / "rules" / "tests" / "stop-search.test.yaml"))]
    records = checked(sample + fixtures, kind="stop-search")
    assert len(records) == 183 + len(fixtures) and len(fixtures) > 30
    assert disagreements(search_packs, records) == []
    # Every rule of the pack is compiled (none left to the per-record engine), so SQL decided the statuses above.
    _, plan, _ = compiled_for(search_packs, run_settings(search_packs))
    assert plan.fallback == {} and len(plan.rules) == 9


def test_generated_records_agree(packs: list[Any]) -> None:
    records = checked(generate_cases(1500, 11))
    assert disagreements(packs, records) == []


def test_generated_records_agree_in_another_zone_and_calendar(packs: list[Any]) -> None:
    settings = run_settings(packs, timezone="America/New_York", calendar="weekdays-only")
    records = checked(generate_cases(500, 12), "America/New_York")
    assert disagreements(packs, records, settings) == []


# Values that exercise CEL's nulls and errors, and local times around the clock changes.
AWKWARD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.sampled_from([0.5, 2.0, -1.0]),
    st.sampled_from(["", " ", "\u00a0", "16", "3A", "x", "never_supported", "withdrew", "person", "business",
                     "verifiable_information", "duplicate", "designated_decision_maker", "signed_statement",
                     "2022-10-30T01:30:00", "2022-10-30T00:59:59", "2022-10-30T02:00", "2022-03-27T01:30:00",
                     "2022-03-27 00:30", "2022-10-30", "2022-12-25", "2022-04-15T23:30:00+01:00",
                     "2022-06-01T12:00:00.123456789Z", "2022-06-01T12:00:00+0100", "2021-12-31T23:59:59Z"]),
    st.lists(st.fixed_dictionaries({"at": st.sampled_from([None, "2022-10-30T01:30", "2022-11-02"]),
                                    "type": st.sampled_from(["suspect_charged", "out_of_court_disposal"]),
                                    "victim_informed_at": st.sampled_from([None, "2022-11-03T09:00:00Z"])}),
             max_size=2),
)


@hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_records_agree(packs: list[Any], data: st.DataObject) -> None:
    base = generate_cases(12, data.draw(st.integers(0, 1000)))
    records = []
    for record in base:
        for _ in range(data.draw(st.integers(1, 4))):
            mutate_once(data.draw, record, AWKWARD_VALUES)
        records.append(record)
    assert disagreements(packs, checked(records)) == []


# --- timestamps -----------------------------------------------------------------------------------------


TIMESTAMP_TEXTS = [
    "2022-10-30T00:30:00", "2022-10-30T01:00:00", "2022-10-30T01:30:00", "2022-10-30T01:59:59.999999",
    "2022-10-30T02:00:00", "2022-10-30 01:15", "2022-03-27T00:59:00", "2022-03-27T01:00:00", "2022-03-27T01:30:00",
    "2022-03-27T02:00:00", "2022-03-27", "2022-10-30", "2022-06-01T12:00:00Z", "2022-06-01T12:00:00+01:00",
    "2022-06-01T12:00:00-0330", "2022-06-01T12:00:00.5", "2022-01-01T00:00",
]


@pytest.mark.parametrize("zone_name", ["Europe/London", "America/New_York", "UTC"])
def test_timestamps_read_in_the_run_zone_as_the_checker_reads_them(zone_name: str) -> None:
    """Offset-less local times in the run's zone; the repeated autumn hour takes the earlier reading (SQL engines
    take the later); the missing spring hour is read with the offset from before the change."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    texts = pa.table({"t": pa.array(TIMESTAMP_TEXTS, pa.string())})
    connection.register("texts", texts)
    instant = timestamp_of(sqlglot.exp.column("t"), zone_name).sql("duckdb")
    rows = connection.execute(f"SELECT t, EPOCH_US({instant}) FROM texts").fetchall()
    for text, microseconds in rows:
        expected = parse_timestamp(text, zone_name)
        expected_us = round((expected - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1_000_000)
        assert microseconds == expected_us, text


def test_the_repeated_autumn_hour_is_the_earlier_reading() -> None:
    connection = duckdb.connect()
    instant = timestamp_of(sqlglot.exp.Literal.string("2022-10-30T01:30:00"), "Europe/London").sql("duckdb")
    (reading,) = connection.execute(f"SELECT CAST({instant} AT TIME ZONE 'UTC' AS VARCHAR)").fetchone()
    assert reading == "2022-10-30 00:30:00"  # 01:30 summer time; the later reading would be 01:30 UTC


def test_working_day_ordinals_count_as_the_calendar_does() -> None:
    from checker.engine.workdays import working_days_between_dates

    first_day, ordinals = workday_table.ordinals(2021, 2023, "england-and-wales")
    days = [first_day.fromordinal(first_day.toordinal() + offset) for offset in range(0, len(ordinals), 37)]
    for start in days[:12]:
        for end in days[::5]:
            assert (ordinals[(end - first_day).days] - ordinals[(start - first_day).days]
                    == working_days_between_dates(start, end, "england-and-wales"))


# --- rules that cannot be compiled ----------------------------------------------------------------------


UNSUPPORTED_PACK = """
rules:
  - id: odd-reference-prefix
    title: Crime reference starts with the force prefix
    family: crime-recording
    severity: low
    kind: automatic
    source: {document: test, paragraph: one, status: assumed}
    assert:
      all:
        recorded: case.crime.reference != null
        prefixed: case.crime.reference.startsWith("SYN")
    message: The crime reference has no force prefix
    evidence: [crime.reference]
  - id: odd-compiled
    title: Recorded
    family: crime-recording
    severity: low
    kind: automatic
    source: {document: test, paragraph: one, status: assumed}
    assert: case.crime.recorded_at != null
    message: Not recorded
"""


def test_a_rule_that_cannot_be_compiled_runs_on_the_per_record_engine(tmp_path: Path) -> None:
    packs = load_packs([write_pack(tmp_path, UNSUPPORTED_PACK)])
    plan = SqlPlan.build(Evaluator(packs, run_settings(packs)))
    assert list(plan.fallback) == ["odd-reference-prefix"]
    assert "startsWith" in plan.fallback["odd-reference-prefix"]
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))
    records[0]["crime"]["reference"] = "X-1"
    cases = write_cases(tmp_path / "cases.json", records)
    by_engine = {engine: run_check(cases, packs, run_settings(packs), engine=engine) for engine in ("records", "sql")}
    assert render("json", by_engine["sql"]) == render("json", by_engine["records"])
    counts = by_engine["sql"].rules[0].counts
    assert counts["fail"] == 1 and counts["pass"] == 79
    text = compiled_sql(packs)
    assert "-- odd-reference-prefix: not compiled" in text and "per-record engine" in text


# --- whole runs: the report is the same whichever engine runs -------------------------------------------


@pytest.fixture(scope="module")
def default_plan(packs: list[Any]) -> SqlPlan:
    """The shipped packs compiled once for the module, with their default settings."""
    return SqlPlan.build(Evaluator(packs, run_settings(packs)))


@pytest.fixture(scope="module")
def sample_reports(packs: list[Any]) -> list[Any]:
    """The shipped sample scored by each engine, once for the module (every format is compared on them)."""
    return [run_check(SAMPLE, packs, run_settings(packs), engine=engine) for engine in ("records", "sql")]


@pytest.mark.parametrize("format_name", ["json", "csv", "table", "markdown", "html"])
def test_reports_are_the_same_whichever_engine_runs(sample_reports: list[Any], format_name: str) -> None:
    assert render(format_name, sample_reports[0]) == render(format_name, sample_reports[1])


def test_rejections_and_findings_only_evidence_are_the_same(packs: list[Any], tmp_path: Path) -> None:
    records: list[Any] = generate_cases(300, 5)
    records[3]["crime"]["reported_at"] = "2022-13-01"  # rejected, located
    records[7] = copy.deepcopy(records[6])  # a duplicate case id
    records.append([1, 2])  # not a case file
    cases = write_cases(tmp_path / "cases.json", records)
    settings = run_settings(packs, evidence="findings")
    reports = [run_check(cases, packs, settings, engine=engine, jobs=jobs)
               for engine, jobs in (("records", 1), ("sql", 1), ("sql", 2))]
    assert reports[1].summary == {"records_read": 301, "records_evaluated": 298, "records_rejected": 3}
    assert render("json", reports[0]) == render("json", reports[1]) == render("json", reports[2])


def test_auto_takes_sql_above_the_threshold(packs: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[int] = []
    original = SqlBatch.codes

    def spy(self: SqlBatch, records: Any) -> Any:
        used.append(len(records))
        return original(self, records)

    monkeypatch.setattr(SqlBatch, "codes", spy)
    run_check(SAMPLE, packs, run_settings(packs), engine="auto")
    assert used == []  # 80 records: record by record
    monkeypatch.setattr(runner, "AUTO_SQL_THRESHOLD", 50)
    report = run_check(SAMPLE, packs, run_settings(packs), engine="auto")
    assert used == [80] and report.summary["records_evaluated"] == 80


def test_an_unknown_engine_is_refused(packs: list[Any]) -> None:
    with pytest.raises(ValueError, match="unknown engine 'fast'"):
        run_check(SAMPLE, packs, run_settings(packs), engine="fast")


# --- explain-sql --------------------------------------------------------------------------------------


def test_explained_duckdb_query_runs_unchanged_on_duckdb(packs: list[Any], default_plan: SqlPlan) -> None:
    """The printed text, run on a DuckDB table of the sample, gives the per-record engine's outcomes."""
    settings = run_settings(packs)
    text = explain_sql(default_plan, "duckdb")
    records = checked(json.loads(SAMPLE.read_text(encoding="utf-8")))
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    documents = pa.table({"record_index": pa.array(range(len(records)), pa.int64()),
                          "document": pa.array([json.dumps(record.raw) for record in records], pa.string())})
    connection.register("documents", documents)
    from checker.sql.run import json_structure, records_schema
    structure = json.dumps(json_structure(records_schema(record_model())))
    connection.execute(f"CREATE TABLE records AS SELECT record_index, "
                       f"UNNEST(JSON_TRANSFORM(document, '{structure}')) FROM documents")
    first_day, ordinals = workday_table.ordinals(2020, 2024, "england-and-wales")
    connection.execute("CREATE TABLE workday_calendar AS SELECT ?::DATE AS first_day, ?::INTEGER[] AS ordinals",
                       [first_day, ordinals])
    result = connection.execute(text)
    columns = [column[0] for column in result.description]
    rows = result.fetchall()
    evaluator = Evaluator(packs, settings)
    assert len(rows) == 80
    compiled_rules = evaluator.rules
    assert columns[1:] == ["rule_" + compiled.rule.id.replace("-", "_") for compiled in compiled_rules]
    for row in rows:
        context = evaluator.context(records[row[0]])
        for code, compiled in zip(row[1:], compiled_rules):
            expected = compiled.decide(context)
            assert outcome_of(code)[:2] == expected[:2], (records[row[0]].case_id, compiled.rule.id)


@pytest.mark.parametrize("dialect", ["postgres", "spark", "bigquery"])
def test_explained_query_parses_in_other_dialects(default_plan: SqlPlan, dialect: str) -> None:
    """Spark's and BigQuery's text (DuckDB's transpiled: not run) parses with sqlglot's parser for the dialect, the
    working-day table's statements too; PostgreSQL's is run on a server (test_postgres.py)."""
    text = explain_sql(default_plan, dialect, calendar_years=(2021, 2022))
    statements = [statement for statement in sqlglot.parse(text, read=dialect) if statement is not None]
    kinds = [type(statement).__name__ for statement in statements]
    assert kinds == (["Set"] if dialect == "postgres" else []) + ["Create", "Insert", "Select"]
    assert "rule_vc_needs_assessment" in text and "rule_out16_signed_decision" in text
    inserted = statements[-2].find(sqlglot.exp.Array)
    assert inserted is not None and len(inserted.expressions) == 730  # a value per day of 2021 and 2022


def test_the_calendar_statements_fill_the_table_the_duckdb_query_reads(packs: list[Any], default_plan: SqlPlan) -> None:
    text = explain_sql(default_plan, "duckdb", calendar_years=(2021, 2023))
    connection = duckdb.connect()
    for statement in sqlglot.parse(text, read="duckdb")[:2]:  # CREATE, INSERT
        connection.execute(statement.sql("duckdb"))
    first_day, ordinals = connection.execute("SELECT first_day, ordinals FROM workday_calendar").fetchone()
    assert (first_day, ordinals) == workday_table.ordinals(2021, 2023, "england-and-wales")


def test_cli_explain_sql_calendar_years() -> None:
    printed = run_cli("explain-sql", "rules", "--dialect", "postgres", "--calendar-years", "2022-2022")
    assert printed.returncode == 0, printed.stderr
    assert "\nSET jit = off;\nCREATE TABLE workday_calendar (first_day DATE, ordinals INTEGER[]);\n" \
           "INSERT INTO workday_calendar VALUES (DATE '2022-01-01', ARRAY[0, 0, 0, 1, 2," in printed.stdout
    for wrong in ("2022", "2023-2021", "x-2022", "0-10"):
        refused = run_cli("explain-sql", "rules", "--calendar-years", wrong)
        assert refused.returncode == 2 and "expected FIRST-LAST" in refused.stderr, wrong


# --- the command line -------------------------------------------------------------------------------


def test_cli_engine_option_gives_the_same_output(tmp_path: Path) -> None:
    outputs = {}
    for engine in ("records", "sql"):
        result = run_cli(str(SAMPLE), "--engine", engine, "--format", "csv")
        assert result.returncode == 0, result.stderr
        outputs[engine] = result.stdout
    assert outputs["records"] == outputs["sql"] and outputs["sql"].count("\n") > 80
    refused = run_cli(str(SAMPLE), "--engine", "fast")
    assert refused.returncode == 2 and "unknown engine 'fast': expected one of auto, records, sql" in refused.stderr


def test_cli_explain_sql_prints_the_query_in_a_dialect() -> None:
    result = run_cli("explain-sql", "rules", "--dialect", "postgres")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("-- Rule packs compiled to SQL (postgres); time zone Europe/London")
    assert sqlglot.parse_one(result.stdout, read="postgres").find(sqlglot.exp.Select) is not None
    refused = run_cli("explain-sql", "--dialect", "oracle")
    assert refused.returncode == 2 and "unknown SQL dialect 'oracle'" in refused.stderr


# --- Parquet input ------------------------------------------------------------------------------------


def test_a_parquet_file_scores_as_its_json_does(packs: list[Any], tmp_path: Path) -> None:
    from checker.inputs.parquet import write_parquet

    records = json.loads(SAMPLE.read_text(encoding="utf-8"))
    parquet_file = tmp_path / "cases.parquet"
    assert write_parquet(records, parquet_file, batch=30) == 80
    reports = {engine: run_check(parquet_file, packs, run_settings(packs), engine=engine) for engine in ("records", "sql")}
    from_json = json.loads(render("json", run_check(SAMPLE, packs, run_settings(packs))))
    from_parquet = json.loads(render("json", reports["sql"]))
    assert render("json", reports["records"]) == render("json", reports["sql"])
    assert from_parquet["input"]["format"] == "parquet"
    for document in (from_json, from_parquet):
        document.pop("input")
        for record in document["records"]:
            record.pop("line")  # a row number in Parquet, a line of the JSON file
    assert from_parquet == from_json


def test_a_damaged_parquet_file_is_a_located_input_error(tmp_path: Path) -> None:
    from checker.errors import InputError

    broken = tmp_path / "cases.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="cases.parquet.*not a readable Parquet file"):
        list(runner.open_source(broken).records())


# --- CEL's three outcomes in SQL, expression by expression -----------------------------------------------

ONE_RULE = """
rules:
  - id: t-expression
    title: One expression
    family: test
    severity: low
    kind: automatic
    source: {{document: test, paragraph: one, status: assumed}}
    assert: '{expression}'
    message: Failed
"""

NO_OUTCOME = {"outcome": None}
OUTCOME_16 = {"outcome": {"code": "16", "finalised_at": "2022-10-30T01:30:00"}}


# (expression, fragment of the base record, the status CEL gives): also run on PostgreSQL (test_postgres.py)
CEL_OUTCOMES = [
    ('case.outcome.code == "16" && false', NO_OUTCOME, "fail"),  # false decides &&, whatever errs
    ('false && case.outcome.code == "16"', NO_OUTCOME, "fail"),
    ('case.outcome.code == "16" || true', NO_OUTCOME, "pass"),  # true decides ||
    ('case.outcome.code == "16" && true', NO_OUTCOME, "error"),  # a field of null is an error
    ('case.outcome.code == "16" || false', NO_OUTCOME, "error"),
    ("case.outcome == null", NO_OUTCOME, "pass"),
    ("case.victim.decision_record.signed_by_victim != true", {"victim": {"decision_record": None}}, "error"),
    ("case.crime.recorded_at < case.crime.reported_at", {"crime": {"recorded_at": None}}, "error"),  # null < x
    ('case.victim.kind in ["person"]', {"victim": {"kind": None}}, "fail"),  # null in a list is false
    ("!(case.crime.flags.domestic_abuse)", {"crime": {"flags": {"domestic_abuse": None}}}, "error"),
    ("case.crime.flags.domestic_abuse ? true : false", {"crime": {"flags": {"domestic_abuse": None}}}, "error"),
    ("hours_between(case.crime.reported_at, case.outcome.finalised_at) > 0.0", OUTCOME_16, "pass"),
    ('case.outcome.finalised_at == timestamp("2022-10-30T00:30:00Z")', OUTCOME_16, "pass"),  # the earlier reading
    ("code_number(case.outcome.code) == 16", OUTCOME_16, "pass"),
    ("case.key_events.all(e, e.at != null)", {"key_events": [{"type": "suspect_arrested", "at": None}]}, "fail"),
    ("case.key_events.exists(e, e.at < case.crime.reported_at)",
     {"key_events": [{"type": "suspect_arrested", "at": None}]}, "error"),
    ("case.key_events.exists(e, e.at == null || e.at < case.crime.reported_at)",
     {"key_events": [{"type": "suspect_arrested", "at": None}]}, "pass"),
    ("size(case.key_events.filter(e, e.at != null)) == 0", {"key_events": [{"type": "suspect_arrested", "at": None}]},
     "pass"),
    ("longest_gap_days(case.victim.updates.map(u, u.at)) == 0.0", {"victim": {"updates": []}}, "pass"),
    ("longest_gap_days([case.crime.reported_at, case.crime.recorded_at]) > 0.0", {"crime": {"recorded_at": None}},
     "error"),
    ('case.outcome.rationale.matches("\\\\S")', {"outcome": {"code": "10", "rationale": "\u00a0 "}}, "pass"),  # RE2: \\s is ASCII
    ('case.outcome.rationale.matches("\\\\S")', {"outcome": {"code": "10", "rationale": " \t"}}, "fail"),
    ('case.outcome.rationale.matches("\\\\d")', {"outcome": {"code": "10", "rationale": "\u0663 Arabic-Indic"}}, "fail"),
    ('size(case.outcome.rationale) == 3', {"outcome": {"code": "10", "rationale": "h\u00e9\u00e9"}}, "pass"),
    ('double(case.victim.age_at_offence) / 0.0 > 1000.0', {"victim": {"age_at_offence": 30}}, "pass"),
    ('case.victim.kind in ["person", null]', {"victim": {"kind": None}}, "pass"),
    ('case.victim.kind in [null, "person"]', {"victim": {"kind": "person"}}, "pass"),  # a list typed by its non-null
    ('string(code_number(case.outcome.code)) == "16"', OUTCOME_16, "pass"),
    ('string(case.victim.age_at_offence) == "x"', {"victim": {"age_at_offence": None}}, "error"),  # string(null)
    ('string(case.crime.flags.domestic_abuse) + string(case.outcome.code) == "true16"',
     {"crime": {"flags": {"domestic_abuse": True}}, "outcome": {"code": "16"}}, "pass"),
    ('string(-3) == "-3"', {}, "pass"),
    ('local_date(case.outcome.finalised_at) == "2022-10-30"', OUTCOME_16, "pass"),  # 00:30 UTC: 01:30 BST
    ('local_date_plus_months(case.outcome.finalised_at, 4) == "2023-02-28"',
     {"outcome": {"code": "16", "finalised_at": "2022-10-31T23:30:00Z"}}, "pass"),  # 31 Oct + 4 months, clamped
    ('local_date_plus_months(case.outcome.finalised_at, -8) == "2022-02-28"',
     {"outcome": {"code": "16", "finalised_at": "2022-10-30T00:30:00Z"}}, "pass"),
    ('local_date(case.outcome.finalised_at) == null', {"outcome": {"code": "16", "finalised_at": None}}, "pass"),
    ('case.crime.reference < "a"', {"crime": {"reference": "B-1"}}, "pass"),  # code points: "B" < "a"
    ('size((case.victim.kind == null ? [] : [case.victim.kind]) + ["x"]) == 1', {"victim": {"kind": None}}, "pass"),
    ("case.key_events.exists(e, e.type == \"suspect_charged\" && case.key_events.all(f, f.at != null))",
     {"key_events": [{"type": "suspect_charged", "at": "2022-11-02"}, {"type": "suspect_arrested", "at": None}]}, "fail"),
]


@pytest.mark.parametrize(("expression", "fragment", "status"), CEL_OUTCOMES)
def test_cel_outcomes_hold_in_sql(tmp_path: Path, expression: str, fragment: dict[str, Any], status: str) -> None:
    from checker.engine.fixtures import merge

    packs = load_packs([write_pack(tmp_path, ONE_RULE.format(expression=expression))])
    base = json.loads((ROOT / "rules" / "tests" / "base-case.json").read_text(encoding="utf-8"))
    records = checked([merge(base, fragment)])
    assert len(records) == 1
    evaluator = Evaluator(packs, run_settings(packs))
    plan = SqlPlan.build(evaluator)
    assert plan.fallback == {}
    (codes,) = SqlBatch(plan).codes(records)
    assert outcome_of(codes[0]).status == status
    assert evaluator.rules[0].decide(evaluator.context(records[0])).status == status


@pytest.mark.parametrize("expression", [
    'case.crime.reported_at.getFullYear("Europe/London") > 2000',  # a getter with a time zone
    "case.key_events[0].at != null",  # indexing
    'case.crime.reference.startsWith("SYN")',
    'case.outcome.rationale.matches("a.b$")',  # . and $ depend on RE2 options
    "size(case.audit.judgements) > 0",  # maps
    'case.key_events.map(e, e.type) == ["suspect_charged"]',  # lists compared (SQL engines differ on nulls in them)
])
def test_cel_the_compiler_cannot_translate_exactly_is_left_to_the_per_record_engine(tmp_path: Path,
                                                                                      expression: str) -> None:
    packs = load_packs([write_pack(tmp_path, ONE_RULE.format(expression=expression))])
    plan = SqlPlan.build(Evaluator(packs, run_settings(packs)))
    assert list(plan.fallback) == ["t-expression"]


@hypothesis_settings(max_examples=30, deadline=None)
@given(zone_name=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "America/Sao_Paulo"]),
       moments=st.lists(st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2060, 12, 31)),
                        min_size=1, max_size=40),
       layout=st.sampled_from(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S.%f"]))
def test_local_times_read_as_the_checker_reads_them(zone_name: str, moments: list[datetime], layout: str) -> None:
    """Random wall-clock times (many near no clock change, some in repeated or missing hours by chance, and the
    hours around each change added explicitly) are the same instants in SQL and in the checker."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    texts = [moment.strftime(layout) for moment in moments]
    for moment in moments:  # the hours either side of the year's clock changes
        for month, day in ((3, 27), (10, 30), (4, 3), (10, 2), (11, 6), (2, 19)):
            for hour in (0, 1, 2, 3):
                texts.append(f"{moment.year}-{month:02d}-{day:02d}T{hour:02d}:30:00")
    assert zone is not None
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("texts", pa.table({"t": pa.array(texts, pa.string())}))
    instant = timestamp_of(sqlglot.exp.column("t"), zone_name).sql("duckdb")
    for text, microseconds in connection.execute(f"SELECT t, EPOCH_US({instant}) FROM texts").fetchall():
        expected = parse_timestamp(text, zone_name) - datetime(1970, 1, 1, tzinfo=timezone.utc)
        assert microseconds == (expected.days * 86_400 + expected.seconds) * 1_000_000 + expected.microseconds, text


def test_a_zone_whose_clocks_go_back_other_than_an_hour_runs_on_the_per_record_engine(packs: list[Any]) -> None:
    plan = SqlPlan.build(Evaluator(packs, run_settings(packs, timezone="Australia/Lord_Howe")))
    assert len(plan.fallback) == len(plan.rules)
    assert all("Australia/Lord_Howe" in reason for reason in plan.fallback.values())


def test_integer_overflow_is_an_error_as_in_cel(tmp_path: Path) -> None:
    """CEL ints are 64-bit and overflow is an error; DuckDB would widen the result silently."""
    packs = load_packs([write_pack(tmp_path, ONE_RULE.format(expression="case.victim.age_at_offence * 4000000000000000000 > 0"))])
    base = json.loads((ROOT / "rules" / "tests" / "base-case.json").read_text(encoding="utf-8"))
    huge, small = copy.deepcopy(base), copy.deepcopy(base)
    huge["victim"]["age_at_offence"], huge["case_id"] = 30, "HUGE"
    small["victim"]["age_at_offence"], small["case_id"] = 1, "SMALL"
    cases = write_cases(tmp_path / "cases.json", [huge, small])
    reports = [run_check(cases, packs, run_settings(packs), engine=engine) for engine in ("records", "sql")]
    assert [record.results[0].status for record in reports[1].records] == ["error", "pass"]
    assert render("json", reports[0]) == render("json", reports[1])


def test_a_batch_the_query_cannot_compute_is_decided_record_by_record(packs: list[Any],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(self: SqlBatch, records: Any) -> Any:
        raise duckdb.OutOfRangeException("a value out of range")

    expected = render("json", run_check(SAMPLE, packs, run_settings(packs), engine="records"))
    monkeypatch.setattr(SqlBatch, "codes", stopped)
    assert render("json", run_check(SAMPLE, packs, run_settings(packs), engine="sql")) == expected
