"""Field mappings: reading a force's CSV or spreadsheet export as case-file records.

Forces export case data from their crime systems with their own column names,
date formats and codes. A mapping (YAML, `schemas/mapping.schema.json`) says how
to read one force's export:

    input: {format: csv}                 # or {format: xlsx, sheet: Cases}; csv: delimiter, encoding
    case_id: Occurrence ID               # the column that holds the case id
    timezone: Europe/London              # zone of local times (default for every timestamp field)
    date_format: ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
    fields:
      crime.reported_at: Date Reported                        # path → column
      force: {value: Synthetic Constabulary}                  # a constant
      victim.kind: {column: Victim Type, values: {Person: person, Business: business}}
      investigation.supervisor_reviews:                       # a list from numbered columns
        items: {at: "Review {n} Date", rank: "Review {n} Rank"}
      victim.updates:                                         # a list from a second file, one row per item
        join: {file: updates.csv, key_column: Crime Ref, case_column: Crime Ref}
        items: {at: Contact Date, method: Contact Method}

`load_mapping` checks the file as `check validate` checks rule packs: the shape
against the schema (unknown keys are errors), then every target path against the
case model (with did-you-mean), declared types, value maps and constants against
what the model allows at that path, date formats and time zones. Every problem is
a `SourceError` located by file, line and column; all of them are collected.

`read_mapped` streams the export and yields one `RawRecord` per row, built as the
case model writes it; a cell that cannot be read (not a date in the format, a
label missing from the value map) becomes a problem of that record, naming the
column, the row, the value found and what was expected, and `check_record`
rejects the record with it. Nothing is dropped: read = evaluated + rejected.

Reading conventions, chosen so that an export reads like the equivalent JSON:
- an empty cell is null ("not recorded"); for a key of a free-form map such as
  `audit.judgements.<rule id>` it leaves the key out;
- an object that may be null (`victim.referral`, `outcome`, …) is null when none
  of the cells under it has a value (constants under it do not count);
- a list item exists when at least one of its cells has a value; a list with no
  items is empty;
- rows whose every cell is empty are not records (spreadsheets end with them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from jsonschema import Draft202012Validator

from checker.inputs.recordmodel import RecordModel, is_list_field, record_model
from checker.inputs.recordtypes import DEFAULT_RECORD_TYPE, RECORD_TYPES
from checker.inputs.recordmodel import TIMESTAMP_FORMAT, schema_types, value_at
from checker.inputs.records import RawRecord
from checker.errors import EmptyInputError, FIELD_MAPPING, FileErrors, InputError
from checker.inputs.exports.cells import (
    BOOLEAN, INTEGER, KIND_WORDS, NUMBER, STRING, TIMESTAMP, CellError, cell_text, date_format_problem,
    read_boolean, read_integer, read_number, read_timestamp, shown,
)
from checker.schemaerrors import (
    describe, error_location, error_path, sorted_errors, suggestion, without_misspelling_echoes,
)
from checker.inputs.exports.tables import CSV, TableSource, check_text_encoding, header_names, is_empty, read_rows
from checker.inputs.timestamps import zone
from checker.yamlfiles import load_checked_yaml
from checker.yamlsource import Locations, PathKey
from checker.errors import Location, SourceError

Schema = dict[str, Any]
NUMBER_PLACEHOLDER = "{n}"
_CONSTRAINTS = ("enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                "minLength", "maxLength", "pattern")


# --------------------------------------------------------------------------- the mapping

@dataclass(frozen=True)
class FieldSpec:
    """Where one case-model value comes from: a column (or a constant) and how to read the cell."""

    path: str  # case path; for a list item, the item's field (e.g. "at")
    column: str | None  # None for a constant
    constant: Any
    kind: str  # string | integer | number | boolean | timestamp
    date_formats: tuple[str, ...]  # empty: ISO 8601
    timezone: str | None  # None: local times stay local (the run's --timezone reads them)
    values: dict[str, Any] | None  # cell text as written in the mapping → value
    lookup: dict[str, Any] | None  # the same, keyed by the text without case and surrounding spaces
    map_entry: bool  # a key of a free-form map (audit.judgements.<id>): an empty cell leaves it out
    nullable: bool  # the case model allows null here
    location: Location
    check: Draft202012Validator | None = field(default=None, compare=False, repr=False)

    def numbered(self, number: int) -> FieldSpec:
        """This field for the `number`-th group of numbered columns ('Review {n} Date' → 'Review 2 Date')."""
        if self.column is None:
            return self
        return replace(self, column=self.column.replace(NUMBER_PLACEHOLDER, str(number)))


@dataclass(frozen=True)
class JoinSpec:
    """A second file with one row per list item, matched to cases by a key column."""

    file: str  # as written: relative to the case file's folder
    source: TableSource
    key_column: str  # in the second file
    case_column: str  # in the case file
    location: Location


@dataclass(frozen=True)
class ListSpec:
    """A list field: from numbered columns (`items` with '{n}'), explicit `groups`, or a `join`."""

    path: str
    items: tuple[FieldSpec, ...]  # numbered columns, or the columns of each joined row
    groups: tuple[tuple[FieldSpec, ...], ...]  # explicit groups of columns, one per item
    join: JoinSpec | None
    location: Location


@dataclass(frozen=True)
class FieldMapping:
    """A checked mapping: how to read one force's export (give it to `read_mapped`)."""

    file: str
    input: TableSource
    case_id: FieldSpec  # the column of the record's id, read as its type's id field (`case_id`, `search_id`…)
    fields: tuple[FieldSpec, ...]
    lists: tuple[ListSpec, ...]
    record_type: str = DEFAULT_RECORD_TYPE  # the records the export holds (checker.inputs.recordtypes)

    def summary(self) -> str:
        """One line for `check mapping validate`."""
        joined = sorted({spec.join.file for spec in self.lists if spec.join})
        files = f"; joins {', '.join(joined)}" if joined else ""
        return (f"{self.file}: OK: {self.input.format} input of {record_model(self.record_type).kind.plural}, "
                f"{self.case_id.path} from column {self.case_id.column!r}, "
                f"{len(self.fields)} field(s) and {len(self.lists)} list(s) mapped{files}.")


