"""The plain-Python yardstick: the 37 shipped rules written by hand, to price the engine's generality.

The checker reads rules from YAML packs and runs them as CEL, so a force can change a rule
without touching code. This module answers "what would a hand-written checker cost?": the
same rules as ordinary Python functions over the same normalised record
(`checker.inputs.recordmodel.RecordModel.normalise`), with the same pack settings (each pack's `settings:`
defaults, read from `rules/` so the two never drift apart) and the same working-day calendar
(`checker.engine.workdays.WorkingDayCalendar`). Each function returns the status the engine gives:
pass, fail, not_applicable, error or manual. `tests/test_bench_baseline.py` keeps the two in
step, rule by rule, on the shipped sample, synthetic files and every rule fixture.

How the engine's semantics are mirrored:
- clauses run in the rule's order and the first false one decides, so a later clause may rely
  on an earlier guard (as the CEL does);
- `x == true` in CEL is `x is True` here: a null flag counts as false;
- reading a field through null, or comparing null with a number or a time, is an error in the
  engine; here the same expression raises TypeError (or KeyError), which `run_rule` turns into
  "error". On schema-valid records the shipped rules guard every such read, so errors do not
  arise; the mirror is there so that a record that does reach one is not scored pass or fail;
- CEL's `matches("\\S")` is a regex search whose whitespace is Unicode White_Space, which,
  unlike Python's `\\s`, does not include the separators U+001C to U+001F (`HAS_TEXT`).

Run as a program it is the benchmark's baseline process: read a case file (JSON Lines line by
line, or a JSON array), normalise each record, run the 37 functions, write one JSON line of
statuses per record, and print a summary of the counts (per rule, per status) as JSON:

    python bench/baseline.py cases.jsonl --output statuses.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checker.inputs.recordmodel import record_model, value_at
from checker.inputs.sources import open_source
from checker.engine.evaluate import JUDGEMENT_STATUS, code_number
from checker.results import ERROR, FAIL, MANUAL, NOT_APPLICABLE, PASS, STATUSES
from checker.packs.rules import load_packs
from checker.inputs.timestamps import parse_timestamp
from checker.engine.workdays import WorkingDayCalendar

Record = dict[str, Any]
normalise = record_model().normalise
RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

# `matches("\\S")` as the CEL binding's regex engine reads it (see the module docstring).
HAS_TEXT = re.compile(r"[\S\x1c-\x1f]")
PUBLISHED_CANCELLATION_CRITERIA = ("transferred", "duplicate", "recorded_in_error", "verifiable_information")
AUTHORISED_CANCELLATION_ROLES = ("designated_decision_maker", "force_crime_registrar")
KNOWN_OUTCOMES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22)
OUT_OF_COURT_OUTCOMES = (2, 3, 6, 7, 8)
NOT_SUPPORTING = ("never_supported", "withdrew")


@dataclass(frozen=True)
class Env:
    """What the rules read besides the record: each pack's settings and the run's calendar."""

    calendar: WorkingDayCalendar
    victims: dict[str, Any]  # victims-code pack settings
    outcomes: dict[str, Any]
    recording: dict[str, Any]  # crime-recording pack settings
    investigation: dict[str, Any]  # investigation pack settings
    outcome_21_from: datetime  # outcomes settings parsed once, as CEL's timestamp() does per record
    outcome_22_from: datetime


def default_env(rules_dir: Path = RULES_DIR) -> Env:
    """The settings `check` uses when given no options: every pack's defaults, default calendar and zone.

    Built without `checker.settings.RunSettings` (the same values: `pack_settings` with no
    overrides, `RunSettings().working_days`) because importing it loads scipy and statsmodels for
    the confidence intervals, seconds of start-up a hand-written checker would not pay.
    """
    packs = {pack.name: pack.default_settings() for pack in load_packs([rules_dir])}
    outcomes = packs["outcomes"]
    return Env(
        calendar=WorkingDayCalendar(),
        victims=packs["victims-code"],
        outcomes=outcomes,
        recording=packs["crime-recording"],
        investigation=packs["investigation"],
        outcome_21_from=parse_timestamp(outcomes["outcome_21_in_force_from"]),
        outcome_22_from=parse_timestamp(outcomes["outcome_22_in_force_from"]),
    )


RuleFunction = Callable[[Record, Env], str]
RULES: dict[str, RuleFunction] = {}  # rule id → function, in the order they are written here


def rule(rule_id: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register a function as the hand-written form of pack rule `rule_id`."""
    def register(function: RuleFunction) -> RuleFunction:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} is written twice")
        RULES[rule_id] = function
        return function
    return register


