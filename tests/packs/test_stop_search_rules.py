"""The stop-search pack's settings: what each assumed choice changes (the fixtures use the defaults)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from checker import api
from tests.conftest import RULES

BASE = json.loads((RULES / "tests" / "base-search.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def packs() -> list[api.RulePack]:
    return [pack for pack in api.load_packs([RULES]) if pack.name == "stop-search"]


def status(packs, rule_id: str, overrides: dict[str, str] | None = None, **changes: Any) -> str:
    record = copy.deepcopy(BASE)
    for path, value in changes.items():
        target = record
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    report = api.score([record], packs, api.RunSettings(packs=api.pack_settings(packs, overrides or {})))
    (result,) = [result for result in report.records[0].results if result.rule_id == rule_id]
    return result.status


def test_pack_declares_its_record_type(packs) -> None:
    (pack,) = packs
    assert pack.record_type == "stop-search"


def test_a_recorded_reason_for_no_body_worn_video_passes_only_when_accepted(packs) -> None:
    reason = {"bwv__used": False, "bwv__reason_not_used": "Camera battery failed."}
    assert status(packs, "ss-bwv-used", **reason) == "fail"
    assert status(packs, "ss-bwv-used", {"bwv_reason_not_used_accepted": "true"}, **reason) == "pass"
    blank = {"bwv__used": False, "bwv__reason_not_used": "  "}
    assert status(packs, "ss-bwv-used", {"bwv_reason_not_used_accepted": "true"}, **blank) == "fail"


def test_not_stated_ethnicity_counts_as_recorded_unless_set_otherwise(packs) -> None:
    declined = {"person__self_defined_ethnicity": "not_stated"}
    assert status(packs, "ss-ethnicity-recorded", **declined) == "pass"
    assert status(packs, "ss-ethnicity-recorded", {"not_stated_counts_as_recorded": "false"}, **declined) == "fail"
    assert status(packs, "ss-ethnicity-recorded", {"not_stated_counts_as_recorded": "false"}) == "pass"


def test_review_time_limit_is_a_setting(packs) -> None:
    ten_days = {"review__reviewed_at": "2022-03-18T09:00:00Z"}  # 9 days 19 hours after the search
    assert status(packs, "ss-supervisor-review", **ten_days) == "fail"
    assert status(packs, "ss-supervisor-review", {"review_within_days": "9"}, **ten_days) == "pass"
    # Within 1 day: less than 2 days of elapsed time (a review on the last day passes whatever the hour).
    assert status(packs, "ss-supervisor-review", {"review_within_days": "1"}) == "pass"  # base: 1 day 18 h 40 min
    two_days = {"review__reviewed_at": "2022-03-10T14:20:00Z"}
    assert status(packs, "ss-supervisor-review", {"review_within_days": "1"}, **two_days) == "fail"
    assert status(packs, "ss-supervisor-review", {"review_within_days": "2"}, **two_days) == "pass"


def test_feedback_is_checked_only_when_required(packs) -> None:
    no_feedback = {"review__feedback_given": False}
    assert status(packs, "ss-supervisor-review", **no_feedback) == "pass"
    assert status(packs, "ss-supervisor-review", {"review_feedback_required": "true"}, **no_feedback) == "fail"
    assert status(packs, "ss-supervisor-review", {"review_feedback_required": "true"}) == "pass"


def test_powers_without_suspicion_is_a_setting(packs) -> None:
    section_60 = {"power": "cjpoa_s60"}
    assert status(packs, "ss-reasonable-grounds", **section_60) == "not_applicable"
    assert status(packs, "ss-reasonable-grounds", {"powers_without_suspicion": ""}, **section_60) == "pass"
    assert status(packs, "ss-reasonable-grounds", {"powers_without_suspicion": "cjpoa_s60,pace_s1"},
                  power="pace_s1") == "not_applicable"
