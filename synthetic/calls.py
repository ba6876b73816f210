"""Seeded generator of synthetic call records (the call record type, version 1): an audit sample of calls.

Everything here is invented: call ids look like "SYN-CALL-000001", the force is "Synthetic
Constabulary", reviewers are "Reviewer 01" to "Reviewer 04" and supervisors are named by rank only.
No caller is described beyond what the checks read (repeat, vulnerable).

The shipped sample is produced, and kept in step by tests/test_synthetic_calls.py, with:

    python -m synthetic.calls --seed 2022 --output samples/calls.json

The sample is one audit of 74 calls received in October and November 2021, shaped like the
inspection's call-handling findings, which came from the same inspection but not necessarily from
one set of calls; here they are read on one sample:

- every call was reviewed for its prioritisation and response: 71 judged appropriate, 3 not
  ("call-prioritised-appropriately");
- 57 calls have a recording the auditor listened to (999 and 101 calls; the other 5 phone calls'
  recordings were not held, and online reports and front-counter contacts have none): the handler was
  judged polite, professional and empathetic in 55 ("call-manner-professional"; the other 17 calls
  are not applicable);
- 15 calls needed a supervisor's review under the pack's default settings (6 downgraded, 6 from
  vulnerable callers, 3 marked so by the force's system) and 12 were reviewed ("call-supervised").

Which call gets which of those traits is shuffled by the seed. The other obligations (999 answer
time, the risk assessment's four elements, flagging repeat and vulnerable callers, a reason for each
change of grading, advice) are each met with probability `COMPLIANCE`, drawn per call
(`synthetic.checks.Checks`), so the sample has passes and failures for every automatic rule; the
faults planted are listed per call by `labelled_audit_sample`.

Determinism: one `random.Random(seed)` shuffles the traits and draws a 64-bit seed per call, and
each call has its own `random.Random`, so a call depends only on (seed, position).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from synthetic.cases import FORCE, LONDON, REVIEWERS, UTC, format_timestamp, write_records
from synthetic.checks import Checks

Record = dict[str, Any]

SAMPLE_SIZE = 74
WINDOW_START = date(2021, 10, 1)  # the inspection reviewed work open in October and November 2021
WINDOW_DAYS = 61
COMPLIANCE = 0.85

CHANNELS = ("emergency_999",) * 30 + ("non_emergency_101",) * 32 + ("online",) * 9 + ("other",) * 3
PHONE_CHANNELS = ("emergency_999", "non_emergency_101")
RECORDINGS_HELD = 57      # of the 62 phone calls
MANNER_GOOD = 55          # of the calls with a recording
PRIORITISED_WELL = 71     # of all 74
SUPERVISION_REASONS = ("downgrade",) * 6 + ("vulnerable",) * 6 + ("system",) * 3
SUPERVISED = 12           # of the 15 calls needing a review

PRIORITIES = ("emergency", "priority", "scheduled", "resolution_without_deployment")
FIRST_GRADING = {  # (grading, weight) by channel
    "emergency_999": (("emergency", 7), ("priority", 3)),
    "non_emergency_101": (("priority", 3), ("scheduled", 5), ("resolution_without_deployment", 2)),
    "online": (("scheduled", 6), ("resolution_without_deployment", 4)),
    "other": (("priority", 1), ("scheduled", 1)),
}
INCIDENT_TYPES = {
    "emergency_999": ("domestic incident", "assault in progress", "concern for safety", "road traffic collision",
                      "burglary in progress"),
    "non_emergency_101": ("theft", "criminal damage", "anti-social behaviour", "suspicious circumstances",
                          "fraud", "domestic incident"),
    "online": ("theft", "criminal damage", "fraud", "anti-social behaviour"),
    "other": ("concern for safety", "theft"),
}
LEVELS = ("low", "medium", "high")
SUPERVISOR_RANKS = ("sergeant", "inspector")
REGRADE_REASONS = {
    "up": "Further information from the caller: the suspect is still at the address.",
    "down": "Caller confirms the suspect has left and nobody is injured; attendance by appointment.",
}
NOTES = {
    "prioritisation": "The caller's vulnerability called for a quicker attendance than the grading gave.",
    "manner": "The handler was abrupt with the caller and did not acknowledge their distress.",
}


class LabelledCall(NamedTuple):
    """A call and the obligations the generator broke on purpose in it."""

    record: Record
    faults: list[str]


@dataclass(frozen=True)
class _Traits:
    """What the audit found for one call, fixed by the sample's quotas before the call is drawn."""

    channel: str
    recording: bool
    manner_good: bool | None      # None: not judged (no recording)
    prioritised_well: bool
    supervision_reason: str | None  # downgrade, vulnerable, system, or None (no review needed)
    supervised: bool