def verdict(ok: bool) -> str:
    return PASS if ok else FAIL


def judgement(case: Record, rule_id: str) -> str:
    """A manual rule's status: the reviewer's answer in audit.judgements, or pending."""
    answer = (value_at(case, "audit.judgements") or {}).get(rule_id)
    return MANUAL if answer is None else JUDGEMENT_STATUS[answer]


def has_text(value: str | None) -> bool:
    return value is not None and HAS_TEXT.search(value) is not None


# --------------------------------------------------------------------------- shared facts (pack variables)

def victims_code_applies(case: Record) -> bool:
    """A person victim (or kind not recorded) of a crime that was not cancelled."""
    return case["victim"]["kind"] in (None, "person") and case["crime"]["cancellation"] is None


def enhanced_rights_eligible(case: Record, env: Env) -> bool:
    """Any ground for Enhanced Rights in the file's facts; a fact not recorded counts as absent."""
    flags, victim = case["crime"]["flags"], case["victim"]
    age, category = victim["age_at_offence"], case["crime"]["offence"]["category"]
    return (flags["domestic_abuse"] is True or flags["hate_crime"] is True or flags["sexual_offence"] is True
            or flags["serious_crime"] is True
            or (category is not None and category in env.victims["most_serious_crime_categories"])
            or (age is not None and age < 18)
            or victim["vulnerable"] is True or victim["intimidated"] is True
            or victim["persistently_targeted"] is True or victim["bereaved_relative"] is True)


def updates_measured_to(case: Record) -> datetime:
    """The finalisation; for an open file (or an undated finalisation) its latest dated entry (no --as-of here)."""
    outcome = case["outcome"]
    if outcome is not None and outcome["finalised_at"] is not None:
        return outcome["finalised_at"]
    return WorkingDayCalendar.latest(case)  # type: ignore[return-value]  # reported_at is required


def update_instants(case: Record, env: Env) -> list[datetime]:
    """The report, each counted update while the case was open, and each key event told (by default)."""
    reported, end = case["crime"]["reported_at"], updates_measured_to(case)
    count_automated = env.victims["count_automated_updates"]
    updates = [update["at"] for update in case["victim"]["updates"]
               if update["at"] is not None
               and (count_automated or update["automated"] is not True)
               and reported <= update["at"] <= end]
    told = [event["victim_informed_at"] for event in case["key_events"]
            if env.victims["key_event_information_counts_as_update"]
            and event["victim_informed_at"] is not None and reported <= event["victim_informed_at"] <= end]
    return [reported] + updates + told


def finalised(case: Record) -> bool:
    """The crime has an outcome and was not cancelled."""
    return case["outcome"] is not None and case["crime"]["cancellation"] is None


def outcome_type(case: Record) -> int | None:
    """The outcome type as a number ("3A" → 3); 0 without an outcome, None for a code with no number."""
    return 0 if case["outcome"] is None else code_number(case["outcome"]["code"])


def finalised_as(case: Record, *types: int) -> bool:
    return finalised(case) and outcome_type(case) in types


# --------------------------------------------------------------------------- victims-code

