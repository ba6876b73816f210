"""Timestamps as the case-file model writes them.

- With an offset (`2022-03-01T10:15:00Z`, `+01:00`) a timestamp is exact.
- Without one it is wall-clock time in the configured zone (default
  `Europe/London`, which has summer time). In the autumn hour that happens twice
  the earlier (summer-time) reading is taken; a time that does not exist (the
  spring-forward hour) is read as if the clocks had not yet changed.
- A date alone means the start of that day in the configured zone; rules that
  need a time say so in their explanations (see `is_date_only`).

Every parsed timestamp is returned in UTC: CEL timestamps are instants, and the
CEL binding only accepts fixed-offset datetimes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/London"

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class TimestampError(ValueError):
    """A value that is not an ISO 8601 timestamp or date."""


@lru_cache(maxsize=None)
def zone(name: str) -> tzinfo:
    """The IANA time zone `name`, with an error that says what is expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name such as 'Europe/London'") from exc


def is_date_only(text: str) -> bool:
    return bool(_DATE_ONLY.match(text))


def parse_date(text: str) -> date:
    """A calendar date written `YYYY-MM-DD` (nothing else: `20230131` or a week date is refused)."""
    try:
        if not is_date_only(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise TimestampError(f"{text!r} is not a date: expected YYYY-MM-DD, e.g. '2023-03-31'") from None


def parse_timestamp(text: str, zone_name: str = DEFAULT_TIMEZONE) -> datetime:
    """Parse an ISO 8601 timestamp or date from a case file into an aware UTC datetime.

    This runs for every timestamp of every record (about 20 a case file), so it is kept to the
    fewest operations: values in UTC are returned as parsed; a local time is shifted by its zone's
    offset with arithmetic (see `_UTC_EPOCH`); a written offset is converted by `astimezone`."""
    try:
        # Python 3.11+ reads "Z" and a date alone (as midnight) itself: one call for nearly every value.
        local = datetime.fromisoformat(text)
    except ValueError:
        local = _parse_slowly(text)
    written_zone = local.tzinfo
    if written_zone is timezone.utc:
        return local
    try:
        if written_zone is not None:
            return local.astimezone(timezone.utc)
        # A local time, read with fold=0: in a repeated hour the earlier reading, in a missing hour
        # the offset from before the change (the module docstring). ZoneInfo reads only the
        # wall-clock fields and fold of the datetime it is given, so the naive value is passed as it is.
        offset = zone(zone_name).utcoffset(local)
        return _UTC_EPOCH + (local - _NAIVE_EPOCH - offset)
    except OverflowError:
        # The first or last hours of the calendar (year 1 east of UTC, year 9999 west of it) have
        # no UTC instant that Python can hold: the value is refused like any unreadable timestamp.
        as_written = text if written_zone is not None else f"{text} ({zone_name} local time)"
        raise TimestampError(f"{as_written!r} is outside the range of instants the checker can read "
                             "(0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)") from None


# `_UTC_EPOCH + (local - _NAIVE_EPOCH - offset)` is `local - offset` as an aware UTC datetime: what
# `local.replace(tzinfo=zone).astimezone(timezone.utc)` computes, in a seventh of the instructions (in
# CPython 3.11 `replace` alone costs more than parsing the text).
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def _parse_slowly(text: str) -> datetime:
    """What older Pythons' fromisoformat does not read ("Z", "z", a date alone), or a TimestampError."""
    try:
        if is_date_only(text):
            return datetime.combine(date.fromisoformat(text), time(0, 0))
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TimestampError(
            f"{text!r} is not a valid timestamp: expected ISO 8601 such as "
            "'2022-03-01T10:15:00Z', '2022-03-01T10:15:00' (local time) or '2022-03-01'"
        ) from None


def local_date(instant: datetime, zone_name: str = DEFAULT_TIMEZONE) -> date:
    """The calendar date of `instant` in the configured zone."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    try:
        return instant.astimezone(zone(zone_name)).date()
    except OverflowError:  # within hours of the calendar's end, in a zone on the far side of UTC
        raise TimestampError(f"{instant.isoformat()} has no date in {zone_name}: it is beyond the "
                             "calendar's end (9999-12-31) there") from None
