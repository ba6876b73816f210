"""Working days as a table: each day's ordinal, so "working days between" is a subtraction.

The ordinals come from the checker's own calendar (`checker.engine.workdays`): the ordinal of a day is
the number of working days after the table's first day up to and including it, so for days d1, d2
the working days d with d1 < d <= d2 are ordinal(d2) - ordinal(d1), negative when d2 is earlier,
exactly as `working_days_between_dates` counts them. The table covers whole years around the dates
of the records (`years`), so every date a rule reads has an ordinal.
"""

from __future__ import annotations

from datetime import date, timedelta

from checker.engine.workdays import is_working_day


def ordinals(first_year: int, last_year: int, calendar: str) -> tuple[date, list[int]]:
    """The first day (1 January of `first_year`) and the ordinal of every day to 31 December of `last_year`."""
    first = date(first_year, 1, 1)
    day, count, values = first, 0, [0]
    last = date(last_year, 12, 31)
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            count += 1
        values.append(count)
    return first, values


def year_span(years: set[int]) -> tuple[int, int]:
    """The years the table covers for timestamps in `years`: a year either side (a local date can fall in
    the year before or after its UTC date), within the calendar's range."""
    if not years:
        return 2000, 2000
    return max(1, min(years) - 1), min(9999, max(years) + 1)