@rule("vc-needs-assessment")
def vc_needs_assessment(case: Record, env: Env) -> str:
    if not victims_code_applies(case):
        return NOT_APPLICABLE
    assessment = case["victim"]["needs_assessment"]
    if assessment is None or assessment["completed_at"] is None:
        return FAIL
    days = env.calendar.working_days_between(case["crime"]["reported_at"], assessment["completed_at"])
    return verdict(days <= env.victims["needs_assessment_within_working_days"])


@rule("vc-written-acknowledgement")
def vc_written_acknowledgement(case: Record, env: Env) -> str:
    if not victims_code_applies(case):
        return NOT_APPLICABLE
    acknowledged = case["victim"]["written_acknowledgement_at"]
    if acknowledged is None:
        return FAIL
    days = env.calendar.working_days_between(case["crime"]["reported_at"], acknowledged)
    return verdict(days <= env.victims["written_acknowledgement_working_days"])


@rule("vc-enhanced-rights-assessed")
def vc_enhanced_rights_assessed(case: Record, env: Env) -> str:
    if not victims_code_applies(case):
        return NOT_APPLICABLE
    victim = case["victim"]
    assessment, recorded = victim["needs_assessment"], victim["enhanced_rights_recorded"]
    if assessment is None or assessment["enhanced_rights_assessed"] is not True or recorded is None:
        return FAIL
    # Eligible from the facts: Enhanced Rights must be recorded; not eligible: they may be (the Code is a
    # minimum) unless the strictness setting says otherwise.
    # (Read only where CEL reads it: `!eligible || recorded == true` is true when recorded is true, even
    # when eligibility cannot be worked out.)
    if not (recorded is True or not enhanced_rights_eligible(case, env)):
        return FAIL
    return verdict(not env.victims["enhanced_rights_without_ground_fails"] or enhanced_rights_eligible(case, env)
                   or recorded is False)


@rule("vc-referral")
def vc_referral(case: Record, env: Env) -> str:
    if not victims_code_applies(case):
        return NOT_APPLICABLE
    referral = case["victim"]["referral"]
    if referral is None or (referral["made_at"] is None and referral["declined_at"] is None):
        return FAIL
    limit, reported = env.victims["referral_working_days"], case["crime"]["reported_at"]
    return verdict(any(at is not None and env.calendar.working_days_between(reported, at) <= limit
                       for at in (referral["made_at"], referral["declined_at"])))


@rule("vc-contact-agreement")
def vc_contact_agreement(case: Record, env: Env) -> str:
    if not victims_code_applies(case):
        return NOT_APPLICABLE
    agreement = case["victim"]["contact_agreement"]
    if agreement is None:
        return FAIL
    opted_out = agreement["opted_out"] is True
    if opted_out and agreement["interval_days"] is not None:  # no updates wanted, yet an interval: contradictory
        return FAIL
    if opted_out and env.victims["update_opt_out_accepted"]:
        return PASS
    return verdict(agreement["interval_days"] is not None and agreement["method"] is not None)


@rule("vc-updates-at-agreed-frequency")
def vc_updates_at_agreed_frequency(case: Record, env: Env) -> str:
    agreement = case["victim"]["contact_agreement"]
    opted_out = agreement is not None and agreement["opted_out"] is True and env.victims["update_opt_out_accepted"]
    if not (victims_code_applies(case) and agreement is not None and not opted_out
            and agreement["interval_days"] is not None):
        return NOT_APPLICABLE
    instants = update_instants(case, env)
    limit = float(agreement["interval_days"]) + env.victims["update_tolerance_days"]
    gaps = env.calendar.longest_gap_local_days
    return verdict(gaps(instants) <= limit and gaps([max(instants), updates_measured_to(case)]) <= limit)


