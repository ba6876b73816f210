"""Tests for the synthetic case-file generator (checker/synthetic.py) and samples/cases.json."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time as clock
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator

from synthetic import cases as synthetic
from synthetic.cases import (
    generate_cases,
    iter_cases,
    iter_labelled_cases,
    outcome16_audit_sample,
    write_json_array,
    write_jsonl,
)

from tests.conftest import ROOT  # noqa: E402
SAMPLE = ROOT / "samples" / "cases.json"
SCHEMA = ROOT / "checker" / "schemas" / "case.schema.json"
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc

# The shipped sample's command: python -m synthetic.cases --count 80 --seed 2022 --output samples/cases.json
SAMPLE_COUNT, SAMPLE_SEED = 80, 2022

# Field names and nesting of the case model (version 1), /work/shared/case-model.md.
MODEL_KEYS = {
    "": {"case_id", "force", "crime", "victim", "suspect", "key_events", "investigation", "outcome", "audit"},
    "crime": {"reference", "offence", "committed_at", "reported_at", "recorded_at", "flags", "perceived_hostility",
              "cancellation"},
    "crime.perceived_hostility": {"by_victim", "by_other_person"},
    "crime.offence": {"code", "description", "summary_only", "category"},
    "crime.flags": {"domestic_abuse", "hate_crime", "sexual_offence", "serious_crime"},
    "crime.cancellation": {"at", "criterion", "decided_by_role", "evidence"},
    "victim": {"kind", "age_at_offence", "vulnerable", "intimidated", "persistently_targeted", "bereaved_relative",
               "enhanced_rights_recorded", "needs_assessment", "referral", "written_acknowledgement_at",
               "officer_in_case_told_at", "investigation_decision_told_at", "advice", "domestic_abuse_risk",
               "independent_adviser",
               "contact_agreement", "updates", "vps", "support_for_action", "withdrawal", "decision_record",
               "views_on_outcome_recorded_at"},
    "victim.advice": {"safeguarding", "crime_prevention", "evidence_preservation"},
    "victim.independent_adviser": {"service", "offered_at", "declined_at"},
    "victim.needs_assessment": {"completed_at", "enhanced_rights_assessed", "support_required"},
    "victim.contact_agreement": {"agreed_at", "interval_days", "method", "opted_out"},
    "victim.updates[]": {"at", "method", "automated"},
    "victim.vps": {"offered_at", "made_at", "declined_at"},
    "victim.withdrawal": {"at", "reasons_recorded"},
    "victim.decision_record": {"at", "signed_by_victim", "form"},
    "suspect": {"named", "identified_at"},
    "key_events[]": {"type", "at", "victim_informed_at"},
    "investigation": {"allocated_at", "plan_recorded", "attendance", "supervisor_reviews"},
    "investigation.attendance": {"expected_by", "attended_at", "victim_told_of_delay_at"},
    "investigation.supervisor_reviews[]": {"at", "rank"},
    "outcome": {"code", "finalised_at", "rationale", "victim_informed_at", "review_information_given",
                "supervisor_approval", "evidence_sufficient", "protective_orders_considered",
                "evidence_led_prosecution_considered", "intervention_completed_at", "victim_agreed_at"},
    "outcome.supervisor_approval": {"at", "rank"},
    "audit": {"reviewer", "judgements", "notes"},
}
KEY_EVENT_TYPES = {
    "suspect_arrested", "suspect_interviewed", "suspect_released_on_bail", "suspect_released_under_investigation",
    "suspect_released_no_further_action", "bail_conditions_changed", "suspect_charged", "out_of_court_disposal",
    "decision_not_to_investigate", "decision_not_to_prosecute",
}
FORMS = {"signed_statement", "recorded_call", "body_worn_video", "notebook", "other"}
NAMED_SUSPECT_OUTCOMES = {"1", "2", "3", "6", "7", "8", "10", "11", "12", "13", "15", "16", "17", "20", "21", "22"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?)?$")


# --------------------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def varied() -> list[synthetic.LabelledCase]:
    """A larger mix: several seeds, compliance levels and windows (including a leap-free 2023 window)."""
    cases: list[synthetic.LabelledCase] = []
    for seed, compliance, start in ((1, 0.8, date(2022, 1, 1)), (2, 0.5, date(2022, 1, 1)),
                                    (3, 0.95, date(2021, 10, 1)), (4, 0.0, date(2023, 1, 1))):
        cases += iter_labelled_cases(150, seed, start=start, compliance=compliance)
    return cases


def parse(value: str) -> datetime:
    """Read a case-file timestamp as the model defines it (no offset: Europe/London; date: start of day)."""
    assert TIMESTAMP.match(value), value
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=LONDON).astimezone(UTC)
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=LONDON)
    return instant.astimezone(UTC)


def at(value: str | None) -> datetime | None:
    return None if value is None else parse(value)


def timestamps(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (path, value) of a timestamp field in a record."""
    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, f"{path}[{index}]")
        elif isinstance(value, str) and (path.endswith("_at") or path.endswith(".at")):
            yield path, value
    yield from walk(record, "")


