"""Seeded generator of synthetic case-file records (case model version 1).

Everything here is invented. There are no names of people: case ids look like
"SYN-2022-000001", crime references like "SYN-22-0131-0001", the force is
"Synthetic Constabulary" and reviewers are "Reviewer 01" to "Reviewer 04".
Only the standard library is used, so the generator runs anywhere the checker does.

The shipped sample is produced, and kept in step by tests/test_synthetic.py, with:

    python -m synthetic.cases --count 80 --seed 2022 --output samples/cases.json

Public API
- `generate_cases` / `iter_cases`: realistic files, a mix of compliant and non-compliant.
- `iter_labelled_cases`: the same files, each with the obligations the generator broke on
  purpose ("planted faults"), as a cross-check for the engine.
- `outcome16_audit_sample`: 20 outcome-16 files shaped like the published inspection audit
  (17 never supported / 13 signed, 18 supervised, 19 justifiable).
- `write_json_array` / `write_jsonl`, `write_records` (to a file or standard output) and the command line (`main`).

How a sample is built
- Determinism: one `random.Random(seed)` draws a 64-bit seed per file and each file has its own
  `random.Random`, so a file depends only on (seed, position) and never on `hash()`, set order or
  the machine. Records are built one at a time, so `iter_cases` streams.
- Outcomes: each block of 20 files takes its outcomes from `OUTCOME_CYCLE`, shuffled, so every
  block covers outcomes 1, 2/3, 8, 10, 14, 15, 16, 18, 21, 22, open and cancelled crimes.
- Compliance: every obligation is met independently with probability `compliance`, except that
  one file in ten (`EXEMPLARY_EVERY`) meets every obligation, so any sample has wholly compliant
  files as well as faulty ones. The faults are the generator's intent under the checker's default
  conventions: 24 clock hours to record; working days are Monday to Friday without England and
  Wales bank holidays, counted from the day after the event; acknowledgement within 5 working days
  and needs assessment within 5 working days (both assumptions of the domain reference).
- Time: instants are built in UTC and written in one style per file: "Z", the Europe/London offset
  ("+00:00"/"+01:00"), or (about 15%) local wall time without an offset; a few fields are written
  as a date alone, only where the start of that day still falls after the report. Wall times in
  the repeated autumn hour are written with their offset, so every value has one reading. One file
  in ten is reported next to a clock change or Easter, so some deadlines straddle them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple, TextIO
from zoneinfo import ZoneInfo

from checker.engine.workdays import DEFAULT_CALENDAR, bank_holidays, is_working_day
from synthetic.checks import Checks
from synthetic.second_round import SALT, SecondRound

Record = dict[str, Any]

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc

FORCE = "Synthetic Constabulary"
REVIEWERS = ("Reviewer 01", "Reviewer 02", "Reviewer 03", "Reviewer 04")

# One block of the outcome cycle; "oocd" becomes caution "2" or "3".
OUTCOME_CYCLE: tuple[str, ...] = (
    "1", "1", "oocd", "8", "10", "14", "14", "15", "15", "16",
    "16", "18", "18", "18", "18", "21", "22", "open", "open", "cancelled",
)
OPT_OUT_SHARE = 0.05  # victims with a contact agreement who ask for no updates
EXEMPLARY_EVERY = 10  # files 0, 10, 20, ... meet every obligation
ANCHOR_EVERY = 10     # files 5, 15, 25, ... are reported next to a clock change or Easter
ANCHOR_OFFSET = 5
EXTRACT_AFTER_DAYS = 14  # the extract is taken this long after the reporting window closes

# Outcomes that need a named suspect (domain reference §3) and those that must not have one.
NAMED_SUSPECT_OUTCOMES = ("1", "2", "3", "6", "7", "8", "10", "11", "12", "13",
                          "15", "16", "17", "20", "21", "22")
NO_SUSPECT_OUTCOMES = ("14", "18")

# Faults that concern contact with the victim (for the reviewer's engagement judgement).
VICTIM_CONTACT_FAULTS = (
    "acknowledgement", "needs_assessment", "enhanced_rights_recorded", "referral",
    "contact_agreement", "updates", "vps", "key_event_informed", "outcome_victim_informed",
    "review_information", "victim_views",
)


# --------------------------------------------------------------------------- offences

@dataclass(frozen=True)
class Offence:
    """A Home Office offence classification and what it implies for the file."""

    code: str
    description: str
    summary_only: bool
    weight: float
    minor: bool = False          # suitable for a caution, community resolution, diversion, 10 or 21
    domestic: bool = False       # often recorded as domestic abuse
    domestic_only: bool = False  # only ever domestic abuse
    sexual: bool = False
    serious: bool = False        # another "most serious crime" category of the Code
    bereavement: bool = False    # the victim is a bereaved close relative
    category: str | None = None  # crime.offence.category where it is a "most serious crime" category


PERSON_OFFENCES: tuple[Offence, ...] = (
    Offence("8N", "Assault with injury", False, 10, domestic=True),
    Offence("105A", "Assault without injury", True, 12, minor=True, domestic=True),
    Offence("8L", "Harassment", True, 5, minor=True, domestic=True),
    Offence("8Q", "Stalking", False, 2, domestic=True),
    Offence("8R", "Malicious communications", False, 4, minor=True, domestic=True),
    Offence("8U", "Controlling or coercive behaviour in an intimate or family relationship", False, 4,
            domestic=True, domestic_only=True),
    Offence("3B", "Threats to kill", False, 1, domestic=True),
    Offence("5D", "Assault with intent to cause serious harm", False, 2, domestic=True, serious=True,
            category="gbh_with_intent"),
    Offence("28E", "Burglary - residential", False, 8),
    Offence("49", "Other theft", False, 8, minor=True),
    Offence("39", "Theft from the person", False, 3, minor=True),
    Offence("45", "Theft from a vehicle", False, 4, minor=True),
    Offence("34B", "Robbery of personal property", False, 2),
    # Low-value criminal damage is tried summarily, so the 6-month limit is treated as applying.
    Offence("58A", "Criminal damage to a dwelling", True, 5, minor=True, domestic=True),
    Offence("58C", "Criminal damage to a vehicle", True, 4, minor=True),
    Offence("17B", "Sexual assault on a female aged 13 and over", False, 3, domestic=True, sexual=True,
            category="sexual_offence"),
    Offence("19C", "Rape of a female aged 16 and over", False, 1.5, domestic=True, sexual=True,
            category="sexual_offence"),
    Offence("56A", "Arson endangering life", False, 1, serious=True, category="arson_with_intent_to_endanger_life"),
    Offence("4/4", "Causing death by dangerous driving", False, 1, bereavement=True),
)
HATE_OFFENCES: tuple[Offence, ...] = (
    Offence("8P", "Racially or religiously aggravated assault with injury", False, 2),
    Offence("105B", "Racially or religiously aggravated assault without injury", False, 3, minor=True),
    Offence("8M", "Racially or religiously aggravated harassment", False, 2, minor=True),
    Offence("9B", "Racially or religiously aggravated public fear, alarm or distress", True, 3, minor=True),
)
BUSINESS_OFFENCES: tuple[Offence, ...] = (
    Offence("46", "Shoplifting", False, 10, minor=True),
    Offence("30C", "Burglary - business and community", False, 4),
    Offence("58B", "Criminal damage to a building other than a dwelling", True, 3, minor=True),
    Offence("49", "Other theft", False, 2, minor=True),
)

# Outcomes that only suit lower-level offences.
MINOR_ONLY_FAMILIES = ("2", "3", "8", "10", "21", "22")
# Share of person victims whose crime is domestic abuse, by outcome family.
DOMESTIC_SHARE = {"1": 0.3, "2": 0.1, "3": 0.1, "8": 0.1, "10": 0.3, "14": 0.25, "15": 0.35,
                  "16": 0.75, "18": 0.08, "21": 0.0, "22": 0.15, "open": 0.3, "cancelled": 0.1}
# Share of business victims, by outcome family (never for domestic-only outcomes).
BUSINESS_SHARE = {"1": 0.15, "3": 0.2, "8": 0.2, "14": 0.15, "15": 0.15, "18": 0.3,
                  "open": 0.15, "cancelled": 0.2}
HATE_SHARE = 0.07

RATIONALES = {
    "1": "Charged following a charging decision; file passed for prosecution.",
    "2": "Youth caution administered; admission made and the victim's views considered.",
    "3": "Adult caution administered; admission made and the victim's views considered.",
    "8": "Community resolution agreed with the victim; suspect accepted responsibility.",
    "10": "Sufficient evidence to charge, but formal action is not in the public interest "
          "given the suspect's circumstances; victim's views considered.",
    "14": "Victim does not wish to support police action to identify the offender.",
    "15": "Named suspect; victim supports action but the evidence does not meet the threshold.",
    "16": "Victim does not support a prosecution; no independent evidence to proceed.",
    "18": "All proportionate lines of enquiry completed; no suspect identified.",
    "21": "Further investigation would not be in the public interest; rationale recorded "
          "and approved by a supervisor.",
    "22": "Suspect completed a diversionary intervention activity.",
}


# --------------------------------------------------------------------------- calendar and time

def _easter_sunday(year: int) -> date:
    """Easter Sunday, from the bank-holiday calendar the checker itself uses (Easter Monday - 1 day)."""
    monday = next(day for day, name in bank_holidays(year).items() if name == "Easter Monday")
    return monday - timedelta(days=1)


def _local_date(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


def _local_instant(day: date, at: time) -> datetime:
    """The UTC instant of a Europe/London wall time (only used for unambiguous daytime hours)."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def working_day_deadline(event: datetime, working_days: int) -> datetime:
    """The last minute of the `working_days`-th working day after the event's local date."""
    day = _local_date(event)
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day, DEFAULT_CALENDAR):
            counted += 1
    return _local_instant(day, time(23, 59))