@rule("vc-key-decisions-informed")
def vc_key_decisions_informed(case: Record, env: Env) -> str:
    events = case["key_events"]
    if not (victims_code_applies(case) and len(events) > 0):
        return NOT_APPLICABLE
    if any(event["at"] is None for event in events) or any(event["victim_informed_at"] is None for event in events):
        return FAIL
    limit = (env.victims["key_decision_enhanced_working_days"] if enhanced_rights_eligible(case, env)
             else env.victims["key_decision_working_days"])
    between = env.calendar.working_days_between
    return verdict(all(between(event["at"], event["victim_informed_at"]) <= limit for event in events))


@rule("vc-vps-offered")
def vc_vps_offered(case: Record, env: Env) -> str:
    if not (victims_code_applies(case)
            and (env.victims["vps_expected_without_suspect"] or case["suspect"] is not None)):
        return NOT_APPLICABLE
    vps, outcome = case["victim"]["vps"], case["outcome"]
    if vps is None:
        return FAIL
    offered = vps["offered_at"] if vps["offered_at"] is not None else vps["declined_at"]  # a decline implies an offer
    if offered is None:
        return FAIL
    finalised_at = outcome["finalised_at"] if outcome is not None else None
    return verdict(not env.victims["vps_offer_before_finalisation"] or finalised_at is None or offered <= finalised_at)


@rule("vc-review-information")
def vc_review_information(case: Record, env: Env) -> str:
    outcome = case["outcome"]
    if not (case["crime"]["cancellation"] is None and outcome is not None
            and code_number(outcome["code"]) not in env.victims["review_excluded_outcome_types"]
            and any(event["type"] == "suspect_interviewed" for event in case["key_events"])):
        return NOT_APPLICABLE
    return verdict(outcome["review_information_given"] is True)


@rule("vc-engagement-good")
def vc_engagement_good(case: Record, env: Env) -> str:
    if not victims_code_applies(case):
        return NOT_APPLICABLE
    return judgement(case, "vc-engagement-good")


# --------------------------------------------------------------------------- outcomes

@rule("out16-signed-decision")
def out16_signed_decision(case: Record, env: Env) -> str:
    stance = case["victim"]["support_for_action"]
    if not (finalised_as(case, 16) and stance in (None, "never_supported")):
        return NOT_APPLICABLE
    record = case["victim"]["decision_record"]
    return verdict(stance is not None and record is not None and record["signed_by_victim"] is True)


@rule("out16-supervised")
def out16_supervised(case: Record, env: Env) -> str:
    if not finalised_as(case, 16):
        return NOT_APPLICABLE
    victim = case["victim"]
    withdrawal, record = victim["withdrawal"], victim["decision_record"]
    decided = (withdrawal["at"] if withdrawal is not None and withdrawal["at"] is not None
               else record["at"] if record is not None else None)

    def supervises(entry: Record | None) -> bool:
        return (entry is not None and entry["at"] is not None
                and (has_text(entry["rank"]) or has_text(entry["name"]))
                and (decided is None or entry["at"] >= decided))
    return verdict(supervises(case["outcome"]["supervisor_approval"])
                   or any(supervises(review) for review in case["investigation"]["supervisor_reviews"]))


@rule("out16-justifiable")
def out16_justifiable(case: Record, env: Env) -> str:
    if not finalised_as(case, 16):
        return NOT_APPLICABLE
    return judgement(case, "out16-justifiable")


@rule("out16-decision-record")
def out16_decision_record(case: Record, env: Env) -> str:
    if not finalised_as(case, 16):
        return NOT_APPLICABLE
    record = case["victim"]["decision_record"]
    return verdict(record is not None and record["form"] is not None)


@rule("out16-withdrawal-reasons")
def out16_withdrawal_reasons(case: Record, env: Env) -> str:
    if not (finalised_as(case, 16) and case["victim"]["support_for_action"] == "withdrew"):
        return NOT_APPLICABLE
    withdrawal = case["victim"]["withdrawal"]
    return verdict(withdrawal is not None and withdrawal["reasons_recorded"] is True)