def outcome_family(record: dict[str, Any]) -> str:
    if record["outcome"] is None:
        return "cancelled" if record["crime"]["cancellation"] else "open"
    return record["outcome"]["code"].rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def enhanced_rights_eligible(record: dict[str, Any]) -> bool:
    victim, flags = record["victim"], record["crime"]["flags"]
    age = victim["age_at_offence"]
    return (any(flags.values()) or (age is not None and age < 18) or victim["vulnerable"] or victim["intimidated"]
            or victim["persistently_targeted"] or victim["bereaved_relative"])


def supervised(record: dict[str, Any]) -> bool:
    return bool(record["outcome"]["supervisor_approval"]) or bool(record["investigation"]["supervisor_reviews"])


def dumped(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, sort_keys=False)


# --------------------------------------------------------------------------- determinism

def test_same_seed_gives_identical_output() -> None:
    assert dumped(generate_cases(60, 11)) == dumped(generate_cases(60, 11))
    assert dumped(outcome16_audit_sample()) == dumped(outcome16_audit_sample(16))


def test_different_seed_gives_different_output() -> None:
    assert dumped(generate_cases(20, 11)) != dumped(generate_cases(20, 12))
    assert dumped(outcome16_audit_sample(16)) != dumped(outcome16_audit_sample(17))


def test_output_does_not_depend_on_string_hashing() -> None:
    """Same bytes under different PYTHONHASHSEED values: no hash() or set order leaks in."""
    code = ("import hashlib, json; from synthetic.cases import generate_cases, outcome16_audit_sample; "
            "print(hashlib.sha256(json.dumps([generate_cases(40, 5), outcome16_audit_sample()]).encode()).hexdigest())")
    digests = set()
    for hash_seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        digests.add(result.stdout.strip())
    expected = hashlib.sha256(json.dumps([generate_cases(40, 5), outcome16_audit_sample()]).encode()).hexdigest()
    assert digests == {expected}


def test_iter_cases_streams_and_matches_generate_cases() -> None:
    stream = iter_cases(10**9, 3)  # would never finish if it built the list first
    started = clock.perf_counter()
    first = next(stream)
    assert clock.perf_counter() - started < 5
    assert first == generate_cases(1, 3)[0]
    assert list(iter_cases(25, 3)) == generate_cases(25, 3)
    assert [c.record for c in iter_labelled_cases(25, 3)] == generate_cases(25, 3)


def test_a_file_depends_only_on_seed_and_position() -> None:
    """A longer sample starts with the shorter one, so benchmark files extend the test sample."""
    assert generate_cases(30, 9)[:10] == generate_cases(10, 9)


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        generate_cases(-1, 1)
    with pytest.raises(ValueError):
        generate_cases(1, 1, compliance=1.5)
    with pytest.raises(ValueError):
        generate_cases(1, 1, days=0)
    assert generate_cases(0, 1) == []


# --------------------------------------------------------------------------- shape