def _hours(value: float) -> timedelta:
    return timedelta(minutes=round(value * 60))


def _days(value: float) -> timedelta:
    return timedelta(minutes=round(value * 24 * 60))


def _is_ambiguous_wall_time(instant: datetime) -> bool:
    """True in the autumn hour that happens twice, where a wall time has two readings."""
    wall = instant.astimezone(LONDON).replace(tzinfo=None)
    return (wall.replace(tzinfo=LONDON, fold=0).utcoffset()
            != wall.replace(tzinfo=LONDON, fold=1).utcoffset())


def format_timestamp(instant: datetime, style: str) -> str:
    """Write an instant as "Z", as the Europe/London offset, or as local wall time ("naive")."""
    if style == "Z":
        return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "naive" and not _is_ambiguous_wall_time(instant):
        return instant.astimezone(LONDON).replace(tzinfo=None).isoformat(timespec="seconds")
    return instant.astimezone(LONDON).isoformat(timespec="seconds")


@dataclass(frozen=True)
class _Window:
    """The reporting window, when the extract was taken, and the dates worth straddling."""

    start: datetime
    end: datetime
    as_of: datetime
    anchors: tuple[tuple[str, datetime], ...]


def _window(start: date, days: int) -> _Window:
    first = _local_instant(start, time(0, 0))
    last = _local_instant(start + timedelta(days=days), time(0, 0))
    return _Window(first, last, last + timedelta(days=EXTRACT_AFTER_DAYS), _anchors(start, days))


