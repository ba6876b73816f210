"""The case-model fields of the second round of checks, drawn for one synthetic file.

Kept apart from `synthetic.cases` so that adding them changed no earlier field: these fields are
drawn from a random generator of their own (seeded from the file's seed), so every file keeps
the values it had before, and only gains the new fields (and, for a few outcome-15 files, a
victim's stance that does not match the outcome, planted on purpose).

What is drawn, per file (faults are planted with the file's compliance, never in an exemplary file):
- crime.perceived_hostility: recorded for every hate crime (by the victim or another person) and
  for some other crimes as "not perceived"; a planted fault records a perception on a crime that
  is not flagged as a hate crime (`hate_crime_flag`).
- victim.officer_in_case_told_at, victim.investigation_decision_told_at: within two days of the
  report and of allocation (`told_who_and_whether`: one of them missing).
- victim.advice: safeguarding, crime prevention and evidence preservation, each given or recorded
  as not applicable (`advice`: none recorded, or one kind missing).
- victim.domestic_abuse_risk: for domestic abuse (standard, medium or high).
- victim.independent_adviser: an IDVA (domestic abuse) or ISVA (sexual offence) offered, or
  declined, where the referral did not already go to that adviser (`independent_adviser`).
- investigation.attendance: for about 60% of files; a quarter of those attended late, the victim
  told of the delay before attendance was due, or not (`attendance_delay_told`).
- outcome 15: the victim's stance sometimes does not match (`outcome_victim_stance`): never
  supported action, or, for domestic abuse, withdrew (with the withdrawal recorded).
- outcomes 14 and 15 for a domestic abuse victim who does not support action: the evidence-led
  prosecution and protective orders recorded as considered, or not (`da_options_considered`).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from synthetic.checks import Checks

Record = dict[str, Any]
LONDON = ZoneInfo("Europe/London")

# XOR-ed into a file's 64-bit seed to seed these draws (any fixed constant would do).
SALT = 0x5EC0_2D20_0000_0013


def _between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    span = int((hi - lo).total_seconds() // 60)
    return lo + timedelta(minutes=rng.randint(0, span)) if span > 0 else lo


def _daytime(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """In [lo, hi], moved into 08:00-19:59 local time when that stays in range (as synthetic.cases)."""
    instant = _between(rng, lo, hi)
    local = instant.astimezone(LONDON)
    if 8 <= local.hour < 20:
        return instant
    for day in (local.date(), local.date() + timedelta(days=1)):
        candidate = datetime.combine(day, time(rng.randint(8, 19), rng.randrange(0, 60, 5)), tzinfo=LONDON)
        if lo <= candidate <= hi:
            return candidate.astimezone(instant.tzinfo)
    return instant


def _inserted(mapping: Record, after: str, items: Record) -> Record:
    """`mapping` with `items` placed after key `after` (the case model's order, which reads fastest)."""
    result: Record = {}
    for key, value in mapping.items():
        result[key] = value
        if key == after:
            result.update(items)
    return result


class SecondRound:
    """Adds the second-round fields to one built record (see the module docstring)."""

    def __init__(self, builder: Any, rng: random.Random) -> None:
        self.b = builder
        self.rng = rng
        self.checks = Checks(rng, builder.checks.compliance, builder.checks.exemplary, builder.checks.faults)

    def _chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def _day(self, lo: datetime, hi: datetime) -> datetime:
        return _daytime(self.rng, lo, max(lo, hi))

    def add(self, record: Record) -> None:
        b = self.b
        record["crime"] = _inserted(record["crime"], "flags", {"perceived_hostility": self._perceived_hostility()})
        told_who, told_decision = self._told_who_and_whether()
        victim = _inserted(record["victim"], "written_acknowledgement_at", {
            "officer_in_case_told_at": b._ts(told_who),
            "investigation_decision_told_at": b._ts(told_decision),
            "advice": self._advice(),
            "domestic_abuse_risk": self._domestic_abuse_risk(),
            "independent_adviser": self._independent_adviser(record["victim"]["referral"]),
        })
        record["victim"] = victim
        record["investigation"] = _inserted(record["investigation"], "plan_recorded",
                                            {"attendance": self._attendance()})
        if b.family == "15" and record["outcome"] is not None:
            self._outcome_15_stance(record)
        if (b.family in ("14", "15") and b.flags["domestic_abuse"] and record["outcome"] is not None
                and record["victim"]["support_for_action"] in ("never_supported", "withdrew")):
            self._domestic_abuse_options(record["outcome"])

    def _perceived_hostility(self) -> Record | None:
        b = self.b
        if b.flags["hate_crime"]:
            by_victim = self._chance(0.8)
            return {"by_victim": by_victim, "by_other_person": (not by_victim) or self._chance(0.3)}
        if b.kind == "person" and not self.checks.met("hate_crime_flag", weight=0.3):
            return {"by_victim": self._chance(0.5), "by_other_person": True}
        return {"by_victim": False, "by_other_person": False} if self._chance(0.15) else None

    def _told_who_and_whether(self) -> tuple[datetime | None, datetime | None]:
        b = self.b
        who = self._day(b.reported + timedelta(minutes=10), b.reported + timedelta(hours=48))
        decision = self._day(b.allocated, min(b.allocated + timedelta(hours=48), max(b.end, b.allocated)))
        if not self.checks.met("told_who_and_whether"):
            if self._chance(0.5):
                who = None
            else:
                decision = None
        return who, decision

    def _advice(self) -> Record | None:
        b = self.b
        at_risk = b.flags["domestic_abuse"] or b.enhanced
        advice = {
            "safeguarding": "given" if at_risk or self._chance(0.5) else "not_applicable",
            "crime_prevention": "given" if self._chance(0.85) else "not_applicable",
            "evidence_preservation": "given" if self._chance(0.7) else "not_applicable",
        }
        if not self.checks.met("advice"):
            if self._chance(0.4):
                return None
            advice[self.rng.choice(sorted(advice))] = None
        return advice

    def _domestic_abuse_risk(self) -> str | None:
        if not self.b.flags["domestic_abuse"] or self._chance(0.05):
            return None
        return self.rng.choices(("standard", "medium", "high"), weights=(4, 3, 2))[0]

    def _independent_adviser(self, referral: Record | None) -> Record | None:
        b = self.b
        expected = (["IDVA"] if b.flags["domestic_abuse"] else []) + (["ISVA"] if b.flags["sexual_offence"] else [])
        if b.kind != "person" or not expected:
            return None
        if referral is not None and referral.get("made_at") is not None and referral.get("service") in expected:
            return None  # referred to the adviser already: nothing more to record
        if not self.checks.met("independent_adviser"):
            return None
        offered = self._day(b.reported + timedelta(hours=1), b.reported + timedelta(hours=72))
        declined = offered if self._chance(0.3) else None
        return {"service": expected[0], "offered_at": b._ts(offered), "declined_at": b._ts(declined)}

    def _attendance(self) -> Record | None:
        b = self.b
        if not self._chance(0.6):
            return None
        urgent = b.flags["domestic_abuse"] or b.flags["hate_crime"] or b.flags["serious_crime"]
        expected_by = b.reported + (timedelta(hours=1) if urgent else timedelta(hours=self.rng.choice((4, 24, 48))))
        if not self._chance(0.25):  # on time
            attended = _between(self.rng, b.reported + timedelta(minutes=10), expected_by)
            return {"expected_by": b._ts(expected_by), "attended_at": b._ts(attended), "victim_told_of_delay_at": None}
        attended = _between(self.rng, expected_by + timedelta(minutes=30), expected_by + timedelta(hours=48))
        if self.checks.met("attendance_delay_told"):
            told: datetime | None = _between(self.rng, b.reported + timedelta(minutes=5), expected_by)
        elif self._chance(0.5):
            told = None
        else:
            told = _between(self.rng, expected_by + timedelta(minutes=5), attended)
        return {"expected_by": b._ts(expected_by), "attended_at": b._ts(attended), "victim_told_of_delay_at": b._ts(told)}

    def _outcome_15_stance(self, record: Record) -> None:
        """A victim who does not support action finalised as 15 (should be 16): commoner in domestic abuse."""
        b = self.b
        domestic = b.flags["domestic_abuse"]
        if self.checks.met("outcome_victim_stance", weight=3.0 if domestic else 1.0):
            return
        victim = record["victim"]
        if domestic:
            withdrawn = self._day(b.reported + timedelta(days=1), b.finalised - timedelta(hours=2))
            victim["support_for_action"] = "withdrew"
            victim["withdrawal"] = {"at": b._ts(min(withdrawn, b.finalised)), "reasons_recorded": self._chance(0.7)}
        else:
            victim["support_for_action"] = "never_supported"

    def _domestic_abuse_options(self, outcome: Record) -> None:
        """A domestic abuse victim who does not support action, finalised other than as 16: the
        evidence-led prosecution and protective orders considered, or not."""
        considered = self.checks.met("da_options_considered", weight=0.75)
        outcome["evidence_led_prosecution_considered"] = True if considered else self.rng.choice((False, None))
        outcome["protective_orders_considered"] = True if considered or self._chance(0.5) else None
