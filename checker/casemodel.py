"""The case-file model (version 1): its JSON Schema and what follows from it.

The schema in `schemas/case.schema.json` is the contract with users. From it
this module derives:

- `validator()`: a draft 2020-12 validator with the `case-timestamp` format,
  which words errors for people; `fast_validator()` answers only "valid?" and
  is used first, because most records are valid and it is ~100x faster;
- `normalise()`: the record as rules see it. Every field of the model is
  present (absent becomes null, an absent list becomes empty), so rules can test
  `!= null` without guarding against missing keys; timestamps become UTC
  datetimes (CEL timestamps). Fields not in the model are kept out and listed;
- `field_exists()` and `known_paths()`: which `case.…` paths exist, for
  `check validate` and its did-you-mean suggestions.
"""

from __future__ import annotations

import json
from datetime import datetime
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from checker.timestamps import TimestampError, parse_timestamp

CASE_MODEL_VERSION = 1
TIMESTAMP_FORMAT = "case-timestamp"

Schema = dict[str, Any]


@lru_cache(maxsize=1)
def case_schema() -> Schema:
    text = resources.files("checker").joinpath("schemas/case.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks(TIMESTAMP_FORMAT, raises=TimestampError)
    def is_timestamp(value: object) -> bool:
        if isinstance(value, str):
            parse_timestamp(value)  # the zone does not matter for whether it parses
        return True

    return checker


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    return Draft202012Validator(case_schema(), format_checker=_format_checker())


@lru_cache(maxsize=1)
def fast_validator() -> Any:
    """A compiled (Rust) validator for the happy path. It does not check the `case-timestamp`
    format: the schema's pattern does most of that, and `normalise` parses every timestamp, so
    a date such as 2022-13-01 is still caught (and then worded by `validator()`)."""
    return jsonschema_rs.validator_for(case_schema(), validate_formats=False)


def schema_types(schema: Schema) -> set[str]:
    """The JSON types a field's schema allows, e.g. {"string", "null"}."""
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def normalise(record: dict[str, Any], zone_name: str, unknown: set[str] | None = None) -> dict[str, Any]:
    """The record as rules read it (see the module docstring). `record` must be valid.

    Paths of fields not in the model are added to `unknown` (e.g. `victim.recored_at`).
    """
    return _record_normaliser()(record, zone_name, unknown)


# The schema is walked once into a tree of small functions, one per object in the model, so a
# record is normalised without re-reading the schema (this runs for every record of the input).
Normaliser = Callable[[Any, str, "set[str] | None"], Any]


@lru_cache(maxsize=1)
def _record_normaliser() -> Normaliser:
    return _build_object(case_schema(), "")


def _build_object(schema: Schema, prefix: str) -> Normaliser:
    if "properties" not in schema:
        return lambda value, zone_name, unknown: dict(value)  # free-form maps such as audit.judgements
    fields = [(name, _build_value(sub, f"{prefix}{name}")) for name, sub in schema["properties"].items()]
    names = frozenset(schema["properties"])

    def normalise_object(value: dict[str, Any], zone_name: str, unknown: set[str] | None) -> dict[str, Any]:
        get = value.get
        result = {name: convert(get(name), zone_name, unknown) for name, convert in fields}
        if unknown is not None and not names.issuperset(value):
            unknown.update(f"{prefix}{name}" for name in value if name not in names)
        return result

    return normalise_object


def _build_value(schema: Schema, path: str) -> Normaliser:
    types = schema_types(schema)
    if "array" in types:
        empty: Any = "list"
    elif "object" in types and "null" not in types:
        empty = "object"
    else:
        empty = None
    if schema.get("format") == TIMESTAMP_FORMAT:
        def timestamp(value: Any, zone_name: str, unknown: set[str] | None) -> Any:
            return None if value is None else parse_timestamp(value, zone_name)
        return timestamp
    nested = _build_object(schema, path + ".") if "object" in types else None
    items = _build_value(schema.get("items", {}), path + "[]") if "array" in types else None

    def convert(value: Any, zone_name: str, unknown: set[str] | None) -> Any:
        if value is None:
            if empty == "list":
                return []
            if empty == "object":
                return nested({}, zone_name, unknown) if nested else {}
            return None
        if nested is not None and isinstance(value, dict):
            return nested(value, zone_name, unknown)
        if items is not None and isinstance(value, list):
            return [items(element, zone_name, unknown) for element in value]
        return value

    return convert


def schema_at(path: str) -> Schema | None:
    """The schema of the field at a dotted path (`victim.referral.made_at`), or None."""
    schema: Schema = case_schema()
    for part in path.split("."):
        properties = schema.get("properties")
        if properties is None or part not in properties:
            return None
        schema = properties[part]
    return schema


def known_paths() -> list[str]:
    """Every dotted path of the model, including list items' fields as `list[].field`."""
    paths: list[str] = []

    def walk(schema: Schema, prefix: str) -> None:
        for name, sub in schema.get("properties", {}).items():
            path = f"{prefix}{name}"
            paths.append(path)
            walk(sub, path + ".")
            if "items" in sub:
                walk(sub["items"], path + "[].")

    walk(case_schema(), "")
    return paths


def is_list_field(schema: Schema) -> bool:
    return "array" in schema_types(schema)


def value_at(record: dict[str, Any] | None, path: str) -> Any:
    """The value at a dotted path in a (raw or normalised) record; None when any step is missing."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def display_value(value: Any) -> Any:
    """A JSON-friendly form of a value read from a normalised record or a CEL result."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return [display_value(item) for item in value]
    if isinstance(value, dict):
        return {key: display_value(item) for key, item in value.items()}
    return value
