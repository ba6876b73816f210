"""A record model checked in SQL: which records are certainly valid, decided by DuckDB.

The bulk path (`checker.sql.bulk`) hands DuckDB each record's text as written and asks whether the
record is certainly valid, with no field outside the model. The checks are generated from the record
type's schema (e.g. `case.schema.json`): every value has a JSON type the model allows there; enums,
lengths, bounds, patterns, and timestamps (pattern, calendar date and clock) hold; required keys are
present. Each record's fields are read by one call of each JSON function (`read_fields`: a table of
their types, keys and texts, the items of its lists unnested into tables of their own); which keys
each object may hold, and that none is written twice, is decided in Python once per distinct set of
keys (`key_verdicts`: a batch has few), and `screened` joins it all.

It is conservative by construction: where SQL cannot decide exactly as the Python validator does, the
record is *not* screened and goes to `checker.inputs.records.check_record`, which accepts or rejects it
with today's location and message. So a screened record is one that `check_record` would accept, with
no unknown field, and that DuckDB's typed reading (`json_transform`) reads faithfully. What sends a
record to Python besides a real fault: any `\\u` escape of a surrogate (unpaired ones are not text), a
comma before a closing bracket (DuckDB's reader allows it, JSON does not), an integer of more than 18
digits or written with a fraction, a timestamp outside 1900–2199 or with a fraction of other than 3 or 6
digits or an offset without its colon (forms older Pythons refuse).
"""

from __future__ import annotations

import re
from typing import Any

from checker.inputs.recordmodel import TIMESTAMP_FORMAT, schema_types

# A timestamp the checker certainly reads on every supported Python: the schema's pattern narrowed to
# valid clock fields and offsets; the calendar date is checked by a cast.
_TIMESTAMP = (r"(?:19|20|21)\d\d-\d\d-\d\d(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{3}|\.\d{6})?)?"
              r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?)?")


_JSON_TYPES = {str: "string", type(None): "null", bool: "boolean"}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(items: list[str]) -> str:
    return "[" + ", ".join(_quote(item) for item in items) + "]"


class _Reads:
    """The conditions on one JSON value (a record, or an item of one of its lists) for the model's schema.

    Every field outside lists is read by one call of each JSON function over the value's text (`json_type`,
    `json_keys`, `json_extract_string` with a list of paths: the text is parsed once per function) into
    columns of a step of the query, and the conditions read those columns, so DuckDB evaluates them a
    vector of records at a time. Lists of objects are unnested into steps of their own (`lists`)."""

    def __init__(self, value: str, schema: dict[str, Any]) -> None:
        self.value = value
        paths: list[tuple[str, dict[str, Any]]] = []
        _collect("$", schema, paths)
        self.objects = [path for path, child in paths if "object" in _types(child)]
        self.object_schemas = [child for path, child in paths if "object" in _types(child)]
        self.strings = [path for path, child in paths if _string_checked(child)]
        self.bounded = [path for path, child in paths if _types(child) & {"integer", "number"}]
        self.columns = {"types": f"json_type({value}, {_list([path for path, _ in paths])})"}
        if self.objects:
            self.columns["keys"] = f"json_keys({value}, {_list(self.objects)})"
        if self.strings:
            self.columns["texts"] = f"json_extract_string({value}, {_list(self.strings)})"
        if self.bounded:
            self.columns["numbers"] = f"json_extract_string({value}, {_list(self.bounded)})"
        self.lists: list[tuple[str, dict[str, Any]]] = []  # (path, items' schema) of each list
        self.checks: list[str] = []
        for position, (path, child) in enumerate(paths, start=1):
            self._check(f"types[{position}]", path, child)

    def _check(self, kind: str, path: str, schema: dict[str, Any]) -> None:
        allowed = _types(schema)
        names = [_JSON_TYPE_NAMES[name] for name in sorted(allowed) if name in _JSON_TYPE_NAMES]
        if allowed & {"integer", "number"}:
            names += ["'BIGINT'", "'UBIGINT'"] + (["'DOUBLE'"] if "number" in allowed else [])
            text = f"numbers[{self.bounded.index(path) + 1}]"
            number = [f"({kind} IS DISTINCT FROM 'UBIGINT' OR length({text}) <= 18)"]  # within 64 bits
            if "minimum" in schema:
                number.append(f"TRY_CAST({text} AS DOUBLE) >= {float(schema['minimum'])!r}")
            if "maximum" in schema:
                number.append(f"TRY_CAST({text} AS DOUBLE) <= {float(schema['maximum'])!r}")
            self.checks.append(f"(COALESCE({kind} NOT IN ('BIGINT', 'UBIGINT', 'DOUBLE'), TRUE) OR ({' AND '.join(number)}))")
        present = "" if path == "$" else f"{kind} IS NULL OR "
        self.checks.append(f"({present}{kind} IN ({', '.join(names) or 'NULL'}))")
        if path in self.objects:
            keys = f"keys[{self.objects.index(path) + 1}]"
            self.checks.append(f"({kind} IS DISTINCT FROM 'OBJECT' OR {self._object(path, schema, keys)})")
        if path in self.strings:
            self.checks.append(f"({kind} IS DISTINCT FROM 'VARCHAR' OR "
                               f"{_string(f'texts[{self.strings.index(path) + 1}]', schema)})")
        if "array" in allowed:
            self.lists.append((path, schema.get("items", {})))

    def _object(self, path: str, schema: dict[str, Any], keys: str) -> str:
        """Required keys present (cheap); which keys are allowed, and that none is written twice, is decided in
        Python once per distinct set of keys (`keys_allowed`); a map's values are checked here."""
        checks = [f"list_contains({keys}, {_quote(name)})" for name in schema.get("required", [])]
        values = schema.get("additionalProperties")
        if schema.get("properties") is None and isinstance(values, dict):
            # read with the other fields (a column of its own), so the checks need not the record's text
            column = f"map{len([name for name in self.columns if name.startswith('map')]) + 1}"
            self.columns[column] = (f"COALESCE(list_bool_and(list_transform(json_extract({self.value}, "
                                    f"{_quote(path + '.*')}), lambda map_value: {_map_value('map_value', values)})), TRUE)")
            checks.append(column)
        return "(" + " AND ".join(checks or ["TRUE"]) + ")"

    def keys_allowed(self, keys: list[list[str]]) -> bool:
        """Every object's keys (as `json_keys` lists them, in `objects` order): none twice, each a field of the
        model at its level (a map's: a name its pattern allows, written so that every regular-expression engine
        agrees)."""
        for names, schema in zip(keys, self.object_schemas):
            if len(set(names)) != len(names):
                return False
            properties = schema.get("properties")
            if properties is not None:
                if not properties.keys() >= set(names):
                    return False
                continue
            pattern = schema.get("propertyNames", {}).get("pattern")
            if schema.get("additionalProperties") is False and names:
                return False
            if pattern is not None and not all(re.search(pattern, name) and "\n" not in name for name in names):
                return False
        return True


