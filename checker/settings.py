"""The settings of one run, printed in every report.

Where the law or guidance is not certain, the choice is a setting with a
default: the interval method and level, the time zone for offset-less times,
the working-day calendar, each pack's declared settings (deadlines and the
like, overridable with `--set name=value`), and the reference date that waivers'
expiry dates are compared with (`--as-of`, default today in the run's zone).
`evidence` says which results carry their evidence values: `all` (default) or
only the `findings` (fail, error, pending, waived), which is faster and smaller
on inputs of hundreds of thousands of files.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from checker.scoring.intervals import check_level, check_method
from checker.packs.rules import RulePack
from checker.scoring.statements import GradeBands
from checker.inputs.timestamps import DEFAULT_TIMEZONE, parse_date, zone
from checker.engine.workdays import DEFAULT_CALENDAR, WorkingDayCalendar, check_calendar


EVIDENCE_CHOICES = ("all", "findings")


@dataclass(frozen=True)
class RunSettings:
    interval: str = "wilson"
    confidence: float = 0.95
    timezone: str = DEFAULT_TIMEZONE
    calendar: str = DEFAULT_CALENDAR
    # Pack name → setting name → value (defaults, with the user's overrides applied).
    packs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A force's own mapping of rates to grade words; none is shipped as if official.
    grade_bands: GradeBands | None = None
    # The date a waiver's `expires` is compared with; a run with waivers and no date uses today (`with_as_of`).
    as_of: date | None = None
    # True when `as_of` is today because waivers needed a date and none was given: rules then do not
    # see it (an open file's update gap is measured to its own latest entry, not to the day of the run).
    as_of_defaulted: bool = False
    evidence: str = "all"  # "all" results carry their evidence, or only the "findings"

    def __post_init__(self) -> None:
        check_method(self.interval)
        check_level(self.confidence)
        zone(self.timezone)
        check_calendar(self.calendar)
        if self.evidence not in EVIDENCE_CHOICES:
            raise ValueError(f"unknown evidence choice {self.evidence!r}: expected one of {', '.join(EVIDENCE_CHOICES)}")
        if self.as_of is not None and (not isinstance(self.as_of, date) or isinstance(self.as_of, datetime)):
            raise ValueError(f"as_of must be a date, found {self.as_of!r}")

    @property
    def working_days(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(calendar=self.calendar, timezone=self.timezone)

    @property
    def rules_as_of(self) -> date | None:
        """The reference date rules see (`as_of()`): the `--as-of` given, never a defaulted today."""
        return None if self.as_of_defaulted else self.as_of

    def open_files_measured_to(self) -> str:
        """How far the update gaps of an open file are measured, in words (printed with the settings)."""
        if self.rules_as_of is None:
            return "the latest dated entry on each file (no --as-of given)"
        return f"the later of {self.rules_as_of.isoformat()} (--as-of) and the latest dated entry on each file"

    def as_dict(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "confidence": self.confidence,
            "timezone": self.timezone,
            "calendar": self.calendar,
            "working_day_convention": self.working_days.convention,
            "packs": {name: dict(values) for name, values in self.packs.items()},
            "grade_bands": self.grade_bands.as_dict() if self.grade_bands else None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "open_files_measured_to": self.open_files_measured_to(),
            "evidence": self.evidence,
        }

    def with_as_of(self) -> RunSettings:
        """These settings with a reference date: the given one, else today in the run's zone."""
        if self.as_of is not None:
            return self
        return replace(self, as_of=datetime.now(zone(self.timezone)).date(), as_of_defaulted=True)


def parse_as_of(text: str) -> date:
    """`--as-of 2023-01-31` → a date; ValueError saying what is expected."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise ValueError(f"--as-of: {exc}") from None


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`["name=value", …]` from the command line → {name: text}."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set {pair!r}: expected NAME=VALUE, e.g. --set referral_working_days=2")
        result[name.strip()] = value.strip()
    return result


# How people write yes/no on a command line, and how the run prints booleans (Python's True/False).
_BOOLEAN_WORDS = {"true": "true", "yes": "true", "false": "false", "no": "false"}


def pack_settings(packs: list[RulePack], overrides: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each pack's settings: defaults, with overrides applied to every pack that declares the name.

    A name may be qualified by its pack, as the run prints it (`victims-code.count_automated_updates`):
    then only that pack's setting is set."""
    values = {pack.name: pack.default_settings() for pack in packs}
    for given, text in overrides.items():
        declaring, name = _declaring(packs, given)
        for pack in declaring:
            setting = pack.settings[name]
            if setting.type == "boolean":
                word = _BOOLEAN_WORDS.get(text.strip().lower())
                if word is None:
                    raise ValueError(f"--set {given}={text}: {name} is a yes/no setting: give true or false "
                                     "(True/False and yes/no are accepted too)")
                text = word
            values[pack.name][name] = setting.parse(text)
    return values


def _declaring(packs: list[RulePack], given: str) -> tuple[list[RulePack], str]:
    """The packs a `--set` name applies to, and the setting's own name."""
    declaring = [pack for pack in packs if given in pack.settings]
    if declaring:
        return declaring, given
    pack_name, dot, name = given.partition(".")
    named = [pack for pack in packs if pack.name == pack_name]
    if dot and named and name in named[0].settings:
        return named, name
    known = sorted({n for pack in packs for n in pack.settings})
    qualified = sorted(f"{pack.name}.{n}" for pack in packs for n in pack.settings)
    if dot and named:
        raise ValueError(f"--set {given}: pack {pack_name!r} declares no setting {name!r}; its settings: "
                         f"{', '.join(sorted(named[0].settings)) or 'none'}")
    raise ValueError(f"--set {given}: no loaded pack declares this setting; known settings: {', '.join(known)} "
                     f"(or qualified by pack, as printed: {', '.join(qualified[:3])}, …)")
