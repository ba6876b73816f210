"""Rule evaluation: statuses, clause explanations, manual judgements, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.packs.rules import load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from checker.inputs.records import CaseRecord
from checker.engine.evaluate import Evaluator
from tests.conftest import RULES, SAMPLES, make_case, write_cases, write_pack

PACK = """\
settings:
  referral_days: {type: integer, default: 2, description: working days allowed}
variables:
  enhanced: case.crime.flags.domestic_abuse == true || (case.victim.age_at_offence != null && case.victim.age_at_offence < 18)
rules:
  - id: t-referral
    title: Referral in time
    family: test
    severity: high
    kind: automatic
    source: {document: test.txt, paragraph: "4", status: confirmed}
    applies_when: case.victim.kind == "person"
    assert:
      all:
        recorded: case.victim.referral != null
        in_time: working_days_between(case.crime.reported_at, case.victim.referral.made_at) <= settings.referral_days
    message: Not referred in time
    evidence:
      - victim.referral.made_at
      - label: working days counted
        expr: working_days_between(case.crime.reported_at, case.victim.referral.made_at)
  - id: t-any
    title: Supervised
    family: test
    severity: medium
    kind: automatic
    source: {document: test.txt, quote: "supervised", status: assumed}
    assert:
      any:
        approval: case.outcome != null && case.outcome.supervisor_approval != null
        review: size(case.investigation.supervisor_reviews) > 0
    message: Not supervised
  - id: t-enhanced
    title: Enhanced decided
    family: test
    severity: low
    kind: automatic
    source: {document: test.txt, quote: "enhanced", status: assumed}
    assert: case.victim.enhanced_rights_recorded == variables.enhanced
    message: Enhanced Rights not recorded as the facts require
  - id: t-unguarded
    title: Reads through null
    family: test
    severity: low
    kind: automatic
    source: {document: test.txt, quote: "x", status: assumed}
    assert: case.victim.needs_assessment.completed_at != null
    message: No assessment date
  - id: t-manual
    title: Judged good
    family: test
    severity: low
    kind: manual
    source: {document: test.txt, quote: "x", status: assumed}
    question: Was it good?
    message: Judged not good
