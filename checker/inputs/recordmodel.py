"""A record type's model: its JSON Schema and what follows from it.

Each record type (`checker.inputs.recordtypes`) has a schema in `checker/schemas/`, the
contract with users. `record_model(name)` gives the type's `RecordModel`, which derives:

- `validator()`: a draft 2020-12 validator with the `case-timestamp` format,
  which words errors for people; `fast_validator()` answers only "valid?" and
  is used first, because most records are valid and it is ~100x faster;
- `normalise()`: the record as rules see it. Every field of the model is
  present (absent becomes null, an absent list becomes empty), so rules can test
  `!= null` without guarding against missing keys; timestamps become UTC
  datetimes (CEL timestamps). Fields not in the model are kept out and listed;
- `schema_at()` and `known_paths()`: which paths exist, for `check validate` and
  its did-you-mean suggestions.
"""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator, FormatChecker

from checker.inputs.recordtypes import DEFAULT_RECORD_TYPE, RecordType, record_type
from checker.inputs.timestamps import DEFAULT_TIMEZONE, TimestampError, parse_timestamp

MODEL_VERSION = 1
TIMESTAMP_FORMAT = "case-timestamp"

Schema = dict[str, Any]


def read_schema(kind: RecordType) -> Schema:
    """A record type's schema. Read with orjson, as JSON Lines records are: orjson hands out one string
    object per short key it has seen, so the field names of a decoded record are mostly the very
    objects the normaliser compares them with, and each comparison is a pointer comparison."""
    text = resources.files("checker").joinpath(f"schemas/{kind.schema_file}").read_text(encoding="utf-8")
    return orjson.loads(text)


def _format_checker(zone_name: str) -> FormatChecker:
    checker = FormatChecker()

    @checker.checks(TIMESTAMP_FORMAT, raises=TimestampError)
    def is_timestamp(value: object) -> bool:
        if isinstance(value, str):
            # The zone matters only at the ends of the calendar: 0001-01-01T00:00 local time east
            # of UTC has no instant, and is refused as the normaliser refuses it.
            parse_timestamp(value, zone_name)
        return True

    return checker


class RecordModel:
    """One record type's schema and what is derived from it (built once per type: `record_model`)."""

    def __init__(self, kind: RecordType, schema: Schema) -> None:
        self.kind = kind
        self.schema = schema
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, zone_name: str = DEFAULT_TIMEZONE) -> Draft202012Validator:
        if zone_name not in self._validators:
            self._validators[zone_name] = Draft202012Validator(self.schema, format_checker=_format_checker(zone_name))
        return self._validators[zone_name]

    @cached_property
    def fast_validator(self) -> Any:
        """A compiled (Rust) validator for the happy path. It does not check the `case-timestamp`
        format: the schema's pattern does most of that, and `normalise` parses every timestamp, so
        a date such as 2022-13-01 is still caught (and then worded by `validator()`)."""
        return jsonschema_rs.validator_for(self.schema, validate_formats=False)

    @cached_property
    def _normaliser(self) -> "Normaliser":
        return _build_object(self.schema, "")

    def normalise(self, record: dict[str, Any], zone_name: str, unknown: set[str] | None = None) -> dict[str, Any]:
        """The record as rules read it (see the module docstring). `record` must be valid.

        Paths of fields not in the model are added to `unknown` (e.g. `victim.recored_at`).
        """
        return self._normaliser(record, zone_name, unknown)

    def schema_at(self, path: str) -> Schema | None:
        """The schema of the field at a dotted path (`victim.referral.made_at`), or None."""
        schema: Schema = self.schema
        for part in path.split("."):
            properties = schema.get("properties")
            if properties is None or part not in properties:
                return None
            schema = properties[part]
        return schema

    @cached_property
    def paths(self) -> tuple[str, ...]:
        """Every dotted path of the model, including list items' fields as `list[].field`."""
        paths: list[str] = []

        def walk(schema: Schema, prefix: str) -> None:
            for name, sub in schema.get("properties", {}).items():
                path = f"{prefix}{name}"
                paths.append(path)
                walk(sub, path + ".")
                if "items" in sub:
                    walk(sub["items"], path + "[].")

        walk(self.schema, "")
        return tuple(paths)


@lru_cache(maxsize=None)
def record_model(name: str = DEFAULT_RECORD_TYPE) -> RecordModel:
    """The model of the record type called `name` (UnknownRecordType for a name not in the registry)."""
    kind = record_type(name)
    return RecordModel(kind, read_schema(kind))


def schema_types(schema: Schema) -> set[str]:
    """The JSON types a field's schema allows, e.g. {"string", "null"}."""
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


# The schema is walked once into a tree of small functions, one per object and list of the model, so
# a record is normalised without re-reading the schema (this runs for every record of the input).
# Within an object, scalars are copied as they are and timestamps read in place, with no call per field.
Normaliser = Callable[[Any, str, "set[str] | None"], Any]


def _build_value(schema: Schema, path: str) -> Normaliser:
    """Normalises a value of any kind (a list's items); `path` names it for unknown fields."""
    types = schema_types(schema)
    if _is_timestamp(schema):
        return lambda value, zone_name, unknown: None if value is None else parse_timestamp(value, zone_name)
    if "object" in types and "array" in types:
        raise ValueError(f"{path}: the case model has no field that is both an object and a list")
    if "object" in types:
        return _build_object(schema, path + ".")
    if "array" in types:
        return _build_list(schema, path + "[]")
    return lambda value, zone_name, unknown: value


def _is_timestamp(schema: Schema) -> bool:
    return schema.get("format") == TIMESTAMP_FORMAT


def _build_object(schema: Schema, prefix: str) -> Normaliser:
    """Normalises an object of the model; `prefix` is its path (e.g. "victim.") for unknown fields.

    Null or absent is null when the model allows it, else an object whose fields are all absent."""
    properties: dict[str, Schema] | None = schema.get("properties")
    nullable = "null" in schema_types(schema)
    if properties is None:  # free-form maps such as audit.judgements: copied as they are
        def copy_map(value: Any, zone_name: str, unknown: set[str] | None) -> Any:
            if value is None:
                return None if nullable else {}
            return dict(value) if isinstance(value, dict) else value

        return copy_map
    order = tuple(properties)  # normalised objects keep the model's order
    names = frozenset(order)
    # The fields not copied as written, in the model's order (so that the first bad value met is the same
    # whatever the shortcuts): a timestamp (None: read in place), or an object or a list (its normaliser).
    conversions = tuple((name, None if _is_timestamp(sub) else _build_value(sub, f"{prefix}{name}"))
                        for name, sub in properties.items()
                        if _is_timestamp(sub) or schema_types(sub) & {"object", "array"})

    def normalise_object(value: Any, zone_name: str, unknown: set[str] | None) -> Any:
        if value is None:
            if nullable:
                return None
            value = {}
        elif not isinstance(value, dict):
            return value  # only in a record the schema rejects
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
                result[name] = convert(field_value, zone_name, unknown)
            elif field_value is not None:
                result[name] = parse_timestamp(field_value, zone_name)
        return result

    return normalise_object


def _build_list(schema: Schema, item_path: str) -> Normaliser:
    """Normalises a list: null or absent becomes the empty list, and each item is normalised."""
    item = _build_value(schema.get("items", {}), item_path)

    def normalise_list(value: Any, zone_name: str, unknown: set[str] | None) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            return value  # only in a record the schema rejects
        return [item(element, zone_name, unknown) for element in value]

    return normalise_list


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
