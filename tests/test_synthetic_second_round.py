"""The synthetic generator's second-round fields: the faults it plants are the ones the new rules
find, file by file, and adding the fields left every earlier field as it was."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from checker.engine.evaluate import Evaluator
from checker.inputs.records import CaseRecord, RawRecord, check_record
from checker.inputs.recordtypes import CASE_FILE
from checker.packs.rules import load_packs, packs_for
from checker.settings import RunSettings, pack_settings
from synthetic.cases import iter_labelled_cases
from tests.conftest import RULES, SAMPLES

# Planted fault → the rule that must fail exactly in the files that carry it.
FAULT_RULES = {
    "hate_crime_flag": "ncrs-hate-crime-flagged",
    "told_who_and_whether": "vic-told-who-and-whether",
    "advice": "vic-advice-recorded",
    "attendance_delay_told": "vic-told-of-attendance-delay",
    "independent_adviser": "vic-independent-adviser-offered",
    "outcome_victim_stance": "out-victim-stance-matches",
}
NEW_RULES = set(FAULT_RULES.values()) | {"inv-plan-recorded", "inv-supervision-regular",
                                         "out-da-options-considered"}


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    packs = packs_for(load_packs([RULES]), CASE_FILE)  # rules/ holds packs of every record type
    return Evaluator(packs, RunSettings(packs=pack_settings(packs, {})))


def statuses(evaluator: Evaluator, record: dict) -> dict[str, str]:
    checked = check_record(RawRecord(0, None, record), "Europe/London")
    assert isinstance(checked, CaseRecord), checked
    return {result.rule_id: result.status for result in evaluator.evaluate(checked)}


def test_planted_faults_are_what_the_new_rules_find(evaluator: Evaluator) -> None:
    seen: Counter[str] = Counter()
    for case in iter_labelled_cases(400, 13):
        got = statuses(evaluator, case.record)
        cancelled = case.record["crime"]["cancellation"] is not None
        for fault, rule_id in FAULT_RULES.items():
            if cancelled and rule_id != "ncrs-hate-crime-flagged":
                assert got[rule_id] == "not_applicable", (case.record["case_id"], rule_id)
                continue
            assert (got[rule_id] == "fail") == (fault in case.faults), (case.record["case_id"], rule_id, got[rule_id])
            seen[fault] += fault in case.faults
        if got["out-da-options-considered"] == "fail":
            assert "da_options_considered" in case.faults, case.record["case_id"]
    assert all(seen[fault] >= 2 for fault in FAULT_RULES), seen


def test_shipped_sample_exercises_every_new_rule_with_passes_and_fails(evaluator: Evaluator) -> None:
    counts: dict[str, Counter[str]] = {rule_id: Counter() for rule_id in NEW_RULES}
    for record in json.loads((SAMPLES / "cases.json").read_text(encoding="utf-8")):
        for rule_id, status in statuses(evaluator, record).items():
            if rule_id in counts:
                counts[rule_id][status] += 1
    for rule_id, counted in counts.items():
        assert counted["pass"] >= 1 and counted["fail"] >= 1 and counted["not_applicable"] >= 1, (rule_id, counted)


def test_exemplary_files_pass_every_new_rule_they_are_in_scope_of(evaluator: Evaluator) -> None:
    # Supervision and the investigation plan come from the earlier draws (their own faults), so
    # the rules fed only by the second round are the ones every exemplary file passes.
    for case in iter_labelled_cases(200, 5):
        if not case.faults:
            got = statuses(evaluator, case.record)
            assert all(got[rule_id] in ("pass", "not_applicable") for rule_id in FAULT_RULES.values()), case.record["case_id"]
