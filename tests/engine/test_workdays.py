"""Working days (England and Wales) and clock hours, across bank holidays and clock changes."""

from __future__ import annotations

from datetime import date

import pytest

from checker.inputs.timestamps import TimestampError, local_date, parse_timestamp
from checker.engine.workdays import WorkingDayCalendar, holiday_name, working_days_between_dates

CAL = WorkingDayCalendar()


def ts(text: str):
    return parse_timestamp(text)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2022-04-14T10:00", "2022-04-19T10:00", 1),  # Good Friday and Easter Monday skipped
        ("2022-04-14T10:00", "2022-04-21T10:00", 3),
        ("2022-04-14T10:00", "2022-04-14T18:00", 0),  # same day is day 0
        ("2022-03-04T10:00", "2022-03-07T09:00", 1),  # Friday → Monday: the day after is day 1
        ("2022-12-23T10:00", "2022-12-28T10:00", 1),  # Christmas and Boxing Day (observed) skipped
    ],
)
def test_working_days_count_from_the_day_after(start: str, end: str, expected: int) -> None:
    assert CAL.working_days_between(ts(start), ts(end)) == expected


def test_reversed_dates_count_negative() -> None:
    assert working_days_between_dates(date(2022, 3, 7), date(2022, 3, 4)) == -1


def test_good_friday_and_christmas_day_are_holidays() -> None:
    assert holiday_name(date(2022, 4, 15)) == "Good Friday"
    assert holiday_name(date(2022, 12, 25)) == "Christmas Day"
    assert holiday_name(date(2022, 4, 19)) is None


def test_weekdays_only_calendar_ignores_bank_holidays() -> None:
    plain = WorkingDayCalendar(calendar="weekdays-only")
    assert plain.working_days_between(ts("2022-04-14T10:00"), ts("2022-04-19T10:00")) == 3


def test_clock_hours_across_the_spring_change() -> None:
    # 26 March 12:00 GMT → 27 March 12:30 BST is 23.5 hours, not 24.5
    assert CAL.hours_between(ts("2022-03-26T12:00:00"), ts("2022-03-27T12:30:00")) == 23.5


def test_clock_hours_across_the_autumn_change() -> None:
    # 29 October 12:00 BST → 30 October 11:30 GMT is 24.5 hours
    assert CAL.hours_between(ts("2022-10-29T12:00:00"), ts("2022-10-30T11:30:00")) == 24.5


def test_local_time_and_offsets_name_the_same_instant() -> None:
    assert ts("2022-06-01T10:15:00") == ts("2022-06-01T09:15:00Z") == ts("2022-06-01T10:15:00+01:00")
    assert ts("2022-01-10T10:15:00") == ts("2022-01-10T10:15:00Z")


def test_a_date_alone_is_the_start_of_the_local_day() -> None:
    assert ts("2022-06-01") == ts("2022-05-31T23:00:00Z")
    assert local_date(ts("2022-06-01")) == date(2022, 6, 1)


def test_the_zone_is_a_setting() -> None:
    assert parse_timestamp("2022-06-01T10:00:00", "UTC") == ts("2022-06-01T10:00:00Z")


def test_a_late_evening_utc_instant_falls_on_the_next_local_day_in_summer() -> None:
    assert local_date(ts("2022-06-03T23:30:00Z")) == date(2022, 6, 4)


@pytest.mark.parametrize("bad", ["yesterday", "2022-13-01", "2022-02-30T10:00:00Z", "01/02/2022"])
def test_unparseable_timestamps_say_what_is_expected(bad: str) -> None:
    with pytest.raises(TimestampError, match="expected ISO 8601"):
        parse_timestamp(bad)


def _walked(start: date, end: date, calendar: str) -> int:
    """Working days counted the slow, obvious way: day by day."""
    from datetime import timedelta

    from checker.engine.workdays import is_working_day

    if end < start:
        return -_walked(end, start, calendar)
    return sum(is_working_day(start + timedelta(days=offset), calendar) for offset in range(1, (end - start).days + 1))


@pytest.mark.parametrize("calendar", ["england-and-wales", "weekdays-only"])
def test_counting_agrees_with_walking_day_by_day(calendar: str) -> None:
    import random
    from datetime import timedelta

    chance = random.Random(2022)
    for _ in range(3000):
        start = date(2015, 1, 1) + timedelta(days=chance.randint(0, 3650))
        end = start + timedelta(days=chance.randint(-800, 800))
        assert working_days_between_dates(start, end, calendar) == _walked(start, end, calendar), (start, end)
    # 2020-01-01 to 2023-01-03: 262 + 261 + 260 + 2 weekdays, less 8 + 8 + 10 + 1 bank holidays on weekdays
    # (2022 had two for the Jubilee and one for the State Funeral; 2 January 2023 was New Year's observed)
    assert working_days_between_dates(date(2019, 12, 31), date(2023, 1, 3)) == _walked(
        date(2019, 12, 31), date(2023, 1, 3), "england-and-wales") == 758


def test_equal_instants_in_other_offsets_count_the_same() -> None:
    # the same instants written in UTC and with an offset: the cache on instants must not change the count
    assert CAL.working_days_between(ts("2022-04-14T23:30:00+01:00"), ts("2022-04-19T10:00:00Z")) == 1
    assert CAL.working_days_between(ts("2022-04-14T22:30:00Z"), ts("2022-04-19T10:00:00Z")) == 1
    assert CAL.working_days_between(ts("2022-04-14T23:30:00Z"), ts("2022-04-19T10:00:00Z")) == 1
    assert CAL.working_days_between(ts("2022-04-13T23:30:00Z"), ts("2022-04-19T10:00:00Z")) == 1
    assert CAL.working_days_between(ts("2022-04-13T22:30:00Z"), ts("2022-04-19T10:00:00Z")) == 2
