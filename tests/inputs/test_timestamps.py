"""parse_timestamp: exact instants across clock changes, and the same results as the plain definition.

parse_timestamp shifts a local time by its zone's offset with datetime arithmetic rather than
attaching the zone and converting (`replace(tzinfo=…).astimezone(…)`), for speed. `reference` below
is that plain definition; every result must equal it: the same instant, `timezone.utc` as tzinfo,
fold 0, or the same exception with the same message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from checker.inputs.timestamps import TimestampError, _parse_slowly, local_date, parse_timestamp

ZONES = ["Europe/London", "UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham",
         "Africa/Casablanca", "America/St_Johns"]


def reference(text: str, zone_name: str) -> datetime:
    """The plain definition: parse, attach the zone to a local time (fold=0), convert to UTC."""
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        local = _parse_slowly(text)
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(zone_name))
    return local.astimezone(timezone.utc)


def outcome(parse, text: str, zone_name: str) -> tuple:
    """What a parse gives, in a form that compares instant, tzinfo, fold and wording of errors."""
    try:
        value = parse(text, zone_name)
    except OverflowError:  # the plain definition at the calendar's ends: the checker refuses the value
        return ("error", "out of range")
    except (TimestampError, ValueError) as exc:
        if "outside the range of instants" in str(exc):
            return ("error", "out of range")
        return ("error", type(exc).__name__, str(exc))
    return ("value", value, value.isoformat(), value.tzinfo is timezone.utc, value.fold)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "zone_name", "expected"), [
    # UK spring change, 27 March 2022 01:00 GMT → 02:00 BST: the missing hour is read as GMT
    ("2022-03-27T00:59:59", "Europe/London", "2022-03-27T00:59:59"),
    ("2022-03-27T01:00:00", "Europe/London", "2022-03-27T01:00:00"),
    ("2022-03-27T01:30:00", "Europe/London", "2022-03-27T01:30:00"),
    ("2022-03-27T02:00:00", "Europe/London", "2022-03-27T01:00:00"),
    ("2022-03-27T02:30:00", "Europe/London", "2022-03-27T01:30:00"),
    # UK autumn change, 30 October 2022 02:00 BST → 01:00 GMT: the repeated hour is read as BST
    ("2022-10-30T00:59:59", "Europe/London", "2022-10-29T23:59:59"),
    ("2022-10-30T01:00:00", "Europe/London", "2022-10-30T00:00:00"),
    ("2022-10-30T01:30:00", "Europe/London", "2022-10-30T00:30:00"),
    ("2022-10-30T01:59:59.999999", "Europe/London", "2022-10-30T00:59:59.999999"),
    ("2022-10-30T02:00:00", "Europe/London", "2022-10-30T02:00:00"),
    ("2022-10-30 01:30", "Europe/London", "2022-10-30T00:30:00"),
    # Lord Howe Island moves its clocks by half an hour: +10:30 ↔ +11:00
    ("2022-10-02T01:59:00", "Australia/Lord_Howe", "2022-10-01T15:29:00"),
    ("2022-10-02T02:15:00", "Australia/Lord_Howe", "2022-10-01T15:45:00"),  # missing: read as +10:30
    ("2022-10-02T02:45:00", "Australia/Lord_Howe", "2022-10-01T15:45:00"),
    ("2022-04-03T01:29:00", "Australia/Lord_Howe", "2022-04-02T14:29:00"),
    ("2022-04-03T01:45:00", "Australia/Lord_Howe", "2022-04-02T14:45:00"),  # repeated: read as +11:00
    ("2022-04-03T02:00:00", "Australia/Lord_Howe", "2022-04-02T15:30:00"),
    # a date alone is the start of the local day
    ("2022-06-01", "Europe/London", "2022-05-31T23:00:00"),
    ("2022-01-10", "Europe/London", "2022-01-10T00:00:00"),
    ("2022-06-01", "Australia/Lord_Howe", "2022-05-31T13:30:00"),
    ("2022-06-01", "UTC", "2022-06-01T00:00:00"),
    # "Z" and written offsets do not depend on the zone
    ("2022-06-01T10:15:00Z", "Australia/Lord_Howe", "2022-06-01T10:15:00"),
    ("2022-06-01T10:15:00+01:00", "America/New_York", "2022-06-01T09:15:00"),
    ("2022-06-01T10:15:00-05:30", "Europe/London", "2022-06-01T15:45:00"),
    ("2022-06-01T10:15:00+0100", "Europe/London", "2022-06-01T09:15:00"),
    ("2022-06-01T10:15:00+00:00", "Europe/London", "2022-06-01T10:15:00"),
    ("2022-06-01T10:15:00.123456789", "UTC", "2022-06-01T10:15:00.123456"),
])
def test_instants_across_clock_changes_dates_and_offsets(text: str, zone_name: str, expected: str) -> None:
    value = parse_timestamp(text, zone_name)
    assert value == utc(expected)
    assert value.tzinfo is timezone.utc and value.fold == 0
    assert outcome(parse_timestamp, text, zone_name) == outcome(reference, text, zone_name)


@pytest.mark.parametrize("zone_name", ZONES)
def test_every_quarter_hour_of_the_days_clocks_change_matches_the_plain_definition(zone_name: str) -> None:
    days = [date(2022, 3, 13), date(2022, 3, 27), date(2022, 4, 3), date(2022, 10, 2), date(2022, 10, 30),
            date(2022, 11, 6), date(2021, 5, 16), date(1916, 5, 21), date(2037, 10, 25)]
    for day in days:
        for minutes in range(-60, 25 * 60, 15):
            moment = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minutes)
            for text in (moment.isoformat(timespec="seconds"), moment.isoformat(sep=" ", timespec="minutes")):
                assert outcome(parse_timestamp, text, zone_name) == outcome(reference, text, zone_name), text


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00", "0001-01-01", "9999-12-31T23:59:59", "0001-01-01T00:30:00+01:00",
                                  "9999-12-31T23:59:59-01:00", "2022-02-30T10:00:00", "2022-03-01T24:00:00", "2022-13-01",
                                  "", "yesterday", "2022-03-01T10:15:00\n"])
@pytest.mark.parametrize("zone_name", ["Europe/London", "America/New_York", "Australia/Lord_Howe"])
def test_the_ends_of_the_calendar_and_bad_values_fail_as_the_plain_definition_does(text: str, zone_name: str) -> None:
    assert outcome(parse_timestamp, text, zone_name) == outcome(reference, text, zone_name)


def test_a_value_beyond_the_calendar_is_refused_with_its_zone_and_the_range_read() -> None:
    with pytest.raises(TimestampError, match=r"'0001-01-01T00:00:00 \(Europe/Paris local time\)' is outside "
                                             r"the range of instants .*0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"):
        parse_timestamp("0001-01-01T00:00:00", "Europe/Paris")
    with pytest.raises(TimestampError, match=r"^'0001-01-01T00:30:00\+01:00' is outside the range"):
        parse_timestamp("0001-01-01T00:30:00+01:00", "Europe/London")
    assert parse_timestamp("0001-01-01T00:00:00", "America/New_York").year == 1  # west of UTC: still in range


def test_a_date_beyond_the_calendar_in_the_zone_is_a_timestamp_error() -> None:
    with pytest.raises(TimestampError, match=r"9999-12-31T23:30:00\+00:00 has no date in Pacific/Kiritimati"):
        local_date(utc("9999-12-31T23:30:00"), "Pacific/Kiritimati")
    assert local_date(utc("9999-12-31T23:30:00"), "Europe/London").isoformat() == "9999-12-31"


def test_an_unknown_zone_is_named_when_a_local_time_needs_it() -> None:
    assert parse_timestamp("2022-06-01T10:15:00Z", "Mars/Olympus") == utc("2022-06-01T10:15:00")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        parse_timestamp("2022-06-01T10:15:00", "Mars/Olympus")


MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31))
FORMS = st.sampled_from(["seconds", "minutes", "space", "micro", "date", "Z", "offset"])
OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59)


def written(moment: datetime, form: str, offset_minutes: int) -> str:
    """`moment` written in one of the forms case files use."""
    if form == "date":
        return moment.date().isoformat()
    text = moment.isoformat(sep=" " if form == "space" else "T",
                            timespec={"minutes": "minutes", "micro": "microseconds"}.get(form, "seconds"))
    if form == "Z":
        return text + "Z"
    if form == "offset":
        sign, size = ("-" if offset_minutes < 0 else "+"), abs(offset_minutes)
        return f"{text}{sign}{size // 60:02d}:{size % 60:02d}"
    return text


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(moment=MOMENTS, form=FORMS, offset_minutes=OFFSETS, zone_name=st.sampled_from(ZONES))
def test_parse_timestamp_is_the_plain_definition(moment: datetime, form: str, offset_minutes: int, zone_name: str) -> None:
    text = written(moment, form, offset_minutes)
    assert outcome(parse_timestamp, text, zone_name) == outcome(reference, text, zone_name)
