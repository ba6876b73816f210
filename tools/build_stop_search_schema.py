"""Builds checker/schemas/stop-search.schema.json, the stop-and-search record (version 1) as JSON Schema.

The record is what a force's stop-and-search form (or an auditor's extract of it) shows about
one search of one person: the power and the grounds, what the person was told and given, body-worn
video, the outcome and the supervisor's review. Built with the case schema's helpers, so timestamps,
nullable values and the reviewer's `audit` object are spelt exactly as in the case model. Run after
changing the model:

    python tools/build_stop_search_schema.py

A test checks that the committed schema matches this script's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from build_case_schema import CASE_SCHEMA, enum, nullable, obj, record_type_field, timestamp

OUTPUT = Path(__file__).resolve().parent.parent / "checker" / "schemas" / "stop-search.schema.json"

# Powers to stop and search. The suspicion-based powers need reasonable grounds for suspicion;
# section 60 of the Criminal Justice and Public Order Act 1994 is used under an authorisation
# instead (the pack's `powers_without_suspicion` setting says which powers need no grounds).
POWERS = ["pace_s1", "misuse_of_drugs_act_s23", "firearms_act_s47", "cjpoa_s60", "other"]

OBJECTS = ["drugs", "weapons", "stolen_property", "going_equipped", "criminal_damage", "fireworks", "other"]

# The five high-level ethnic groups of the 2021 census for England and Wales, as the person
# defines themselves; `not_stated` when the person was asked and declined to say.
ETHNIC_GROUPS = ["asian", "black", "mixed", "white", "other"]
SELF_DEFINED_ETHNICITY = ETHNIC_GROUPS + ["not_stated"]

# The age bands of the Home Office's stop-and-search statistics.
AGE_BANDS = ["under_10", "10_17", "18_24", "25_34", "over_34"]

OUTCOMES = ["no_further_action", "arrest", "summons", "caution", "community_resolution", "penalty_notice",
            "drugs_warning", "other"]


def told(item: str) -> dict[str, Any]:
    return nullable("boolean", f"The person was told {item} before the search (true), was not (false), "
                               "or the record does not say (null).")


STOP_SEARCH_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://case-file-checker.invalid/schemas/stop-search/v1",
    "title": "Stop and search record, version 1",
    "description": (
        "One search of one person under a stop-and-search power, as the search record (the form the "
        "officer completes) and its supervisor's review show it. Absent and null both mean 'not recorded'. "
        "Timestamps are ISO 8601; without an offset they are local time in the configured zone (default "
        "Europe/London); a date alone is allowed where the time is not known. Fields not in the model are "
        "allowed and reported. No names of people: officers and reviewers are identified by a number or a role."
    ),
    "type": "object",
    "required": ["search_id"],
    "properties": {
        "record_type": record_type_field("stop-search"),
        "search_id": {"type": "string", "minLength": 1,
                      "description": "The search record's reference. Unique within a sample."},
        "force": nullable("string", "Force whose officer made the search."),
        "searched_at": timestamp("When the search took place (date and time)."),
        "place": nullable("string", "Where the search took place, as recorded (street, area or landmark)."),
        "power": enum("The legal power used: section 1 of the Police and Criminal Evidence Act 1984 "
                      "(pace_s1), section 23 of the Misuse of Drugs Act 1971, section 47 of the Firearms "
                      "Act 1968, section 60 of the Criminal Justice and Public Order Act 1994 (cjpoa_s60: "
                      "searches without suspicion under an authorisation), or another power.", POWERS),
        "object_of_search": enum("What the officer was looking for.", OBJECTS),
        "grounds": obj("The grounds for the search as the officer recorded them.", {
            "recorded_text": nullable("string", "The grounds in the officer's words; null or blank when none "
                                                "were recorded."),
            "personal_factors_only": nullable(
                "boolean", "The recorded grounds rest only on personal factors (the person's appearance, a "
                           "previous conviction, a generalisation or stereotype) with no supporting "
                           "information or intelligence: true or false as the force's form or the auditor "
                           "records it; null when nobody assessed it."),
        }, can_be_null=True),
        "officer": obj("The officer who made the search (identified by number, not by name).", {
            "identifier": nullable("string", "Collar, warrant or other identifying number."),
            "station": nullable("string", "The police station the officer is attached to."),
        }, can_be_null=True),
        "person": obj("The person searched (no names).", {
            "self_defined_ethnicity": enum(
                "The person's ethnicity as they define it, by the five high-level groups of the 2021 "
                "census (asian, black, mixed, white, other), or not_stated when the person was asked and "
                "declined to say; null when not recorded.", SELF_DEFINED_ETHNICITY),
            "officer_observed_ethnicity": enum("The ethnicity the officer observed, by the same five groups.",
                                               ETHNIC_GROUPS),
            "age_band": enum("The person's age band (as in the Home Office's statistics).", AGE_BANDS),
            "gender": enum("The person's gender.", ["male", "female", "other"]),
        }, can_be_null=True),
        "told": obj("What the person was told before the search (the GOWISELY items of PACE Code A).", {
            "grounds": told("the grounds for the search"),
            "object": told("the object of the search"),
            "officer_identity": told("the officer's identity (name or number)"),
            "station": told("the station the officer is attached to"),
            "entitlement_to_copy": told("of their entitlement to a copy of the search record"),
        }, can_be_null=True),
        "record_given": nullable("boolean", "A copy of the search record was given to the person at the time."),
        "receipt_offered_at": timestamp("When the person was offered a receipt (or the means to obtain a copy "
                                        "of the record later) instead of a copy at the time."),
        "bwv": obj("Body-worn video of the encounter.", {
            "used": nullable("boolean", "The search was recorded on body-worn video."),
            "reason_not_used": nullable("string", "The reason recorded for not recording it."),
        }, can_be_null=True),
        "outcome": obj("What followed the search.", {
            "result": enum("The outcome of the search.", OUTCOMES),
            "item_found": nullable("boolean", "Something was found."),
            "find_linked": nullable("boolean", "What was found was the object searched for (the outcome is "
                                               "linked to the grounds)."),
        }, can_be_null=True),
        "review": obj("The supervisor's review of the search record and its footage.", {
            "reviewed_at": timestamp("When the supervisor reviewed the record."),
            "reviewer": nullable("string", "Who reviewed it (rank and number, or a role)."),
            "footage_reviewed": nullable("boolean", "The supervisor watched the body-worn video footage."),
            "feedback_given": nullable("boolean", "The supervisor gave the officer feedback."),
        }, can_be_null=True),
        "audit": CASE_SCHEMA["properties"]["audit"],
    },
}


def main() -> None:
    OUTPUT.write_text(json.dumps(STOP_SEARCH_SCHEMA, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
