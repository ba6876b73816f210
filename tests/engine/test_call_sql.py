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