class _CallBuilder:
    """Draws one call's instants and facts from its own generator, then writes the record."""

    def __init__(self, rng: random.Random, seq: int, traits: _Traits) -> None:
        self.rng = rng
        self.seq = seq
        self.traits = traits
        self.checks = Checks(rng, COMPLIANCE, exemplary=False)
        self.style = rng.choices(("Z", "offset", "naive"), weights=(50, 35, 15))[0]
        start = datetime.combine(WINDOW_START, time(0, 0), tzinfo=LONDON).astimezone(UTC)
        self.received = start + timedelta(seconds=rng.randrange(WINDOW_DAYS * 86400))

    def _ts(self, instant: datetime | None) -> str | None:
        return None if instant is None else format_timestamp(instant, self.style)

    def _after(self, instant: datetime, lo_minutes: float, hi_minutes: float) -> datetime:
        return instant + timedelta(seconds=self.rng.randint(round(lo_minutes * 60), round(hi_minutes * 60)))

    def build(self) -> LabelledCall:
        channel = self.traits.channel
        answer_seconds, answered = self._answer()
        grading = self._grading()
        record: Record = {
            "record_type": "call",
            "call_id": f"SYN-CALL-{self.seq:06d}",
            "force": FORCE,
            "channel": channel,
            "incident_type": self.rng.choice(INCIDENT_TYPES[channel]),
            "received_at": self._ts(self.received),
            "answered_at": self._ts(answered),
            "answer_seconds": answer_seconds,
            "recording_available": self.traits.recording if channel in PHONE_CHANNELS else False,
            "caller": self._caller(),
            "risk_assessment": self._risk_assessment(answered),
            "grading": grading,
            "advice": self._advice(),
            "response": self._response(answered, grading["final_priority"]),
            "supervision": self._supervision(answered),
            "audit": self._audit(),
        }
        return LabelledCall(record, self.checks.faults)

    def _answer(self) -> tuple[int | None, datetime]:
        """Phone calls carry the telephony system's seconds to answer; online reports and front-counter
        contacts only the time a handler took them up."""
        channel = self.traits.channel
        if channel == "emergency_999":
            seconds = self.rng.randint(1, 10) if self.checks.met("answer_time") else self.rng.randint(11, 45)
        elif channel == "non_emergency_101":
            seconds = round(self.rng.lognormvariate(4.5, 0.9))
        elif channel == "online":
            return None, self._after(self.received, 5, 300)
        else:
            return None, self._after(self.received, 0, 3)
        return seconds, self.received + timedelta(seconds=seconds)

    def _caller(self) -> Record:
        repeat = self.rng.random() < 0.2
        vulnerable = self.traits.supervision_reason == "vulnerable"
        return {
            "repeat_caller": repeat,
            "vulnerable": vulnerable if vulnerable or self.rng.random() < 0.9 else None,
            "flagged_repeat": repeat and self.checks.met("repeat_flagged"),
            "flagged_vulnerable": vulnerable and self.checks.met("vulnerable_flagged"),
        }

    def _risk_assessment(self, answered: datetime) -> Record | None:
        assessment: Record = {
            "model": "THRIVE",
            **{element: self.rng.choice(LEVELS) for element in ("threat", "harm", "risk", "vulnerability")},
            "recorded_at": self._ts(self._after(answered, 1, 8)),
        }
        if not self.checks.met("risk_assessment"):
            if self.rng.random() < 0.3:
                return None
            for element in self.rng.sample(("threat", "harm", "risk", "vulnerability"), self.rng.randint(1, 2)):
                assessment[element] = None
        return assessment

    def _grading(self) -> Record:
        names, weights = zip(*FIRST_GRADING[self.traits.channel])
        first = self.rng.choices(names, weights=weights)[0]
        rank = PRIORITIES.index(first)
        if self.traits.supervision_reason == "downgrade":
            rank = min(rank, len(PRIORITIES) - 2)  # something to lower it to
            first, final, way = PRIORITIES[rank], PRIORITIES[self.rng.randint(rank + 1, len(PRIORITIES) - 1)], "down"
        elif rank > 0 and self.rng.random() < 0.12:
            final, way = PRIORITIES[rank - 1], "up"
        else:
            return {"initial_priority": first, "final_priority": first, "changes": []}
        change = {"at": self._ts(self._after(self.received, 10, 90)), "from": first, "to": final,
                  "reason": REGRADE_REASONS[way]}
        if self.checks.met("regrade_reason", weight=2.0):  # regrades are few: plant their faults more often
            return {"initial_priority": first, "final_priority": final, "changes": [change]}
        if self.rng.random() < 0.3:
            return {"initial_priority": first, "final_priority": final, "changes": []}  # the change itself unrecorded
        return {"initial_priority": first, "final_priority": final, "changes": [dict(change, reason=None)]}

    def _advice(self) -> Record | None:
        needs_safeguarding = self.traits.supervision_reason == "vulnerable" or self.rng.random() < 0.5
        advice: Record = {
            "safeguarding": "given" if needs_safeguarding else "not_applicable",
            "crime_prevention": "given" if self.rng.random() < 0.7 else "not_applicable",
        }
        if not self.checks.met("advice"):
            if self.rng.random() < 0.4:
                return None
            advice[self.rng.choice(("safeguarding", "crime_prevention"))] = None
        return advice

    def _response(self, answered: datetime, final: str) -> Record | None:
        minutes = {"emergency": (1, 5, 5, 20), "priority": (10, 60, 15, 90), "scheduled": (60, 2880, 30, 120)}
        if final not in minutes:
            return None  # resolved without deployment
        deploy_lo, deploy_hi, travel_lo, travel_hi = minutes[final]
        deployed = self._after(answered, deploy_lo, deploy_hi)
        return {"deployed_at": self._ts(deployed), "attended_at": self._ts(self._after(deployed, travel_lo, travel_hi))}

    def _supervision(self, answered: datetime) -> Record | None:
        reason = self.traits.supervision_reason
        reviewed = self.traits.supervised if reason else self.rng.random() < 0.1  # supervisors dip-sample too
        if reason != "system" and not reviewed:
            return None  # nothing recorded: no review, and the system did not ask for one
        return {
            "required": True if reason == "system" else None,
            "reviewed_at": self._ts(self._after(answered, 10, 480)) if reviewed else None,
            "reviewer": self.rng.choice(SUPERVISOR_RANKS) if reviewed else None,
        }

    def _audit(self) -> Record:
        judgements = {"call-prioritised-appropriately": "yes" if self.traits.prioritised_well else "no"}
        notes = [] if self.traits.prioritised_well else [NOTES["prioritisation"]]
        if self.traits.manner_good is not None:
            judgements["call-manner-professional"] = "yes" if self.traits.manner_good else "no"
            if not self.traits.manner_good:
                notes.append(NOTES["manner"])
        return {"reviewer": self.rng.choice(REVIEWERS), "judgements": judgements, "notes": " ".join(notes)}