@lru_cache(maxsize=1)
def mapping_schema() -> Schema:
    text = resources.files("checker").joinpath("schemas/mapping.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _validator(definition: str | None = None) -> Draft202012Validator:
    schema = mapping_schema()
    if definition is not None:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(schema)


# --------------------------------------------------------------------------- loading

def load_mapping(path: Path | str) -> FieldMapping:
    """Load and check a mapping file; raise FileErrors listing every located problem."""
    name = str(path)
    loaded = load_checked_yaml(path, FIELD_MAPPING,
                               "a mapping file is a YAML mapping with 'input', 'case_id' and 'fields'")
    data, locations = loaded.data, loaded.locations  # the schema is applied below: field specs are checked one by one
    errors = [_locate(error, locations, ()) for error in _kept([
        error for error in _validator().iter_errors(data)
        if not (len(error.absolute_path) >= 2 and error.absolute_path[0] == "fields")])]
    kind = RECORD_TYPES.get(data.get("record_type", DEFAULT_RECORD_TYPE))  # an unknown one: a schema error above
    id_key = kind.id_field if kind is not None else None
    if kind is not None and not errors and id_key not in data:
        errors.append(SourceError(Location(name, 1, 1), f"a mapping of {kind.plural} names the column of the "
                                                        f"record id: add '{id_key}: COLUMN'"))
    wrong_ids = [key for key in ("case_id", "search_id", "call_id") if key in data and key != id_key]
    errors += [SourceError(locations.key_at((key,)), f"{key!r} is the id of another record type; a mapping of "
                                                     f"{kind.plural} names its id column with '{id_key}'")
               for key in wrong_ids if kind is not None]
    usable = (kind is not None and isinstance(data.get("input"), dict) and isinstance(data.get(id_key), str)
              and isinstance(data.get("fields"), dict))
    if not usable:
        raise FileErrors(FIELD_MAPPING, errors)
    loader = _Loader(data, locations, record_model(kind.name))  # goes on after errors of shape, to report everything at once
    mapping = loader.build()
    errors += loader.errors
    if errors:
        raise FileErrors(FIELD_MAPPING, sorted(errors, key=lambda e: (e.location.line, e.location.column)))
    return mapping


def _kept(errors: list[Any]) -> list[Any]:
    """Sorted, without echoes of a misspelled key (a missing 'column' next to an unknown 'colum')."""
    errors = without_misspelling_echoes(sorted_errors(errors))
    misspelled = {tuple(e.absolute_path) for e in errors if e.validator == "additionalProperties"}
    return [e for e in errors if not (e.validator == "oneOf" and tuple(e.absolute_path) in misspelled)]


def _locate(error: Any, locations: Locations, prefix: PathKey) -> SourceError:
    path = prefix + error_path(error)
    return SourceError(error_location(error, locations, prefix), f"{_where(path)}{_wording(error)}")


def _where(path: PathKey) -> str:
    """`('fields', 'victim.updates', 'items', 'at')` → "field 'victim.updates' items.at: "."""
    if len(path) >= 2 and path[0] == "fields":
        rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[2:]).lstrip(".")
        return f"field {path[1]!r}" + (f" {rest}" if rest else "") + ": "
    return ".".join(str(p) for p in path) + ": " if path else ""