def _collect(path: str, schema: dict[str, Any], paths: list[tuple[str, dict[str, Any]]]) -> None:
    """`path` and the fields under it, down to lists (whose items are checked on their own)."""
    paths.append((path, schema))
    for name, child in (schema.get("properties") or {}).items():
        _collect(f'{path}."{name}"', child, paths)


def _map_value(value: str, schema: dict[str, Any]) -> str:
    """A map's value (a JSON text): a string or null as the schema says (other kinds: not screened)."""
    allowed = _types(schema)
    kind = f"json_type({value})"
    alternatives = []
    if "null" in allowed:
        alternatives.append(f"{kind} = 'NULL'")
    if "string" in allowed:
        alternatives.append(f"({kind} = 'VARCHAR' AND {_string(f'({value} ->> {_quote(chr(36))})', schema)})")
    return "(" + " OR ".join(alternatives) + ")" if alternatives else "FALSE"


_JSON_TYPE_NAMES = {"string": "'VARCHAR'", "boolean": "'BOOLEAN'", "null": "'NULL'", "object": "'OBJECT'",
                    "array": "'ARRAY'"}


def _types(schema: dict[str, Any]) -> set[str]:
    types = schema_types(schema)
    if not types and "enum" in schema:  # an enum alone: the types of its values
        types = {_JSON_TYPES[type(item)] for item in schema["enum"] if type(item) in _JSON_TYPES}
    return types


def _string_checked(schema: dict[str, Any]) -> bool:
    return "string" in _types(schema) and any(key in schema for key in ("enum", "minLength", "maxLength", "pattern", "format"))


def _string(text: str, schema: dict[str, Any]) -> str:
    checks = ["TRUE"]
    if "enum" in schema:
        allowed = [item for item in schema["enum"] if isinstance(item, str)]
        checks.append(f"{text} IN ({', '.join(_quote(item) for item in allowed)})" if allowed else "FALSE")
    if "minLength" in schema:  # characters as people see them: never more than code points
        checks.append(f"length({text}) >= {int(schema['minLength'])}")
    if "maxLength" in schema:  # bytes: never fewer than code points
        checks.append(f"strlen({text}) <= {int(schema['maxLength'])}")
    if schema.get("format") == TIMESTAMP_FORMAT:
        checks.append(f"regexp_full_match({text}, {_quote(_TIMESTAMP)}) "
                      f"AND TRY_CAST(substr({text}, 1, 10) AS DATE) IS NOT NULL")
    elif "pattern" in schema:
        checks.append(f"regexp_matches({text}, {_quote(schema['pattern'])})")
    elif schema.get("format") is not None:
        checks.append("FALSE")  # a format SQL does not know: the Python validator decides
    return "(" + " AND ".join(checks) + ")"


