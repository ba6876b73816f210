"""The second-round checks' settings: each open reading (domain reference: assumed) is a setting,
and the other reading gives the other status. Fixtures in rules/tests run on the defaults only, so
the non-default readings are tested here, on fixture-style fragments over the same base record."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from checker.inputs.records import CaseRecord, RawRecord, check_record
from checker.engine.evaluate import Evaluator
from checker.inputs.recordtypes import CASE_FILE
from checker.packs.rules import load_packs, packs_for
from checker.settings import RunSettings, pack_settings
from tests.conftest import RULES, run_cli

BASE = json.loads((RULES / "tests" / "base-case.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def packs():
    return packs_for(load_packs([RULES]), CASE_FILE)  # rules/ holds packs of every record type


def merged(base: Any, fragment: Any) -> Any:
    """A fixture fragment over the base, as `check test` merges it (objects key by key)."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        result = dict(base)
        for key, value in fragment.items():
            result[key] = merged(base.get(key), value) if key in base else value
        return result
    return copy.deepcopy(fragment)


def status(packs, rule_id: str, fragment: dict[str, Any], **overrides: str) -> str:
    record = check_record(RawRecord(0, None, merged(BASE, fragment)), "Europe/London")
    assert isinstance(record, CaseRecord), record
    evaluator = Evaluator(packs, RunSettings(packs=pack_settings(packs, overrides)))
    return next(result.status for result in evaluator.evaluate(record) if result.rule_id == rule_id)


def test_plan_without_a_suspect_is_expected_only_by_default(packs) -> None:
    no_suspect_no_plan = {"suspect": None, "investigation": {"plan_recorded": False}}
    assert status(packs, "inv-plan-recorded", no_suspect_no_plan) == "fail"
    assert status(packs, "inv-plan-recorded", no_suspect_no_plan,
                  investigation_plan_expected_without_suspect="false") == "not_applicable"
    assert status(packs, "inv-plan-recorded", {"investigation": {"plan_recorded": False}},
                  investigation_plan_expected_without_suspect="false") == "fail"


def test_supervision_interval_is_the_forces_setting(packs) -> None:
    # Reviews every 27-28 days over two and a half months: late for a 14-day policy, fine for 28.
    fragment = {"outcome": {"finalised_at": "2022-04-14T12:00:00Z"},
                "investigation": {"supervisor_reviews": [{"at": "2022-02-02T10:00:00Z", "rank": "sergeant"},
                                                         {"at": "2022-03-01T10:00:00Z", "rank": "sergeant"},
                                                         {"at": "2022-03-29T10:00:00Z", "rank": "sergeant"}]}}
    assert status(packs, "inv-supervision-regular", fragment) == "pass"
    assert status(packs, "inv-supervision-regular", fragment, supervision_interval_days="14") == "fail"
    # The base file (finalised after 14 days) is in scope of a 7-day policy and fails it (12 days unreviewed).
    assert status(packs, "inv-supervision-regular", {}) == "not_applicable"
    assert status(packs, "inv-supervision-regular", {}, supervision_interval_days="7") == "fail"


def test_delay_told_after_it_was_due_but_before_attendance_passes_only_on_the_lenient_reading(packs) -> None:
    late_notice = {"investigation": {"attendance": {"expected_by": "2022-01-31T09:05:00Z",
                                                    "attended_at": "2022-01-31T11:00:00Z",
                                                    "victim_told_of_delay_at": "2022-01-31T10:00:00Z"}}}
    assert status(packs, "vic-told-of-attendance-delay", late_notice) == "fail"
    assert status(packs, "vic-told-of-attendance-delay", late_notice, attendance_delay_told_before_due="false") == "pass"
    after_attendance = {"investigation": {"attendance": {"expected_by": "2022-01-31T09:05:00Z",
                                                         "attended_at": "2022-01-31T11:00:00Z",
                                                         "victim_told_of_delay_at": "2022-01-31T11:30:00Z"}}}
    assert status(packs, "vic-told-of-attendance-delay", after_attendance,
                  attendance_delay_told_before_due="false") == "fail"


def test_idva_for_high_risk_only_is_a_setting(packs) -> None:
    standard_risk_no_idva = {"victim": {"domestic_abuse_risk": "standard", "referral": {"service": "Victim Support"}}}
    assert status(packs, "vic-independent-adviser-offered", standard_risk_no_idva) == "fail"
    assert status(packs, "vic-independent-adviser-offered", standard_risk_no_idva,
                  idva_high_risk_only="true") == "not_applicable"
    for risk in ("high", None):  # a risk not recorded cannot show the victim was below the threshold
        fragment = {"victim": {"domestic_abuse_risk": risk, "referral": {"service": "Victim Support"}}}
        assert status(packs, "vic-independent-adviser-offered", fragment, idva_high_risk_only="true") == "fail"
    # An ISVA is expected for a sexual offence whatever the IDVA setting.
    sexual = {"crime": {"flags": {"sexual_offence": True}},
              "victim": {"domestic_abuse_risk": "standard", "referral": {"service": "Victim Support"}}}
    assert status(packs, "vic-independent-adviser-offered", sexual, idva_high_risk_only="true") == "fail"


def test_the_new_settings_are_printed_with_the_run(tmp_path) -> None:
    """Every run prints the settings it used: the table and the JSON name the new ones and their values."""
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([BASE]), encoding="utf-8")
    table = run_cli(str(path), "--set", "supervision_interval_days=21")
    assert table.returncode == 0, table.stderr
    for name in ("investigation.supervision_interval_days=21", "investigation.investigation_plan_expected_without_suspect=True",
                 "investigation.attendance_delay_told_before_due=True", "investigation.idva_high_risk_only=False"):
        assert name in table.stdout, name
    output = tmp_path / "result.json"
    written = run_cli(str(path), "--set", "supervision_interval_days=21", "--output", str(output))
    assert written.returncode == 0, written.stderr
    printed = json.loads(output.read_text(encoding="utf-8"))["settings"]["packs"]["investigation"]
    assert printed == {"investigation_plan_expected_without_suspect": True, "supervision_interval_days": 21,
                       "attendance_delay_told_before_due": True, "idva_high_risk_only": False}