def _wording(error: Any) -> str:
    """Schema errors about a mapping's shape, in its author's words."""
    instance = error.instance
    if error.validator == "oneOf" and isinstance(instance, dict):
        if "items" in instance or "groups" in instance or "join" in instance:
            if "items" in instance and "groups" in instance:
                return "give 'items' or 'groups', not both"
            return "a list field needs 'items' (numbered columns, or a 'join') or 'groups' (one per item)"
        if "column" in instance and "value" in instance:
            return "give a 'column' or a constant 'value', not both"
        return "give the 'column' to read (or a constant 'value')"
    if error.validator == "dependentRequired":
        return "a 'join' reads the 'items' of each row of the second file: give 'items'"
    return describe(error)


class _Loader:
    """Builds a FieldMapping, collecting every error; a field whose own shape is wrong is reported and
    skipped, so that one misspelled key does not hide the problems of the other fields."""

    def __init__(self, data: dict[str, Any], locations: Locations, model: RecordModel) -> None:
        self.data, self.locations, self.model = data, locations, model
        self.errors: list[SourceError] = []
        zone_name, forms = data.get("timezone"), data.get("date_format")
        self.timezone = self._zone(zone_name, ("timezone",)) if isinstance(zone_name, str) else None
        self.date_formats = self._formats(forms, ("date_format",)) if _is_formats(forms) else ()

    def error(self, path: PathKey, message: str, key: bool = False) -> None:
        where = self.locations.key_at(path) if key else self.locations.at(path)
        self.errors.append(SourceError(where, f"{_where(path)}{message}"))

    def build(self) -> FieldMapping:
        source = self._source(self.data["input"], ("input",), default_format=CSV)
        id_key = self.model.kind.id_field
        case_id = self._field(id_key, {"column": self.data[id_key]}, self.model.schema_at(id_key) or {},
                              (id_key,), map_entry=False)
        fields: list[FieldSpec] = []
        lists: list[ListSpec] = []
        for target, spec in self.data["fields"].items():
            where = ("fields", target)
            try:
                schema, map_entry = _target(target, self.model)
            except ValueError as exc:
                self.error(where, str(exc), key=True)
                continue
            is_list = is_list_field(schema)
            shape = [_locate(error, self.locations, where)
                     for error in _kept(list(_validator("list" if is_list else "field").iter_errors(spec)))]
            if shape:
                self.errors += shape
                continue
            if is_list:
                lists.append(self._list(target, spec, schema, where, source, case_id))
            else:
                fields.append(self._field(target, spec, schema, where, map_entry))
        self._check_required(set(self.data["fields"]))  # those with errors were reported as such
        return FieldMapping(file=self.locations.file, input=source, case_id=case_id,
                            fields=tuple(fields), lists=tuple(lists), record_type=self.model.kind.name)

    def _source(self, spec: dict[str, Any], where: PathKey, default_format: str) -> TableSource:
        encoding = spec.get("encoding", TableSource.encoding)
        try:
            check_text_encoding(encoding)
        except LookupError:
            self.error(where + ("encoding",), f"unknown text encoding {encoding!r}: e.g. utf-8-sig, cp1252")
        except ValueError as exc:
            self.error(where + ("encoding",), f"{encoding!r} cannot read a CSV file ({exc}): give a text "
                       "encoding, e.g. utf-8-sig, cp1252")
        except TypeError:
            pass  # not text: reported with the shape
        return TableSource(format=spec.get("format", default_format), sheet=spec.get("sheet"),
                           delimiter=spec.get("delimiter", TableSource.delimiter), encoding=encoding)

    def _zone(self, name: str | None, where: PathKey) -> str | None:
        if name is None:
            return None
        try:
            zone(name)
        except ValueError as exc:
            self.error(where, f"{exc}{suggestion(name, available_timezones())}")
            return None
        return name

    def _formats(self, value: str | list[str], where: PathKey) -> tuple[str, ...]:
        forms = [value] if isinstance(value, str) else value
        for index, form in enumerate(forms):
            problem = date_format_problem(form)
            if problem:
                self.error(where if isinstance(value, str) else where + (index,), problem)
        return tuple(forms)

    def _field(self, target: str, spec: str | dict[str, Any], schema: Schema, where: PathKey,
               map_entry: bool) -> FieldSpec:
        """One field: its column or constant, how to read it, and checks against the case model."""
        spec = {"column": spec} if isinstance(spec, str) else spec
        model_kind = _schema_kind(schema)
        kind = spec.get("type", model_kind)
        if "value" in spec:
            options = [key for key in ("type", "date_format", "timezone", "values") if key in spec]
            if options:
                self.error(where + (options[0],), f"a constant 'value' is written as the case model wants it: "
                                                  f"it takes no {', '.join(repr(o) for o in options)}", key=True)
        if kind != model_kind and not (kind == INTEGER and model_kind == NUMBER):
            self.error(where + ("type",), f"type {kind!r} does not agree with the case model: {target!r} is "
                                          f"{KIND_WORDS[model_kind]} (type {model_kind!r})")
            kind = model_kind
        for option in ("date_format", "timezone"):
            if option in spec and model_kind != TIMESTAMP:
                self.error(where + (option,), f"{option} is for timestamps; {target!r} is {KIND_WORDS[model_kind]}",
                           key=True)
        checker = Draft202012Validator(schema, format_checker=self.model.validator().format_checker)
        values = spec.get("values")
        if values is not None:
            self._check_values(values, checker, model_kind, where + ("values",))
        if "value" in spec:
            self._check_value(spec["value"], checker, model_kind, where + ("value",))
        formats = self._formats(spec["date_format"], where + ("date_format",)) if "date_format" in spec \
            else self.date_formats
        # Cells are checked against the model's constraints (an enum, a pattern, a range) where a value
        # map does not already guarantee them; ISO 8601 timestamp text is checked as the model writes it.
        constrained = any(key in schema for key in _CONSTRAINTS) if model_kind != TIMESTAMP else not formats
        return FieldSpec(
            path=target, column=spec.get("column"), constant=spec.get("value"), kind=kind,
            date_formats=formats,
            timezone=self._zone(spec["timezone"], where + ("timezone",)) if "timezone" in spec else self.timezone,
            values=values, map_entry=map_entry, nullable="null" in schema_types(schema) or map_entry,
            lookup=None if values is None else {key.strip().casefold(): v for key, v in values.items()},
            location=self.locations.at(where + ("column",) if "column" in spec else where),
            check=checker if constrained and values is None else None,
        )

    def _check_values(self, values: dict[str, Any], checker: Draft202012Validator, kind: str,
                      where: PathKey) -> None:
        seen: dict[str, str] = {}
        for text, value in values.items():
            folded = text.strip().casefold()
            if folded in seen:
                self.error(where + (text,), f"{text!r} and {seen[folded]!r} are the same label "
                                            "(labels are matched ignoring case and spaces)", key=True)
            seen.setdefault(folded, text)
            self._check_value(value, checker, kind, where + (text,))

    def _check_value(self, value: Any, checker: Draft202012Validator, kind: str, where: PathKey) -> None:
        """A value the mapping writes into a record (from a value map, or a constant) must be valid there."""
        errors = sorted_errors(checker.iter_errors(value))
        if errors:
            hint = ""
            if isinstance(value, bool) and kind == STRING:
                hint = " (YAML reads yes, no, on and off as true or false: quote it, e.g. 'yes')"
            elif errors[0].validator == "enum" and isinstance(value, str):
                hint = suggestion(value, [choice for choice in errors[0].validator_value if isinstance(choice, str)])
            self.error(where, f"{describe(errors[0])}{hint}")

    def _list(self, target: str, spec: dict[str, Any], schema: Schema, where: PathKey, source: TableSource,
              case_id: FieldSpec) -> ListSpec:
        item_schema = schema.get("items", {})
        join = self._join(spec["join"], where + ("join",), source, case_id) if "join" in spec else None
        items: tuple[FieldSpec, ...] = ()
        groups: list[tuple[FieldSpec, ...]] = []
        if "items" in spec:
            items = self._item_fields(target, spec["items"], item_schema, where + ("items",))
            if join is None:
                self._check_numbered(items, where + ("items",))
        for index, group in enumerate(spec.get("groups", [])):
            groups.append(self._item_fields(target, group, item_schema, where + ("groups", index)))
        return ListSpec(path=target, items=items, groups=tuple(groups), join=join,
                        location=self.locations.key_at(where))

    def _item_fields(self, target: str, specs: dict[str, Any], item_schema: Schema,
                     where: PathKey) -> tuple[FieldSpec, ...]:
        properties: dict[str, Schema] = item_schema.get("properties", {})
        built: list[FieldSpec] = []
        for name, spec in specs.items():
            if name not in properties:
                self.error(where + (name,), f"{target!r} items have no field {name!r}{suggestion(name, properties)}; "
                                            f"they have: {', '.join(properties)}", key=True)
                continue
            built.append(self._field(name, spec, properties[name], where + (name,), map_entry=False))
        for name in item_schema.get("required", []):
            if name not in specs:
                self.error(where, f"the case model requires {name!r} in every item of {target!r}: map it", key=True)
        if built and all(spec.column is None for spec in built):
            self.error(where, "an item needs at least one column (constants alone would make the same item "
                              "for every case)", key=True)
        return tuple(built)

    def _check_numbered(self, items: tuple[FieldSpec, ...], where: PathKey) -> None:
        for spec in items:
            if spec.column is not None and NUMBER_PLACEHOLDER not in spec.column:
                self.error(where + (spec.path,), f"column {spec.column!r} has no '{NUMBER_PLACEHOLDER}': items from "
                                                 "numbered columns say where the number goes, e.g. 'Review {n} Date' "
                                                 "(or read the items from a second file with 'join', or list "
                                                 "them with 'groups')")

    def _join(self, spec: dict[str, Any], where: PathKey, source: TableSource, case_id: FieldSpec) -> JoinSpec:
        return JoinSpec(file=spec["file"], source=self._source(spec, where, default_format=source.format),
                        key_column=spec["key_column"], case_column=spec.get("case_column", case_id.column),
                        location=self.locations.at(where + ("file",)))

    def _check_required(self, mapped: set[str]) -> None:
        """Fields the model requires, in every object a mapped field reaches, must be mapped."""
        kind = self.model.kind
        for path in _required_paths(self.model.schema, "", mapped):
            if path not in mapped and path != kind.id_field:
                self.error(("fields",), f"the {kind.model} requires {path!r}: map it to a column", key=True)


