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

`parse_timestamp` is the definition. `timestamp_reader(zone)` gives the same
results faster, for normalising every timestamp of every record: it remembers
each local hour's UTC offset, so a local time costs a dictionary look-up rather
than a time-zone conversion (hours in which the offset changes go the exact way).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
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
    """Parse an ISO 8601 timestamp or date from a case file into an aware UTC datetime."""
    try:
        # Python 3.11+ reads "Z" and a date alone (as midnight) itself: one call for nearly every value.
        local = datetime.fromisoformat(text)
    except ValueError:
        local = _parse_slowly(text)
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(zone_name))
    elif local.tzinfo is timezone.utc:
        return local
    return local.astimezone(timezone.utc)


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


TimestampReader = Callable[[str], datetime]

# Local times are turned into UTC by arithmetic on these two: `_UTC_EPOCH + (local - anchor)` where
# anchor = `_NAIVE_EPOCH + offset` is `local - offset` as an aware UTC datetime, without `replace`
# (which costs ten times as much in CPython 3.11).
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_REST_OF_HOUR = timedelta(minutes=59, seconds=59, microseconds=999_999)

# How many local hours a reader remembers (about 170 bytes each): over five years of hours. When full it
# starts again, so memory stays bounded whatever the input.
HOUR_CACHE_SIZE = 50_000


@lru_cache(maxsize=None)
def timestamp_reader(zone_name: str) -> TimestampReader:
    """`parse_timestamp` for one zone: the same datetime for every text, or the same exception.

    Faster on the forms case files use: a value with "Z" or an offset needs no zone; a local time
    is shifted by its hour's UTC offset, worked out once per hour (`_hour_anchor`)."""
    anchors: dict[str, datetime | None] = {}  # "YYYY-MM-DDTHH" (or a date alone) → its anchor, None: exact way

    def read(text: str) -> datetime:
        try:
            local = datetime.fromisoformat(text)
        except ValueError:
            return parse_timestamp(text, zone_name)  # the forms only `_parse_slowly` reads, or the error
        offset_zone = local.tzinfo
        if offset_zone is timezone.utc:
            return local
        if offset_zone is not None:
            return local.astimezone(timezone.utc)
        # The first 13 characters hold the whole date and the hour in every form fromisoformat reads
        # (a date part is at most 10 characters, then one separator, then a two-digit hour).
        hour = text[:13]
        try:
            anchor = anchors[hour]
        except KeyError:
            if len(anchors) >= HOUR_CACHE_SIZE:
                anchors.clear()
            anchor = anchors[hour] = _hour_anchor(local, zone(zone_name))
        if anchor is None:
            return parse_timestamp(text, zone_name)
        return _UTC_EPOCH + (local - anchor)

    return read


def _hour_anchor(local: datetime, local_zone: tzinfo) -> datetime | None:
    """`_NAIVE_EPOCH` shifted by the UTC offset of the local hour of `local`, when the offset is the
    same at the first and the last microsecond of that hour; else None.

    An hour with a clock change in it (a repeated or missing hour, or a half-hour change as on
    Lord Howe Island) thus goes the exact way, with `parse_timestamp`'s fold and gap rules; no zone
    changes its clocks twice within an hour. Offsets are read with fold=0, as `parse_timestamp`
    reads a local time. Hours at the ends of datetime's range also go the exact way, so that they
    overflow where it does."""
    if local.year in (1, 9999):
        return None
    start = local.replace(minute=0, second=0, microsecond=0, tzinfo=local_zone)
    offset = start.utcoffset()
    if offset is None or (start + _REST_OF_HOUR).utcoffset() != offset:
        return None
    return _NAIVE_EPOCH + offset


def local_date(instant: datetime, zone_name: str = DEFAULT_TIMEZONE) -> date:
    """The calendar date of `instant` in the configured zone."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(zone(zone_name)).date()