"""


def run(tmp_path: Path, records: list[dict], **overrides: str):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    write_pack(rules_dir, PACK)
    packs = load_packs([rules_dir])
    settings = RunSettings(packs=pack_settings(packs, overrides))
    report = run_check(write_cases(tmp_path / "cases.json", records), packs, settings)
    return report, {(r.case_id, res.rule_id): res for r in report.records for res in r.results}


def test_statuses_and_explanations(tmp_path: Path) -> None:
    referral = {"kind": "person", "referral": {"made_at": "2022-04-19T09:00:00"},
                "needs_assessment": {"completed_at": "2022-04-14"}}
    late = {"kind": "person", "referral": {"made_at": "2022-04-21T09:00:00"}, "enhanced_rights_recorded": True}
    records = [
        make_case("ON-TIME", crime={"reported_at": "2022-04-14T10:00:00"}, victim=referral,
                  investigation={"supervisor_reviews": [{"at": "2022-04-20", "rank": "sergeant"}]},
                  audit={"reviewer": "R1", "judgements": {"t-manual": "no"}}),
        make_case("LATE", crime={"reported_at": "2022-04-14T10:00:00"}, victim=late,
                  audit={"reviewer": "R1", "judgements": {"t-manual": "not_applicable"}}),
        make_case("NONE", victim={"kind": "business"}),
    ]
    report, results = run(tmp_path, records)
    assert results["ON-TIME", "t-referral"].status == "pass"
    late_result = results["LATE", "t-referral"]
    assert late_result.status == "fail" and late_result.clause == "in_time"
    assert [e.as_dict() for e in late_result.evidence] == [
        {"path": "victim.referral.made_at", "value": "2022-04-21T09:00:00"},
        {"path": "working days counted", "value": 3},
    ]
    assert "crime.reported_at = 2022-04-14T10:00:00" in late_result.explanation[0]
    assert "victim.referral.made_at = 2022-04-21T09:00:00" in late_result.explanation[0]
    assert results["NONE", "t-referral"].status == "not_applicable"
    # any: one true clause passes; none true fails naming every clause
    assert results["ON-TIME", "t-any"].status == "pass"
    none_supervised = results["LATE", "t-any"]
    assert none_supervised.status == "fail" and none_supervised.clause == "approval, review"
    # variables: LATE has no enhanced facts but records Enhanced Rights
    assert results["LATE", "t-enhanced"].status == "fail"
    # manual: judgements read from audit.judgements; absent → pending
    assert results["ON-TIME", "t-manual"].status == "fail"
    assert results["LATE", "t-manual"].status == "not_applicable"
    assert results["NONE", "t-manual"].status == "manual"
    assert "Was it good?" in results["NONE", "t-manual"].message
    scores = {score.id: score for score in report.rules}
    assert scores["t-manual"].counts["manual"] == 1 and scores["t-manual"].applicable == 1


def test_a_null_record_read_gives_error_never_pass_or_fail(tmp_path: Path) -> None:
    report, results = run(tmp_path, [make_case("A"), make_case("B", victim={"needs_assessment": {"completed_at": "2022-01-01"}})])
    error = results["A", "t-unguarded"]
    assert error.status == "error"
    assert error.message == ("could not evaluate 'assert': victim.needs_assessment is not recorded (null), "
                             "so victim.needs_assessment.completed_at cannot be read")
    assert results["B", "t-unguarded"].status == "pass"
    score = next(s for s in report.rules if s.id == "t-unguarded")
    assert (score.counts["error"], score.applicable, score.rate) == (1, 1, 1.0)


def test_single_clause_failure_says_what_was_expected(tmp_path: Path) -> None:
    _, results = run(tmp_path, [make_case("A", victim={"kind": "person", "enhanced_rights_recorded": True})])
    assert results["A", "t-enhanced"].status == "fail"
    assert results["A", "t-enhanced"].message.startswith("Enhanced Rights not recorded as the facts require [")


def test_settings_override_changes_the_result_and_is_reported(tmp_path: Path) -> None:
    victim = {"kind": "person", "referral": {"made_at": "2022-04-21T09:00:00"}}
    report, results = run(tmp_path, [make_case("A", crime={"reported_at": "2022-04-14T10:00:00"}, victim=victim)],
                          referral_days="3")
    assert results["A", "t-referral"].status == "pass"
    assert report.settings["packs"]["test-pack"]["referral_days"] == 3


def test_an_override_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be integer"):
        run(tmp_path, [make_case("A")], referral_days="two")


def test_every_record_lists_every_rule(tmp_path: Path) -> None:
    report, _ = run(tmp_path, [make_case("A"), make_case("B")])
    assert all([r.rule_id for r in record.results] == ["t-referral", "t-any", "t-enhanced", "t-unguarded", "t-manual"]
               for record in report.records)


def test_evidence_for_findings_only_keeps_statuses_and_drops_pass_evidence() -> None:
    from checker.inputs.sources import read_cases

    packs = [pack for pack in load_packs([RULES]) if pack.record_type == "case-file"]
    records = [item for item in read_cases(SAMPLES / "cases.json") if isinstance(item, CaseRecord)]
    full = Evaluator(packs, RunSettings(packs=pack_settings(packs, {})))
    lean = Evaluator(packs, RunSettings(packs=pack_settings(packs, {}), evidence="findings"))
    passes_with_evidence = 0
    for record in records:
        for every, finding in zip(full.evaluate(record), lean.evaluate(record)):
            assert (every.status, every.message, every.clause) == (finding.status, finding.message, finding.clause)
            if every.status == "pass":
                passes_with_evidence += bool(every.evidence)
                assert finding.evidence == ()
            else:
                assert finding.evidence == every.evidence
    assert passes_with_evidence > 100
    assert RunSettings(evidence="findings").as_dict()["evidence"] == "findings"
    with pytest.raises(ValueError, match="expected one of all, findings"):
        RunSettings(evidence="none")


OUTCOME_PACK = """\
rules:
  - id: o-any
    title: Any, with clauses that cannot be evaluated
    family: test
    severity: low
    kind: automatic
    source: {document: test.txt, quote: "x", status: assumed}
    assert:
      any:
        through_null: case.victim.needs_assessment.completed_at != null
        not_boolean: dyn(case.victim.age_at_offence)  # dyn: validate cannot know it is not a bool
        held: case.victim.kind == "person"
    message: Nothing held
    evidence: [victim.kind, {label: age plus one, expr: "case.victim.age_at_offence + 1"}]
  - id: o-all-not-boolean
    title: All, a clause gives a number
    family: test
    severity: low
    kind: automatic
    source: {document: test.txt, quote: "x", status: assumed}
    applies_when: case.victim.kind == "person"
    assert:
      all:
        person: case.victim.kind == "person"
        age: dyn(case.victim.age_at_offence)
        never_reached: case.victim.vps.offered_at != null
    message: m
  - id: o-applies-error
    title: applies_when reads through null
    family: test
    severity: low
    kind: automatic
    source: {document: test.txt, quote: "x", status: assumed}
    applies_when: case.outcome.code == "16"
    assert: "true"
    message: m