def _is_formats(value: Any) -> bool:
    return isinstance(value, str) or isinstance(value, list) and all(isinstance(v, str) for v in value)


def _schema_kind(schema: Schema) -> str:
    """How a cell is read for a field of the case model: its type, or timestamp."""
    if schema.get("format") == TIMESTAMP_FORMAT:
        return TIMESTAMP
    types = schema_types(schema) - {"null"}
    if not types and "enum" in schema:  # free-form map values such as audit.judgements
        types = {"string"} if all(isinstance(v, str) for v in schema["enum"] if v is not None) else set()
    for kind in (STRING, INTEGER, NUMBER, BOOLEAN):
        if kind in types:
            return kind
    return STRING


def _target(path: str, model: RecordModel) -> tuple[Schema, bool]:
    """The schema a mapping path writes to in `model`, and whether it is a key of a free-form map;
    ValueError saying why a path cannot be mapped."""
    kind = model.kind
    if path == kind.id_field:
        raise ValueError(f"the record id comes from the top-level '{path}' key, not from 'fields'")
    if path == "record_type":
        raise ValueError("the record type comes from the top-level 'record_type' key, not from 'fields'")
    schema: Schema = model.schema
    parts = path.split(".")
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth])
        properties = schema.get("properties")
        if properties is None:
            if is_list_field(schema):
                raise ValueError(f"{here!r} is a list: map it as a whole, with 'items' (or 'groups')")
            if depth == len(parts) - 1 and "additionalProperties" in schema:
                return _map_entry(here, part, schema)
            raise ValueError(f"{path!r} is not a field of the {kind.model}")
        if part not in properties:
            choices = [p for p in model.paths if "[]" not in p]
            raise ValueError(f"{path!r} is not a field of the {kind.model}{suggestion(path, choices)}")
        schema = properties[part]
    if "properties" in schema:
        children = ", ".join(f"'{path}.{name}'" for name in list(schema["properties"])[:3])
        raise ValueError(f"{path!r} is an object: map its fields ({children}, …)")
    return schema, False


