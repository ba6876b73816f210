"""Reading one cell of an export as a case-model value: text, number, yes/no or timestamp.

A force's export writes dates its own way ("31/01/2022 08:05", local time), yes/no
as "Y"/"N", numbers as text or as spreadsheet numbers. Each function here takes
the cell as the csv module or openpyxl gives it (text, or a number, bool or
datetime from a spreadsheet) and returns the value the case model expects, or
raises `CellError` saying what was found and what was expected; the caller adds
the column and row.

Timestamps follow the case model's convention (see `checker.inputs.timestamps`): a
format without a time gives a date alone ("2022-01-31"); a local time read with
a zone becomes an exact timestamp with that zone's offset at that moment (summer
time included; in the repeated autumn hour the first reading is taken); a local
time read without a zone stays local, for the run's `--timezone` to read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from checker.inputs.timestamps import TimestampError, is_date_only, parse_timestamp, zone

STRING, INTEGER, NUMBER, BOOLEAN, TIMESTAMP = "string", "integer", "number", "boolean", "timestamp"
KINDS = (STRING, INTEGER, NUMBER, BOOLEAN, TIMESTAMP)
KIND_WORDS = {
    STRING: "text", INTEGER: "a whole number", NUMBER: "a number", BOOLEAN: "true or false (yes or no)",
    TIMESTAMP: "a timestamp",
}

# Yes/no as exports write it, for boolean fields without a `values` map (matched ignoring case).
BOOLEAN_WORDS: dict[str, bool] = {
    "y": True, "yes": True, "true": True, "1": True,
    "n": False, "no": False, "false": False, "0": False,
}

# strptime directives a date format may use. %Z is left out: strptime only knows the names UTC,
# GMT and the machine's own zone, and it throws the zone away; a numeric offset is %z.
_DIRECTIVES = set("aAbBdHIjmMpSfyYzGuVUWwcxX%")
_TIME_DIRECTIVES = set("HIMScX")
_SAMPLE_INSTANT = datetime(2022, 3, 31, 13, 45, 30, tzinfo=timezone(timedelta(hours=1)))


class CellError(ValueError):
    """A cell that cannot be read as the value its field needs; str() says what was found and expected."""


def shown(text: str) -> str:
    """A cell's text quoted for a message, shortened when long."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def cell_text(cell: Any) -> str | None:
    """The text of a cell without surrounding spaces; None when empty. Spreadsheet numbers that are
    whole are written without a decimal point (a code typed as 49 is "49", not "49.0")."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    text = str(cell).strip()
    return text or None


def read_integer(cell: Any, text: str) -> int:
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    try:
        number = float(text)
    except ValueError:
        raise CellError(f"{shown(text)} is not a whole number") from None
    if not number.is_integer():
        raise CellError(f"{shown(text)} is not a whole number")
    return int(number)


def read_number(cell: Any, text: str) -> float | int:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell
    try:
        return float(text)
    except ValueError:
        raise CellError(f"{shown(text)} is not a number") from None


def read_boolean(cell: Any, text: str) -> bool:
    if isinstance(cell, bool):
        return cell
    try:
        return BOOLEAN_WORDS[text.casefold()]
    except KeyError:
        raise CellError(f"{shown(text)} is not yes or no: expected Y, N, Yes, No, True, False, 1 or 0 "
                        "(or give the field a 'values' map)") from None


def read_timestamp(cell: Any, text: str, formats: tuple[str, ...], zone_name: str | None) -> str:
    """A case-model timestamp from a cell: a spreadsheet date, text in one of `formats`, or ISO 8601."""
    if isinstance(cell, datetime):
        return case_timestamp(_whole_second(cell), date_only=False, zone_name=zone_name)
    if isinstance(cell, date):
        return cell.isoformat()
    if not formats:
        return _iso_timestamp(text, zone_name)
    for form in formats:
        try:
            moment = datetime.strptime(text, form)
        except ValueError:
            continue
        return case_timestamp(moment, date_only=not has_time(form), zone_name=zone_name)
    raise CellError(f"{shown(text)} is not a date in the format {' or '.join(formats)}")


def case_timestamp(moment: datetime, date_only: bool, zone_name: str | None) -> str:
    """Write a parsed moment the way the case model reads it (see the module docstring)."""
    if date_only:
        return moment.date().isoformat()
    if moment.tzinfo is not None or zone_name is None:
        text = moment.isoformat()
        try:
            parse_timestamp(text)  # only to refuse here, with the column, what the case model cannot read
        except TimestampError as exc:
            raise CellError(str(exc)) from None
        return text
    # The case model's reading of a local time (parse_timestamp) decides summer time and the
    # repeated autumn hour; the result is written with the zone's offset at that instant.
    try:
        return _in_zone(parse_timestamp(moment.isoformat(), zone_name), zone_name)
    except TimestampError as exc:  # the first hours of year 1 east of UTC, or the last of 9999 west of it
        raise CellError(str(exc)) from None


def _iso_timestamp(text: str, zone_name: str | None) -> str:
    try:
        instant = parse_timestamp(text, zone_name or "UTC")
    except TimestampError as exc:
        raise CellError(str(exc)) from None
    if zone_name is None or is_date_only(text):
        return text
    return _in_zone(instant, zone_name)


def _in_zone(instant: datetime, zone_name: str) -> str:
    """`instant` written with the zone's offset; a CellError at the calendar's ends, where it has none."""
    try:
        return instant.astimezone(zone(zone_name)).isoformat()
    except OverflowError:
        raise CellError(f"{instant.isoformat()} is beyond the calendar's end (9999-12-31) in {zone_name}") from None


def _whole_second(moment: datetime) -> datetime:
    """Spreadsheets store times as fractions of a day; 08:04:59.9999 is 08:05."""
    rounded = moment.replace(microsecond=0)
    if moment.microsecond < 500_000 or rounded == datetime.max.replace(microsecond=0, tzinfo=rounded.tzinfo):
        return rounded  # (the calendar's last second has no next one)
    return rounded + timedelta(seconds=1)


def has_time(form: str) -> bool:
    """Whether a strptime format reads a time of day (else it gives a date alone)."""
    return bool(set(_directives(form)) & _TIME_DIRECTIVES)


def _directives(form: str) -> list[str]:
    return re.findall(r"%(.?)", form)


def date_format_problem(form: str) -> str | None:
    """Why `form` cannot read dates (unknown directive, no year, month or day), or None if it can."""
    unknown = sorted({d for d in _directives(form) if d not in _DIRECTIVES})
    if unknown:
        extra = "; use %z for an offset such as +0100" if "Z" in unknown else ""
        return (f"date format {form!r} uses unknown directive(s) {', '.join('%' + d for d in unknown)}{extra}; "
                "see Python's strptime codes, e.g. '%d/%m/%Y %H:%M'")
    used = set(_directives(form))
    if not used & set("cx") and not (used & set("yYG") and (used & set("mbB") and "d" in used or "j" in used)):
        return f"date format {form!r} does not read a whole date: it needs a day (%d), a month (%m) and a year (%Y)"
    if "I" in used and "p" not in used:
        return f"date format {form!r} reads a 12-hour clock (%I) without AM/PM (%p): use %H for a 24-hour clock"
    try:
        datetime.strptime(_SAMPLE_INSTANT.strftime(form), form)
    except ValueError as exc:
        return f"date format {form!r} cannot read the dates it would write ({exc})"
    return None