"""


def outcome_results(tmp_path: Path, records: list[dict], evidence: str = "all") -> list[tuple]:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir(exist_ok=True)
    write_pack(rules_dir, OUTCOME_PACK)
    evaluator = Evaluator(load_packs([rules_dir]), RunSettings(evidence=evidence))
    from checker.inputs.records import RawRecord, check_record
    import json as json_module
    checked = [check_record(RawRecord(index, index + 1, None, (), json_module.dumps(record)), "Europe/London")
               for index, record in enumerate(records)]
    return [evaluator.evaluate(record) for record in checked]


def test_any_counts_errors_only_when_no_clause_holds(tmp_path: Path) -> None:
    person, business = outcome_results(tmp_path, [
        make_case("P", victim={"kind": "person", "age_at_offence": 40}),
        make_case("B", victim={"kind": "business", "age_at_offence": 40}),
    ])
    assert person[0].status == "pass"
    assert [(e.path, e.value) for e in person[0].evidence] == [("victim.kind", "person"), ("age plus one", 41)]
    # no clause held: the first error is the rule's, not a fail
    assert business[0].status == "error" and business[0].clause == "through_null"
    assert business[0].message == ("could not evaluate 'through_null': victim.needs_assessment is not recorded (null), "
                                   "so victim.needs_assessment.completed_at cannot be read")


def test_all_stops_at_a_clause_that_is_not_boolean_and_applies_when_errors(tmp_path: Path) -> None:
    (results,) = outcome_results(tmp_path, [make_case("P", victim={"kind": "person", "age_at_offence": 40})])
    not_boolean, applies_error = results[1], results[2]
    assert (not_boolean.status, not_boolean.clause) == ("error", "age")
    assert not_boolean.message == "could not evaluate 'age': the expression gave 40, expected true or false"
    assert not_boolean.explanation == ("victim.age_at_offence = 40",)
    assert (applies_error.status, applies_error.clause) == ("error", "applies_when")
    assert applies_error.message == ("could not evaluate 'applies_when': outcome is not recorded (null), "
                                     "so outcome.code cannot be read")


def test_results_that_carry_nothing_per_record_are_shared_and_immutable(tmp_path: Path) -> None:
    from checker.results import RuleResult
    from checker.engine.waivers import waive

    records = [make_case("A", victim={"kind": "business"}), make_case("B", victim={"kind": "business"})]
    first, second = outcome_results(tmp_path, records, evidence="findings")
    # o-all-not-boolean does not apply to a business: one shared not_applicable result
    assert first[1] is second[1] and first[1] == RuleResult("o-all-not-boolean", "not_applicable")
    # o-applies-error: no outcome, so the applies_when errors (per record: explained)
    assert first[2] is not second[2]
    with pytest.raises(AttributeError):
        first[1].status = "fail"  # type: ignore[misc]

    class Waiver:
        def note(self) -> str:
            return "accepted"

    waived = waive(first[1], Waiver())  # type: ignore[arg-type]
    assert (waived.status, waived.waived_from) == ("waived", "not_applicable")
    assert second[1] == RuleResult("o-all-not-boolean", "not_applicable")  # the shared result is unchanged


def test_a_pass_is_shared_only_when_passes_show_no_evidence(tmp_path: Path) -> None:
    records = [make_case("A", victim={"kind": "person"}), make_case("B", victim={"kind": "person"})]
    lean = outcome_results(tmp_path, records, evidence="findings")
    assert lean[0][0].status == "pass" and lean[0][0] is lean[1][0] and lean[0][0].evidence == ()
    full = outcome_results(tmp_path, records, evidence="all")
    assert full[0][0] is not full[1][0]
    assert [(e.path, e.value) for e in full[0][0].evidence] == [("victim.kind", "person"), ("age plus one", None)]


def test_evidence_items_are_evidence_named_tuples(tmp_path: Path) -> None:
    from checker.results import Evidence

    (results,) = outcome_results(tmp_path, [make_case("P", victim={"kind": "person", "age_at_offence": 40})])
    items = results[0].evidence
    assert all(type(item) is Evidence for item in items)
    assert items == (Evidence("victim.kind", "person"), Evidence("age plus one", 41))
    assert [item.as_dict() for item in items] == [{"path": "victim.kind", "value": "person"},
                                                  {"path": "age plus one", "value": 41}]