def domestic_abuse_outcome_16(case: Record) -> bool:
    return finalised_as(case, 16) and case["crime"]["flags"]["domestic_abuse"] is True


@rule("out16-da-protective-orders")
def out16_da_protective_orders(case: Record, env: Env) -> str:
    if not domestic_abuse_outcome_16(case):
        return NOT_APPLICABLE
    return verdict(case["outcome"]["protective_orders_considered"] is True)


@rule("out16-da-evidence-led-prosecution")
def out16_da_evidence_led_prosecution(case: Record, env: Env) -> str:
    if not domestic_abuse_outcome_16(case):
        return NOT_APPLICABLE
    return verdict(case["outcome"]["evidence_led_prosecution_considered"] is True)


@rule("out-named-suspect")
def out_named_suspect(case: Record, env: Env) -> str:
    needing, without = env.outcomes["outcomes_needing_named_suspect"], env.outcomes["outcomes_without_named_suspect"]
    if not finalised_as(case, *needing, *without):
        return NOT_APPLICABLE
    suspect = case["suspect"]
    named = suspect is not None and suspect["named"] is True
    kind = outcome_type(case)
    return verdict((kind not in needing or named) and (kind not in without or not named))


@rule("out-code-valid-for-date")
def out_code_valid_for_date(case: Record, env: Env) -> str:
    if not finalised(case):
        return NOT_APPLICABLE
    outcome = case["outcome"]
    kind, code, finalised_at = outcome_type(case), outcome["code"], outcome["finalised_at"]
    if kind not in KNOWN_OUTCOMES or (kind in (21, 22) and finalised_at is None):
        return FAIL
    if code != str(kind) and code not in env.outcomes["outcome_codes_with_suffix"]:
        return FAIL
    if kind == 21 and not finalised_at >= env.outcome_21_from:
        return FAIL
    if kind == 22 and not finalised_at >= env.outcome_22_from:
        return FAIL
    return verdict(not (kind == 21 and env.outcomes["outcome_21_requires_insufficient_evidence"]
                        and outcome["evidence_sufficient"] is True))


@rule("out15-victim-informed")
def out15_victim_informed(case: Record, env: Env) -> str:
    if not finalised_as(case, 15):
        return NOT_APPLICABLE
    told, finalised_at = case["outcome"]["victim_informed_at"], case["outcome"]["finalised_at"]
    if told is None or finalised_at is None:
        return FAIL
    return verdict(env.calendar.working_days_between(finalised_at, told)
                   <= env.outcomes["outcome_15_victim_informed_working_days"])


@rule("out10-evidence-and-views")
def out10_evidence_and_views(case: Record, env: Env) -> str:
    if not finalised_as(case, 10):
        return NOT_APPLICABLE
    outcome, views = case["outcome"], case["victim"]["views_on_outcome_recorded_at"]
    if outcome["evidence_sufficient"] is not True or views is None:
        return FAIL
    if outcome["finalised_at"] is not None and not views <= outcome["finalised_at"]:
        return FAIL
    return verdict(has_text(outcome["rationale"]))


@rule("out17-time-limit")
def out17_time_limit(case: Record, env: Env) -> str:
    if not finalised_as(case, 17):
        return NOT_APPLICABLE
    crime, finalised_at = case["crime"], case["outcome"]["finalised_at"]
    if crime["offence"]["summary_only"] is not True or finalised_at is None:
        return FAIL
    start = crime["committed_at"] if crime["committed_at"] is not None else crime["reported_at"]
    # On local dates: the limit has passed when finalisation falls after the start's date plus the months.
    calendar = env.calendar
    last_day = calendar.local_date_plus_months(start, env.outcomes["summary_time_limit_months"])
    return verdict(calendar.local_date(finalised_at) > last_day)  # type: ignore[operator]


