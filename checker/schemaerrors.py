"""Human wording for JSON Schema errors, shared by case files and rule files.

jsonschema's own messages are written for programmers ("'x' is not of type
'integer', 'null'"); auditors and rule authors get the field's path, the value
found and what was expected, as cfn-guard does.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from checker.yamlsource import Locations

from checker.errors import Location

_TYPE_WORDS = {
    "object": "an object", "array": "a list", "string": "a string", "integer": "a whole number",
    "number": "a number", "boolean": "true or false", "null": "null",
}


def dotted(path: Iterable[str | int]) -> str:
    """`('victim', 'updates', 2, 'at')` → `victim.updates[2].at`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def found(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + '..."'


def suggestion(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def error_path(error: ValidationError) -> tuple[str | int, ...]:
    """Where the problem is; for a missing key, the path of the key itself."""
    path = tuple(error.absolute_path)
    if error.validator == "required" and "'" in error.message:
        path += (error.message.split("'")[1],)
    return path


def unknown_keys(error: ValidationError) -> list[str]:
    """The keys an `additionalProperties: false` error is about."""
    allowed = error.schema.get("properties", {})
    return [key for key in error.instance if key not in allowed]


def describe(error: ValidationError) -> str:
    """One sentence: what was found and what was expected."""
    if error.context:
        # Of the alternatives (anyOf/oneOf), describe one whose type fits the value: "the text is too
        # long" says more than "expected an object" about a string that is too long.
        fitting = [item for item in error.context if item.validator != "type"]
        error = best_match(fitting or error.context)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required key '{missing}'"
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        parts = [f"unknown key '{key}'{suggestion(key, allowed)}" for key in unknown_keys(error)]
        return "; ".join(parts) + f"; allowed keys: {', '.join(allowed)}"
    if kind == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        words = " or ".join(_TYPE_WORDS.get(item, item) for item in expected)
        return f"found {found(error.instance)}, expected {words}"
    if kind == "enum":
        choices = ", ".join("null" if c is None else str(c) for c in error.validator_value)
        return f"found {found(error.instance)}, expected one of: {choices}"
    if kind == "const":
        return f"found {found(error.instance)}, expected {found(error.validator_value)}"
    if kind == "format" and error.cause is not None:
        return str(error.cause)
    if kind == "pattern":
        if schema.get("format") == "case-timestamp":
            return (f"found {found(error.instance)}, expected an ISO 8601 timestamp such as "
                    "'2022-03-01T10:15:00Z', '2022-03-01T10:15:00' (local time) or '2022-03-01'")
        hint = schema.get("description", "")
        return f"found {found(error.instance)}, expected text matching {error.validator_value}" + (
            f" ({hint})" if hint else "")
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"found {found(error.instance)}, expected {kind} {error.validator_value}"
    if kind in ("minLength", "minItems", "minProperties"):
        return f"found {found(error.instance)}, expected it not to be empty"
    if kind == "maxLength":
        return f"text is {len(error.instance)} characters long; the limit is {error.validator_value}"
    return error.message


def sorted_errors(errors: Iterable[ValidationError]) -> list[ValidationError]:
    """One error per path, in document order; a format error wins over a pattern error on the same value."""
    ordered = sorted(errors, key=lambda e: ([str(p) for p in error_path(e)], e.validator != "format"))
    kept: dict[tuple[str | int, ...], ValidationError] = {}
    for error in ordered:
        kept.setdefault(error_path(error), error)
    return list(kept.values())


def without_misspelling_echoes(errors: list[ValidationError]) -> list[ValidationError]:
    """Drop "missing key 'severity'" where the same object has the misspelled 'severty' (already reported)."""
    suggested: set[tuple[str | int, ...]] = set()
    for error in errors:
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = list(error.schema.get("properties", {}))
            for key in unknown_keys(error):
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                if close:
                    suggested.add(tuple(error.absolute_path) + (close[0],))
    return [error for error in errors if not (error.validator == "required" and error_path(error) in suggested)]


def error_location(error: ValidationError, locations: Locations, prefix: tuple[str | int, ...] = ()) -> Location:
    """Where in a YAML file to point for a schema error: the unknown key itself, the object missing a
    key, or the bad value. `prefix` is the path of the validated value inside the document."""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = unknown_keys(error)
        if extra:
            return locations.key_at(prefix + tuple(error.absolute_path) + (extra[0],))
    if error.validator == "required":
        return locations.key_at(prefix + tuple(error.absolute_path))
    return locations.at(prefix + error_path(error))
