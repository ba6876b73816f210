"""Working days and clock hours between two timestamps.

The Victims' Code sets deadlines in working days but does not define the term.
The default here (a setting, printed in every report) is:

- a working day is Monday to Friday, excluding bank holidays of the chosen
  calendar (default: England and Wales, from the `holidays` package, which
  includes Christmas Day and Good Friday);
- counting starts on the day after the event: the first working day after the
  event is day 1. So an event on a Friday with the follow-up on the Monday is
  1 working day; a follow-up on the same day is 0.
- days are calendar days in the configured time zone, so a report at 23:30 on
  the evening of a clock change falls on the right day.

Clock hours (`hours_between`) are exact elapsed time between two instants, so a
24-hour limit is measured correctly across the change to and from summer time.
"""

from __future__ import annotations

import calendar as month_lengths
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import holidays

from checker.inputs.timestamps import local_date, parse_timestamp

# Calendars a user can choose: name → (country, subdivision) in the `holidays` package.
CALENDARS: dict[str, tuple[str, str | None]] = {
    "england-and-wales": ("GB", "ENG"),
    "weekdays-only": ("", None),
}
DEFAULT_CALENDAR = "england-and-wales"


def bank_holidays(year: int, calendar: str = DEFAULT_CALENDAR) -> dict[date, str]:
    """The bank holidays of `year` in the calendar: date → name."""
    return dict(_holiday_table(calendar, year))


@lru_cache(maxsize=None)
def _holiday_table(calendar: str, year: int) -> dict[date, str]:
    country, subdivision = CALENDARS[calendar]
    if not country:
        return {}
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=year))


def holiday_name(day: date, calendar: str = DEFAULT_CALENDAR) -> str | None:
    """The bank holiday on `day`, or None."""
    return _holiday_table(calendar, day.year).get(day)


def is_working_day(day: date, calendar: str = DEFAULT_CALENDAR) -> bool:
    return day.weekday() < 5 and holiday_name(day, calendar) is None


def check_calendar(calendar: str) -> str:
    if calendar not in CALENDARS:
        raise ValueError(f"unknown calendar {calendar!r}: expected one of {', '.join(CALENDARS)}")
    return calendar


@lru_cache(maxsize=65536)
def working_days_between_dates(start: date, end: date, calendar: str = DEFAULT_CALENDAR) -> int:
    """Working days d with start < d <= end; negative when `end` is before `start`.

    Counted, not walked day by day: the weekdays in the interval, less the bank holidays that fall
    on a weekday in it (most calls are for new pairs of dates, so the cache alone does not help)."""
    if end < start:
        return -working_days_between_dates(end, start, calendar)
    first, last = start.toordinal(), end.toordinal()
    holidays_in = 0
    for year in range(start.year, end.year + 1):
        days = _weekday_holidays(calendar, year)
        holidays_in += bisect_right(days, last) - bisect_right(days, first)
    return _weekdays_before(last + 1) - _weekdays_before(first + 1) - holidays_in


def _weekdays_before(ordinal: int) -> int:
    """Mondays to Fridays among the days before `ordinal` (day 1, 1 January of year 1, was a Monday)."""
    weeks, days = divmod(ordinal - 1, 7)
    return 5 * weeks + min(days, 5)


@lru_cache(maxsize=None)
def _weekday_holidays(calendar: str, year: int) -> tuple[int, ...]:
    """The ordinals of the year's bank holidays that fall on a weekday, sorted."""
    return tuple(sorted(day.toordinal() for day in _holiday_table(calendar, year) if day.weekday() < 5))


@lru_cache(maxsize=4096)
def _working_days_between_instants(start: datetime, end: datetime, calendar: str, zone_name: str) -> int:
    """`working_days_between_dates` of two instants' local dates. Cached on the instants: a rule's
    clause and its evidence ask for the same pair (equal instants have equal local dates)."""
    return working_days_between_dates(local_date(start, zone_name), local_date(end, zone_name), calendar)


@dataclass(frozen=True)
class WorkingDayCalendar:
    """The calendar and zone a run counts in; its methods become CEL functions."""

    calendar: str = DEFAULT_CALENDAR
    timezone: str = "Europe/London"
    convention: str = field(default="day after the event is day 1", init=False)

    # The helpers give null when a date is not recorded, as SQL does: a comparison with null then
    # fails to evaluate and the rule reports `error` naming the missing field, rather than a
    # Python exception inside the CEL call.

    def working_days_between(self, start: datetime | None, end: datetime | None) -> int | None:
        if start is None or end is None:
            return None
        return _working_days_between_instants(start, end, self.calendar, self.timezone)

    @staticmethod
    def hours_between(start: datetime | None, end: datetime | None) -> float | None:
        if start is None or end is None:
            return None
        return (end - start).total_seconds() / 3600

    @staticmethod
    def longest_gap_days(instants: list[datetime | None]) -> float | None:
        """The longest interval, in days, between consecutive instants (sorted first); null if any is null."""
        if None in instants:
            return None
        ordered = sorted(instants)  # type: ignore[type-var]
        gaps = [(b - a).total_seconds() / 86400 for a, b in zip(ordered, ordered[1:])]
        return max(gaps, default=0.0)

    # Local-date helpers: calendar days and months are counted on dates in the run's zone, so an
    # instant within an hour of midnight in summer time falls on its local day, and a clock change
    # never decides a result.

    def local_date(self, instant: datetime | None) -> str | None:
        """The instant's calendar date in the run's zone, as `YYYY-MM-DD` (ISO dates sort as text)."""
        if instant is None:
            return None
        return local_date(instant, self.timezone).isoformat()

    def local_date_plus_months(self, instant: datetime | None, months: int | None) -> str | None:
        """The instant's local date moved on by whole calendar months (`YYYY-MM-DD`); a day the
        month does not have becomes its last day (31 August + 6 months = 28 or 29 February)."""
        if instant is None or months is None:
            return None
        return add_calendar_months(local_date(instant, self.timezone), months).isoformat()

    def longest_gap_local_days(self, instants: list[datetime | None]) -> int | None:
        """The longest gap, in calendar days of the run's zone, between consecutive instants (sorted
        first): an update on the agreed day is on time whatever the hour; null if any is null."""
        if None in instants:
            return None
        days = sorted(_local_day_number(instant, self.timezone) for instant in instants)  # type: ignore[arg-type]
        return max((b - a for a, b in zip(days, days[1:])), default=0)

    @staticmethod
    def latest(value: Any) -> datetime | None:
        """The latest instant in `value`: a list of instants, or a record (or any part of one) walked
        through its maps and lists. Nulls (not recorded) are skipped; null when there is none."""
        found: datetime | None = None
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, datetime):
                found = item if found is None or item > found else found
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return found


@lru_cache(maxsize=65536)
def _local_day_number(instant: datetime, zone_name: str) -> int:
    """The ordinal of the instant's local date. Cached: a file's report and updates are read by the
    clauses and again by the evidence, and a zone conversion costs more than the lookup."""
    return local_date(instant, zone_name).toordinal()


def add_calendar_months(day: date, months: int) -> date:
    """`day` plus whole calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, month_lengths.monthrange(year, month)[1]))


def start_of_local_day(day: date, zone_name: str) -> datetime:
    """The first instant of `day` in the zone, as an aware UTC datetime (as a date alone is read)."""
    return parse_timestamp(day.isoformat(), zone_name)