@rule("out20-victim-informed")
def out20_victim_informed(case: Record, env: Env) -> str:
    if not finalised_as(case, 20):
        return NOT_APPLICABLE
    return verdict(case["outcome"]["victim_informed_at"] is not None)


@rule("out21-rationale-and-informed")
def out21_rationale_and_informed(case: Record, env: Env) -> str:
    if not finalised_as(case, 21):
        return NOT_APPLICABLE
    outcome = case["outcome"]
    return verdict(has_text(outcome["rationale"]) and outcome["victim_informed_at"] is not None)


@rule("out22-intervention-completed")
def out22_intervention_completed(case: Record, env: Env) -> str:
    if not finalised_as(case, 22):
        return NOT_APPLICABLE
    completed, finalised_at = case["outcome"]["intervention_completed_at"], case["outcome"]["finalised_at"]
    if completed is None:
        return FAIL
    return verdict(finalised_at is None or completed <= finalised_at)


@rule("ooc-victim-views")
def ooc_victim_views(case: Record, env: Env) -> str:
    if not finalised_as(case, *OUT_OF_COURT_OUTCOMES):
        return NOT_APPLICABLE
    views, finalised_at = case["victim"]["views_on_outcome_recorded_at"], case["outcome"]["finalised_at"]
    if views is None:
        return FAIL
    if not all(event["type"] != "out_of_court_disposal" or event["at"] is None or views <= event["at"]
               for event in case["key_events"]):
        return FAIL
    if finalised_at is not None and not views <= finalised_at:
        return FAIL
    if outcome_type(case) != 8:
        return PASS
    agreed = case["outcome"]["victim_agreed_at"]  # a community resolution needs the victim's agreement
    return verdict(agreed is not None and (finalised_at is None or agreed <= finalised_at))


@rule("out-victim-stance-matches")
def out_victim_stance_matches(case: Record, env: Env) -> str:
    if not finalised_as(case, 15, 16):
        return NOT_APPLICABLE
    stance = case["victim"]["support_for_action"]
    if stance is None:
        return FAIL
    return verdict(stance == "supported" if outcome_type(case) == 15 else stance in NOT_SUPPORTING)


@rule("out-da-options-considered")
def out_da_options_considered(case: Record, env: Env) -> str:
    suspect = case["suspect"]
    # The outcome type first: CEL's && is false when any operand is, even if another cannot be read.
    if not (finalised(case) and outcome_type(case) not in (1, 16)
            and case["crime"]["flags"]["domestic_abuse"] is True
            and case["victim"]["support_for_action"] in NOT_SUPPORTING
            and suspect is not None and suspect["named"] is True):
        return NOT_APPLICABLE
    outcome = case["outcome"]
    return verdict(outcome["evidence_led_prosecution_considered"] is True
                   and outcome["protective_orders_considered"] is True)


# --------------------------------------------------------------------------- crime-recording

@rule("ncrs-recorded-within-24h")
def ncrs_recorded_within_24h(case: Record, env: Env) -> str:
    crime = case["crime"]
    if crime["recorded_at"] is None:
        return FAIL
    hours = env.calendar.hours_between(crime["reported_at"], crime["recorded_at"])
    return verdict(hours <= float(env.recording["recording_limit_hours"]))


@rule("ncrs-cancellation-authorised")
def ncrs_cancellation_authorised(case: Record, env: Env) -> str:
    cancellation = case["crime"]["cancellation"]
    if cancellation is None:
        return NOT_APPLICABLE
    criterion = cancellation["criterion"]
    return verdict(criterion in PUBLISHED_CANCELLATION_CRITERIA
                   and (criterion != "verifiable_information" or has_text(cancellation["evidence"]))
                   and cancellation["decided_by_role"] in AUTHORISED_CANCELLATION_ROLES
                   and cancellation["at"] is not None)


