"""The benchmark's plain-Python baseline gives the engine's status for every rule, record by record.

The baseline (bench/baseline.py) is the yardstick the checker's speed is measured against; it
is only a fair one while it does the same work. These tests compare it with the engine on the
shipped sample, on synthetic files (two seeds, one with many faults), on every rule fixture
(the fixtures sit on both sides of each deadline, across bank holidays and clock changes, which
random files rarely do), and on records with nulls where the model has none (errors).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest

from bench.baseline import RULES, default_env, evaluate
from checker.inputs.recordmodel import record_model
from checker.inputs.records import CaseRecord, RawRecord, check_record
from checker.engine.evaluate import Evaluator
from checker.results import ERROR
from checker.inputs.recordtypes import CASE_FILE
from checker.packs.rules import load_packs, packs_for
from checker.settings import RunSettings, pack_settings
from synthetic.cases import generate_cases
from tests.conftest import RULES as RULES_DIR
from tests.conftest import SAMPLES, case_file_fixture_records

SHOWN_MISMATCHES = 10


@pytest.fixture(scope="module")
def engine() -> Evaluator:
    packs = packs_for(load_packs([RULES_DIR]), CASE_FILE)  # rules/ holds packs of every record type
    return Evaluator(packs, RunSettings(packs=pack_settings(packs, {})))


@pytest.fixture(scope="module")
def env():
    return default_env(RULES_DIR)


def checked(records: Iterable[dict[str, Any]]) -> list[CaseRecord]:
    """The records as the checker reads them (validated and normalised); all must be valid."""
    result = []
    for index, data in enumerate(records):
        record = check_record(RawRecord(index, None, data), "Europe/London")
        assert isinstance(record, CaseRecord), f"record {index} is not a valid case file: {record}"
        result.append(record)
    return result


def mismatches(records: list[CaseRecord], engine: Evaluator, env) -> list[str]:
    """One line per (record, rule) where the baseline's status differs from the engine's."""
    found = []
    for record in records:
        got = evaluate(record.normalised, env)
        for result in engine.evaluate(record):
            if got.get(result.rule_id) != result.status:
                found.append(f"{record.case_id} {result.rule_id}: engine {result.status}, "
                             f"baseline {got.get(result.rule_id)} ({result.message or 'no message'})")
    return found


def assert_same(records: list[CaseRecord], engine: Evaluator, env) -> None:
    found = mismatches(records, engine, env)
    assert not found, (f"{len(found)} status(es) differ between the baseline and the engine; first "
                       f"{min(len(found), SHOWN_MISMATCHES)}:\n" + "\n".join(found[:SHOWN_MISMATCHES]))


def test_the_baseline_has_exactly_the_shipped_rules(engine: Evaluator) -> None:
    assert set(RULES) == {compiled.rule.id for compiled in engine.rules}
    assert len(RULES) == 37


def test_same_statuses_on_the_shipped_sample(engine: Evaluator, env) -> None:
    assert_same(checked(json.loads((SAMPLES / "cases.json").read_text(encoding="utf-8"))), engine, env)


@pytest.mark.parametrize(("seed", "compliance"), [(7, 0.8), (11, 0.3)])
def test_same_statuses_on_synthetic_files(engine: Evaluator, env, seed: int, compliance: float) -> None:
    assert_same(checked(generate_cases(1000, seed=seed, compliance=compliance)), engine, env)


def test_same_statuses_on_every_rule_fixture(engine: Evaluator, env) -> None:
    fixtures = case_file_fixture_records()
    assert len(fixtures) > 100
    assert_same(checked(fixtures), engine, env)


@pytest.mark.parametrize("path", ["crime.reported_at", "crime.flags", "victim", "victim.updates", "key_events"])
def test_same_errors_where_a_field_is_read_through_null(engine: Evaluator, env, path: str) -> None:
    """Records the schema would reject, built directly: the baseline errs where the engine does."""
    base = json.loads((RULES_DIR / "tests" / "base-case.json").read_text(encoding="utf-8"))
    normalised = record_model().normalise(base, "Europe/London")
    *parents, last = path.split(".")
    target = normalised
    for part in parents:
        target = target[part]
    target[last] = None
    record = CaseRecord(0, None, base["case_id"], base, normalised)
    assert any(result.status == ERROR for result in engine.evaluate(record))
    assert_same([record], engine, env)