def _map_entry(parent: str, key: str, schema: Schema) -> tuple[Schema, bool]:
    pattern = schema.get("propertyNames", {}).get("pattern")
    if pattern and not re.search(pattern, key):
        raise ValueError(f"{key!r} cannot be a key of {parent!r}: expected a rule id in lower-case kebab "
                         "case such as 'vc-engagement-good'")
    return schema["additionalProperties"], True


def _required_paths(schema: Schema, prefix: str, mapped: set[str]) -> Iterator[str]:
    required = schema.get("required", [])
    for name, sub in schema.get("properties", {}).items():
        path = prefix + name
        reached = name in required or any(m.startswith(path + ".") for m in mapped)
        if "properties" in sub and reached:
            yield from _required_paths(sub, path + ".", mapped)
        elif name in required:
            yield path


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class UnmatchedRow:
    """A row of a joined file whose key matches no case of the case file."""

    file: str
    line: int
    key: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "key": self.key}


@dataclass(frozen=True)
class _Bound:
    """A field bound to a position of a header (None for a constant)."""

    spec: FieldSpec
    index: int | None


@dataclass
class _JoinedTable:
    spec: ListSpec
    join: JoinSpec
    file: str
    items: tuple[_Bound, ...]
    rows: dict[str, list[tuple[int, Sequence[Any]]]]  # key → (row number, cells) in file order
    keyless: list[int]  # rows without a key
    case_column: int  # position of the matching column in the case file
    matched: set[str] = field(default_factory=set)

    def unmatched(self) -> list[UnmatchedRow]:
        rows = [UnmatchedRow(self.file, line, key) for key, found_rows in self.rows.items()
                if key not in self.matched for line, _ in found_rows]
        rows += [UnmatchedRow(self.file, line, None) for line in self.keyless]
        return sorted(rows, key=lambda row: row.line)


