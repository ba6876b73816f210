"""The call-handling pack's settings: what changes when a force sets its own standards and policies.

The fixtures (rules/tests/calls.test.yaml) run on the defaults; these run the same base call with
other settings, through the real engine, and read the evidence each result gives.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from checker import api
from tests.conftest import RULES

BASE = json.loads((RULES / "tests" / "base-call.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def packs() -> list[api.RulePack]:
    return [pack for pack in api.load_packs([RULES]) if pack.name == "calls"]


def call(**changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(BASE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(record.get(key), dict):
            record[key] = {**record[key], **value}
        else:
            record[key] = value
    return record


def results(packs, tmp_path: Path, records: list[dict[str, Any]], **overrides: str) -> list[dict[str, Any]]:
    """Each record's results by rule id, scored with the given setting overrides."""
    for position, record in enumerate(records):
        record["call_id"] = f"C-{position}"
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    settings = api.RunSettings(packs=api.pack_settings(packs, overrides))
    report = api.run(api.open_input(path), packs, settings)
    assert report.summary["records_rejected"] == 0
    return [{result.rule_id: result for result in record.results} for record in report.records]


def evidence(result: Any) -> dict[str, Any]:
    return {item["path"]: item["value"] for item in result.as_dict()["evidence"]}


def test_a_101_target_set_by_the_force_scores_101_calls(packs, tmp_path: Path) -> None:
    calls = [call(channel="non_emergency_101", answer_seconds=45),
             call(channel="non_emergency_101", answer_seconds=61),
             call(channel="non_emergency_101", answer_seconds=60)]
    unset = results(packs, tmp_path, copy.deepcopy(calls))
    assert [r["call-answered-in-time"].status for r in unset] == ["not_applicable"] * 3
    scored = results(packs, tmp_path, calls, answer_standard_seconds_101="60")
    assert [r["call-answered-in-time"].status for r in scored] == ["pass", "fail", "pass"]
    assert evidence(scored[1]["call-answered-in-time"])["standard for the channel (seconds)"] == 60


def test_the_999_standard_is_a_setting(packs, tmp_path: Path) -> None:
    calls = [call(answer_seconds=12)]
    assert results(packs, tmp_path, copy.deepcopy(calls))[0]["call-answered-in-time"].status == "fail"
    relaxed = results(packs, tmp_path, copy.deepcopy(calls), answer_standard_seconds_999="15")[0]
    assert relaxed["call-answered-in-time"].status == "pass"
    assert evidence(relaxed["call-answered-in-time"])["standard for the channel (seconds)"] == 15
    none = results(packs, tmp_path, calls, answer_standard_seconds_999="0")[0]
    assert none["call-answered-in-time"].status == "not_applicable"


def test_an_online_standard_measures_receipt_to_opening(packs, tmp_path: Path) -> None:
    calls = [call(channel="online", answer_seconds=None, answered_at="2021-10-12T22:14:05Z"),   # exactly one hour
             call(channel="online", answer_seconds=None, answered_at="2021-10-12T22:14:06Z")]   # one second more
    scored = results(packs, tmp_path, calls, answer_standard_seconds_online="3600")
    assert [r["call-answered-in-time"].status for r in scored] == ["pass", "fail"]
    assert evidence(scored[1]["call-answered-in-time"])["seconds from receipt to answer"] == pytest.approx(3601)


def test_when_supervision_is_required_is_the_forces_policy(packs, tmp_path: Path) -> None:
    not_vulnerable = {"vulnerable": False, "flagged_vulnerable": False}
    unchanged = {"final_priority": "emergency", "changes": []}
    calls = [call(caller=not_vulnerable, supervision=None),                     # downgraded only
             call(grading=unchanged, supervision=None),                          # vulnerable caller only
             call(caller=not_vulnerable, grading=unchanged,
                  supervision={"required": True, "reviewed_at": None, "reviewer": None})]  # marked by the system
    default = results(packs, tmp_path, copy.deepcopy(calls))
    assert [r["call-supervised"].status for r in default] == ["fail", "fail", "fail"]
    no_downgrades = results(packs, tmp_path, copy.deepcopy(calls), supervise_downgrades="false")
    assert [r["call-supervised"].status for r in no_downgrades] == ["not_applicable", "fail", "fail"]
    neither = results(packs, tmp_path, calls, supervise_downgrades="false", supervise_vulnerable_callers="false")
    assert [r["call-supervised"].status for r in neither] == ["not_applicable", "not_applicable", "fail"]
