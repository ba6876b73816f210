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

from checker.timestamps import TimestampError, TimestampReader, parse_timestamp, timestamp_reader

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
    return _record_normaliser()(record, timestamp_reader(zone_name), unknown)


# The schema is walked once into a tree of small functions, one per object and one per composite
# field (an object or a list) of the model, so a record is normalised without re-reading the schema
# (this runs for every record of the input). Within an object, scalars are copied as they are and
# timestamps are read in place, with no call per field.
Normaliser = Callable[[Any, TimestampReader, "set[str] | None"], Any]


@lru_cache(maxsize=1)
def _record_normaliser() -> Normaliser:
    return _build_object(case_schema(), "")


def _build_object(schema: Schema, prefix: str) -> Normaliser:
    """Normalises one object of the model; `prefix` is its path (e.g. "victim.") for unknown fields."""
    properties: dict[str, Schema] | None = schema.get("properties")
    if properties is None:
        return lambda value, read, unknown: dict(value)  # free-form maps such as audit.judgements
    order = tuple(properties)  # normalised objects keep the model's order
    names = frozenset(order)
    # The fields that are not copied as written, in the model's order (so the first bad value found is
    # the same whatever the shortcuts): a timestamp (None: read it) or an object or list (its normaliser).
    conversions = tuple((name, None if _is_timestamp(sub) else _build_composite(sub, f"{prefix}{name}"))
                        for name, sub in properties.items() if _is_timestamp(sub) or _is_composite(sub))

    def normalise_object(value: dict[str, Any], read: TimestampReader, unknown: set[str] | None) -> dict[str, Any]:
        if tuple(value) == order:  # every field, in the model's order, as most exports write them
            result = value.copy()
        else:
            get = value.get
            result = {name: get(name) for name in order}
            if unknown is not None and not names.issuperset(value):
                unknown.update(f"{prefix}{name}" for name in value if name not in names)
        for name, convert in conversions:
            field_value = result[name]
            if convert is not None:
                result[name] = convert(field_value, read, unknown)
            elif field_value is not None:
                result[name] = read(field_value)
        return result

    return normalise_object


def _is_timestamp(schema: Schema) -> bool:
    return schema.get("format") == TIMESTAMP_FORMAT


def _is_composite(schema: Schema) -> bool:
    """An object or a list (and not a timestamp): a field whose value is normalised in turn."""
    return not _is_timestamp(schema) and bool(schema_types(schema) & {"object", "array"})


def _build_value(schema: Schema, path: str) -> Normaliser:
    """Normalises any one value: a list's items."""
    if _is_timestamp(schema):
        return lambda value, read, unknown: None if value is None else read(value)
    if _is_composite(schema):
        return _build_composite(schema, path)
    return lambda value, read, unknown: value


def _build_composite(schema: Schema, path: str) -> Normaliser:
    """Normalises an object or a list field. Null or absent becomes what the model says: [] for a list,
    an object of nulls for an object that cannot be null, else null."""
    types = schema_types(schema)
    nested = _build_object(schema, path + ".") if "object" in types else None
    items = _build_value(schema.get("items", {}), path + "[]") if "array" in types else None
    empty: Any = "list" if items is not None else "object" if nested is not None and "null" not in types else None

    def convert(value: Any, read: TimestampReader, unknown: set[str] | None) -> Any:
        if value is None:
            if empty == "list":
                return []
            if empty == "object":
                return nested({}, read, unknown)
            return None
        if nested is not None and isinstance(value, dict):
            return nested(value, read, unknown)
        if items is not None and isinstance(value, list):
            return [items(element, read, unknown) for element in value]
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