class _Header:
    """Column positions of a header row; resolving names reports every missing column at once."""

    def __init__(self, file: str, cells: Sequence[Any], line: int) -> None:
        self.file, self.line = file, line
        self.names = header_names(cells)
        self.positions: dict[str, list[int]] = {}
        for index, name in enumerate(self.names):
            if name:
                self.positions.setdefault(name, []).append(index)
        self.missing: list[tuple[str, Location | None]] = []

    def has(self, column: str) -> bool:
        return column in self.positions

    def index(self, column: str, location: Location | None) -> int:
        found_at = self.positions.get(column)
        if not found_at:
            if all(column != name for name, _ in self.missing):
                self.missing.append((column, location))
            return -1
        if len(found_at) > 1:
            where = " and ".join(str(i + 1) for i in found_at)
            raise InputError(self.file, f"column {column!r} appears {len(found_at)} times in the header (columns "
                                        f"{where}): the mapping cannot tell which to read", self.line)
        return found_at[0]

    def bind(self, spec: FieldSpec) -> _Bound:
        return _Bound(spec, None if spec.column is None else self.index(spec.column, spec.location))

    def raise_missing(self, shown_at_most: int = 10) -> None:
        if not self.missing:
            return
        parts = [f"{name!r}{suggestion(name, self.names)}" + (f" (mapped at {where})" if where else "")
                 for name, where in self.missing[:shown_at_most]]
        more = len(self.missing) - shown_at_most
        message = f"missing column(s) that the mapping reads: {'; '.join(parts)}"
        if more > 0:
            found_names = ", ".join(repr(name) for name in self.names[:shown_at_most] if name)
            message += (f"; and {more} more. Is this the export the mapping describes, with the column names "
                        f"in its first row? The first row has: {found_names or 'nothing'}")
        raise InputError(self.file, message, self.line)


def read_mapped(path: Path | str, mapping: FieldMapping) -> MappedRecords:
    """The records of a CSV or xlsx export read through `mapping`, one RawRecord per row, streamed.

    Give each to `checker.inputs.records.check_record`. When every record has been read, `unmatched` holds
    the rows of joined files that belong to no case, and `warnings()` says so in words.
    Raises InputError (when iteration starts) for an unreadable file or missing columns.
    """
    return MappedRecords(Path(path), mapping)


class MappedRecords(Iterator[RawRecord]):
    """An iterator of RawRecords that also reports, once exhausted, joined rows matching no case."""

    def __init__(self, path: Path, mapping: FieldMapping) -> None:
        self.path, self.mapping = path, mapping
        self.unmatched: list[UnmatchedRow] = []
        self.finished = False
        self._records = self._read()

    def __iter__(self) -> MappedRecords:
        return self

    def __next__(self) -> RawRecord:
        return next(self._records)

    def warnings(self) -> list[str]:
        """One line per joined file with rows that match no case (call after reading every record)."""
        if not self.finished:
            raise RuntimeError("read every record before asking for the warnings of a mapped read")
        by_file: dict[str, list[UnmatchedRow]] = {}
        for row in self.unmatched:
            by_file.setdefault(row.file, []).append(row)
        return [_unmatched_warning(file, rows, self.path) for file, rows in by_file.items()]

    def _read(self) -> Iterator[RawRecord]:
        rows = read_rows(self.path, self.mapping.input)
        first = next(rows, None)
        if first is None:
            raise EmptyInputError(str(self.path))  # a 0-byte export holds no case files, as an empty array
        header = _Header(str(self.path), first[1], first[0])
        builder = _RecordBuilder(self.mapping, header)
        joined = [(spec, header.index(spec.join.case_column, spec.join.location))
                  for spec in self.mapping.lists if spec.join is not None]
        header.raise_missing()
        joins = [self._load_join(spec, case_column) for spec, case_column in joined]
        builder.joins = joins
        index = 0
        for line, cells in rows:
            if all(is_empty(cell) for cell in cells):
                continue
            yield builder.build(index, line, cells)
            index += 1
        self.unmatched = [row for table in joins for row in table.unmatched()]
        self.finished = True

    def _load_join(self, spec: ListSpec, case_column: int) -> _JoinedTable:
        """The whole second file, keyed by its key column (it need not be sorted)."""
        join = spec.join
        assert join is not None
        path = self.path.parent / join.file
        rows = read_rows(path, join.source)
        first = next(rows, None)
        if first is None:
            raise InputError(str(path), "the file is empty: expected a header row with the column names", 1)
        header = _Header(str(path), first[1], first[0])
        key_index = header.index(join.key_column, join.location)
        items = tuple(header.bind(item) for item in spec.items)
        header.raise_missing()
        keyed: dict[str, list[tuple[int, Sequence[Any]]]] = {}
        keyless: list[int] = []
        for line, cells in rows:
            if all(is_empty(cell) for cell in cells):
                continue
            key = cell_text(cells[key_index]) if key_index < len(cells) else None
            if key is None:
                keyless.append(line)
            else:
                keyed.setdefault(key, []).append((line, cells))
        return _JoinedTable(spec, join, join.file, items, keyed, keyless, case_column)