def test_case_ids_unique_and_reported_at_present(varied: list[synthetic.LabelledCase]) -> None:
    for records in ([c.record for c in varied[:150]], generate_cases(500, 21), outcome16_audit_sample()):
        ids = [r["case_id"] for r in records]
        assert len(ids) == len(set(ids))
        for record in records:
            assert re.fullmatch(r"SYN-\d{4}-\d{6}", record["case_id"])
            assert record["crime"]["reported_at"]
            assert record["force"] == synthetic.FORCE


def test_records_have_exactly_the_model_fields(varied: list[synthetic.LabelledCase]) -> None:
    def check(value: Any, path: str) -> None:
        if path in MODEL_KEYS and isinstance(value, dict):
            assert set(value) == MODEL_KEYS[path], path
        if isinstance(value, dict) and path not in ("audit.judgements", "victim.referral"):
            for key, item in value.items():
                check(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for item in value:
                check(item, f"{path}[]")
    for case in varied:
        check(case.record, "")
        referral = case.record["victim"]["referral"]
        assert referral is None or set(referral) in ({"made_at", "service"}, {"declined_at"})


def test_enumerations_and_types(varied: list[synthetic.LabelledCase]) -> None:
    for case in varied:
        record = case.record
        victim = record["victim"]
        assert victim["kind"] in {"person", "business", "organisation"}
        assert victim["support_for_action"] in {"supported", "never_supported", "withdrew", None}
        assert victim["decision_record"] is None or victim["decision_record"]["form"] in FORMS
        agreement = victim["contact_agreement"]
        assert agreement is None or agreement["interval_days"] in {7, 14, 28} or (
            agreement["opted_out"] is True and agreement["interval_days"] is None and not victim["updates"])
        assert all(event["type"] in KEY_EVENT_TYPES for event in record["key_events"])
        assert all(review["rank"] in {"sergeant", "inspector"} for review in record["investigation"]["supervisor_reviews"])
        assert all(isinstance(v, bool) for v in record["crime"]["flags"].values())
        if record["outcome"] is not None:
            assert re.fullmatch(r"(?:[1-9]|1[0-9]|2[0-2])[A-Z]?", record["outcome"]["code"])
            assert record["crime"]["cancellation"] is None  # cancelled crimes have no outcome
        if record["audit"] is not None:
            assert record["audit"]["reviewer"] in synthetic.REVIEWERS
            assert record["audit"]["notes"] == ""
            assert set(record["audit"]["judgements"].values()) <= {"yes", "no", "not_applicable"}
        cancellation = record["crime"]["cancellation"]
        if cancellation is not None:
            assert cancellation["criterion"] in {"transferred", "duplicate", "recorded_in_error", "verifiable_information"}


def test_generated_records_validate_against_the_case_schema(varied: list[synthetic.LabelledCase], sample) -> None:
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for record in [c.record for c in varied] + sample + outcome16_audit_sample():
        errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
        assert not errors, (record["case_id"], [f"{list(e.path)}: {e.message}" for e in errors[:3]])


# --------------------------------------------------------------------------- time

def test_timestamps_are_ordered(varied: list[synthetic.LabelledCase]) -> None:
    for case in varied:
        record = case.record
        crime, victim, outcome = record["crime"], record["victim"], record["outcome"]
        label = record["case_id"]
        reported = parse(crime["reported_at"])
        assert parse(crime["committed_at"]) <= reported, label
        for path, value in timestamps(record):
            if path != "crime.committed_at":
                assert parse(value) >= reported, (label, path, value)
        recorded = at(crime["recorded_at"])
        cancellation = crime["cancellation"]
        if cancellation is not None:
            assert parse(cancellation["at"]) >= (recorded or reported), label
        events = [parse(e["at"]) for e in record["key_events"]]
        assert events == sorted(events), label
        for event in record["key_events"]:
            informed = at(event["victim_informed_at"])
            assert informed is None or informed >= parse(event["at"]), label
        updates = [parse(u["at"]) for u in victim["updates"]]
        assert updates == sorted(updates) and len(set(updates)) == len(updates), label
        reviews = [parse(r["at"]) for r in record["investigation"]["supervisor_reviews"]]
        assert reviews == sorted(reviews), label
        vps = victim["vps"]
        if vps is not None:
            for key in ("made_at", "declined_at"):
                assert vps[key] is None or parse(vps[key]) >= parse(vps["offered_at"]), label
        end = None
        if outcome is not None:
            end = parse(outcome["finalised_at"])
            assert all(e <= end for e in events), label
            for value in (outcome["intervention_completed_at"], victim["views_on_outcome_recorded_at"],
                          (outcome["supervisor_approval"] or {}).get("at"), (victim["withdrawal"] or {}).get("at"),
                          (victim["decision_record"] or {}).get("at")):
                assert value is None or parse(value) <= end, label
            informed = at(outcome["victim_informed_at"])
            assert informed is None or informed >= end, label
        elif cancellation is not None:
            end = parse(cancellation["at"])
        if end is not None:
            assert all(u < end for u in updates), label  # updates run between report and finalisation


def test_timestamp_styles(sample: list[dict[str, Any]], varied: list[synthetic.LabelledCase]) -> None:
    values = [v for r in sample + [c.record for c in varied] for _, v in timestamps(r)]
    values += [r["crime"]["committed_at"] for r in sample]
    assert any(v.endswith("Z") for v in values)
    assert any(v.endswith("+01:00") for v in values)
    assert any(v.endswith("+00:00") for v in values)
    assert any(len(v) == 10 for v in values)  # date only
    naive = [v for v in values if len(v) == 19]
    assert naive
    for value in naive:  # no wall time in the repeated autumn hour: every value has one reading
        wall = datetime.fromisoformat(value)
        assert wall.replace(tzinfo=LONDON, fold=0).utcoffset() == wall.replace(tzinfo=LONDON, fold=1).utcoffset()
    for value in values:  # offsets written as Europe/London's offset at that instant
        if value.endswith(("+00:00", "+01:00")):
            instant = datetime.fromisoformat(value)
            assert instant.astimezone(LONDON).utcoffset() == instant.utcoffset(), value
    naive_files = sum(1 for r in sample if len(r["crime"]["reported_at"]) == 19)
    assert 0.05 * len(sample) <= naive_files <= 0.35 * len(sample)


def test_bank_holidays_match_the_published_2022_list() -> None:
    published_2022 = [date(2022, 1, 3), date(2022, 4, 15), date(2022, 4, 18), date(2022, 5, 2), date(2022, 6, 2),
                      date(2022, 6, 3), date(2022, 8, 29), date(2022, 9, 19), date(2022, 12, 26), date(2022, 12, 27)]
    assert sorted(d for d in synthetic.bank_holidays(2022) if d.weekday() < 5) == published_2022
    assert date(2023, 5, 8) in synthetic.bank_holidays(2023)
    assert sorted(d for d in synthetic.bank_holidays(2021) if d.weekday() < 5)[:3] == [date(2021, 1, 1), date(2021, 4, 2), date(2021, 4, 5)]
    # Thursday 14 April 2022 + 1 working day = Tuesday 19 April (Good Friday and Easter Monday skipped).
    event = datetime(2022, 4, 14, 10, 0, tzinfo=UTC)
    assert synthetic.working_day_deadline(event, 1).astimezone(LONDON).date() == date(2022, 4, 19)


def test_sample_straddles_clock_changes_and_easter(sample: list[dict[str, Any]]) -> None:
    spring = datetime(2022, 3, 27, 1, 0, tzinfo=UTC)
    autumn = datetime(2022, 10, 30, 1, 0, tzinfo=UTC)

    def straddles(change: datetime) -> bool:
        return any(parse(r["crime"]["reported_at"]) < change < parse(r["crime"]["recorded_at"])
                   for r in sample if r["crime"]["recorded_at"])
    assert straddles(spring) and straddles(autumn)
    thursday, tuesday = date(2022, 4, 14), date(2022, 4, 19)
    reported_before_easter = [r for r in sample if parse(r["crime"]["reported_at"]).astimezone(LONDON).date() == thursday]
    assert reported_before_easter
    later_values = [parse(v).astimezone(LONDON).date() for r in reported_before_easter for _, v in timestamps(r)]
    assert any(day >= tuesday for day in later_values)


# --------------------------------------------------------------------------- content

def test_suspect_matches_outcome_except_planted_inconsistencies(varied: list[synthetic.LabelledCase]) -> None:
    inconsistent = 0
    for case in varied:
        record = case.record
        family = outcome_family(record)
        named = bool(record["suspect"] and record["suspect"]["named"])
        if family in NAMED_SUSPECT_OUTCOMES:
            consistent = named
        elif family in {"14", "18"}:
            consistent = not named
        else:
            continue
        assert consistent == ("outcome_suspect_consistency" not in case.faults), record["case_id"]
        inconsistent += not consistent
    assert 0 < inconsistent < 0.2 * len(varied)


def test_compliance_extremes() -> None:
    assert all(not c.faults for c in iter_labelled_cases(100, 8, compliance=1.0))
    assert all(c.faults for c in iter_labelled_cases(100, 8, compliance=0.0))
    mixed = list(iter_labelled_cases(100, 8))
    assert any(not c.faults for c in mixed) and any(c.faults for c in mixed)


def test_planted_faults_agree_with_the_data(varied: list[synthetic.LabelledCase]) -> None:
    """Spot checks that the labels describe the records (24 clock hours; working-day deadlines)."""
    for case in varied:
        record, faults = case.record, case.faults
        crime, victim = record["crime"], record["victim"]
        reported = parse(crime["reported_at"])
        recorded = at(crime["recorded_at"])
        on_time = recorded is not None and recorded - reported <= timedelta(hours=24)
        assert on_time == ("recording" not in faults), record["case_id"]
        if victim["kind"] == "person":
            referral = victim["referral"]
            deadline = synthetic.working_day_deadline(reported, 2)
            referral_ok = referral is not None and ("declined_at" in referral or parse(referral["made_at"]) <= deadline)
            assert referral_ok == ("referral" not in faults), record["case_id"]
            agrees = victim["enhanced_rights_recorded"] == enhanced_rights_eligible(record)
            assert agrees == ("enhanced_rights_recorded" not in faults), record["case_id"]
        deadline_days = 1 if enhanced_rights_eligible(record) else 5
        events_ok = all(e["victim_informed_at"] is not None
                        and parse(e["victim_informed_at"]) <= synthetic.working_day_deadline(parse(e["at"]), deadline_days)
                        for e in record["key_events"])
        assert events_ok == ("key_event_informed" not in faults), record["case_id"]


def test_outcome_specific_fields(varied: list[synthetic.LabelledCase]) -> None:
    for case in varied:
        record, outcome, victim = case.record, case.record["outcome"], case.record["victim"]
        family = outcome_family(record)
        if family == "16":
            assert victim["support_for_action"] in {"never_supported", "withdrew"}
            assert (victim["withdrawal"] is not None) == (victim["support_for_action"] == "withdrew")
        if family == "10":
            assert (outcome["evidence_sufficient"] is True) == ("out10_evidence_sufficient" not in case.faults)
        if family == "22":
            assert (outcome["intervention_completed_at"] is not None) == ("out22_intervention_completed" not in case.faults)
        if family == "21":
            assert (outcome["rationale"] is not None) == ("out21_rationale" not in case.faults)
        if family in {"2", "3", "8", "10"}:
            assert (victim["views_on_outcome_recorded_at"] is not None) == ("victim_views" not in case.faults)
        interviewed = any(e["type"] == "suspect_interviewed" for e in record["key_events"])
        if family in {"10", "15", "21"} and interviewed:
            assert (outcome["review_information_given"] is True) == ("review_information" not in case.faults)
        elif outcome is not None:
            assert outcome["review_information_given"] is None


def test_outcome16_audit_sample_reproduces_the_published_counts() -> None:
    files = outcome16_audit_sample()
    assert len(files) == 20
    assert all(f["outcome"]["code"] == "16" for f in files)
    assert all(f["suspect"] and f["suspect"]["named"] is True and f["suspect"]["identified_at"] for f in files)
    never = [f for f in files if f["victim"]["support_for_action"] == "never_supported"]
    withdrew = [f for f in files if f["victim"]["support_for_action"] == "withdrew"]
    assert len(never) == 17 and len(withdrew) == 3
    assert all(f["victim"]["withdrawal"]["reasons_recorded"] is True and f["victim"]["withdrawal"]["at"] for f in withdrew)
    signed = [f for f in never if f["victim"]["decision_record"] and f["victim"]["decision_record"]["signed_by_victim"] is True]
    assert len(signed) == 13
    for f in never:
        record = f["victim"]["decision_record"]
        assert record is None or record["signed_by_victim"] is True or record["form"] in {"notebook", "other"}
    assert sum(supervised(f) for f in files) == 18
    judgements = [f["audit"]["judgements"]["out16-justifiable"] for f in files]
    assert judgements.count("yes") == 19 and judgements.count("no") == 1
    assert len({f["case_id"] for f in files}) == 20


# --------------------------------------------------------------------------- the shipped sample

def test_sample_file_is_what_the_generator_writes() -> None:
    expected = io.StringIO()
    write_json_array(iter_cases(SAMPLE_COUNT, SAMPLE_SEED), expected)
    assert SAMPLE.read_text(encoding="utf-8") == expected.getvalue(), (
        "samples/cases.json drifted: regenerate with "
        "python -m synthetic.cases --count 80 --seed 2022 --output samples/cases.json")


def test_sample_covers_outcomes_flags_and_compliance(sample: list[dict[str, Any]]) -> None:
    assert len(sample) >= 60
    families = {outcome_family(r) for r in sample}
    assert {"1", "10", "14", "15", "16", "18", "21"} <= families
    assert {"open", "cancelled", "22", "8"} <= families
    assert any(r["crime"]["flags"]["domestic_abuse"] for r in sample)
    assert any(enhanced_rights_eligible(r) for r in sample)
    assert any(not enhanced_rights_eligible(r) for r in sample)
    assert any(r["victim"]["kind"] == "business" for r in sample)
    assert any(r["audit"] is not None for r in sample) and any(r["audit"] is None for r in sample)
    # the second round's fields: a victim who asked for no updates, a community resolution agreed, a
    # most-serious-crime offence category
    assert any((r["victim"]["contact_agreement"] or {}).get("opted_out") is True for r in sample)
    assert any(r["outcome"] and r["outcome"]["code"] == "8" and r["outcome"]["victim_agreed_at"] for r in sample)
    assert any(r["crime"]["offence"]["category"] for r in sample)
    labelled = list(iter_labelled_cases(SAMPLE_COUNT, SAMPLE_SEED))
    assert any(not c.faults for c in labelled) and any(c.faults for c in labelled)
    domestic_share = sum(r["crime"]["flags"]["domestic_abuse"] for r in sample) / len(sample)
    assert 0.15 <= domestic_share <= 0.35


# --------------------------------------------------------------------------- writers and command line

def test_json_writer_streams_the_same_text_as_json_dumps() -> None:
    for records in ([], generate_cases(3, 4)):
        stream = io.StringIO()
        write_json_array(iter(records), stream)
        assert stream.getvalue() == json.dumps(records, indent=1) + "\n"


def test_command_line_writes_json_and_jsonl(tmp_path: Path) -> None:
    target = tmp_path / "cases.jsonl"
    subprocess.run([sys.executable, "-m", "synthetic.cases", "--count", "5", "--seed", "3", "--format", "jsonl",
                    "--output", str(target)], cwd=ROOT, check=True)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == generate_cases(5, 3)
    array = tmp_path / "cases.json"
    assert synthetic.main(["--count", "4", "--seed", "3", "--output", str(array)]) == 0
    assert json.loads(array.read_text(encoding="utf-8")) == generate_cases(4, 3)
    audit = tmp_path / "audit.json"
    assert synthetic.main(["--outcome16-audit", "--seed", "16", "--output", str(audit)]) == 0
    assert json.loads(audit.read_text(encoding="utf-8")) == outcome16_audit_sample(16)
    stream = io.StringIO()
    write_jsonl(generate_cases(2, 3), stream)
    assert stream.getvalue().count("\n") == 2