@rule("ncrs-hate-crime-flagged")
def ncrs_hate_crime_flagged(case: Record, env: Env) -> str:
    perceived = case["crime"]["perceived_hostility"]
    if perceived is None or not (perceived["by_victim"] is True or perceived["by_other_person"] is True):
        return NOT_APPLICABLE
    return verdict(case["crime"]["flags"]["hate_crime"] is True)


# --------------------------------------------------------------------------- investigation

def allocated(case: Record) -> bool:
    return case["crime"]["cancellation"] is None and case["investigation"]["allocated_at"] is not None


def running_until(case: Record) -> list[datetime]:
    """What shows the investigation was still running: its finalisation, or every dated entry of an open file."""
    outcome = case["outcome"]
    if outcome is not None and outcome["finalised_at"] is not None:
        return [outcome["finalised_at"]]
    crime, investigation = case["crime"], case["investigation"]
    entries = [crime["reported_at"], crime["recorded_at"], investigation["allocated_at"]]
    entries += [update["at"] for update in case["victim"]["updates"]]
    entries += [event["at"] for event in case["key_events"]]
    entries += [event["victim_informed_at"] for event in case["key_events"]]
    entries += [review["at"] for review in investigation["supervisor_reviews"]]
    return [entry for entry in entries if entry is not None]


@rule("inv-plan-recorded")
def inv_plan_recorded(case: Record, env: Env) -> str:
    suspect = case["suspect"]
    if not (allocated(case) and (env.investigation["investigation_plan_expected_without_suspect"]
                                 or (suspect is not None and suspect["named"] is True))):
        return NOT_APPLICABLE
    return verdict(case["investigation"]["plan_recorded"] is True)


@rule("inv-supervision-regular")
def inv_supervision_regular(case: Record, env: Env) -> str:
    if not allocated(case):
        return NOT_APPLICABLE
    start, running = case["investigation"]["allocated_at"], running_until(case)
    hours = env.calendar.hours_between
    limit_hours = 24.0 * (env.investigation["supervision_interval_days"] + 1)
    if not any(hours(start, instant) >= limit_hours for instant in running):
        return NOT_APPLICABLE
    outcome = case["outcome"]
    finalised_at = outcome["finalised_at"] if outcome is not None else None
    points = [start] + [review["at"] for review in case["investigation"]["supervisor_reviews"]
                        if review["at"] is not None and review["at"] >= start
                        and (finalised_at is None or review["at"] <= finalised_at)]
    if not env.calendar.longest_gap_days(points) * 24.0 < limit_hours:
        return FAIL
    last = max(points)
    return verdict(all(instant <= last or hours(last, instant) < limit_hours for instant in running))


@rule("vic-told-who-and-whether")
def vic_told_who_and_whether(case: Record, env: Env) -> str:
    if case["crime"]["cancellation"] is not None:
        return NOT_APPLICABLE
    victim = case["victim"]
    if victim["officer_in_case_told_at"] is None:
        return FAIL
    decided = case["investigation"]["allocated_at"] is not None or case["outcome"] is not None
    return verdict(not decided or victim["investigation_decision_told_at"] is not None)


@rule("vic-told-of-attendance-delay")
def vic_told_of_attendance_delay(case: Record, env: Env) -> str:
    attendance = case["investigation"]["attendance"]
    if case["crime"]["cancellation"] is not None or attendance is None or attendance["expected_by"] is None:
        return NOT_APPLICABLE
    due, attended, told = attendance["expected_by"], attendance["attended_at"], attendance["victim_told_of_delay_at"]
    if attended is not None and not attended > due:
        return NOT_APPLICABLE
    if told is None:
        return FAIL
    if env.investigation["attendance_delay_told_before_due"]:
        return verdict(told <= due)
    return verdict(attended is None or told <= attended)


def advisers_expected(case: Record, env: Env) -> list[str]:
    """IDVA for domestic abuse (high or unrecorded risk only, with idva_high_risk_only), ISVA for a sexual offence."""
    flags, risk = case["crime"]["flags"], case["victim"]["domestic_abuse_risk"]
    idva = flags["domestic_abuse"] is True and (not env.investigation["idva_high_risk_only"] or risk in (None, "high"))
    return (["IDVA"] if idva else []) + (["ISVA"] if flags["sexual_offence"] is True else [])


