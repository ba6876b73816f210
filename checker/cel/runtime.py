"""CEL runtime values and operations: equality, ordering, arithmetic, conversions, string and time functions.

Plain Python values stand for CEL values (see the package docstring); every function raises `CelError`
where CEL gives an error value."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import re2

from checker.cel.errors import INT64_MAX, INT64_MIN, CelError, _no_overload, type_name

_NUMBERS = frozenset({int, float})
_ORDERED = frozenset({int, float, str, bool, datetime, timedelta})
_MAP_KEYS = frozenset({str, int, bool})


def cel_equals(left: Any, right: Any) -> bool:
    """CEL `==`: numbers compare across int/double, lists and maps element-wise, other types never equal."""
    kind = type(left)
    if kind is type(right):
        if kind is list:
            return len(left) == len(right) and all(map(cel_equals, left, right))
        if kind is dict:
            return len(left) == len(right) and all(
                key in right and cel_equals(value, right[key]) for key, value in left.items())
        return left == right
    return kind in _NUMBERS and type(right) in _NUMBERS and left == right


def _not_equals(left: Any, right: Any) -> bool:
    return not cel_equals(left, right)


def _ordering(symbol: str, compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def order(left: Any, right: Any) -> bool:
        kind = type(left)
        if kind is type(right):
            if kind in _ORDERED:
                return compare(left, right)
        elif kind in _NUMBERS and type(right) in _NUMBERS:
            return compare(left, right)
        raise _no_overload(symbol, left, right)
    return order


def cel_in(item: Any, container: Any) -> bool:
    """CEL `in`: membership of a list (by CEL equality) or of a map's keys."""
    kind = type(container)
    if kind is list:
        if type(item) is str or item is None:  # these equal only their own type: Python's `in` is exact
            return item in container
        return any(cel_equals(item, element) for element in container)
    if kind is dict:
        return _map_has(container, item)
    raise _no_overload("in", item, container)


def _map_has(container: dict[Any, Any], key: Any) -> bool:
    kind = type(key)
    if kind is str:
        return key in container
    if kind is int or kind is bool:  # Python merges 1 and True; CEL does not
        return any(type(k) is kind and k == key for k in container)
    raise CelError(f"a {type_name(key)} cannot be a map key (keys are strings, ints or bools)")


def _check_int(value: int, symbol: str, left: Any, right: Any) -> int:
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise CelError(f"integer overflow in {left} {symbol} {right}")


