"""Builds checker/schemas/case.schema.json, the case-file model (version 1) as JSON Schema.

The model is written here as Python data so that the repeated shapes (nullable
timestamps, nullable objects) are spelled once. Run after changing the model:

    python tools/build_case_schema.py

A test checks that the committed schema matches this script's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "checker" / "schemas" / "case.schema.json"

TIMESTAMP_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}"  # date
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"  # optional time
    r"(?:Z|[+-]\d{2}:?\d{2})?)?$"  # optional offset
)


def timestamp(description: str, nullable: bool = True) -> dict[str, Any]:
    return {
        "type": ["string", "null"] if nullable else "string",
        "format": "case-timestamp",
        "pattern": TIMESTAMP_PATTERN,
        "description": description,
    }


def record_type_field(name: str) -> dict[str, Any]:
    """The optional `record_type` every record model has: an input holds one type of record."""
    return {"type": ["string", "null"], "enum": [name, None],
            "description": f"The record type, {name!r}; optional (the input's type is taken when absent)."}


def nullable(kind: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], "description": description, **extra}


def obj(description: str, properties: dict[str, Any], *, can_be_null: bool = False,
        required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": ["object", "null"] if can_be_null else "object",
        "description": description,
        "properties": properties,
    }
    if required:
        schema["required"] = required
    return schema


def enum(description: str, values: list[str], can_be_null: bool = True) -> dict[str, Any]:
    return {
        "type": ["string", "null"] if can_be_null else "string",
        "enum": values + ([None] if can_be_null else []),
        "description": description,
    }


def list_of(description: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": ["array", "null"], "description": description, "items": item}


ADVICE_VALUES = ["given", "not_applicable"]

KEY_EVENT_TYPES = [
    "suspect_arrested", "suspect_interviewed", "suspect_released_on_bail",
    "suspect_released_under_investigation", "suspect_released_no_further_action",
    "bail_conditions_changed", "suspect_charged", "out_of_court_disposal",
    "decision_not_to_investigate", "decision_not_to_prosecute",
]

CASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://case-file-checker.invalid/schemas/case/v1",
    "title": "Crime case file, version 1",
    "description": (
        "One victim's crime file as a force's crime system or an auditor's extract shows it. "
        "Absent and null both mean 'not recorded'. Timestamps are ISO 8601; without an offset "
        "they are local time in the configured zone (default Europe/London); a date alone is "
        "allowed where the time is not known. Fields not in the model are allowed and reported."
    ),
    "type": "object",
    "required": ["case_id", "crime"],
    "properties": {
        "record_type": record_type_field("case-file"),
        "case_id": {"type": "string", "minLength": 1, "description": "Unique within a sample."},
        "force": nullable("string", "Force that holds the file."),
        "crime": obj("The recorded crime.", {
            "reference": nullable("string", "Crime reference number."),
            "offence": obj("The offence.", {
                "code": nullable("string", "Home Office offence code."),
                "description": nullable("string", "Offence description."),
                "summary_only": nullable("boolean", "Summary-only offence: the prosecution time limit applies."),
                "category": nullable("string", "Offence category where it brings Enhanced Rights as a 'most serious "
                                     "crime' (the victims-code pack's most_serious_crime_categories, e.g. "
                                     "attempted_murder, kidnap, human_trafficking); null otherwise."),
            }),
            "committed_at": timestamp("When the offence was committed."),
            "reported_at": timestamp("When the crime was reported.", nullable=False),
            "recorded_at": timestamp("When the crime was recorded."),
            "flags": obj("Offence categories that bring Enhanced Rights.", {
                "domestic_abuse": nullable("boolean", "Domestic abuse."),
                "hate_crime": nullable("boolean", "Hate crime."),
                "sexual_offence": nullable("boolean", "Sexual offence."),
                "serious_crime": nullable("boolean", "Other 'most serious crime' categories of the Victims' Code."),
            }),
            "perceived_hostility": obj(
                "Whether anyone perceived the offence as motivated by hostility or prejudice (race, religion, "
                "sexual orientation, disability, transgender identity): the perception that makes it a hate crime.", {
                    "by_victim": nullable("boolean", "The victim perceived hostility or prejudice."),
                    "by_other_person": nullable("boolean", "Another person (a witness, an officer, a relative…) "
                                                           "perceived hostility or prejudice."),
                }, can_be_null=True),
            "cancellation": obj("Cancellation of the recorded crime, if cancelled.", {
                "at": timestamp("When the crime was cancelled."),
                "criterion": nullable("string", "Published cancellation criterion, e.g. transferred, duplicate, "
                                      "recorded_in_error, verifiable_information."),
                "decided_by_role": nullable("string", "designated_decision_maker, force_crime_registrar, or another role."),
                "evidence": nullable("string", "Evidence for the decision."),
            }, can_be_null=True),
        }, required=["reported_at"]),
        "victim": obj("The victim and what the Victims' Code gave them.", {
            "kind": enum("Kind of victim.", ["person", "business", "organisation"]),
            "age_at_offence": {"type": ["integer", "null"], "minimum": 0, "maximum": 130,
                               "description": "Age in years at the time of the offence."},
            "vulnerable": nullable("boolean", "Vulnerable victim (Victims' Code definition)."),
            "intimidated": nullable("boolean", "Intimidated victim."),
            "persistently_targeted": nullable("boolean", "Persistently targeted victim."),
            "bereaved_relative": nullable("boolean", "Bereaved close relative."),
            "enhanced_rights_recorded": nullable("boolean", "What the file says was decided about Enhanced Rights."),
            "needs_assessment": obj("Victim needs assessment (Right 4).", {
                "completed_at": timestamp("When the assessment was completed."),
                "enhanced_rights_assessed": nullable("boolean", "The assessment recorded whether Enhanced Rights apply."),
                "support_required": nullable("boolean", "Support needed."),
            }, can_be_null=True),
            "referral": obj("Referral to a support service, or the victim's decline (Right 4).", {
                "made_at": timestamp("When the referral was made."),
                "service": nullable("string", "Service referred to."),
                "declined_at": timestamp("When the victim declined a referral."),
            }, can_be_null=True),
            "written_acknowledgement_at": timestamp("Written acknowledgement of the report (Right 3)."),
            "officer_in_case_told_at": timestamp("When the victim was told who is dealing with their case."),
            "investigation_decision_told_at": timestamp(
                "When the victim was told whether the crime is to be investigated further."),
            "advice": obj("Advice given to the victim; each is given, not_applicable (recorded as not needed) or "
                          "null (not recorded).", {
                "safeguarding": enum("Safeguarding advice.", ADVICE_VALUES),
                "crime_prevention": enum("Crime prevention advice.", ADVICE_VALUES),
                "evidence_preservation": enum("Advice on preserving evidence.", ADVICE_VALUES),
            }, can_be_null=True),
            "domestic_abuse_risk": enum("Domestic abuse risk level assessed (e.g. with DASH).",
                                        ["standard", "medium", "high"]),
            "independent_adviser": obj("Referral to an independent domestic violence adviser (IDVA) or independent "
                                       "sexual violence adviser (ISVA) offered to the victim.", {
                "service": enum("The adviser offered.", ["IDVA", "ISVA"]),
                "offered_at": timestamp("When the referral was offered."),
                "declined_at": timestamp("When the victim declined it."),
            }, can_be_null=True),
            "contact_agreement": obj("How often and how the victim wants updates (Right 6).", {
                "agreed_at": timestamp("When it was agreed."),
                "interval_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3660,
                                  "description": "Agreed interval between updates, in days (at most ten "
                                                 "years: a larger number is a slip of entry)."},
                "method": nullable("string", "Agreed method, e.g. phone, email, letter, visit."),
                "opted_out": nullable("boolean", "The victim asked for no updates (interval_days is then null)."),
            }, can_be_null=True),
            "updates": list_of("Updates given to the victim.", obj("An update.", {
                "at": timestamp("When the update was given."),
                "method": nullable("string", "How."),
                "automated": nullable("boolean", "An automated message."),
            })),
            "vps": obj("Victim Personal Statement (Right 7).", {
                "offered_at": timestamp("When the statement was offered."),
                "made_at": timestamp("When a statement was made."),
                "declined_at": timestamp("When the victim declined."),
            }, can_be_null=True),
            "support_for_action": enum("Whether the victim supports police action.",
                                       ["supported", "never_supported", "withdrew"]),
            "withdrawal": obj("The victim's withdrawal of support.", {
                "at": timestamp("When support was withdrawn."),
                "reasons_recorded": nullable("boolean", "Reasons for withdrawal recorded."),
            }, can_be_null=True),
            "decision_record": obj("Auditable record of the victim's decision (outcome 16).", {
                "at": timestamp("When the decision was recorded."),
                "signed_by_victim": nullable("boolean", "Signed by the victim."),
                "form": enum("Form of the record.",
                             ["signed_statement", "recorded_call", "body_worn_video", "notebook", "other"]),
            }, can_be_null=True),
            "views_on_outcome_recorded_at": timestamp("When the victim's views on the outcome were recorded."),
        }),
        "suspect": obj("The suspect, if any.", {
            "named": nullable("boolean", "A named suspect is linked."),
            "identified_at": timestamp("When the suspect was identified."),
        }, can_be_null=True),
        "key_events": list_of("Key events the victim must be told of (Right 6).", obj("A key event.", {
            "type": enum("Kind of event.", KEY_EVENT_TYPES, can_be_null=False),
            "at": timestamp("When it happened."),
            "victim_informed_at": timestamp("When the victim was told."),
        }, required=["type"])),
        "investigation": obj("The investigation.", {
            "allocated_at": timestamp("When allocated."),
            "plan_recorded": nullable("boolean", "Investigation plan recorded."),
            "attendance": obj("Attendance at the scene or on the victim.", {
                "expected_by": timestamp("When the victim was told to expect attendance (the response time given)."),
                "attended_at": timestamp("When officers attended."),
                "victim_told_of_delay_at": timestamp("When the victim was told that attendance would be delayed."),
            }, can_be_null=True),
            "supervisor_reviews": list_of("Supervisor reviews.", obj("A review.", {
                "at": timestamp("When."),
                "rank": nullable("string", "Rank of the supervisor."),
                "name": nullable("string", "Name of the supervisor."),
            })),
        }),
        "outcome": obj("The Home Office outcome; null while the case is open.", {
            "code": {"type": "string", "pattern": r"^(?:[1-9]|1[0-9]|2[0-2])[A-Z]?$",
                     "description": "Outcome type 1 to 22, with suffixes such as 1A, 2A, 3A."},
            "finalised_at": timestamp("When the crime was finalised."),
            "rationale": nullable("string", "Rationale for the outcome."),
            "victim_informed_at": timestamp("When the victim was told of the outcome."),
            "review_information_given": nullable("boolean", "Victim told how to seek a review (Victims' Right to Review)."),
            "supervisor_approval": obj("Supervisor's approval of the outcome.", {
                "at": timestamp("When."),
                "rank": nullable("string", "Rank."),
                "name": nullable("string", "Name of the supervisor."),
            }, can_be_null=True),
            "evidence_sufficient": nullable("boolean", "Sufficient evidence existed (outcome 10)."),
            "protective_orders_considered": nullable("boolean", "Protective orders (DVPN/DVPO) considered (domestic abuse)."),
            "evidence_led_prosecution_considered": nullable("boolean", "Evidence-led prosecution considered."),
            "intervention_completed_at": timestamp("When the intervention was completed (outcome 22)."),
            "victim_agreed_at": timestamp("When the victim agreed to the out-of-court disposal (a community "
                                          "resolution needs the victim's agreement)."),
        }, can_be_null=True, required=["code"]),
        "audit": obj("What a human reviewer recorded.", {
            "reviewer": nullable("string", "Reviewer."),
            "judgements": {
                "type": ["object", "null"],
                "description": "Rule id → the reviewer's judgement.",
                "propertyNames": {"pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"},
                "additionalProperties": {"enum": ["yes", "no", "not_applicable"]},
            },
            "notes": nullable("string", "Reviewer's notes."),
        }, can_be_null=True),
    },
}


def main() -> None:
    OUTPUT.write_text(json.dumps(CASE_SCHEMA, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
