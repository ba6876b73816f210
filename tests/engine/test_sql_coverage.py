"""Every shipped rule and the evidence of its findings decided in SQL: no rule of the shipped packs is left to the
per-record engine by the bulk path, and the findings file it writes is the per-record engine's, byte for byte,
on records chosen to reach the date helpers' edges (clock changes, bank holidays, nulls, empty lists, fractions
of a second, --as-of)."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from checker.api import load_packs, render
from checker.engine.evaluate import Evaluator
from checker.engine.fixtures import merge
from checker.inputs.recordmodel import record_model
from checker.report.findings_file import FindingsSink
from checker.runner import _paths_read, run_check
from checker.settings import RunSettings, pack_settings
from checker.sql import bulk
from checker.sql.run import SqlPlan
from synthetic.cases import generate_cases
from tests.conftest import case_file_fixture_records, rule_yaml, rules_yaml, write_pack

ROOT = Path(__file__).resolve().parent.parent.parent
BASE = json.loads((ROOT / "rules" / "tests" / "base-case.json").read_text(encoding="utf-8"))

# The rules whose results (vc-updates-at-agreed-frequency) or whose findings' evidence (lists, instants, a list of
# mixed types) the bulk path once left to the per-record engine.
ONCE_IN_PYTHON = ["vc-updates-at-agreed-frequency", "inv-supervision-regular", "vic-independent-adviser-offered",
                  "out16-supervised", "out-code-valid-for-date", "ooc-victim-views", "vc-enhanced-rights-assessed",
                  "vc-key-decisions-informed", "vc-review-information"]


def shipped_packs(kind: str) -> list[Any]:
    return [pack for pack in load_packs([ROOT / "rules"]) if pack.record_type == kind]


def run_settings(packs: list[Any], **options: Any) -> RunSettings:
    return RunSettings(packs=pack_settings(packs, {}), **options)


@pytest.mark.parametrize("kind", ["case-file", "stop-search", "call"])
def test_the_bulk_path_leaves_no_shipped_rule_or_evidence_to_the_per_record_engine(kind: str) -> None:
    packs = shipped_packs(kind)
    evaluator = Evaluator(packs, run_settings(packs), model=record_model(kind))
    assert SqlPlan.build(evaluator).fallback == {}
    runner = bulk.BulkRunner(evaluator, _paths_read(evaluator))
    try:
        assert runner.python_rules == {}
        computed = sum(1 for compiled in evaluator.rules for _, path, _ in compiled.evidence if path is None)
        assert len(runner.computed) == computed > 0
    finally:
        runner.close()


def update_edges() -> list[dict[str, Any]]:
    """Files at the edges of the update-frequency rule and of the evidence shown for it: open and finalised files,
    updates across the clock changes (the repeated autumn hour read as its earlier reading), on bank holidays,
    at a fraction of a second, none, null, and key events told the victim."""
    agreement = {"agreed_at": "2022-01-31T11:00:00Z", "interval_days": 7, "method": "phone"}
    fragments: list[dict[str, Any]] = [
        {"victim": {"contact_agreement": agreement, "updates": []}},
        {"victim": {"contact_agreement": agreement, "updates": None}},
        {"victim": {"contact_agreement": agreement, "updates": [{"at": None, "method": "phone"}]}},
        {"victim": {"contact_agreement": agreement, "updates": [{"at": "2022-02-07T23:30:00"}]}, "outcome": None},
        {"victim": {"contact_agreement": agreement, "updates": [{"at": "2022-02-07T23:30:00.250Z"}]},
         "outcome": {"code": "16", "finalised_at": None}},
        {"crime": {"reported_at": "2022-10-23T00:30:00"},
         "victim": {"contact_agreement": dict(agreement, agreed_at="2022-10-23T09:00:00"),
                    "updates": [{"at": "2022-10-30T01:30:00"}, {"at": "2022-11-06T00:59:59.999999"}]},
         "outcome": {"code": "16", "finalised_at": "2022-11-13T01:30:00+01:00"}, "key_events": []},
        {"crime": {"reported_at": "2022-03-20T00:30:00"},
         "victim": {"contact_agreement": dict(agreement, agreed_at="2022-03-20T09:00:00", interval_days=1),
                    "updates": [{"at": "2022-03-27T01:30:00"}, {"at": "2022-03-27T23:30:00"}]},
         "outcome": {"code": "16", "finalised_at": "2022-03-28T00:30:00"}, "key_events": []},
        {"crime": {"reported_at": "2022-12-19T09:00:00Z"},
         "victim": {"contact_agreement": dict(agreement, agreed_at="2022-12-19T10:00:00Z"),
                    "updates": [{"at": "2022-12-26T10:00:00Z", "automated": True}, {"at": "2023-01-02"}]},
         "outcome": {"code": "16", "finalised_at": "2023-01-09T16:00:00Z"},
         "key_events": [{"type": "suspect_arrested", "at": "2022-12-23T13:00:00Z", "victim_informed_at": "2022-12-27"},
                        {"type": "suspect_charged", "at": "2022-12-30T13:00:00Z", "victim_informed_at": None},
                        {"type": "out_of_court_disposal", "at": "2023-01-03T09:00:00.500Z"},
                        {"type": "suspect_interviewed", "at": None}]},
        {"victim": {"contact_agreement": dict(agreement, interval_days=None)}},
        {"victim": {"contact_agreement": dict(agreement, opted_out=True)}},
        {"outcome": {"code": "16B"}},  # a letter suffix the outcome types do not define
        {"outcome": {"code": "22", "finalised_at": "2019-03-31T23:30:00Z"}},  # 00:30 on 1 April, local time
    ]
    records = []
    for number, fragment in enumerate(fragments):
        record = merge(copy.deepcopy(BASE), fragment)
        record["case_id"] = f"EDGE-{number}"
        records.append(record)
    return records


def findings_bytes(path: Path, packs: list[Any], settings: RunSettings, engine: str, name: Path,
                   screened: float = 1.0) -> bytes:
    """The findings file a run writes, then the run's report (markdown); with the SQL engine, its bulk path must run, SQL screening and deciding
    every file (at least that share of them, `screened`), every rule and every evidence value."""
    used: list[bulk.Counted] = []
    original = bulk.run_bulk

    def spy(runner: bulk.BulkRunner, *args: Any, **kwargs: Any) -> Any:
        assert runner.python_rules == {}
        counted = original(runner, *args, **kwargs)
        used.append(counted)
        return counted

    sink = FindingsSink(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "run_bulk", spy)
        report = run_check(path, packs, settings, sinks=[sink], keep=False, engine=engine, notice=pytest.fail)
    sink.finish()
    if engine == "sql":
        assert len(used) == 1 and used[0].screened >= screened * report.summary["records_read"]
    return name.read_bytes() + b"\f" + render("markdown", report).encode()


@pytest.mark.parametrize("as_of", [None, date(2023, 6, 1), date(2022, 2, 15)])
def test_the_findings_file_is_the_per_record_engines_byte_for_byte(tmp_path: Path, as_of: date | None) -> None:
    packs = shipped_packs("case-file")
    settings = run_settings(packs, as_of=as_of)
    records = generate_cases(300, 15) + update_edges()
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(orjson.dumps(record).decode() + "\n" for record in records), encoding="utf-8")
    by_records = findings_bytes(cases, packs, settings, "records", tmp_path / "records.jsonl")
    by_sql = findings_bytes(cases, packs, settings, "sql", tmp_path / "sql.jsonl")
    assert by_sql == by_records
    rows = [json.loads(line) for line in by_sql.split(b"\f")[0].decode().splitlines()]
    assert {row["rule_id"] for row in rows} >= set(ONCE_IN_PYTHON)
    updates = {row["case_id"]: {item["path"]: item["value"] for item in row["evidence"]}
               for row in rows if row["rule_id"] == "vc-updates-at-agreed-frequency"}
    assert updates["EDGE-0"]["measured to"] == "2022-02-14T12:00:00Z"  # no update: report to finalisation
    # an open file, updated on 7 February, is measured to its latest entry (then it passes) or to --as-of, the
    # start of that day in the run's zone (summer time in June)
    measured_to = {None: None, date(2023, 6, 1): "2023-05-31T23:00:00Z", date(2022, 2, 15): "2022-02-15T00:00:00Z"}
    assert updates.get("EDGE-3", {}).get("measured to") == measured_to[as_of]


def test_the_rule_fixtures_findings_are_the_per_record_engines_byte_for_byte(tmp_path: Path) -> None:
    packs = shipped_packs("case-file")
    records = [dict(record, case_id=f"F-{number}") for number, record in enumerate(case_file_fixture_records())]
    cases = tmp_path / "fixtures.jsonl"
    cases.write_text("".join(orjson.dumps(record).decode() + "\n" for record in records), encoding="utf-8")
    settings = run_settings(packs)
    by_records = findings_bytes(cases, packs, settings, "records", tmp_path / "records.jsonl")
    # a few fixtures hold what the screen leaves to Python (e.g. a timestamp of another year range)
    assert findings_bytes(cases, packs, settings, "sql", tmp_path / "sql.jsonl", screened=0.9) == by_records
    rows = [json.loads(line) for line in by_records.split(b"\f")[0].decode().splitlines()]
    assert {row["rule_id"] for row in rows} >= set(ONCE_IN_PYTHON)


# Evidence values of every kind, shown by a rule that always fails; each is the per-record engine's, byte for byte.
def evidence_pack(expression: str) -> str:
    """A pack body whose one rule always fails, showing `expression` as its evidence."""
    return rules_yaml(rule_yaml("t-evidence", title="Evidence shown", severity="low", check="false", message="Failed",
                                evidence=[f"{{label: value, expr: {json.dumps(expression)}}}"]))

EVIDENCE_EXPRESSIONS = [
    "case.crime.reported_at",  # an instant: UTC, Z
    "case.outcome.finalised_at",  # read in the run's zone (the repeated hour's earlier reading)
    "case.key_events.map(e, e.at)",  # instants with and without fractions of a second, and a null
    "case.key_events.filter(e, e.at != null).map(e, e.at)",
    "case.victim.updates.map(u, u.at)",  # an empty list
    "[case.crime.reported_at, case.outcome.code, 3, null, 2.5, true]",  # a list of mixed types
    "case.key_events.map(e, [e.type, e.at])",  # lists of mixed types in a list
    "double(case.victim.age_at_offence) / 0.0",  # infinity: null, as JSON has none
    "double(case.victim.age_at_offence) / 3.0",
    "case.outcome.supervisor_approval.at",  # an error (a field of null): null
    "latest(case)",
    "latest(case.key_events.map(e, e.at))",
    "as_of()",
    "longest_gap_local_days(case.key_events.filter(e, e.at != null).map(e, e.at))",
    "case.key_events.map(e, e.at == null ? null : local_date(e.at))",
]


@pytest.mark.parametrize("expression", EVIDENCE_EXPRESSIONS)
def test_computed_evidence_is_shown_as_the_per_record_engine_shows_it(tmp_path: Path, expression: str) -> None:
    packs = load_packs([write_pack(tmp_path, evidence_pack(expression))])
    records = []
    for number, fragment in enumerate([
            {"outcome": {"code": "16", "finalised_at": "2022-10-30T01:30:00", "supervisor_approval": None},
             "key_events": [{"type": "suspect_arrested", "at": "2022-06-01T12:00:00.123456Z"},
                            {"type": "suspect_charged", "at": None},
                            {"type": "suspect_interviewed", "at": "2022-06-03T12:00:00.500+01:00"}],
             "victim": {"updates": []}},
            {"outcome": None, "key_events": [], "victim": {"age_at_offence": 0}},
            {}]):
        records.append(merge(copy.deepcopy(BASE), dict(fragment, case_id=f"E-{number}")))
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(orjson.dumps(record).decode() + "\n" for record in records), encoding="utf-8")
    settings = run_settings(packs, as_of=date(2022, 7, 1))
    evaluator = Evaluator(packs, settings)
    runner = bulk.BulkRunner(evaluator, _paths_read(evaluator))
    try:
        assert runner.python_rules == {} and len(runner.computed) == 1
    finally:
        runner.close()
    by_records = findings_bytes(cases, packs, settings, "records", tmp_path / "records.jsonl")
    assert by_records.split(b"\f")[0].count(b"\n") == 3
    assert findings_bytes(cases, packs, settings, "sql", tmp_path / "sql.jsonl") == by_records


def test_evidence_sql_cannot_show_exactly_is_left_to_the_per_record_engine(tmp_path: Path) -> None:
    packs = load_packs([write_pack(tmp_path, evidence_pack("case.outcome"))])  # an object
    evaluator = Evaluator(packs, run_settings(packs))
    runner = bulk.BulkRunner(evaluator, _paths_read(evaluator))
    try:
        assert runner.python_rules == {0: "its evidence 'value' is not compiled (evidence that is a struct)"}
    finally:
        runner.close()


def test_explain_sql_as_of_prints_the_query_a_run_with_as_of_runs(tmp_path: Path) -> None:
    """`check explain-sql --as-of DATE`: the printed text, run unchanged on DuckDB (with the statements it prints
    for the working-day table), gives each rule's outcome the per-record engine gives with `--as-of DATE`."""
    import duckdb
    import pyarrow as pa

    from checker.inputs.records import CaseRecord, RawRecord, check_record
    from checker.sql.run import json_structure, outcome_of, records_schema
    from tests.conftest import run_cli

    printed = run_cli("explain-sql", str(ROOT / "rules"), "--as-of", "2022-02-15", "--calendar-years", "2021-2024")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("-- Rule packs compiled to SQL (duckdb); time zone Europe/London, calendar "
                                     "england-and-wales, reference date (--as-of) 2022-02-15.")
    records = [check_record(RawRecord(index, None, record), "Europe/London", record_model())
               for index, record in enumerate(update_edges())]
    assert all(isinstance(record, CaseRecord) for record in records)
    connection = duckdb.connect()
    connection.register("documents", pa.table({
        "record_index": pa.array(range(len(records)), pa.int64()),
        "document": pa.array([orjson.dumps(record.raw).decode() for record in records], pa.string())}))
    structure = orjson.dumps(json_structure(records_schema(record_model()))).decode()
    connection.execute(f"CREATE TABLE records AS SELECT record_index, UNNEST(JSON_TRANSFORM(document, '{structure}')) "
                       "FROM documents")
    *statements, query = [part for part in printed.stdout.split(";\n") if part.strip()]
    for statement in statements:
        connection.execute(statement)
    result = connection.execute(query)
    columns = [column[0] for column in result.description]
    packs = shipped_packs("case-file")
    evaluator = Evaluator(packs, run_settings(packs, as_of=date(2022, 2, 15)))
    by_column = {"rule_" + compiled.rule.id.replace("-", "_"): compiled for compiled in evaluator.rules}
    updates = []
    for row in result.fetchall():
        context = evaluator.context(records[row[0]])
        for column, code in zip(columns[1:], row[1:]):
            assert outcome_of(code)[:2] == by_column[column].decide(context)[:2], (row[0], column)
            if column == "rule_vc_updates_at_agreed_frequency":
                updates.append(outcome_of(code).status)
    assert updates[3] == "fail"  # the open file, measured to 15 February: 8 days from its update (7 allowed)