@rule("vic-independent-adviser-offered")
def vic_independent_adviser_offered(case: Record, env: Env) -> str:
    expected = advisers_expected(case, env)
    if not (victims_code_applies(case) and expected):
        return NOT_APPLICABLE
    adviser, referral = case["victim"]["independent_adviser"], case["victim"]["referral"]
    offered = (adviser is not None and adviser["service"] in expected
               and (adviser["offered_at"] is not None or adviser["declined_at"] is not None))
    referred = referral is not None and referral["made_at"] is not None and referral["service"] in expected
    return verdict(offered or referred)


ADVICE_KINDS = ("safeguarding", "crime_prevention", "evidence_preservation")


@rule("vic-advice-recorded")
def vic_advice_recorded(case: Record, env: Env) -> str:
    advice = case["victim"]["advice"]
    if case["crime"]["cancellation"] is not None or (
            advice is not None and all(advice[kind] == "not_applicable" for kind in ADVICE_KINDS)):
        return NOT_APPLICABLE
    return verdict(advice is not None and all(advice[kind] is not None for kind in ADVICE_KINDS))


# --------------------------------------------------------------------------- running

def run_rule(function: RuleFunction, case: Record, env: Env) -> str:
    """One rule's status; an expression that reads through null or compares null is an error, as in the engine."""
    try:
        return function(case, env)
    except (TypeError, KeyError, AttributeError):
        return ERROR


def evaluate(case: Record, env: Env) -> dict[str, str]:
    """Every rule's status for one normalised record: rule id → status."""
    return {rule_id: run_rule(function, case, env) for rule_id, function in RULES.items()}


def read_records(path: Path, input_format: str) -> Iterator[Record]:
    """The raw records of a JSON Lines file (one at a time), of a JSON array or a Parquet file (the checker's
    readers)."""
    if input_format in ("json", "parquet"):
        for raw in open_source(path, input_format).records():
            yield raw.value()
        return
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def run(path: Path, output: Path, input_format: str, env: Env) -> dict[str, Any]:
    """Score every record of `path`, streaming one line of statuses per record to `output`; return the counts."""
    counts = {rule_id: dict.fromkeys(STATUSES, 0) for rule_id in RULES}
    records = 0
    with output.open("w", encoding="utf-8", newline="\n") as stream:
        for data in read_records(path, input_format):
            statuses = evaluate(normalise(data, env.calendar.timezone), env)
            stream.write(json.dumps({"case_id": data["case_id"], "statuses": statuses}, separators=(",", ":")))
            stream.write("\n")
            for rule_id, status in statuses.items():
                counts[rule_id][status] += 1
            records += 1
    return {"records": records, "rules": counts}


def input_format_of(path: Path) -> str:
    """json for a `.json` file, parquet for `.parquet`, jsonl otherwise (`.jsonl`, `.ndjson`)."""
    return {".json": "json", ".parquet": "parquet"}.get(path.suffix, "jsonl")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/baseline.py",
        description="Score case files with the 37 shipped rules hand-written in Python (the benchmark's yardstick). "
                    "Writes one JSON line of statuses per record and prints the counts as JSON.")
    parser.add_argument("cases", type=Path, help="case files: JSON Lines, or a JSON array (.json)")
    parser.add_argument("--output", "-o", type=Path, required=True, help="where to write the statuses (JSON Lines)")
    parser.add_argument("--input-format", choices=("json", "jsonl", "parquet"),
                        help="format of CASES (default: json for a .json file, else jsonl)")
    args = parser.parse_args(argv)
    summary = run(args.cases, args.output, args.input_format or input_format_of(args.cases), default_env())
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