def _anchors(start: date, days: int) -> tuple[tuple[str, datetime], ...]:
    """Clock changes (their UTC instant) and Easters (the Thursday before) inside the window."""
    found: list[tuple[str, datetime]] = []
    easters = tuple(_easter_sunday(year) for year in range(start.year, start.year + days // 365 + 2))
    for offset in range(days):
        day = start + timedelta(days=offset)
        change = _clock_change_on(day)
        if change is not None:
            found.append(("clock_change", change))
        if day + timedelta(days=3) in easters:
            found.append(("easter", _local_instant(day, time(8, 0))))
    return tuple(found)


def _clock_change_on(day: date) -> datetime | None:
    """The UTC instant the Europe/London offset changes on `day`, if it does."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for hour in range(24):
        instant = midnight + timedelta(hours=hour)
        if instant.astimezone(LONDON).utcoffset() != (instant - timedelta(minutes=1)).astimezone(LONDON).utcoffset():
            return instant
    return None


# --------------------------------------------------------------------------- outcome 16 audit files


@dataclass(frozen=True)
class _Out16Spec:
    """How an outcome-16 file is to look (forced by the audit sample, drawn otherwise)."""

    support: str      # "never_supported" | "withdrew"
    record: str       # "signed" | "auditable" | "unsigned_notebook" | "unsigned_other" | "missing"
    supervised: bool
    justifiable: bool
    reasons_recorded: bool = True


class LabelledCase(NamedTuple):
    """A generated file and the obligations the generator broke on purpose."""

    record: Record
    faults: tuple[str, ...]


# --------------------------------------------------------------------------- one file

class _CaseBuilder:
    """Builds one file: draws the facts and instants first, then writes the record."""

    def __init__(self, rng: random.Random, seq: int, family: str, window: _Window, compliance: float,
                 exemplary: bool, anchor: tuple[str, datetime] | None,
                 second_round: random.Random, out16: _Out16Spec | None = None) -> None:
        self.rng = rng
        # The second round's fields draw from their own generator, so the earlier fields keep their values.
        self.second_round_rng = second_round
        self.seq = seq
        self.family = family
        self.window = window
        self.checks = Checks(rng, compliance, exemplary)
        self.anchor_kind = anchor[0] if anchor else None
        self.out16_forced = out16
        self._drawn_out16: _Out16Spec | None = None
        self._supervision_met: bool | None = None
        self.style = self._pick_style()
        self.reported = self._pick_reported(anchor)
        self.code = self._pick_code()

    # ----- small random helpers

    def _between(self, lo: datetime, hi: datetime) -> datetime:
        """A whole-minute instant in [lo, hi]; lo when hi is earlier."""
        span = int((hi - lo).total_seconds() // 60)
        return lo + timedelta(minutes=self.rng.randint(0, span)) if span > 0 else lo

    def _daytime(self, lo: datetime, hi: datetime) -> datetime:
        """Like `_between`, but moved into 08:00-19:59 local time when that stays in [lo, hi]:
        officers write letters and make calls in the day."""
        instant = self._between(lo, hi)
        if 8 <= instant.astimezone(LONDON).hour < 20:
            return instant
        for day in (_local_date(instant), _local_date(instant) + timedelta(days=1)):
            candidate = _local_instant(day, time(self.rng.randint(8, 19), self.rng.randrange(0, 60, 5)))
            if lo <= candidate <= hi:
                return candidate
        return instant

    def _after(self, instant: datetime, lo_hours: float, hi_hours: float) -> datetime:
        return self._between(instant + _hours(lo_hours), instant + _hours(hi_hours))

    def _chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def _ts(self, instant: datetime | None, date_only_ok: bool = False) -> str | None:
        """Write an instant in this file's style; sometimes as a date alone where that is safe
        (a later local day than the report, so the start of that day is still after it)."""
        if instant is None:
            return None
        if date_only_ok and self._chance(0.1) and _local_date(instant) > _local_date(self.reported):
            return _local_date(instant).isoformat()
        return format_timestamp(instant, self.style)

    # ----- what kind of file

    def _pick_style(self) -> str:
        return self.rng.choices(("Z", "offset", "naive"), weights=(50, 35, 15))[0]

    def _pick_reported(self, anchor: tuple[str, datetime] | None) -> datetime:
        if anchor is None:
            return self._between(self.window.start, self.window.end - timedelta(minutes=1))
        kind, instant = anchor
        if kind == "clock_change":
            # Late evening or small hours just before the change, so the 24 hours straddle it;
            # half of these files are written in wall time, where the straddle bites.
            if self._chance(0.5):
                self.style = "naive"
            return self._between(instant - _hours(5), instant - _hours(0.5))
        return self._between(instant, instant + _hours(9))  # Thursday before Good Friday

    def _pick_code(self) -> str:
        if self.family == "oocd":
            self.family = "3" if self._chance(0.7) else "2"
        if self.family == "1" and self._chance(0.1):
            return "1A"  # charged with an alternative offence
        return self.family

    # ----- facts

    def draw_facts(self) -> None:
        self.kind = self._pick_kind()
        self.offence, self.flags = self._pick_offence_and_flags()
        self.victim_facts = self._pick_victim_facts()
        self.enhanced = self._enhanced_rights_eligible()

    def _pick_kind(self) -> str:
        if self.out16_forced is None and self._chance(BUSINESS_SHARE.get(self.family, 0.0)):
            return "business"
        return "person"

    def _pick_offence_and_flags(self) -> tuple[Offence, dict[str, bool]]:
        domestic = hate = False
        if self.kind == "person":
            if self.family == "21":
                # Outcome 21 is not normally for domestic abuse or hate crime: only a fault puts it there.
                if not self.checks.met("out21_unsuitable_crime", weight=0.5):
                    domestic, hate = (True, False) if self._chance(0.5) else (False, True)
            else:
                domestic = self._chance(DOMESTIC_SHARE.get(self.family, 0.2))
                hate = not domestic and self._chance(HATE_SHARE)
        if self.kind == "business":
            pool = BUSINESS_OFFENCES
        elif hate:
            pool = HATE_OFFENCES
        elif domestic:
            pool = tuple(o for o in PERSON_OFFENCES if o.domestic)
        else:
            pool = tuple(o for o in PERSON_OFFENCES if not o.domestic_only)
        pool = tuple(o for o in pool if self._offence_suits_outcome(o)) or pool
        offence = self.rng.choices(pool, weights=[o.weight for o in pool])[0]
        flags = {"domestic_abuse": domestic, "hate_crime": hate,
                 "sexual_offence": offence.sexual, "serious_crime": offence.serious}
        return offence, flags

    def _offence_suits_outcome(self, offence: Offence) -> bool:
        if offence.bereavement:
            return self.family in ("1", "open")
        if self.family in MINOR_ONLY_FAMILIES:
            return offence.minor
        return True

    def _pick_victim_facts(self) -> dict[str, Any]:
        if self.kind != "person":
            return {"age_at_offence": None, "vulnerable": False, "intimidated": False,
                    "persistently_targeted": False, "bereaved_relative": False}
        age: int | None
        if self._chance(0.03):
            age = None
        elif self._chance(0.08):
            age = self.rng.randint(10, 17)
        else:
            age = 18 + int(self.rng.random() ** 1.5 * 70)
        harassment = self.offence.code in ("8L", "8Q", "8M", "8R")
        return {
            "age_at_offence": age,
            "vulnerable": self._chance(0.18 if age is not None and age >= 75 else 0.07),
            "intimidated": self._chance(0.5 if self.offence.sexual else 0.05),
            "persistently_targeted": self._chance(0.3 if harassment else 0.12 if self.flags["domestic_abuse"] else 0.03),
            "bereaved_relative": self.offence.bereavement,
        }

    def _enhanced_rights_eligible(self) -> bool:
        """Enhanced Rights as the Code gives them, derived from the facts (domain reference §2)."""
        facts = self.victim_facts
        age = facts["age_at_offence"]
        return (any(self.flags.values()) or (age is not None and age < 18) or facts["vulnerable"]
                or facts["intimidated"] or facts["persistently_targeted"] or facts["bereaved_relative"])

    # ----- the investigation's timeline

    def draw_timeline(self) -> None:
        self.committed = self._committed_at()
        self.recorded = self._recorded_at()
        self.named = self._suspect_named()
        self.events: list[tuple[str, datetime]] = []
        self.finalised: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.support = self._support_for_action()
        self.withdrawn_at: datetime | None = None
        self.decision_at: datetime | None = None
        self.views_at: datetime | None = None  # when the victim's views on the outcome were recorded
        self.intervention_at: datetime | None = None
        self._plan_events()
        self.end = self.finalised or self.cancelled_at or self.window.as_of
        self.identified = self._identified_at()

    def _committed_at(self) -> datetime:
        if self.offence.sexual and self._chance(0.3):
            return self.reported - _days(self.rng.uniform(30, 700))  # non-recent report
        if self.flags["domestic_abuse"]:
            return self.reported - _hours(self.rng.uniform(0.2, 12))
        return self.reported - _hours(self.rng.uniform(0.2, 72))

    def _recorded_at(self) -> datetime | None:
        met = self.checks.met("recording")
        if self.anchor_kind == "clock_change":
            # Just inside or just outside 24 clock hours, across the change of offset.
            return self._after(self.reported, 22, 23.9) if met else self._after(self.reported, 24.1, 25.8)
        if met:
            return self._after(self.reported, 0.1, 23.8)
        if self.family != "cancelled" and self._chance(0.25):
            return None
        return self._after(self.reported, 26, 80)

    def _suspect_named(self) -> bool:
        if self.out16_forced is not None:
            return True
        if self.family in NAMED_SUSPECT_OUTCOMES:
            return self.checks.met("outcome_suspect_consistency", weight=0.3)
        if self.family in NO_SUSPECT_OUTCOMES:
            return not self.checks.met("outcome_suspect_consistency", weight=0.3)
        return self._chance(0.6 if self.family == "open" else 0.3)

    def _support_for_action(self) -> str | None:
        if self.family == "16":
            return self._out16_spec().support
        if self.family == "14":
            return "never_supported" if self._chance(0.6) else "withdrew"
        if self.family == "cancelled":
            return None
        if self.family == "open" and self._chance(0.3):
            return None
        return "supported"

    def _plan_events(self) -> None:
        planner = {
            "1": self._events_charge, "1A": self._events_charge,
            "2": self._events_out_of_court, "3": self._events_out_of_court, "8": self._events_out_of_court,
            "10": self._events_public_interest, "15": self._events_evidential_difficulties,
            "16": self._events_victim_not_supporting, "21": self._events_not_in_public_interest,
            "22": self._events_diversion, "14": self._events_victim_declines,
            "18": self._events_no_suspect, "open": self._events_open, "cancelled": self._events_cancelled,
        }[self.family]
        planner()

    def _add(self, kind: str, at: datetime) -> datetime:
        self.events.append((kind, at))
        return at

    def _arrest(self) -> datetime:
        """Quick arrests for domestic abuse, hate and serious crime; otherwise days or weeks later."""
        urgent = self.flags["domestic_abuse"] or self.flags["hate_crime"] or self.flags["serious_crime"]
        return self._add("suspect_arrested", self._after(self.reported, 0.5, 30) if urgent
                         else self._after(self.reported, 24, 24 * 20))

    def _custody(self, release: str | None) -> datetime:
        """Arrest, interview and (optionally) release; returns the time of the last step."""
        interview = self._add("suspect_interviewed", self._after(self._arrest(), 2, 14))
        return self._add(release, self._after(interview, 1, 5)) if release else interview

    def _voluntary_interview(self) -> datetime:
        return self._add("suspect_interviewed", self._after(self.reported, 48, 24 * 30))

    def _release_pending(self) -> str:
        return "suspect_released_on_bail" if self._chance(0.35) else "suspect_released_under_investigation"

    def _events_charge(self) -> None:
        if self._chance(0.8):
            if self._chance(0.5):
                charge = self._after(self._custody(None), 1, 6)
            else:
                release_kind = self._release_pending()
                released = self._custody(release_kind)
                charge = self._after(released, 24 * 7, 24 * 90)
                if release_kind == "suspect_released_on_bail" and self._chance(0.25):
                    self._add("bail_conditions_changed", self._between(released + _days(1), charge - _days(1)))
        else:
            charge = self._after(self._voluntary_interview(), 24 * 7, 24 * 60)
        self.finalised = self._after(self._add("suspect_charged", charge), 0, 24)

    def _events_out_of_court(self) -> None:
        interview = self._custody(None) if self._chance(0.5) else self._voluntary_interview()
        disposal = self._add("out_of_court_disposal", self._after(interview, 1, 24 * 21))
        self.finalised = self._after(disposal, 0, 48)

    def _events_public_interest(self) -> None:
        last = self._custody("suspect_released_under_investigation") if self._chance(0.6) else self._voluntary_interview()
        decision = self._add("decision_not_to_prosecute", self._after(last, 24 * 10, 24 * 60))
        self.finalised = self._after(decision, 0, 24)

    def _events_evidential_difficulties(self) -> None:
        if self._chance(0.7):
            released = self._custody(self._release_pending())
            last = self._add("suspect_released_no_further_action", self._after(released, 24 * 14, 24 * 150))
        elif self._chance(0.5):
            last = self._add("decision_not_to_prosecute", self._after(self._voluntary_interview(), 24 * 10, 24 * 90))
        else:
            last = self._after(self.reported, 24 * 10, 24 * 90)
        self.finalised = self._after(last, 0, 48)

    def _events_victim_not_supporting(self) -> None:
        arrested = self._chance(0.7 if self.flags["domestic_abuse"] else 0.4)
        if self.support == "never_supported":
            self.decision_at = self._after(self.reported, 1, 72)
            last = self.decision_at
            if arrested:
                last = self._add("suspect_released_no_further_action",
                                 self._after(self._custody(None) if self._chance(0.5) else self._arrest(), 2, 10))
        else:
            last = self._custody("suspect_released_under_investigation") if arrested else self.reported
            self.withdrawn_at = self._after(last, 24 * 2, 24 * 40)
            self.decision_at = self.withdrawn_at
            last = self.withdrawn_at
            if arrested:
                last = self._add("suspect_released_no_further_action", self._after(self.withdrawn_at, 24, 24 * 7))
        self.finalised = self._after(max(last, self.decision_at), 24, 24 * 14)

    def _events_not_in_public_interest(self) -> None:
        if self._chance(0.4):
            decision = self._add("decision_not_to_prosecute", self._after(self._voluntary_interview(), 24 * 2, 24 * 30))
        else:
            decision = self._add("decision_not_to_investigate", self._after(self.reported, 24 * 2, 24 * 30))
        self.finalised = self._after(decision, 0, 24)

    def _events_diversion(self) -> None:
        interview = self._voluntary_interview()
        self.intervention_at = self._after(interview, 24 * 7, 24 * 60)
        self.finalised = self._after(self.intervention_at, 2, 24 * 7)

    def _events_victim_declines(self) -> None:
        if self.support == "withdrew":
            self.withdrawn_at = self._after(self.reported, 24, 24 * 10)
        self.finalised = self._after(self.withdrawn_at or self.reported, 24, 24 * 30)

    def _events_no_suspect(self) -> None:
        if self._chance(0.4):
            decision = self._add("decision_not_to_investigate", self._after(self.reported, 2, 24 * 7))
            self.finalised = self._after(decision, 0, 24)
        else:
            self.finalised = self._after(self.reported, 24 * 3, 24 * 45)

    def _events_open(self) -> None:
        if self.named and self._chance(0.6):
            release_kind = self._release_pending()
            released = self._custody(release_kind)
            if release_kind == "suspect_released_on_bail" and self._chance(0.2):
                self._add("bail_conditions_changed", self._after(released, 24 * 3, 24 * 30))
        # An open case only shows what had happened when the extract was taken.
        self.events = [(kind, at) for kind, at in self.events if at < self.window.as_of]

    def _events_cancelled(self) -> None:
        self.cancelled_at = self._after(self.recorded or self.reported, 24, 24 * 20)

    def _identified_at(self) -> datetime | None:
        if not self.named:
            return None
        if self.flags["domestic_abuse"]:
            return self.reported  # the victim names the suspect when reporting
        latest = min([at for _, at in self.events] + [self.end, self.reported + _days(14)])
        return self._between(self.reported, latest)

    # ----- the record

    def build(self) -> LabelledCase:
        self.draw_facts()
        self.draw_timeline()
        record: Record = {
            "case_id": f"SYN-{_local_date(self.reported).year}-{self.seq:06d}",
            "force": FORCE,
            "crime": self._crime(),
            "victim": self._victim(),
            "suspect": self._suspect(),
            "key_events": self._key_events(),
            "investigation": self._investigation(),
            "outcome": self._outcome(),
        }
        record["audit"] = self._audit()
        self._opt_out_of_updates(record)
        SecondRound(self, self.second_round_rng).add(record)
        return LabelledCase(record, tuple(self.checks.faults))

    def _opt_out_of_updates(self, record: Record) -> None:
        """A few victims ask for no updates: the agreement records the opt-out and no interval, and
        no updates are given. Drawn last, so every other field keeps the value it had without it."""
        agreement = record["victim"]["contact_agreement"]
        if self.kind != "person" or agreement is None or not self._chance(OPT_OUT_SHARE):
            return
        agreement.update({"interval_days": None, "method": None, "opted_out": True})
        record["victim"]["updates"] = []

    def _crime(self) -> Record:
        reported_day = _local_date(self.reported)
        return {
            "reference": f"SYN-{reported_day:%y}-{reported_day:%m%d}-{self.seq:04d}",
            "offence": {"code": self.offence.code, "description": self.offence.description,
                        "summary_only": self.offence.summary_only, "category": self.offence.category},
            "committed_at": self._committed_text(),
            "reported_at": self._ts(self.reported),
            "recorded_at": self._ts(self.recorded),
            "flags": dict(self.flags),
            "cancellation": self._cancellation(),
        }

    def _committed_text(self) -> str:
        # Victims often know only the day; the start of that day is never after the report.
        if self._chance(0.1):
            return _local_date(self.committed).isoformat()
        return format_timestamp(self.committed, self.style)

    def _cancellation(self) -> Record | None:
        if self.cancelled_at is None:
            return None
        criterion = self.rng.choices(("transferred", "duplicate", "recorded_in_error", "verifiable_information"),
                                     weights=(3, 3, 2, 3))[0]
        if self.checks.met("cancellation_authority"):
            role = "designated_decision_maker" if self._chance(0.6) else "force_crime_registrar"
        else:
            role = "investigating_officer"
        evidence: str | None
        if criterion == "verifiable_information":
            evidence = ("Additional verifiable information shows no crime occurred: "
                        "CCTV review confirms the property was mislaid."
                        if self.checks.met("cancellation_evidence") else None)
        elif criterion == "transferred":
            evidence = "Offence committed in another force area; transferred to that force."
        elif criterion == "duplicate":
            evidence = f"Duplicate of crime reference SYN-{_local_date(self.reported):%y}-{self.rng.randint(1, 9999):04d}."
        else:
            evidence = None if self._chance(0.5) else "Recorded against the wrong classification by mistake."
        return {"at": self._ts(self.cancelled_at), "criterion": criterion,
                "decided_by_role": role, "evidence": evidence}

    def _victim(self) -> Record:
        person = self.kind == "person"
        assessment = self._needs_assessment() if person else None
        agreement = self._contact_agreement()
        views_at = self._views_on_outcome()
        self.views_at = views_at  # a community resolution is agreed when the victim's views are taken
        victim: Record = {"kind": self.kind, **self.victim_facts,
                          "enhanced_rights_recorded": self._enhanced_rights_recorded() if person else False,
                          "needs_assessment": assessment,
                          "referral": self._referral(assessment) if person else None,
                          "written_acknowledgement_at": self._ts(self._acknowledgement(), date_only_ok=True),
                          "contact_agreement": agreement,
                          "updates": self._updates(agreement),
                          "vps": self._vps() if person and self.family != "cancelled" else None,
                          "support_for_action": self.support,
                          "withdrawal": self._withdrawal(),
                          "decision_record": self._decision_record(),
                          "views_on_outcome_recorded_at": self._ts(views_at, date_only_ok=True)}
        return victim

    def _enhanced_rights_recorded(self) -> bool | None:
        if self.checks.met("enhanced_rights_recorded"):
            return self.enhanced
        if self.enhanced:
            return False if self._chance(0.5) else None
        return None if self._chance(0.7) else True

    def _needs_assessment(self) -> Record | None:
        support_required = self._chance(0.8 if self.enhanced else 0.4)
        if self.checks.met("needs_assessment"):
            completed, assessed = self._daytime(self.reported + _hours(0.2), self.reported + _hours(24)), True
        else:
            fault = self.rng.choice(("missing", "missing", "late", "no_enhanced_decision"))
            if fault == "missing":
                return None
            deadline = working_day_deadline(self.reported, 5)
            completed = (self._daytime(deadline + _hours(1), deadline + _days(15)) if fault == "late"
                         else self._daytime(self.reported + _hours(0.2), self.reported + _hours(24)))
            assessed = fault == "late"
        return {"completed_at": self._ts(completed), "enhanced_rights_assessed": assessed,
                "support_required": support_required}

    def _referral(self, assessment: Record | None) -> Record | None:
        """Referral within 2 working days of the report, unless the victim declines."""
        wants_support = assessment["support_required"] if assessment else self._chance(0.5)
        deadline = working_day_deadline(self.reported, 2)
        if not self.checks.met("referral"):
            if self._chance(0.5):
                return None
            return {"made_at": self._ts(self._daytime(deadline + _hours(1), deadline + _days(12))),
                    "service": self._support_service()}
        if not wants_support:
            return {"declined_at": self._ts(self._daytime(self.reported + _hours(0.2), self.reported + _hours(24)))}
        return {"made_at": self._ts(self._daytime(self.reported + _hours(0.5), deadline)),
                "service": self._support_service()}

    def _support_service(self) -> str:
        if self.flags["domestic_abuse"] and self._chance(0.8):
            return "IDVA"
        if self.flags["sexual_offence"]:
            return "ISVA"
        age = self.victim_facts["age_at_offence"]
        if age is not None and age < 18:
            return "Young Victims Service"
        return "Victim Support"

    def _acknowledgement(self) -> datetime | None:
        """Written acknowledgement; 5 working days is the earlier Code's timescale (assumed)."""
        deadline = working_day_deadline(self.reported, 5)
        if self.checks.met("acknowledgement"):
            return self._daytime(self.reported + _hours(0.5), min(deadline, self.reported + _days(3)))
        return None if self._chance(0.7) else self._daytime(deadline + _hours(1), deadline + _days(20))

    def _contact_agreement(self) -> Record | None:
        if not self.checks.met("contact_agreement"):
            return None
        self.agreed_at = self._daytime(self.reported + _hours(0.2), self.reported + _hours(48))
        self.interval = self.rng.choices((7, 14, 28), weights=(2, 3, 2))[0]
        self.contact_method = self.rng.choices(("phone", "email", "letter", "visit"), weights=(5, 3, 1, 1))[0]
        return {"agreed_at": self._ts(self.agreed_at), "interval_days": self.interval, "method": self.contact_method,
                "opted_out": False}

    def _updates(self, agreement: Record | None) -> list[Record]:
        """Updates at the agreed interval (28 days when none was agreed) from the report until the
        file closes; a fault leaves one silence of 1.5 to 3.5 intervals."""
        start = self.reported  # the interval runs from the report, not from the agreement
        if agreement is None:
            interval, method = 28, "phone"
        else:
            interval, method = self.interval, self.contact_method
        iv = _days(interval)
        span = self.end - start
        silence: tuple[datetime, datetime] | None = None
        if span > iv * 1.5 + _days(1) and not self.checks.met("updates"):
            silence_start = self._between(start, self.end - iv * 1.5)
            silence_end = self._between(silence_start + iv * 1.5, silence_start + iv * 3.5)
            silence = (silence_start, min(silence_end, self.end))
        if silence is None:
            times = self._regular_updates(start, self.end, iv)
        else:
            times = self._regular_updates(start, silence[0], iv)
            if silence[1] < self.end:
                times += [silence[1]] + self._regular_updates(silence[1], self.end, iv)
        return [self._update(at, method) for at in times]

    def _regular_updates(self, start: datetime, end: datetime, interval: timedelta) -> list[datetime]:
        """Instants strictly between start and end, no gap (nor the gap to end) longer than 95% of
        the interval, so a compliant file never depends on rounding."""
        times: list[datetime] = []
        last = start
        while len(times) < 400:
            nxt = self._daytime(last + interval * 0.5, last + interval * 0.95)
            if nxt >= end:
                break
            times.append(nxt)
            last = nxt
        return times

    def _update(self, at: datetime, method: str) -> Record:
        automated = self._chance(0.15)
        return {"at": self._ts(at), "method": "email" if automated else method, "automated": automated}

    def _vps(self) -> Record | None:
        """Victim Personal Statement offered at the statement stage, and the victim's choice."""
        if not self.checks.met("vps"):
            if self._chance(0.7):
                return None
            offered = self._daytime(self.reported + _hours(1), self.reported + _days(10))
            return {"offered_at": self._ts(offered, date_only_ok=True), "made_at": None, "declined_at": None}
        offered = self._daytime(self.reported + _hours(1), self.reported + _days(10))
        if self.finalised is not None:
            offered = min(offered, self.finalised)  # at the statement stage: before the file is closed
        if self._chance(0.4):
            made = self._daytime(offered, offered + _days(10))
            return {"offered_at": self._ts(offered, date_only_ok=True), "made_at": self._ts(made), "declined_at": None}
        return {"offered_at": self._ts(offered, date_only_ok=True), "made_at": None, "declined_at": self._ts(offered)}

    def _withdrawal(self) -> Record | None:
        if self.withdrawn_at is None:
            return None
        if self.family == "16":
            reasons = self._out16_spec().reasons_recorded
        else:
            reasons = True
        return {"at": self._ts(self.withdrawn_at), "reasons_recorded": reasons}

    def _decision_record(self) -> Record | None:
        if self.family != "16" or self.decision_at is None:
            return None
        record = self._out16_spec().record
        if record == "missing":
            return None
        signed, form = {
            "signed": (True, "signed_statement"),
            "unsigned_notebook": (False, "notebook"),
            "unsigned_other": (False, "other"),
        }.get(record) or self.rng.choice(((False, "recorded_call"), (False, "body_worn_video"), (True, "signed_statement")))
        return {"at": self._ts(self.decision_at), "signed_by_victim": signed, "form": form}

    def _views_on_outcome(self) -> datetime | None:
        """Victim's views before an out-of-court disposal or an outcome 10 decision."""
        if self.family in ("2", "3", "8", "10"):
            before = max(at for _, at in self.events)
            if not self.checks.met("victim_views"):
                return None
            return self._daytime(self.reported + _hours(0.5), before)
        if self.family == "16":
            return self.decision_at
        return None

    def _out16_spec(self) -> _Out16Spec:
        """Drawn once per outcome-16 file unless the audit sample forces it."""
        if self.out16_forced is not None:
            return self.out16_forced
        if self._drawn_out16 is None:
            support = "never_supported" if self._chance(0.75) else "withdrew"
            if self.checks.met("out16_decision_record"):
                record = "signed" if support == "never_supported" else "auditable"
            else:
                record = self.rng.choice(("unsigned_notebook", "unsigned_other", "missing"))
            reasons = support != "withdrew" or self.checks.met("out16_withdrawal_reasons")
            self._drawn_out16 = _Out16Spec(support, record, supervised=self.checks.met("supervision"),
                                           justifiable=self._chance(0.9), reasons_recorded=reasons)
        return self._drawn_out16

    def _suspect(self) -> Record | None:
        if self.named:
            return {"named": True, "identified_at": self._ts(self.identified)}
        return None if self._chance(0.6) else {"named": False, "identified_at": None}

    def _informed(self, event_at: datetime, obligation: str) -> datetime | None:
        """Victim told within 1 working day (Enhanced Rights) or 5 (others), or late, or never."""
        deadline = working_day_deadline(event_at, 1 if self.enhanced else 5)
        if self.checks.met(obligation):
            return self._daytime(event_at + timedelta(minutes=10), deadline)
        if self._chance(0.3):
            return None
        return self._daytime(deadline + _hours(1), deadline + _days(self.rng.uniform(2, 20)))

    def _key_events(self) -> list[Record]:
        return [{"type": kind, "at": self._ts(at), "victim_informed_at": self._ts(self._informed(at, "key_event_informed"))}
                for kind, at in sorted(self.events, key=lambda item: item[1])]

    def _investigation(self) -> Record:
        allocated = self._daytime(self.reported + _hours(0.5), max(self.reported + _hours(0.5),
                                                                   min(self.reported + _hours(72), self.end)))
        self.allocated = allocated
        if self.checks.met("investigation_plan"):
            plan: bool | None = True
        else:
            plan = False if self._chance(0.5) else None
        return {"allocated_at": self._ts(allocated), "plan_recorded": plan,
                "supervisor_reviews": self._supervisor_reviews()}

    def _supervised(self) -> bool:
        """One supervision draw per file; outcome 16 takes it from its spec."""
        if self._supervision_met is None:
            if self.family == "16":
                self._supervision_met = self._out16_spec().supervised
            else:
                self._supervision_met = self.checks.met("supervision")
        return self._supervision_met

    def _supervisor_reviews(self) -> list[Record]:
        if self.end - self.allocated < _days(1):
            return []  # finalised too quickly for a review to be expected
        if not self._supervised():
            return []
        reviews = []
        at = self._daytime(self.allocated + _hours(2), min(self.allocated + _days(7), self.end))
        while at <= self.end and len(reviews) < 12:
            reviews.append({"at": self._ts(at), "rank": self._rank()})
            at = self._daytime(at + _days(14), at + _days(45))
        return reviews

    def _rank(self) -> str:
        return "sergeant" if self._chance(0.85) else "inspector"

    def _outcome(self) -> Record | None:
        if self.finalised is None:
            return None
        family = self.family
        domestic = self.flags["domestic_abuse"]
        return {
            "code": self.code,
            "finalised_at": self._ts(self.finalised),
            "rationale": self._rationale(),
            "victim_informed_at": self._ts(self._informed(self.finalised, "outcome_victim_informed")),
            "review_information_given": self._review_information(),
            "supervisor_approval": self._supervisor_approval(),
            "evidence_sufficient": self._evidence_sufficient(),
            "protective_orders_considered": self._da_considered() if family == "16" and domestic else None,
            "evidence_led_prosecution_considered": self._da_considered() if family == "16" and domestic else None,
            "intervention_completed_at": self._intervention_completed(),
            "victim_agreed_at": self._ts(self.views_at, date_only_ok=True) if family == "8" else None,
        }

    def _rationale(self) -> str | None:
        if self.family == "21" and not self.checks.met("out21_rationale"):
            return None
        if self.family in ("1", "2", "3", "8") and self._chance(0.5):
            return None  # charges and disposals often carry no written rationale
        return RATIONALES[self.family]

    def _review_information(self) -> bool | None:
        """Victims' Right to Review: no charge after an interview under caution (not 16: withdrew)."""
        interviewed = any(kind == "suspect_interviewed" for kind, _ in self.events)
        if self.family not in ("10", "15", "21") or not interviewed:
            return None
        if self.checks.met("review_information"):
            return True
        return False if self._chance(0.5) else None

    def _supervisor_approval(self) -> Record | None:
        if self.family in ("10", "16", "21"):
            if not self._supervised():
                return None
        elif not self._chance(0.5):
            return None
        earliest = max(self.finalised - _days(2), self.reported + _hours(1))
        if self.family == "16" and self.decision_at is not None:
            earliest = max(earliest, self.decision_at)  # supervision of the victim's decision follows it
        at = self._daytime(earliest, self.finalised)
        return {"at": self._ts(min(at, self.finalised)), "rank": self._rank()}

    def _evidence_sufficient(self) -> bool | None:
        if self.family != "10":
            return None
        if self.checks.met("out10_evidence_sufficient"):
            return True
        return False if self._chance(0.6) else None

    def _da_considered(self) -> bool | None:
        if self.checks.met("out16_domestic_abuse_options"):
            return True
        return self.rng.choice((False, None))

    def _intervention_completed(self) -> str | None:
        if self.family != "22" or not self.checks.met("out22_intervention_completed"):
            return None
        return self._ts(self.intervention_at, date_only_ok=True)

    def _engagement_good(self) -> bool:
        """A reviewer reads the whole file: one slip is forgiven, but not two, nor contact never
        agreed or kept up."""
        contact_faults = [f for f in self.checks.faults if f in VICTIM_CONTACT_FAULTS]
        return len(contact_faults) < 2 and not any(f in ("contact_agreement", "updates") for f in contact_faults)

    def _audit(self) -> Record | None:
        """About half the files have been read by a reviewer; the rest are pending."""
        if self.out16_forced is None and not self._chance(0.5):
            return None
        judgements: dict[str, str] = {}
        if self.kind == "person":
            judgements["vc-engagement-good"] = "yes" if self._engagement_good() else "no"
        if self.family == "16":
            judgements["out16-justifiable"] = "yes" if self._out16_spec().justifiable else "no"
        return {"reviewer": self.rng.choice(REVIEWERS), "judgements": judgements, "notes": ""}


# --------------------------------------------------------------------------- public API

def _check_arguments(count: int, days: int, compliance: float) -> None:
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    if days < 1:
        raise ValueError(f"days must be 1 or more, got {days}")
    if not 0.0 <= compliance <= 1.0:
        raise ValueError(f"compliance must be between 0 and 1, got {compliance}")


def iter_labelled_cases(count: int, seed: int, *, start: date = date(2022, 1, 1), days: int = 365,
                        compliance: float = 0.8) -> Iterator[LabelledCase]:
    """Yield `count` files with the obligations each one breaks on purpose (see the module docstring)."""
    _check_arguments(count, days, compliance)
    master = random.Random(seed)
    window = _window(start, days)
    cycle: list[str] = []
    anchored = 0
    for index in range(count):
        if index % len(OUTCOME_CYCLE) == 0:
            cycle = list(OUTCOME_CYCLE)
            master.shuffle(cycle)
        anchor = None
        if index % ANCHOR_EVERY == ANCHOR_OFFSET and window.anchors:
            anchor = window.anchors[anchored % len(window.anchors)]
            anchored += 1
        bits = master.getrandbits(64)
        rng = random.Random(bits)
        exemplary = compliance > 0 and index % EXEMPLARY_EVERY == 0
        builder = _CaseBuilder(rng, index + 1, cycle[index % len(OUTCOME_CYCLE)], window, compliance,
                               exemplary, anchor, second_round=random.Random(bits ^ SALT))
        yield builder.build()


def iter_cases(count: int, seed: int, *, start: date = date(2022, 1, 1), days: int = 365,
               compliance: float = 0.8) -> Iterator[Record]:
    """Yield `count` synthetic case files one at a time (nothing is kept, so any count streams).

    `start` and `days` give the reporting window (local dates); `compliance` is the probability
    that each obligation is met. The same arguments give the same files on any machine.
    """
    for labelled in iter_labelled_cases(count, seed, start=start, days=days, compliance=compliance):
        yield labelled.record


def generate_cases(count: int, seed: int, *, start: date = date(2022, 1, 1), days: int = 365,
                   compliance: float = 0.8) -> list[Record]:
    """`count` synthetic case files as a list; see `iter_cases`."""
    return list(iter_cases(count, seed, start=start, days=days, compliance=compliance))


def outcome16_audit_sample(seed: int = 16) -> list[Record]:
    """Twenty outcome-16 files built like the published inspection audit (domain reference §3):

    - the victim never supported action in 17, and withdrew support in 3 (reasons recorded);
    - of the 17, 13 have a decision record signed by the victim; the other 4 have an unsigned
      notebook or "other" record, or none;
    - 18 are supervised (outcome approval or a supervisor review), 2 have neither;
    - the reviewer judged 19 justifiable ("out16-justifiable": "yes") and 1 not.

    Every file has a named suspect. Which file gets which trait is shuffled by `seed`.
    """
    rng = random.Random(seed)
    supports = ["never_supported"] * 17 + ["withdrew"] * 3
    records = (["signed"] * 13 + ["unsigned_notebook", "unsigned_notebook", "unsigned_other", "missing"]
               + ["auditable"] * 3)  # lines up with `supports`: the last three withdrew
    supervised = [True] * 18 + [False] * 2
    justifiable = [True] * 19 + [False]
    rng.shuffle(supervised)
    rng.shuffle(justifiable)
    order = list(range(20))
    rng.shuffle(order)  # so the withdrawn and unsigned files are not all at the end
    window = _window(date(2022, 1, 1), 365)
    files = []
    for position, slot in enumerate(order):
        spec = _Out16Spec(supports[slot], records[slot], supervised[position], justifiable[position])
        bits = rng.getrandbits(64)
        builder = _CaseBuilder(random.Random(bits), 16001 + position, "16", window,
                               compliance=0.8, exemplary=False, anchor=None, out16=spec,
                               second_round=random.Random(bits ^ SALT))
        files.append(builder.build().record)
    return files


def write_json_array(records: Iterable[Record], stream: TextIO) -> None:
    """Write records as one JSON array, streamed; the text equals json.dumps(list, indent=1) + "\\n"."""
    stream.write("[")
    first = True
    for record in records:
        stream.write("\n" if first else ",\n")
        stream.write(textwrap.indent(json.dumps(record, indent=1), " "))
        first = False
    stream.write("]\n" if first else "\n]\n")


def write_jsonl(records: Iterable[Record], stream: TextIO) -> None:
    """Write one compact JSON record per line, streamed."""
    for record in records:
        stream.write(json.dumps(record, separators=(",", ":")))
        stream.write("\n")


def write_records(records: Iterable[Record], output: str,
                  writer: Callable[[Iterable[Record], TextIO], None] = write_json_array) -> None:
    """Write records with `writer` to the file `output`, or to standard output for "-" (the generators' commands)."""
    if output == "-":
        writer(records, sys.stdout)
    else:
        with open(output, "w", encoding="utf-8", newline="\n") as stream:
            writer(records, stream)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m synthetic.cases",
        description="Write synthetic case files (no real personal data) for tests, demos and benchmarks.")
    parser.add_argument("--count", type=int, help="number of files (required unless --outcome16-audit)")
    parser.add_argument("--seed", type=int, required=True, help="random seed; the same seed gives the same files")
    parser.add_argument("--format", choices=("json", "jsonl"), default="json",
                        help="json: one array (indent 1); jsonl: one record per line")
    parser.add_argument("--output", default="-", help="file to write, or - for standard output")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2022, 1, 1),
                        help="first day of the reporting window (YYYY-MM-DD, default 2022-01-01)")
    parser.add_argument("--days", type=int, default=365, help="length of the reporting window in days")
    parser.add_argument("--compliance", type=float, default=0.8,
                        help="probability that each obligation is met (default 0.8)")
    parser.add_argument("--outcome16-audit", action="store_true",
                        help="write the 20-file outcome-16 audit sample instead")
    args = parser.parse_args(argv)
    if args.count is None and not args.outcome16_audit:
        parser.error("--count is required (or use --outcome16-audit)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see `python -m synthetic.cases --help`."""
    args = _parse_args(argv)
    if args.outcome16_audit:
        records: Iterable[Record] = outcome16_audit_sample(args.seed)
    else:
        try:
            _check_arguments(args.count, args.days, args.compliance)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        records = iter_cases(args.count, args.seed, start=args.start, days=args.days, compliance=args.compliance)
    write_records(records, args.output, write_json_array if args.format == "json" else write_jsonl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