def _add(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        return _check_int(left + right, "+", left, right)
    if kind is other and (kind is float or kind is str or kind is list):
        return left + right
    if (kind is datetime and other is timedelta) or (kind is timedelta and (other is datetime or other is timedelta)):
        return _time_arithmetic(operator.add, "+", left, right)
    raise _no_overload("+", left, right)


def _subtract(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        return _check_int(left - right, "-", left, right)
    if kind is float and other is float:
        return left - right
    if (kind is datetime and (other is datetime or other is timedelta)) or (kind is timedelta and other is timedelta):
        return _time_arithmetic(operator.sub, "-", left, right)
    raise _no_overload("-", left, right)


def _time_arithmetic(function: Callable[[Any, Any], Any], symbol: str, left: Any, right: Any) -> Any:
    try:
        return function(left, right)
    except OverflowError:
        raise CelError(f"timestamp or duration out of range in {type_name(left)} {symbol} {type_name(right)}"
                       ) from None


def _multiply(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        return _check_int(left * right, "*", left, right)
    if kind is float and other is float:
        return left * right
    raise _no_overload("*", left, right)


def _divide(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        if right == 0:
            raise CelError("division by zero")
        quotient = abs(left) // abs(right)
        return _check_int(quotient if (left < 0) == (right < 0) else -quotient, "/", left, right)
    if kind is float and other is float:
        if right == 0.0:  # IEEE 754, as CEL: ±inf, or NaN for 0/0
            if left == 0.0 or left != left:
                return math.nan
            return math.copysign(math.inf, left) * math.copysign(1.0, right)
        return left / right
    raise _no_overload("/", left, right)


def _modulo(left: Any, right: Any) -> Any:
    if type(left) is int and type(right) is int:
        if right == 0:
            raise CelError("modulo by zero")
        if left == INT64_MIN and right == -1:
            raise CelError(f"integer overflow in {left} % {right}")
        remainder = abs(left) % abs(right)
        return remainder if left >= 0 else -remainder
    raise _no_overload("%", left, right)


def _negate(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        if value == INT64_MIN:
            raise CelError(f"integer overflow in -({value})")
        return -value
    if kind is float:
        return -value
    raise CelError(f"no such overload: -{type_name(value)}")


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": cel_equals, "!=": _not_equals, "in": cel_in,
    "<": _ordering("<", operator.lt), "<=": _ordering("<=", operator.le),
    ">": _ordering(">", operator.gt), ">=": _ordering(">=", operator.ge),
    "+": _add, "-": _subtract, "*": _multiply, "/": _divide, "%": _modulo,
}
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


# --- runtime: conversions and functions ---------------------------------------------------------

_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_DOUBLE_TEXT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.I)
_TIMESTAMP_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})")
_DURATION_PART = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?(?:h|ms|m|s|us|ns)"
_DURATION_TEXT = re.compile(rf"([+-]?)((?:{_DURATION_PART})+|0)")
_DURATION_ITEM = re.compile(r"((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(h|ms|m|s|us|ns)")
_MICROSECONDS: dict[str, int | Decimal] = {"h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000, "ms": 1000, "us": 1, "ns": Decimal("0.001")}
_ONE_MICROSECOND = timedelta(microseconds=1)


def to_int(value: Any) -> int:
    """CEL int(): from int, double (truncated; out of range is an error) or decimal text."""
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        if -9.223372036854775808e18 <= value < 9.223372036854775808e18:  # false for NaN
            return int(value)
        raise CelError(f"int({value!r}): out of the 64-bit integer range")
    if kind is str:
        if _INT_TEXT.fullmatch(value):
            number = int(value)
            if INT64_MIN <= number <= INT64_MAX:
                return number
        raise CelError(f"int({value!r}): not a 64-bit integer")
    raise CelError(f"no such overload: int({type_name(value)})")


def to_double(value: Any) -> float:
    """CEL double(): from int, double or number text."""
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        return float(value)
    if kind is str:
        if _DOUBLE_TEXT.fullmatch(value):
            return float(value)
        raise CelError(f"double({value!r}): not a number")
    raise CelError(f"no such overload: double({type_name(value)})")


def to_string(value: Any) -> str:
    """CEL string(), with the binding's spelling of doubles, timestamps and durations."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is float:
        return format_double(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is datetime:
        micro = value.microsecond
        spec = "seconds" if micro == 0 else "milliseconds" if micro % 1000 == 0 else "microseconds"
        return value.isoformat(timespec=spec)
    if kind is timedelta:
        return format_duration(value)
    raise CelError(f"no such overload: string({type_name(value)})")


def format_double(value: float) -> str:
    """A double as the binding prints it: shortest round-trip digits, never an exponent, no trailing `.0`."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(value: timedelta) -> str:
    """A duration as Go prints one: `1h30m0s`, `1.5s`, `100ms`, `0s`."""
    micro = value // _ONE_MICROSECOND
    sign, micro = ("-", -micro) if micro < 0 else ("", micro)
    if micro == 0:
        return "0s"
    if micro < 1000:
        return f"{sign}{micro}µs"
    if micro < 1_000_000:
        return f"{sign}{_decimal_text(micro, 1000)}ms"
    hours, rest = divmod(micro, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = f"{_decimal_text(rest, 1_000_000)}s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    return f"{sign}{minutes}m{seconds}" if minutes else f"{sign}{seconds}"


def _decimal_text(amount: int, unit: int) -> str:
    whole, fraction = divmod(amount, unit)
    if not fraction:
        return str(whole)
    digits = str(fraction).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def to_timestamp(value: Any) -> datetime:
    kind = type(value)
    if kind is datetime:
        return value
    if kind is str:
        return parse_timestamp(value)
    raise CelError(f"no such overload: timestamp({type_name(value)})")


@lru_cache(maxsize=1024)
def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp, keeping its offset; fractions beyond microseconds are truncated."""
    match = _TIMESTAMP_TEXT.fullmatch(text)
    if not match:
        raise CelError(f"timestamp({text!r}): not an RFC 3339 timestamp such as '2022-03-01T10:15:00Z'")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        if offset in ("Z", "z"):
            zone: tzinfo = timezone.utc
        else:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        return datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=zone)  # leap second → :59
    except ValueError:
        raise CelError(f"timestamp({text!r}): out of range") from None


def to_duration(value: Any) -> timedelta:
    kind = type(value)
    if kind is timedelta:
        return value
    if kind is str:
        return parse_duration(value)
    raise CelError(f"no such overload: duration({type_name(value)})")


@lru_cache(maxsize=1024)
def parse_duration(text: str) -> timedelta:
    """A Go-style duration: `1h30m`, `1.5s`, `-90m`, `100ms`, `0`; nanoseconds are truncated."""
    match = _DURATION_TEXT.fullmatch(text)
    if not match:
        raise CelError(f"duration({text!r}): not a duration such as '1h30m' or '90s'")
    total = sum((Decimal(number) * _MICROSECONDS[unit] for number, unit in _DURATION_ITEM.findall(match.group(2))),
                Decimal(0))
    try:
        result = timedelta(microseconds=int(total))
    except OverflowError:
        raise CelError(f"duration({text!r}): out of range") from None
    return -result if match.group(1) == "-" else result


def size(value: Any) -> int:
    kind = type(value)
    if kind is list or kind is dict or kind is str:
        return len(value)
    raise CelError(f"no such overload: size({type_name(value)})")


def _identity(value: Any) -> Any:
    return value


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # an invalid pattern is a CelError, not a line on standard error
_RE2_OPTIONS.never_capture = True  # matches() needs only whether there is a match


@lru_cache(maxsize=512)
def regex(pattern: str) -> Any:
    """An RE2 pattern (google-re2: linear time in the text whatever the pattern, RE2 syntax and semantics
    as CEL specifies); CelError when invalid."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except (re2.error, TypeError, ValueError) as exc:
        problem = exc.args[0] if exc.args else exc
        if isinstance(problem, bytes):
            problem = problem.decode("utf-8", "replace")
        raise CelError(f"invalid regular expression {pattern!r}: {problem}") from None


def _matches(text: Any, pattern: Any) -> bool:
    if type(text) is str and type(pattern) is str:
        return regex(pattern).search(text) is not None
    raise CelError(f"no such overload: {type_name(text)}.matches({type_name(pattern)})")


def _string_method(name: str, test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def method(text: Any, other: Any) -> bool:
        if type(text) is str and type(other) is str:
            return test(text, other)
        raise CelError(f"no such overload: {type_name(text)}.{name}({type_name(other)})")
    return method


_STRING_METHODS = {
    "startsWith": _string_method("startsWith", str.startswith),
    "endsWith": _string_method("endsWith", str.endswith),
    "contains": _string_method("contains", operator.contains),
    "matches": _matches,
}

_TIMESTAMP_FIELDS: dict[str, Callable[[datetime], int]] = {
    "getFullYear": lambda t: t.year,
    "getMonth": lambda t: t.month - 1,
    "getDate": lambda t: t.day,
    "getDayOfMonth": lambda t: t.day - 1,
    "getDayOfWeek": lambda t: (t.weekday() + 1) % 7,  # Sunday is 0
    "getDayOfYear": lambda t: t.timetuple().tm_yday - 1,
    "getHours": lambda t: t.hour,
    "getMinutes": lambda t: t.minute,
    "getSeconds": lambda t: t.second,
    "getMilliseconds": lambda t: t.microsecond // 1000,
}
_DURATION_UNITS = {"getHours": 3_600_000_000, "getMinutes": 60_000_000, "getSeconds": 1_000_000,
                   "getMilliseconds": 1000}


@lru_cache(maxsize=64)
def time_zone(name: str) -> tzinfo:
    """An IANA zone (`Europe/London`) or a fixed offset (`+01:00`, `-05:30`)."""
    match = re.fullmatch(r"([+-])([0-9]{2}):([0-9]{2})", name)
    try:
        if match:
            sign = -1 if match.group(1) == "-" else 1
            return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise CelError(f"unknown time zone {name!r}") from None


def _getter(name: str) -> Callable[..., int]:
    """timestamp.<name>([zone]) or duration.<name>()."""
    field_of = _TIMESTAMP_FIELDS[name]
    unit = _DURATION_UNITS.get(name)

    def get(value: Any, zone: Any = None) -> int:
        if type(value) is datetime:
            if zone is None:
                return field_of(value)
            if type(zone) is str:
                return field_of(value.astimezone(time_zone(zone)))
        elif type(value) is timedelta and unit is not None and zone is None:
            micro = value // _ONE_MICROSECOND
            whole = abs(micro) // unit
            return whole if micro >= 0 else -whole
        raise CelError(f"no such overload: {type_name(value)}.{name}()")
    return get


_GLOBAL_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "size": (1, size), "int": (1, to_int), "double": (1, to_double), "string": (1, to_string),
    "timestamp": (1, to_timestamp), "duration": (1, to_duration), "dyn": (1, _identity), "matches": (2, _matches),
}
_UNSUPPORTED_FUNCTIONS = frozenset({"uint", "bytes", "type"})
_RESULT_TYPES = frozenset({type(None), bool, int, float, str, list, dict, datetime, timedelta})


def _checked_result(name: str, value: Any) -> Any:
    if type(value) in _RESULT_TYPES:
        return value
    if type(value) is tuple:
        return list(value)
    raise CelError(f"function {name}() returned a {type(value).__name__}, which is not a CEL value")


# --- compiler -----------------------------------------------------------------------------------
