"""Seeded generator of synthetic stop-and-search records (stop-search model version 1).

Everything here is invented. There are no names of people: search ids look like
"SYN-SS-2021-0001", officers are "Officer 0412" at "Station 03", reviewers "Sergeant 07",
auditors "Reviewer 01" to "Reviewer 04", places are generic street names. Only the standard
library (and the case generator's helpers) is used.

The shipped sample is the 2021 audit and is kept in step by tests/test_synthetic_stop_search.py:

    python -m synthetic.stop_search --audit 2021 --output samples/stop-search.json

Public API
- `audit_sample_2021`: 183 search records shaped like the inspectorate's 2021 audit: the auditor
  judged reasonable grounds recorded in 156 ("ss-reasonable-grounds": "yes"), 27 of the people
  searched define themselves as from an ethnic minority (asian, black, mixed or other), 21 of them
  with reasonable grounds recorded.
- `audit_sample_2019`: 241 records shaped like the 2019 audit, 208 with reasonable grounds
  recorded (the 2019 ethnic-minority figures were not published: 36 minority, 30 yes, invented).
- `audit_sample`: either, for any counts.

How a record is built
- Determinism: one `random.Random(seed)` shuffles which record gets which judgement and draws a
  64-bit seed per record; each record has its own `random.Random`, so a record depends only on
  (seed, position).
- The reasonable-grounds judgement is fixed by the published counts; the recorded grounds fit it
  (a judged-unreasonable record has grounds resting on personal factors, vague grounds, or none).
- Every other obligation (the person told each item, the record given or offered, body-worn
  video, self-defined ethnicity, the supervisor's review within a week, the record's time, place,
  power and officer) is met independently with probability `compliance` through `Checks`, except
  that one record in ten (`EXEMPLARY_EVERY`) meets every obligation.
- Every search uses a power that needs reasonable grounds (the audit is of those searches).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from synthetic.cases import FORCE, REVIEWERS, format_timestamp, write_records
from synthetic.checks import Checks

Record = dict[str, Any]

UTC = timezone.utc
EXEMPLARY_EVERY = 10
REASONABLE_GROUNDS_RULE = "ss-reasonable-grounds"
MINORITY_GROUPS = ("asian", "black", "mixed", "other")
STYLES = ("Z", "offset", "naive")

# (power, weight, objects it is used for)
POWERS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("misuse_of_drugs_act_s23", 0.6, ("drugs",)),
    ("pace_s1", 0.36, ("weapons", "stolen_property", "going_equipped", "criminal_damage", "fireworks")),
    ("firearms_act_s47", 0.04, ("weapons",)),
)

# Grounds an auditor would accept: specific, current information about this person and the object.
GOOD_GROUNDS: dict[str, tuple[str, ...]] = {
    "drugs": (
        "Strong smell of cannabis coming from the person; seen passing a small package to another person.",
        "Seen by CCTV operator exchanging small items for cash; person matched the description given.",
        "Intelligence from earlier today that the person was supplying; bulge in jacket pocket, tried to hide it.",
    ),
    "weapons": (
        "Report of a person with a knife matching this person's clothing, 5 minutes before, 100 metres away.",
        "Seen holding a bladed object in waistband by officer; person turned away and tried to conceal it.",
    ),
    "stolen_property": (
        "Matches description of a shop thief given 10 minutes earlier; carrying bags with security tags.",
        "Seen leaving a vehicle whose window had just been broken, carrying a satnav unit.",
    ),
    "going_equipped": (
        "Seen trying car door handles along the street at 03:00; carrying a screwdriver.",
    ),
    "criminal_damage": (
        "Witness saw the person spraying paint on a wall; paint on hands and a can-shaped bulge in bag.",
    ),
    "fireworks": (
        "Seen throwing lit fireworks at passing cars; carrying a bag that rattled.",
    ),
}

# Grounds an auditor would not accept. (text, rests on personal factors only)
WEAK_GROUNDS: tuple[tuple[str, bool], ...] = (
    ("Person known to police.", True),
    ("Previous convictions shown on the police national computer.", True),
    ("Person wearing a hooded top in a high-crime area.", True),
    ("Young male loitering in an area known for crime.", True),
    ("Person appeared nervous when police arrived.", False),
    ("Crime has been reported in the area recently.", False),
    ("Acting suspiciously.", False),
)

PLACES = ("Market Street", "Station Road", "Park Lane", "Church Street", "Mill Road", "the bus station",
          "High Street", "Victoria Park", "the retail park car park", "Canal towpath")

OUTCOMES: tuple[tuple[str, float], ...] = (
    ("no_further_action", 0.70), ("arrest", 0.14), ("community_resolution", 0.06), ("drugs_warning", 0.05),
    ("penalty_notice", 0.02), ("summons", 0.02), ("caution", 0.01),
)

BWV_REASONS = ("Camera battery failed.", "Camera not issued at the start of the shift.", None)


def _weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in choices], weights=[weight for _, weight in choices])[0]


class _SearchBuilder:
    """One search record: the judgement and the ethnicity are given; everything else is drawn."""

    def __init__(self, rng: random.Random, year: int, seq: int, reasonable: bool, ethnicity: str | None,
                 compliance: float, exemplary: bool) -> None:
        self.rng = rng
        self.year = year
        self.seq = seq
        self.reasonable = reasonable
        self.ethnicity = ethnicity
        self.checks = Checks(rng, compliance, exemplary)
        self.style = rng.choice(STYLES)
        start = datetime(year, 1, 1, tzinfo=UTC)
        self.searched = start + timedelta(minutes=rng.randrange(365 * 24 * 60))

    def _ts(self, instant: datetime | None) -> str | None:
        return None if instant is None else format_timestamp(instant, self.style)

    def build(self) -> Record:
        rng, met = self.rng, self.checks.met
        power, _, objects = rng.choices(POWERS, weights=[weight for _, weight, _ in POWERS])[0]
        sought = rng.choice(objects)
        officer = f"Officer {rng.randrange(1000, 9999):04d}"
        station = f"Station {rng.randrange(1, 9):02d}"
        bwv = self._bwv()
        return {
            "record_type": "stop-search",
            "search_id": f"SYN-SS-{self.year}-{self.seq:04d}",
            "force": FORCE,
            "searched_at": self._ts(self.searched) if met("time_recorded", 0.2) else None,
            "place": rng.choice(PLACES) if met("place_recorded", 0.2) else None,
            "power": power if met("power_recorded", 0.2) else None,
            "object_of_search": sought if met("object_recorded", 0.2) else None,
            "grounds": self._grounds(sought),
            "officer": {"identifier": officer if met("officer_recorded", 0.1) else None, "station": station},
            "person": self._person(),
            "told": self._told(),
            **self._record_given(),
            "bwv": bwv,
            "outcome": self._outcome(sought),
            "review": self._review(footage=bwv["used"] is True),
            "audit": {"reviewer": rng.choice(REVIEWERS),
                      "judgements": {REASONABLE_GROUNDS_RULE: "yes" if self.reasonable else "no"}},
        }

    def _grounds(self, sought: str) -> Record:
        if self.reasonable:
            return {"recorded_text": self.rng.choice(GOOD_GROUNDS[sought]), "personal_factors_only": False}
        if self.rng.random() < 0.15:
            return {"recorded_text": None, "personal_factors_only": None}  # nothing recorded at all
        text, personal = self.rng.choice(WEAK_GROUNDS)
        return {"recorded_text": text, "personal_factors_only": personal}

    def _person(self) -> Record:
        rng = self.rng
        observed = self.ethnicity if self.ethnicity in MINORITY_GROUPS + ("white",) else "white"
        if self.ethnicity == "mixed" and rng.random() < 0.5:
            observed = rng.choice(("black", "white", "asian"))  # officers often see a mixed person otherwise
        # A person from an ethnic minority is in the audit's subgroup by what they said, so always has it recorded.
        minority = self.ethnicity in MINORITY_GROUPS
        recorded = self.ethnicity if minority or self.checks.met("ethnicity_recorded", 0.5) else None
        return {
            "self_defined_ethnicity": recorded,
            "officer_observed_ethnicity": observed,
            "age_band": _weighted(rng, (("10_17", 0.18), ("18_24", 0.37), ("25_34", 0.25), ("over_34", 0.20))),
            "gender": _weighted(rng, (("male", 0.9), ("female", 0.1))),
        }

    def _told(self) -> Record:
        told: Record = {}
        for item in ("grounds", "object", "officer_identity", "station", "entitlement_to_copy"):
            told[item] = True if self.checks.met("told_" + item, 0.3) else self.rng.choice((False, None))
        return told

    def _record_given(self) -> Record:
        if not self.checks.met("record_offered", 0.5):
            return {"record_given": False, "receipt_offered_at": None}
        if self.rng.random() < 0.7:
            return {"record_given": True, "receipt_offered_at": None}
        return {"record_given": False, "receipt_offered_at": self._ts(self.searched + timedelta(minutes=10))}

    def _bwv(self) -> Record:
        if self.checks.met("bwv_used", 0.6):
            return {"used": True, "reason_not_used": None}
        return {"used": False, "reason_not_used": self.rng.choice(BWV_REASONS)}

    def _outcome(self, sought: str) -> Record:
        result = _weighted(self.rng, OUTCOMES)
        found = result != "no_further_action" or self.rng.random() < 0.05
        return {"result": result, "item_found": found,
                "find_linked": (self.rng.random() < 0.9) if found else None}

    def _review(self, footage: bool) -> Record | None:
        if not self.checks.met("reviewed", 0.4):
            return None
        late = not self.checks.met("reviewed_in_time", 0.5)
        # Whole minutes, as a force's system (and its CSV export) shows them.
        delay = timedelta(minutes=round(24 * 60 * (self.rng.uniform(9, 40) if late else self.rng.uniform(0.1, 6.5))))
        return {
            "reviewed_at": self._ts(self.searched + delay),
            "reviewer": f"Sergeant {self.rng.randrange(1, 30):02d}" if self.checks.met("reviewer_named", 0.2) else None,
            "footage_reviewed": (self.checks.met("footage_reviewed", 0.6)) if footage else None,
            "feedback_given": self.rng.random() < 0.6,
        }


def audit_sample(year: int, size: int, reasonable: int, minority: int, minority_reasonable: int, *,
                 seed: int, compliance: float = 0.85) -> list[Record]:
    """`size` search records of `year`, `reasonable` of them judged to have reasonable grounds recorded;
    `minority` of the people searched define themselves as from an ethnic minority, `minority_reasonable`
    of them with reasonable grounds recorded. The rest are white, or did not state or were not asked."""
    if not (0 <= minority_reasonable <= minority <= size and 0 <= reasonable - minority_reasonable <= size - minority):
        raise ValueError("the counts do not fit together")
    rng = random.Random(seed)
    others = size - minority
    slots = ([(True, True)] * minority_reasonable + [(True, False)] * (minority - minority_reasonable)
             + [(False, True)] * (reasonable - minority_reasonable)
             + [(False, False)] * (others - (reasonable - minority_reasonable)))
    rng.shuffle(slots)
    records = []
    for position, (is_minority, is_reasonable) in enumerate(slots):
        if is_minority:
            ethnicity = _weighted(rng, (("asian", 0.45), ("black", 0.25), ("mixed", 0.2), ("other", 0.1)))
        else:
            ethnicity = "not_stated" if rng.random() < 0.05 else "white"
        builder = _SearchBuilder(random.Random(rng.getrandbits(64)), year, position + 1, is_reasonable, ethnicity,
                                 compliance, exemplary=position % EXEMPLARY_EVERY == 0)
        records.append(builder.build())
    return records


def audit_sample_2021(seed: int = 2021) -> list[Record]:
    """The 2021 audit: 183 records, 156 with reasonable grounds recorded; 21 of 27 for ethnic minorities."""
    return audit_sample(2021, 183, 156, 27, 21, seed=seed)


def audit_sample_2019(seed: int = 2019) -> list[Record]:
    """The 2019 audit: 241 records, 208 with reasonable grounds recorded (minority counts invented: 30 of 36)."""
    return audit_sample(2019, 241, 208, 36, 30, seed=seed)


AUDITS = {2021: audit_sample_2021, 2019: audit_sample_2019}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic.stop_search",
                                     description="Write a synthetic stop-and-search audit sample (no real people).")
    parser.add_argument("--audit", type=int, choices=sorted(AUDITS), required=True, help="which published audit")
    parser.add_argument("--seed", type=int, help="random seed (default: the audit's year)")
    parser.add_argument("--output", default="-", help="file to write, or - for standard output")
    args = parser.parse_args(argv)
    records = AUDITS[args.audit](args.audit if args.seed is None else args.seed)
    write_records(records, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