class Screen:
    """The screening of a batch of records (a table `documents`: record_index, document), in three steps:
    `read_fields` (SQL: the fields each record holds), `allowed_keys` (Python: a verdict for each distinct set
    of keys, few in a batch) and `screened` (SQL: the records that pass every check)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.top = _Reads("document", schema)
        self.items = [(path, _Reads("item", schema)) for path, schema in self.top.lists]
        self._verdicts: list[dict[str | None, bool]] = [{} for _ in range(len(self.items) + 1)]

    def read_fields(self, documents: str = "documents") -> list[str]:
        """Statements creating the tables `top_fields` and `list{n}_fields` (one row per list item)."""
        # Text that is not JSON (or that only DuckDB's lenient reader takes) is not read at all: the JSON
        # functions would stop the query on it.
        guards = ("json_valid(document) AND NOT contains(document, '\\ud') AND NOT contains(document, '\\uD') "
                  "AND NOT regexp_matches(document, ',[ \\t\\n\\r]*[\\]}]')")
        # The record's text is not copied: `top_fields` holds what the checks read, and whether it is JSON.
        columns = ", ".join(f"CASE WHEN readable THEN {value} END AS {name}" for name, value in self.top.columns.items())
        statements = [f"CREATE OR REPLACE TEMP TABLE top_fields AS SELECT record_index, readable, {columns} FROM "
                      f"(SELECT record_index, document, {guards} AS readable FROM {documents})"]
        for number, (path, reads) in enumerate(self.items, start=1):
            item_columns = ", ".join(f"{value} AS {name}" for name, value in reads.columns.items())
            statements.append(
                f"CREATE OR REPLACE TEMP TABLE list{number}_fields AS SELECT record_index, {item_columns} FROM "
                f"(SELECT record_index, unnest(json_extract(document, {_quote(path + '[*]')})) AS item FROM {documents} "
                "WHERE record_index IN (SELECT record_index FROM top_fields WHERE readable))")
        return statements

    def id_text(self, id_field: str, documents: str = "documents") -> str:
        """SQL over `top_fields` giving a record's id: read already where the screen checks it as a string."""
        path = f'$."{id_field}"'
        if path in self.top.strings:
            return f"texts[{self.top.strings.index(path) + 1}]"
        return (f"(SELECT json_extract_string(d.document, {_quote(path)}) FROM {documents} d "
                "WHERE d.record_index = top_fields.record_index)")

    def tables(self) -> list[str]:
        return ["top_fields"] + [f"list{number}_fields" for number in range(1, len(self.items) + 1)]

    def distinct_keys(self, table: str) -> str:
        """SELECT each distinct set of keys of `table`: its text (the join key) and its lists."""
        return f"SELECT DISTINCT keys::VARCHAR AS key_text, keys FROM {table}"

    def key_verdicts(self, table: str, distinct_keys: list[tuple[str, Any]]) -> list[tuple[str, bool]]:
        """(key_text, allowed) for each row of `distinct_keys` (cached across batches)."""
        position = self.tables().index(table)
        reads = self.top if position == 0 else self.items[position - 1][1]
        cache = self._verdicts[position]
        verdicts = []
        for text, keys in distinct_keys:
            if text not in cache:
                cache[text] = keys is not None and reads.keys_allowed([names or [] for names in keys])
            verdicts.append((text, cache[text]))
        return verdicts

    def screened(self) -> str:
        """SELECT record_index, screened, over the tables made by `read_fields` and the verdict tables
        `top_fields_keys`, `list{n}_fields_keys` (keys, allowed)."""
        def condition(reads: _Reads, table: str) -> str:
            return f"COALESCE({' AND '.join(reads.checks)}, FALSE) AND COALESCE({table}_keys.allowed, FALSE)"

        def keys_join(table: str) -> str:
            return f"LEFT JOIN {table}_keys ON {table}_keys.key_text = {table}.keys::VARCHAR"
        steps, joins, conditions = [], [keys_join("top_fields")], [condition(self.top, "top_fields")]
        for number, (_, reads) in enumerate(self.items, start=1):
            table = f"list{number}_fields"
            if reads.lists:  # lists within list items: not in the model; left to the Python validator
                reads.checks.append("FALSE")
            steps.append(f"list{number}_ok AS (SELECT record_index, bool_and({condition(reads, table)}) AS ok "
                         f"FROM {table} {keys_join(table)} GROUP BY record_index)")
            joins.append(f"LEFT JOIN list{number}_ok USING (record_index)")
            conditions.append(f"COALESCE(list{number}_ok.ok, TRUE)")
        return (("WITH " + ",\n".join(steps) + "\n" if steps else "") +
                f"SELECT record_index, {' AND '.join(conditions)} AS screened FROM top_fields {' '.join(joins)}")