def _unmatched_warning(file: str, rows: list[UnmatchedRow], case_file: Path) -> str:
    shown_rows = ", ".join(f"row {row.line} ({row.key!r})" if row.key is not None else f"row {row.line} (no key)"
                           for row in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return (f"{file}: {len(rows)} row(s) match no case in {case_file.name} and were not read: "
            f"{shown_rows}{more}")


class _RecordBuilder:
    """Turns one row (and its joined rows) into a case-model record and its problems."""

    def __init__(self, mapping: FieldMapping, header: _Header) -> None:
        self.width = len(header.names)
        self.schema = record_model(mapping.record_type).schema
        self.scalars = tuple(header.bind(spec) for spec in (mapping.case_id, *mapping.fields))
        self.numbered: list[tuple[ListSpec, list[tuple[_Bound, ...]]]] = []
        for spec in mapping.lists:
            if spec.groups:
                self.numbered.append((spec, [tuple(header.bind(f) for f in group) for group in spec.groups]))
            elif spec.join is None:
                self.numbered.append((spec, _numbered_groups(spec, header)))
        self.joins: list[_JoinedTable] = []

    def build(self, index: int, line: int, cells: Sequence[Any]) -> RawRecord:
        record = _Record(line, self.schema)
        if len(cells) > self.width and not all(is_empty(cell) for cell in cells[self.width:]):
            record.problems.append(("", f"row {line} has {len(cells)} cells but the header has {self.width} "
                                        "columns: is a delimiter inside a value that is not quoted?"))
        for bound in self.scalars:
            record.scalar(bound, cells)
        for spec, groups in self.numbered:
            record.items(spec.path, [(line, cells, group, "") for group in groups])
        for table in self.joins:
            key = cell_text(cells[table.case_column]) if table.case_column < len(cells) else None
            joined = table.rows.get(key, []) if key is not None else []
            if joined:
                table.matched.add(key)  # type: ignore[arg-type]
            record.items(table.spec.path, [(row, row_cells, table.items, f"{table.file} ")
                                           for row, row_cells in joined])
        return record.finish(index)


def _numbered_groups(spec: ListSpec, header: _Header) -> list[tuple[_Bound, ...]]:
    """'Review {n} Date' → the groups for n = 1, 2, … while the header has any of their columns."""
    groups: list[tuple[_Bound, ...]] = []
    for number in range(1, len(header.names) + 2):
        group = [item.numbered(number) for item in spec.items]
        if number > 1 and not any(f.column is not None and header.has(f.column) for f in group):
            break
        groups.append(tuple(header.bind(f) for f in group))
    return groups


class _Record:
    """The record being built from one row: nested data, problems, and which paths got a value."""

    def __init__(self, line: int, schema: Schema) -> None:
        self.line = line
        self.schema = schema  # the record type's model
        self.data: dict[str, Any] = {}
        self.problems: list[tuple[str, str]] = []
        self.filled: set[str] = set()  # paths (and their ancestors) that have a value from a cell
        self.empty_required: list[tuple[str, str]] = []  # (path, message) checked once objects are settled

    def scalar(self, bound: _Bound, cells: Sequence[Any]) -> None:
        spec = bound.spec
        value, ok = self.read(bound, cells, self.line, spec.path, "")
        if not ok:
            return
        if value is None and spec.map_entry:
            _put(self.data, spec.path.rsplit(".", 1)[0], {}, keep=True)
            return
        _put(self.data, spec.path, value)

    def items(self, path: str, sources: list[tuple[int, Sequence[Any], tuple[_Bound, ...], str]]) -> None:
        """The items of a list: one per group of cells that has any value."""
        built: list[dict[str, Any]] = []
        for line, cells, group, file in sources:
            if all(bound.index is None or _cell(cells, bound.index) is None for bound in group):
                continue
            item: dict[str, Any] = {}
            where = f"{path}[{len(built)}]"
            for bound in group:
                value, ok = self.read(bound, cells, line, f"{where}.{bound.spec.path}", file)
                if ok:
                    item[bound.spec.path] = value
            built.append(item)
        _put(self.data, path, built)
        if built:
            self._mark(path)

    def read(self, bound: _Bound, cells: Sequence[Any], line: int, path: str, file: str) -> tuple[Any, bool]:
        """The value of one field from its cell (or constant); (None, False) after recording a problem."""
        spec = bound.spec
        if bound.index is None:
            return spec.constant, True
        cell = _cell(cells, bound.index)
        where = f"{file}column {spec.column!r} row {line}"
        if cell is None:
            if not spec.nullable:
                self.empty_required.append((path, f"{where}: empty, but the case model requires a value here"))
            return None, True
        try:
            value = _convert(spec, cell)
        except CellError as exc:
            self.problems.append((path, f"{where}: {exc}"))
            return None, False
        self._mark(path)
        return value, True

    def _mark(self, path: str) -> None:
        if "[" not in path:  # inside a list item there is no object to settle
            self.filled.update(_ancestors(path))

    def finish(self, index: int) -> RawRecord:
        _settle(self.data, self.schema, "", self.filled)
        for path, message in self.empty_required:
            if "[" in path or _parent_present(self.data, path):
                self.problems.append((path, message))
        return RawRecord(index=index, line=self.line, data=self.data, problems=tuple(self.problems))


@lru_cache(maxsize=None)
def _ancestors(path: str) -> tuple[str, ...]:
    """'victim.referral.made_at' → ('victim', 'victim.referral', 'victim.referral.made_at')."""
    parts = path.split(".")
    return tuple(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))