def _traits(rng: random.Random) -> list[_Traits]:
    """The audit's findings, dealt out to the 74 calls by shuffling each quota."""
    channels = list(CHANNELS)
    rng.shuffle(channels)
    phone = [index for index, channel in enumerate(channels) if channel in PHONE_CHANNELS]
    held = set(rng.sample(phone, RECORDINGS_HELD))
    held_order = sorted(held)
    manner = [True] * MANNER_GOOD + [False] * (RECORDINGS_HELD - MANNER_GOOD)
    rng.shuffle(manner)
    manner_of = dict(zip(held_order, manner))
    prioritised = [True] * PRIORITISED_WELL + [False] * (SAMPLE_SIZE - PRIORITISED_WELL)
    rng.shuffle(prioritised)
    needing = rng.sample(range(SAMPLE_SIZE), len(SUPERVISION_REASONS))
    reason_of = dict(zip(needing, SUPERVISION_REASONS))
    supervised_flags = [True] * SUPERVISED + [False] * (len(SUPERVISION_REASONS) - SUPERVISED)
    rng.shuffle(supervised_flags)
    supervised_of = dict(zip(needing, supervised_flags))
    return [_Traits(channel=channels[index], recording=index in held, manner_good=manner_of.get(index),
                    prioritised_well=prioritised[index], supervision_reason=reason_of.get(index),
                    supervised=supervised_of.get(index, False))
            for index in range(SAMPLE_SIZE)]


def labelled_audit_sample(seed: int) -> list[LabelledCall]:
    """The 74-call audit sample (see the module docstring), each call with its planted faults."""
    rng = random.Random(seed)
    traits = _traits(rng)
    return [_CallBuilder(random.Random(rng.getrandbits(64)), position + 1, call_traits).build()
            for position, call_traits in enumerate(traits)]


def audit_sample(seed: int) -> list[Record]:
    """The 74-call audit sample as records."""
    return [labelled.record for labelled in labelled_audit_sample(seed)]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m synthetic.calls",
        description="Write the synthetic audit sample of 74 calls for service (no real personal data).")
    parser.add_argument("--seed", type=int, required=True, help="random seed; the same seed gives the same calls")
    parser.add_argument("--output", default="-", help="file to write (a JSON array, indent 1), or - for standard output")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see `python -m synthetic.calls --help`."""
    args = _parse_args(argv)
    records = audit_sample(args.seed)
    write_records(records, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
