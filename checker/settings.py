"""The settings of one run, printed in every report.

Where the law or guidance is not certain, the choice is a setting with a
default: the interval method and level, the time zone for offset-less times,
the working-day calendar, and each pack's declared settings (deadlines and the
like, overridable with `--set name=value`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.intervals import check_level, check_method
from checker.rules import RulePack
from checker.statements import GradeBands
from checker.timestamps import DEFAULT_TIMEZONE, zone
from checker.workdays import DEFAULT_CALENDAR, WorkingDayCalendar, check_calendar


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

    def __post_init__(self) -> None:
        check_method(self.interval)
        check_level(self.confidence)
        zone(self.timezone)
        check_calendar(self.calendar)

    @property
    def working_days(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(calendar=self.calendar, timezone=self.timezone)

    def as_dict(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "confidence": self.confidence,
            "timezone": self.timezone,
            "calendar": self.calendar,
            "working_day_convention": self.working_days.convention,
            "packs": {name: dict(values) for name, values in self.packs.items()},
            "grade_bands": self.grade_bands.as_dict() if self.grade_bands else None,
        }


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`["name=value", …]` from the command line → {name: text}."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set {pair!r}: expected NAME=VALUE, e.g. --set referral_working_days=2")
        result[name.strip()] = value.strip()
    return result


def pack_settings(packs: list[RulePack], overrides: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each pack's settings: defaults, with overrides applied to every pack that declares the name."""
    values = {pack.name: pack.default_settings() for pack in packs}
    for name, text in overrides.items():
        declaring = [pack for pack in packs if name in pack.settings]
        if not declaring:
            known = sorted({n for pack in packs for n in pack.settings})
            raise ValueError(f"--set {name}: no loaded pack declares this setting; known settings: {', '.join(known)}")
        for pack in declaring:
            values[pack.name][name] = pack.settings[name].parse(text)
    return values
