"""Builds checker/schemas/call.schema.json, the call record (version 1) as JSON Schema.

A call record is one contact from the public to a force control room (a 999 or 101 call, an
online report) as the command-and-control and telephony systems, or an auditor's extract, show
it. The shapes (timestamps, nullable objects, enums, the audit object) are the case model's, so
they come from tools/build_case_schema.py. Run after changing the model:

    python tools/build_call_schema.py

A test checks that the committed schema matches this script's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from build_case_schema import ADVICE_VALUES, CASE_SCHEMA, enum, list_of, nullable, obj, record_type_field, timestamp

OUTPUT = Path(__file__).resolve().parent.parent / "checker" / "schemas" / "call.schema.json"

CHANNELS = ["emergency_999", "non_emergency_101", "online", "other"]

# The force's grades of response, most urgent first (names vary by force: map them onto these).
PRIORITIES = ["emergency", "priority", "scheduled", "resolution_without_deployment"]

ASSESSMENT_TEXT = "recorded text or level (e.g. high, medium, low); null when not recorded"

CALL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://case-file-checker.invalid/schemas/call/v1",
    "title": "Call for service, version 1",
    "description": (
        "One contact from the public to the force control room (a 999 or 101 call, an online report) as the "
        "command-and-control and telephony systems, or an auditor's extract, show it. Absent and null both mean "
        "'not recorded'. Timestamps are ISO 8601; without an offset they are local time in the configured zone "
        "(default Europe/London). The time to answer is answer_seconds when the telephony system gives it, "
        "otherwise the time from received_at to answered_at. Fields not in the model are allowed and reported."
    ),
    "type": "object",
    "required": ["call_id", "received_at"],
    "properties": {
        "record_type": record_type_field("call"),
        "call_id": {"type": "string", "minLength": 1, "description": "Unique within a sample (the incident or "
                                                                      "call log number)."},
        "force": nullable("string", "Force whose control room took the call."),
        "channel": enum("How the public made contact: a 999 emergency call, a 101 non-emergency call, an online "
                        "report, or another channel (e.g. at a front counter).", CHANNELS),
        "incident_type": nullable("string", "What the call was about, as the handler classified it (e.g. "
                                            "domestic incident, suspicious circumstances, theft)."),
        "received_at": timestamp("When the call reached the control room (for an online report: when it was "
                                 "submitted).", nullable=False),
        "answered_at": timestamp("When a call handler answered it (for an online report: when a handler opened "
                                 "it); null for a call never answered."),
        "answer_seconds": {"type": ["integer", "null"], "minimum": 0,
                           "description": "Seconds from the call being presented to the control room to being "
                                          "answered, as the telephony system counts them. When recorded it is the "
                                          "time to answer; when null, the time from received_at to answered_at "
                                          "is used."},
        "recording_available": nullable("boolean", "A voice recording of the call is held, so an auditor can "
                                                   "listen to how the handler spoke to the caller (the "
                                                   "professional-manner judgement is made on such calls)."),
        "caller": obj("The caller, as the force's records show them (identified) and as the handler marked them "
                      "on the system (flagged).", {
            "repeat_caller": nullable("boolean", "The caller (or the address or victim) has called before about "
                                                 "the same matter, as the force's records show: a fact an auditor "
                                                 "establishes, whether or not the handler noticed it."),
            "vulnerable": nullable("boolean", "The caller is vulnerable, on the information available at the time "
                                              "of the call."),
            "flagged_repeat": nullable("boolean", "The handler identified the caller as a repeat caller and marked "
                                                  "the incident so."),
            "flagged_vulnerable": nullable("boolean", "The handler identified the caller as vulnerable and marked "
                                                      "the incident so."),
        }, can_be_null=True),
        "risk_assessment": obj("The structured assessment of the call (threat, harm, risk and vulnerability) "
                               "recorded by the handler.", {
            "model": nullable("string", "The structured model used, e.g. THRIVE."),
            "threat": nullable("string", f"Threat: {ASSESSMENT_TEXT}."),
            "harm": nullable("string", f"Harm: {ASSESSMENT_TEXT}."),
            "risk": nullable("string", f"Risk: {ASSESSMENT_TEXT}."),
            "vulnerability": nullable("string", f"Vulnerability: {ASSESSMENT_TEXT}."),
            "recorded_at": timestamp("When the assessment was recorded."),
        }, can_be_null=True),
        "grading": obj("The priority given to the call and any change to it.", {
            "initial_priority": enum("The first grading of the call.", PRIORITIES),
            "final_priority": enum("The grading the call was resolved at.", PRIORITIES),
            "changes": list_of("Each change of grading, in order.", obj("A change of grading.", {
                "at": timestamp("When the grading was changed."),
                "from": enum("The grading before the change.", PRIORITIES),
                "to": enum("The grading after the change.", PRIORITIES),
                "reason": nullable("string", "The reason recorded for the change (the first grading was wrong, or "
                                             "new information arrived)."),
            })),
        }, can_be_null=True),
        "advice": obj("Advice given to the caller; each is given, not_applicable (recorded as not needed) or null "
                      "(not recorded).", {
            "safeguarding": enum("Safeguarding advice.", ADVICE_VALUES),
            "crime_prevention": enum("Crime prevention advice (and preserving the scene).", ADVICE_VALUES),
        }, can_be_null=True),
        "response": obj("Police attendance, if any was deployed.", {
            "deployed_at": timestamp("When officers were deployed."),
            "attended_at": timestamp("When officers arrived."),
        }, can_be_null=True),
        "supervision": obj("A control-room supervisor's review of the handling of the call.", {
            "required": nullable("boolean", "The force's system marked the call as needing a supervisor's review "
                                            "(beside the pack's own conditions: a downgrade, a vulnerable caller)."),
            "reviewed_at": timestamp("When a supervisor reviewed the call."),
            "reviewer": nullable("string", "Rank or name of the supervisor who reviewed it."),
        }, can_be_null=True),
        "audit": CASE_SCHEMA["properties"]["audit"],
    },
}


def main() -> None:
    OUTPUT.write_text(json.dumps(CALL_SCHEMA, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