def _cell(cells: Sequence[Any], index: int) -> Any:
    """The cell at `index` (a short row has empty cells at the end), or None when empty."""
    if index >= len(cells) or is_empty(cells[index]):
        return None
    return cells[index]


def _convert(spec: FieldSpec, cell: Any) -> Any:
    text = cell_text(cell)
    assert text is not None
    if spec.values is not None and spec.lookup is not None:
        if text.casefold() not in spec.lookup:
            labels = ", ".join(repr(key) for key in spec.values)
            raise CellError(f"{shown(text)} is not one of the values the mapping knows for this column: {labels}")
        return spec.lookup[text.casefold()]
    if spec.kind == TIMESTAMP:
        if not isinstance(cell, (date, datetime)):
            _check(spec, text)  # ISO 8601 text (no date_format) must be written as the case model writes it
        return read_timestamp(cell, text, spec.date_formats, spec.timezone)
    value = _READERS[spec.kind](cell, text)
    _check(spec, value)
    return value


_READERS: dict[str, Callable[[Any, str], Any]] = {
    STRING: lambda cell, text: text, BOOLEAN: read_boolean, INTEGER: read_integer, NUMBER: read_number,
}


def _check(spec: FieldSpec, value: Any) -> None:
    """CellError when the value breaks a constraint of the case model (an enum, a pattern, a range)."""
    if spec.check is not None:
        errors = sorted_errors(spec.check.iter_errors(value))
        if errors:
            raise CellError(describe(errors[0]))


def _put(data: dict[str, Any], path: str, value: Any, keep: bool = False) -> None:
    """Set a dotted path, creating the objects on the way; `keep` leaves an existing value alone."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if keep:
        node.setdefault(parts[-1], value)
    else:
        node[parts[-1]] = value


def _settle(node: dict[str, Any], schema: Schema, prefix: str, filled: set[str]) -> None:
    """Null every object the case model allows to be null when no cell under it had a value."""
    for name, sub in schema.get("properties", {}).items():
        value = node.get(name)
        if not isinstance(value, dict):
            continue
        path = prefix + name
        if "properties" in sub:
            _settle(value, sub, path + ".", filled)
        if "null" in schema_types(sub) and path not in filled:
            node[name] = None


def _parent_present(data: dict[str, Any], path: str) -> bool:
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    return not parent or isinstance(value_at(data, parent), dict)
