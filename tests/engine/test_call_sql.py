"""The call-handling pack on the SQL engine: every rule compiles (none left to the per-record engine) and
both engines give the same report on the sample of calls and on the pack's fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker import api
from checker.engine.evaluate import Evaluator
from checker.engine.fixtures import load_fixtures
from checker.sql.run import SqlPlan
from tests.conftest import RULES, SAMPLES


@pytest.fixture(scope="module")
def packs() -> list[api.RulePack]:
    return [pack for pack in api.load_packs([RULES]) if pack.record_type == "call"]


def settings(packs) -> api.RunSettings:
    return api.RunSettings(packs=api.pack_settings(packs, {}))


def both_engines(path: Path, packs) -> tuple[dict, dict]:
    reports = [api.run(api.open_input(path), packs, settings(packs), engine=engine).as_dict()
               for engine in ("records", "sql")]
    for report in reports:
        report.pop("run", None)  # when and how long: not a result
    return reports[0], reports[1]


def test_every_call_rule_compiles_to_sql(packs) -> None:
    plan = SqlPlan.build(Evaluator(packs, settings(packs)))
    assert plan.fallback == {}
    assert len(plan.rules) == 8


def test_the_sample_scores_the_same_on_both_engines(packs) -> None:
    records, sql = both_engines(SAMPLES / "calls.json", packs)
    assert sql["records"] == records["records"] and sql["rules"] == records["rules"]
    assert len(records["records"]) == 74


def test_the_fixtures_score_the_same_on_both_engines(packs, tmp_path: Path) -> None:
    fixtures = load_fixtures(RULES / "tests" / "calls.test.yaml")
    calls = [dict(fixture.record, call_id=f"F-{position}") for position, fixture in enumerate(fixtures)]
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(calls), encoding="utf-8")
    records, sql = both_engines(path, packs)
    assert sql["records"] == records["records"] and sql["rules"] == records["rules"]
    statuses = {result["status"] for record in records["records"] for result in record["results"]}
    assert {"pass", "fail", "not_applicable", "manual"} <= statuses


def test_the_bulk_path_scores_the_calls_as_the_per_record_engine(tmp_path: Path) -> None:
    """JSON Lines to a table: the SQL engine's bulk path screens the calls against their own model and
    decides every rule in DuckDB; its table is the per-record engine's, line for line."""
    from tests.conftest import run_cli

    calls = json.loads((SAMPLES / "calls.json").read_text(encoding="utf-8"))
    lines = tmp_path / "calls.jsonl"
    lines.write_text("".join(json.dumps(call) + "\n" for call in calls), encoding="utf-8")
    bulk = run_cli(str(lines), "--engine", "sql")
    per_record = run_cli(str(lines), "--engine", "records")
    assert bulk.returncode == per_record.returncode == 0, bulk.stderr + per_record.stderr
    assert "bulk path is not used" not in bulk.stderr
    assert bulk.stdout == per_record.stdout
    assert "55 of 57" in bulk.stdout and "Records (calls): 74 read" in bulk.stdout
