"""CEL rule expressions compiled to SQL (sqlglot expressions), with CEL's three outcomes kept.

A CEL expression on a record gives a value or an error; SQL gives a value or NULL. So each
CEL node compiles to a `Compiled`: the SQL of its value and, apart, the SQL condition under
which it is an error (None when it can never be one). CEL's null is SQL's NULL in the value;
an error is never confused with a null:

- selecting a field of null is an error (`case.outcome.code` when there is no outcome);
- `==`/`!=` compare with null as CEL does (`IS NOT DISTINCT FROM`);
- ordering, arithmetic, `!`, a condition, `size()`, `double()` of null are errors;
- `&&`/`||` are commutative over errors as in CEL (`false && <error>` is false);
- comprehensions evaluate elements in order and stop at the first decisive element or
  error, as the per-record engine does (see checker.cel, "Deliberate differences").

Records reach SQL as they are written: timestamps are text, read here in the run's zone (see
`timestamp_of`), and working days are ordinals from the checker's own calendar held in a
table joined to the query (`checker.sql.calendar`). What cannot be compiled exactly raises
`Unsupported`; its rule is then evaluated by the per-record engine.

The expressions are written in DuckDB's dialect (the default) and transpiled by sqlglot.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from checker.cel import syntax
from checker.cel.runtime import parse_timestamp
from checker.inputs.recordmodel import TIMESTAMP_FORMAT, RecordModel, record_model, schema_types

RECORDS = "r"  # the alias of the records table in the compiled query
CALENDAR = "cal"  # the alias of the one-row working-day table (first_day, ordinals)
DIALECT = "duckdb"


class Unsupported(Exception):
    """CEL that this compiler cannot translate exactly (the rule runs on the per-record engine)."""


# --- types --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CelType:
    kind: str  # bool int double string timestamp list struct map null dyn
    schema: Any = None  # struct: its JSON schema (hashable-free: compared by identity)
    item: "CelType | None" = None  # list: the element type
    nullable: bool = True  # whether the value may be null (a schema field that allows null)

    def __hash__(self) -> int:
        return hash((self.kind, id(self.schema), self.item))


BOOL, INT, DOUBLE, STRING, TIMESTAMP, NULL = (CelType(kind, nullable=False) for kind in
                                              ("bool", "int", "double", "string", "timestamp", "null"))
JSON = CelType("json")  # a value shown as evidence, already JSON (an element of a list of mixed types)
NUMBERS = ("int", "double")


def type_of_schema(schema: dict[str, Any]) -> CelType:
    """The CEL type a field of the case model has, from its JSON schema."""
    kinds = schema_types(schema)
    nullable = "null" in kinds or not kinds
    kinds.discard("null")
    if kinds == {"object"}:
        if isinstance(schema.get("additionalProperties"), dict):
            return CelType("map", schema, nullable=nullable)
        return CelType("struct", schema, nullable=nullable)
    if kinds == {"array"}:
        return CelType("list", item=type_of_schema(schema["items"]), nullable=False)  # absent list is empty
    if kinds == {"string"}:
        return CelType("timestamp" if schema.get("format") == TIMESTAMP_FORMAT else "string", nullable=nullable)
    if kinds == {"integer"}:
        return CelType("int", nullable=nullable)
    if kinds == {"number"}:
        return CelType("double", nullable=nullable)
    if kinds == {"boolean"}:
        return CelType("bool", nullable=nullable)
    raise Unsupported(f"a field of JSON types {sorted(kinds)}")


def _nullable(kind: CelType, nullable: bool) -> CelType:
    return CelType(kind.kind, kind.schema, kind.item, nullable)


# --- SQL building -------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _template(text: str, dialect: str) -> exp.Expression:
    return sqlglot.parse_one(text, read=dialect)


def fragment(dialect: str, text: str, **parts: exp.Expression) -> exp.Expression:
    """A fragment of SQL in `dialect` with `:name` placeholders replaced by expressions (sqlglot copies the cached
    template; a part is put in as it is when it is in no tree yet, else as a copy: see `owned`)."""
    return exp.replace_placeholders(_template(text, dialect), **{k: _atom(v) for k, v in parts.items()})


def sql(text: str, **parts: exp.Expression) -> exp.Expression:
    """A DuckDB fragment with `:name` placeholders replaced by expressions."""
    return fragment(DIALECT, text, **parts)


_ATOMS = (exp.Column, exp.Identifier, exp.Literal, exp.Paren, exp.Func, exp.Boolean, exp.Null, exp.Dot,
          exp.Bracket, exp.Case, exp.Array)


def owned(node: exp.Expression) -> exp.Expression:
    """`node` itself when it is in no tree, else a copy: a node put in a tree with this is in that tree alone.

    Copying every part of every fragment made building the shipped packs' query copy its subtrees thousands of
    times (seconds of start-up); a part built for one place (most are) is now used as it is."""
    return node if node.parent is None and node is not TRUE and node is not FALSE else node.copy()


def _atom(part: exp.Expression) -> exp.Expression:
    """`part` (`owned`) in a form that keeps its meaning wherever it is put (bracketed unless it is one term)."""
    part = owned(part)
    return part if isinstance(part, _ATOMS) else exp.Paren(this=part)


TRUE, FALSE = exp.true(), exp.false()


def any_of(conditions: list[exp.Expression | None]) -> exp.Expression | None:
    """OR of the conditions that exist (None: never)."""
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    result = owned(present[0])
    for condition in present[1:]:
        result = exp.or_(result, owned(condition), copy=False)
    return exp.Paren(this=result) if len(present) > 1 else result


def is_null(value: exp.Expression) -> exp.Expression:
    return sql(":v IS NULL", v=value)


@dataclass
class Compiled:
    """A CEL node in SQL: its value, when it is an error (None: never), and its type."""

    value: exp.Expression
    error: exp.Expression | None
    type: CelType
    path: tuple[str, ...] | None = None  # the case-model path it reads ("[]" for a list's items), if a field

    def error_or_null(self) -> exp.Expression | None:
        """Error, or a null where CEL needs a value (an operand of `<`, `!`, arithmetic, a condition)."""
        if self.type.kind == "null":
            return TRUE
        return any_of([self.error, is_null(self.value) if self.type.nullable else None])


# --- timestamps ---------------------------------------------------------------------------------


def timestamp_of(text: exp.Expression, zone_name: str) -> exp.Expression:
    """The instant a case-model timestamp (text) denotes, as the checker reads it (checker.timestamps).

    With an offset (`Z`, `+01:00`, `+0100`) it is exact. A date alone is the start of that day in
    the zone; a time without an offset is wall-clock time in the zone. In the repeated autumn hour
    the checker takes the earlier (summer-time) reading, where SQL engines take the later: the
    reading an hour earlier is tried, and taken when it shows the same wall-clock time. A time in
    the missing spring hour is read with the offset from before the change, as the checker does."""
    zone = exp.Literal.string(zone_name)
    local = sql("CAST(REPLACE(:t, ' ', 'T') AS TIMESTAMP)", t=text)
    later = sql(":n AT TIME ZONE :z", n=local, z=zone)
    # the instant an hour before the later reading shows the same wall-clock time only in a repeated hour
    naive = sql("CASE WHEN CAST((:l - INTERVAL 1 HOUR) AT TIME ZONE :z AS TIMESTAMP) = :n THEN :l - INTERVAL 1 HOUR "
                "ELSE :l END", l=later, z=zone, n=local)
    return sql(
        "CASE WHEN LENGTH(:t) > 16 AND (SUFFIX(:t, 'Z') OR SUBSTRING(:t, -6, 1) IN ('+', '-') "
        "OR SUBSTRING(:t, -5, 1) IN ('+', '-')) THEN CAST(REPLACE(:t, ' ', 'T') AS TIMESTAMPTZ) "
        "ELSE :naive END", t=text, naive=naive)


@lru_cache(maxsize=None)
def zone_shifts_by_an_hour(zone_name: str) -> bool:
    """Whether every time the zone's clocks went back (1900 to 2100) they went back exactly one hour, as
    `timestamp_of` assumes when it finds the earlier reading of a repeated time (Lord Howe Island's
    30-minute summer time does not)."""
    zone = ZoneInfo(zone_name)
    day = datetime(1900, 1, 1, 12, tzinfo=timezone.utc)
    previous = day.astimezone(zone).utcoffset()
    while day.year < 2100:
        day += timedelta(days=1)
        offset = day.astimezone(zone).utcoffset()
        if previous is not None and offset is not None and offset < previous and previous - offset != timedelta(hours=1):
            return False
        previous = offset
    return True


def instant_literal(instant: datetime) -> exp.Expression:
    """An aware datetime as a TIMESTAMPTZ literal (written in UTC, so the session's zone does not matter)."""
    return sql(f"CAST('{instant.astimezone(timezone.utc).isoformat()}' AS TIMESTAMPTZ)")


def local_date(instant: exp.Expression, zone_name: str) -> exp.Expression:
    return sql("CAST(:t AT TIME ZONE :z AS DATE)", t=instant, z=exp.Literal.string(zone_name))


LOCAL_DAYS_STEP = "local_days"  # the query's step holding each record timestamp's local date (`Compiler.local_days`)


def local_day_column(path: tuple[str, ...]) -> str:
    return "local_day__" + "__".join(path)


def working_day_ordinal(day: exp.Expression) -> exp.Expression:
    """The day's ordinal in the calendar table: working days from the table's first day up to it."""
    return sql(f"{CALENDAR}.ordinals[(:d - {CALENDAR}.first_day) + 1]", d=day)


# --- the dialect target: the few node kinds whose SQL differs between engines ---------------------


class DuckDbTarget:
    """How the compiled query reads records and lists on DuckDB (the default): records are rows of typed,
    nested columns (structs and lists, timestamps converted once in the query's first step), lists are
    DuckDB lists and comprehensions list functions with lambdas. The rest of the SQL is common to every
    target; another target (`checker.sql.postgres`) overrides these methods."""

    name = DIALECT
    nested_lists = True  # whether a list may hold lists (`map` giving lists)
    materialize_steps = False  # whether the query's steps are written MATERIALIZED (computed once)

    def record_root(self) -> exp.Expression:
        """The value of `case`: the row of the records step."""
        return exp.to_identifier(RECORDS)

    def record_columns(self, records_table: str, schema: dict[str, Any], zone_name: str,
                       used: set[tuple[str, ...]]) -> list[exp.Expression]:
        """The columns of the query's first step besides the index: the case model's fields as rules read them
        (timestamps, written as text, read once as instants; only the parts the rules read)."""
        from checker.sql.structure import json_type

        columns: list[exp.Expression] = []
        for name, child in schema["properties"].items():
            if json_type(child) is not None:
                value = typed_value(exp.column(name, table=records_table), child, zone_name, used, (name,))
                if value is not None:
                    columns.append(exp.alias_(value, name, copy=False))
        return columns

    def field(self, parent: exp.Expression, name: str, kind: CelType, zone_name: str,
              path: tuple[str, ...] | None) -> exp.Expression:
        """Field `name` (of type `kind`) of a struct value, as the value of its CEL type (`path`: the case-model path
        it reads, "[]" for a list's elements, when known)."""
        if isinstance(parent, exp.Identifier):
            return exp.column(name, table=parent.name)
        return exp.Dot(this=parent, expression=exp.to_identifier(name))

    def timestamp_of(self, text: exp.Expression, zone_name: str) -> exp.Expression:
        return timestamp_of(text, zone_name)

    def epoch_us(self, instant: exp.Expression) -> exp.Expression:
        """Microseconds since 1970 of an instant, a 64-bit integer."""
        return sql("EPOCH_US(:t)", t=instant)

    wide_integer = "HUGEINT"  # holds the exact result of + - * on two 64-bit integers

    def divide(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        """Double division as IEEE 754 (and CEL) define it: by zero gives an infinity or NaN."""
        return exp.Paren(this=sql(":a / :b", a=left, b=right))

    def list_literal(self, items: list[exp.Expression], item: CelType) -> exp.Expression:
        return exp.Array(expressions=items)

    def text_in_code_point_order(self, text: exp.Expression) -> exp.Expression:
        """Text that `<` orders by code points, as CEL does (DuckDB's default collation does)."""
        return text

    def date_text(self, day: exp.Expression) -> exp.Expression:
        """A date as `YYYY-MM-DD`."""
        return sql("CAST(:d AS VARCHAR)", d=day)

    def add_months(self, day: exp.Expression, months: exp.Expression) -> exp.Expression:
        """A date moved on by whole calendar months, clamped to the end of a shorter month."""
        return sql("CAST(:d + TO_MONTHS(CAST(:m AS INTEGER)) AS DATE)", d=day, m=months)

    def list_size(self, items: exp.Expression) -> exp.Expression:
        return sql("LEN(:v)", v=items)

    def retype(self, value: exp.Expression, kind: CelType) -> exp.Expression:
        """A value put where a value of type `kind` is expected (an empty list literal takes the other's type)."""
        return value

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return sql("LIST_CONCAT(:a, :b)", a=left, b=right)

    def contains(self, items: exp.Expression, value: exp.Expression, nullable: bool) -> exp.Expression:
        """Whether `value` is an element (null is one when the list holds a null; never NULL)."""
        found = sql("COALESCE(LIST_CONTAINS(:l, :x), FALSE)", l=items, x=value)
        if nullable:
            found = sql("CASE WHEN :x IS NULL THEN :n ELSE :v END", x=value, n=self.has_null(items), v=found)
        return found

    def has_null(self, items: exp.Expression) -> exp.Expression:
        """Whether the list holds a null (never NULL)."""
        return sql("COALESCE(LIST_CONTAINS(LIST_TRANSFORM(:l, LAMBDA _i: _i IS NULL), TRUE), FALSE)", l=items)

    def regex_matches(self, text: exp.Expression, pattern: str) -> exp.Expression:
        """Whether a `translate_pattern` pattern matches part of the text, as RE2 does."""
        return sql("REGEXP_MATCHES(:t, :p)", t=text, p=exp.Literal.string(pattern))

    def leading_digits(self, text: exp.Expression) -> exp.Expression:
        """The digits the text starts with ('' or NULL when none)."""
        return sql("REGEXP_EXTRACT(:c, '^[0-9]+')", c=text)

    # comprehensions: element `number` of a list is bound to `element(number)` in the body

    def element(self, number: int) -> exp.Expression:
        return exp.to_identifier(f"_e{number}")

    def map_list(self, items: exp.Expression, number: int, body: exp.Expression) -> exp.Expression:
        return sql(f"LIST_TRANSFORM(:l, LAMBDA _e{number}: :b)", l=items, b=body)

    def any_element(self, items: exp.Expression, number: int, condition: exp.Expression) -> exp.Expression:
        """Whether the condition is TRUE for some element (never NULL)."""
        return sql(f"COALESCE(LIST_CONTAINS(LIST_TRANSFORM(:l, LAMBDA _e{number}: :e), TRUE), FALSE)",
                   l=items, e=condition)

    def filter_list(self, items: exp.Expression, number: int, condition: exp.Expression) -> exp.Expression:
        """The elements for which the condition is TRUE, in order."""
        return sql(f"LIST_FILTER(:l, LAMBDA _e{number}: COALESCE(:b, FALSE))", l=items, b=condition)

    def first_code(self, items: exp.Expression, number: int, code: exp.Expression) -> exp.Expression:
        """The first non-zero of the elements' codes, in order (NULL when there is none)."""
        return sql(f"LIST_FILTER(LIST_TRANSFORM(:l, LAMBDA _e{number}: :c), LAMBDA _c: _c <> 0)[1]", l=items, c=code)

    def longest_gap(self, instants: exp.Expression, number: int) -> exp.Expression:
        """The longest gap in days between consecutive instants once sorted (NULL for fewer than two)."""
        i, s = f"_i{number}", f"_s{number}"
        # the sorted list is bound to a name once (a one-element list transformed), not re-sorted per gap
        return sql(f"LIST_TRANSFORM([LIST_SORT(:l)], LAMBDA {s}: LIST_MAX(LIST_TRANSFORM(RANGE(1, LEN({s})), LAMBDA {i}: "
                   f"CAST(EPOCH_US({s}[{i} + 1]) - EPOCH_US({s}[{i}]) AS DOUBLE) / 1000000 / 86400)))[1]",
                   l=instants)

    def longest_local_day_gap(self, instants: exp.Expression, number: int, zone_name: str) -> exp.Expression:
        """The longest gap in calendar days of the zone between the instants' local dates once sorted, a
        BIGINT (NULL for fewer than two)."""
        i, s, x = f"_i{number}", f"_s{number}", f"_x{number}"
        days = sql(f"LIST_SORT(LIST_TRANSFORM(:l, LAMBDA {x}: :d))", l=instants,
                   d=local_date(exp.to_identifier(x), zone_name))
        return sql(f"LIST_TRANSFORM([:days], LAMBDA {s}: LIST_MAX(LIST_TRANSFORM(RANGE(1, LEN({s})), LAMBDA {i}: "
                   f"CAST({s}[{i} + 1] - {s}[{i}] AS BIGINT))))[1]", days=days)

    def list_max(self, items: exp.Expression, number: int) -> exp.Expression:
        """The greatest element, nulls skipped (NULL when there is none)."""
        return sql("LIST_MAX(:l)", l=items)

    def greatest(self, values: list[exp.Expression]) -> exp.Expression:
        """The greatest of the values, nulls skipped (NULL when all are), as GREATEST is on DuckDB and PostgreSQL."""
        if len(values) == 1:
            return values[0]
        # written as the function itself: sqlglot writes its Greatest node for DuckDB as NULL when any value is
        return exp.Anonymous(this="GREATEST", expressions=[_atom(value) for value in values])

    # evidence: values as the per-record engine shows them (`checker.inputs.recordmodel.display_value`)

    def timestamp_text(self, instant: exp.Expression) -> exp.Expression:
        """An instant as the per-record engine shows it: UTC, ISO 8601 with `Z`, a fraction of a second (six
        digits) only when there is one (Python's `isoformat`)."""
        return sql("(STRFTIME(:t AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') || CASE WHEN EPOCH_US(:t) % 1000000 = 0 "
                   "THEN '' ELSE STRFTIME(:t AT TIME ZONE 'UTC', '.%f') END || 'Z')", t=instant)

    def to_json(self, value: exp.Expression) -> exp.Expression:
        """A value (text, numbers, booleans, lists of them, JSON) as JSON."""
        return sql("TO_JSON(:v)", v=value)


# --- the compiler -------------------------------------------------------------------------------


_SAFE_PATTERN = re.compile(r"^(?:[A-Za-z0-9 _\-,;:'\"]|\\[sSdDwW]|\\[.^$*+?()\[\]{}|\\/])*$")


def translate_pattern(pattern: str) -> str:
    """A `matches()` pattern for DuckDB, which runs RE2 as the per-record engine does (with RE2's default
    options there). Only patterns whose meaning does not depend on options that may differ between the
    two (how `.` and `$` treat line breaks) are taken: literal text, escapes and the classes `\\s`, `\\d`, `\\w`."""
    if not _SAFE_PATTERN.match(pattern):
        raise Unsupported(f"regular expression {pattern!r}")
    return pattern


@dataclass
class Compiler:
    """Compiles the expressions of one run (the zone reads local times; the names of lambda variables are
    made unique across the run)."""

    zone_name: str
    model: RecordModel = field(default_factory=record_model)  # the records' type: its schema and variable
    uses_calendar: bool = False
    _lambda_count: int = 0
    _scopes: list[dict[str, Compiled]] = field(default_factory=list)
    shared: dict[str, int] = field(default_factory=dict)  # a parenthesised expression's key → times it is read
    definitions: dict[str, "Definition"] = field(default_factory=dict)  # key → its column
    _layers: list[int] = field(default_factory=lambda: [0])  # the latest step each open expression reads
    paths: set[tuple[str, ...]] = field(default_factory=set)  # the case-model paths the expressions read
    # Record timestamps whose local date the expressions read: path → the instant's SQL. Each is converted once per
    # record, in a step of its own (`LOCAL_DAYS_STEP`): a time-zone conversion costs more than the rest of a rule,
    # and one field (the report's time) is read by a score of rules.
    local_days: dict[tuple[str, ...], exp.Expression] = field(default_factory=dict)
    pack: str = ""  # the pack whose expressions are being compiled
    scope: Any = None  # its checker.packs.expressions.PackScope: settings' values and compiled variables
    target: DuckDbTarget = field(default_factory=DuckDbTarget)  # the engine the SQL is written for
    as_of: datetime | None = None  # what as_of() gives: the run's reference date as an instant (None: none given)
    mixed_lists_as_json: bool = False  # compiling evidence: a list of mixed types is a list of its elements' JSON

    def compile(self, expression: str | Any) -> Compiled:
        """Compile CEL text or a syntax tree (pack settings and variables read from `scope`); raise Unsupported
        (or CelSyntaxError)."""
        if not zone_shifts_by_an_hour(self.zone_name):
            raise Unsupported(f"local times in {self.zone_name}, whose clock changes are not all of one hour")
        return self.node(syntax.parse(expression) if isinstance(expression, str) else expression)

    def evidence_json(self, expression: str | Any) -> exp.Expression:
        """A computed evidence value as the JSON the per-record engine writes for it (`evidence_reader`: CEL's
        value through `display_value`, then JSON): instants as UTC ISO 8601 text, NaN and infinities null, lists
        element by element, a list of mixed types too; null when it cannot be evaluated. Raise Unsupported for
        a value it cannot show exactly (an object, a map)."""
        self.mixed_lists_as_json = True
        try:
            value = self.compile(expression)
            as_json = self.target.to_json(self.shown(value.value, value.type))
        finally:
            self.mixed_lists_as_json = False
        if value.error is not None:
            as_json = sql("CASE WHEN COALESCE(:e, FALSE) THEN NULL ELSE :j END", e=value.error, j=as_json)
        return as_json

    def shown(self, value: exp.Expression, kind: CelType) -> exp.Expression:
        """A value in the form whose JSON is `display_value`'s (`evidence_json`)."""
        if kind.kind == "timestamp":
            return self.target.timestamp_text(value)
        if kind.kind == "double":  # orjson writes NaN and the infinities as null
            return sql("CASE WHEN ISFINITE(:v) THEN :v END", v=value)
        if kind.kind in ("int", "bool", "string", "null", "json"):
            return value
        if kind.kind == "list":
            item = kind.item or NULL
            if item.kind in ("int", "bool", "string", "null", "json"):
                return value
            self._lambda_count += 1
            number = self._lambda_count
            return self.target.map_list(value, number, self.shown(self.target.element(number), item))
        raise Unsupported(f"evidence that is a {kind.kind}")

    def condition(self, expression: str | Any) -> tuple[exp.Expression, exp.Expression]:
        """A boolean expression as (true, error): `true` is TRUE only when it gives true; `error` when it
        cannot be evaluated or gives something other than a bool (never NULL, both)."""
        compiled = self.compile(expression)
        if compiled.type.kind not in ("bool", "dyn"):
            raise Unsupported(f"an expression of type {compiled.type.kind} where a condition is expected")
        error = compiled.error_or_null()
        holds = sql("COALESCE(:v, FALSE)", v=compiled.value)
        return holds, sql("COALESCE(:e, FALSE)", e=error) if error is not None else FALSE

    # nodes

    def node(self, node: Any) -> Compiled:
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is None:
            raise Unsupported(type(node).__name__)
        return method(node)

    def pack_name(self, namespace: str, name: str) -> Compiled:
        """`settings.NAME` (the run's value, a literal) or `variables.NAME` (the pack's compiled variable,
        computed once per record as a column of an earlier step of the query) in the current pack."""
        if namespace == "settings":
            if name not in self.scope.settings:
                raise Unsupported(f"the setting {name!r}")
            return self._literal(syntax.Literal(0, self.scope.settings[name]))
        if name not in self.scope.variables:
            raise Unsupported(f"the variable {name!r}")
        return self.shared_column(f"{self.pack}\0variables.{name}",
                                  lambda: self.node(self.scope.variables[name].tree))

    def shared_column(self, key: str, build: Any) -> Compiled:
        """The column holding the value `build()` compiles, computed once per record whichever expressions
        read it (`key` names it)."""
        if key in self.definitions:
            definition = self.definitions[key]
            self._layers[-1] = max(self._layers[-1], definition.layer)
            return definition.reference
        saved_scopes, self._scopes = self._scopes, []  # a shared value reads no comprehension variable
        self._layers.append(0)
        try:
            inner = build()
        finally:
            layer = self._layers.pop() + 1
            self._scopes = saved_scopes
        name = f"v{len(self.definitions) + 1}"
        reference = Compiled(exp.column(f"{name}_value", table=RECORDS),
                             exp.column(f"{name}_error", table=RECORDS) if inner.error is not None else None, inner.type)
        self.definitions[key] = Definition(name, inner, layer, reference)
        self._layers[-1] = max(self._layers[-1], layer)
        return reference

    def _group(self, node: syntax.Group) -> Compiled:
        """A parenthesised expression (a pack variable): read by several rules, and free of comprehension
        variables, it is computed once per record, as a column of an earlier step of the query."""
        shared = self.shared.get(node.key, 0) > 1 and not self._scopes
        if shared and node.key in self.definitions:
            definition = self.definitions[node.key]
            self._layers[-1] = max(self._layers[-1], definition.layer)
            return definition.reference
        self._layers.append(0)
        try:
            inner = self.node(node.inner)
        finally:
            layer = self._layers.pop() + 1
        if not shared:
            self._layers[-1] = max(self._layers[-1], layer - 1)
            return Compiled(exp.Paren(this=inner.value), inner.error, inner.type)
        name = f"v{len(self.definitions) + 1}"
        reference = Compiled(exp.column(f"{name}_value", table=RECORDS),
                             exp.column(f"{name}_error", table=RECORDS) if inner.error is not None else None, inner.type)
        self.definitions[node.key] = Definition(name, inner, layer, reference)
        self._layers[-1] = max(self._layers[-1], layer)
        return reference

    def count_groups(self, text: str | Any) -> None:
        """First pass: count the parenthesised expressions outside comprehensions (see `_group`)."""
        def visit(node: Any, in_scope: bool) -> None:
            if isinstance(node, syntax.Group) and not in_scope:
                self.shared[node.key] = self.shared.get(node.key, 0) + 1
            if isinstance(node, syntax.Comprehension):
                visit(node.range, in_scope)
                for argument in node.args:
                    visit(argument, True)
                return
            for child in _children(node):
                visit(child, in_scope)
        visit(syntax.parse(text) if isinstance(text, str) else text, False)

    def layers(self) -> list[list["Definition"]]:
        """The shared expressions by the step of the query that computes them (each reads earlier steps)."""
        steps: list[list[Definition]] = []
        for definition in self.definitions.values():
            while len(steps) < definition.layer:
                steps.append([])
            steps[definition.layer - 1].append(definition)
        return steps

    def _literal(self, node: syntax.Literal) -> Compiled:
        value = node.value
        if value is None:
            return Compiled(exp.Null(), None, NULL)
        if isinstance(value, bool):
            return Compiled(TRUE.copy() if value else FALSE.copy(), None, BOOL)
        if isinstance(value, int):
            if abs(value) >= 1 << 62:
                raise Unsupported("an integer literal near the 64-bit limit")
            literal = exp.Literal.number(abs(value))
            return Compiled(exp.Neg(this=literal) if value < 0 else literal, None, INT)
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise Unsupported("a non-finite double")
            return Compiled(sql(f"CAST('{value!r}' AS DOUBLE)"), None, DOUBLE)
        if isinstance(value, str):
            return Compiled(exp.Literal.string(value), None, STRING)
        if isinstance(value, (list, tuple)):  # a list-valued setting
            return self._list_of([self._literal(syntax.Literal(node.offset, item)) for item in value])
        raise Unsupported(f"a literal of type {type(value).__name__}")

    def _ident(self, node: syntax.Ident) -> Compiled:
        for scope in reversed(self._scopes):
            if node.name in scope:
                return scope[node.name]
        if node.name == self.model.kind.variable:
            return Compiled(self.target.record_root(), None, CelType("struct", self.model.schema, nullable=False), ())
        raise Unsupported(f"the name {node.name!r}")

    def _access(self, node: syntax.Access) -> Compiled:
        root, steps = node.root, node.steps
        if (isinstance(root, syntax.Ident) and root.name in ("settings", "variables") and self.scope is not None
                and not any(root.name in scope for scope in self._scopes) and steps and steps[0][0] == "field"):
            current = self.pack_name(root.name, steps[0][1])
            steps = steps[1:]
        else:
            current = self.node(root)
        for kind, step in steps:
            if kind != "field":
                raise Unsupported("indexing")
            current = self.field(current, step)
        return current

    def field(self, parent: Compiled, name: str) -> Compiled:
        if parent.type.kind != "struct":
            raise Unsupported(f"selecting {name!r} from a {parent.type.kind}")
        properties = parent.type.schema.get("properties", {})
        if name not in properties:
            raise Unsupported(f"the field {name!r}")  # an error on every record: left to the per-record engine
        kind = type_of_schema(properties[name])
        # Selecting from a null object is an error; objects the model never lets be null read as empty.
        error = any_of([parent.error, is_null(parent.value) if parent.type.nullable else None])
        path = parent.path + (name,) if parent.path is not None else None
        if path is not None:
            self.paths.add(path)
        value = self.target.field(parent.value, name, kind, self.zone_name, path)
        return Compiled(value, error, kind, path)

    def _listexpr(self, node: syntax.ListExpr) -> Compiled:
        return self._list_of([self.node(item) for item in node.items])

    def _list_of(self, items: list[Compiled]) -> Compiled:
        kinds = {item.type.kind for item in items if item.type.kind != "null"}
        if len(kinds) > 1:
            if not self.mixed_lists_as_json:
                raise Unsupported("a list of mixed types")
            # shown as evidence only: each element as the JSON the per-record engine writes for it
            items = [Compiled(self.target.to_json(self.shown(item.value, item.type)), item.error, JSON)
                     for item in items]
            kinds = {"json"}
        typed = [item.type for item in items if item.type.kind != "null"]  # a null element is of any type
        item_type = typed[0] if typed else NULL
        item_type = _nullable(item_type, any(i.type.nullable or i.type.kind == "null" for i in items))
        return Compiled(self.target.list_literal([item.value for item in items], item_type),
                        any_of([i.error for i in items]), CelType("list", item=item_type, nullable=False))

    def _unary(self, node: syntax.Unary) -> Compiled:
        operand = self.node(node.operand)
        if node.op == "!":
            if operand.type.kind != "bool":
                raise Unsupported("! of a non-bool")
            return Compiled(exp.Not(this=exp.Paren(this=operand.value)), operand.error_or_null(), BOOL)
        if operand.type.kind not in NUMBERS:
            raise Unsupported("- of a non-number")
        return Compiled(exp.Neg(this=exp.Paren(this=operand.value)), operand.error_or_null(),
                        _nullable(operand.type, False))

    def _logical(self, node: syntax.Logical) -> Compiled:
        terms = [self.node(term) for term in node.terms]
        for term in terms:
            if term.type.kind != "bool":
                raise Unsupported(f"{node.op} over a {term.type.kind}")
        decisive_value = node.op == "||"  # true decides ||, false decides &&
        decisive = []
        errors = []
        for term in terms:
            failed = term.error_or_null()
            holds = sql(":v IS TRUE" if decisive_value else ":v IS FALSE", v=term.value)
            decisive.append(holds if failed is None else sql("(NOT COALESCE(:e, FALSE) AND :h)", e=failed, h=holds))
            errors.append(failed)
        decided = any_of(decisive)
        assert decided is not None
        error = any_of(errors)
        value = decided if decisive_value else exp.Not(this=decided)
        if error is not None:
            error = sql("(NOT :d AND :e)", d=decided, e=error)
        return Compiled(value, error, BOOL)

    def _conditional(self, node: syntax.Conditional) -> Compiled:
        test, then, other = self.node(node.test), self.node(node.then), self.node(node.other)
        if test.type.kind != "bool":
            raise Unsupported("a condition that is not a bool")
        kind = _result_type(then.type, other.type)
        value = sql("CASE WHEN :c THEN :a ELSE :b END", c=test.value, a=self.target.retype(then.value, kind),
                    b=self.target.retype(other.value, kind))
        branch_errors = []
        if then.error is not None:
            branch_errors.append(sql("(:c AND :e)", c=test.value, e=then.error))
        if other.error is not None:
            branch_errors.append(sql("(NOT :c AND :e)", c=test.value, e=other.error))
        return Compiled(value, any_of([test.error_or_null()] + branch_errors), kind)

    def _chain(self, node: syntax.Chain) -> Compiled:
        current = self.node(node.first)
        for op, term in node.rest:
            current = self.binary(op, current, self.node(term))
        return current

    def binary(self, op: str, left: Compiled, right: Compiled) -> Compiled:
        if op in ("==", "!="):
            return self.equality(op, left, right)
        if op == "in":
            if right.type.kind != "list":
                raise Unsupported("in over a non-list")
            if not _comparable(left.type, right.type.item or NULL, equality=True):
                raise Unsupported("in with elements of another type")
            value = self.target.contains(right.value, left.value, left.type.nullable)
            return Compiled(value, any_of([left.error, right.error]), BOOL)
        errors = any_of([left.error_or_null(), right.error_or_null()])
        if op in ("<", "<=", ">", ">="):
            if not _comparable(left.type, right.type, equality=False):
                raise Unsupported(f"{left.type.kind} {op} {right.type.kind}")
            a, b = left.value, right.value
            if left.type.kind == "string" and right.type.kind == "string":
                a, b = self.target.text_in_code_point_order(a), self.target.text_in_code_point_order(b)
            return Compiled(exp.Paren(this=sql(f":a {op} :b", a=a, b=b)), errors, BOOL)
        kinds = (left.type.kind, right.type.kind)
        if op == "+" and kinds == ("list", "list"):
            item = _result_type(left.type.item or NULL, right.type.item or NULL)
            kind = CelType("list", item=item, nullable=False)
            return Compiled(self.target.concat(self.target.retype(left.value, kind), self.target.retype(right.value, kind)),
                            errors, kind)
        if op == "+" and kinds == ("string", "string"):
            return Compiled(sql("(:a || :b)", a=left.value, b=right.value), errors, STRING)
        if op in ("+", "-", "*") and kinds == ("int", "int"):
            # CEL ints are 64-bit and overflow is an error; SQL engines widen or stop the query instead, so the
            # result is computed wide and checked
            wide_type = self.target.wide_integer
            wide = sql(f"(CAST(:a AS {wide_type}) {op} CAST(:b AS {wide_type}))", a=left.value, b=right.value)
            overflow = sql(f":w NOT BETWEEN {-(1 << 63)} AND {(1 << 63) - 1}", w=wide)
            value = sql(f"CAST(CASE WHEN :w BETWEEN {-(1 << 63)} AND {(1 << 63) - 1} THEN :w END AS BIGINT)", w=wide)
            return Compiled(value, any_of([errors, overflow]), INT)
        if op in ("+", "-", "*") and kinds == ("double", "double"):
            return Compiled(exp.Paren(this=sql(f":a {op} :b", a=left.value, b=right.value)), errors, DOUBLE)
        if op == "/" and kinds == ("double", "double"):
            return Compiled(self.target.divide(left.value, right.value), errors, DOUBLE)
        raise Unsupported(f"{left.type.kind} {op} {right.type.kind}")

    def equality(self, op: str, left: Compiled, right: Compiled) -> Compiled:
        if left.type.kind == "null" or right.type.kind == "null":
            other = right if left.type.kind == "null" else left
            value = is_null(other.value) if other.type.kind != "null" else TRUE.copy()
        elif "json" in (left.type.kind, right.type.kind):
            raise Unsupported("comparing values shown as JSON")  # JSON text is not compared as CEL compares values
        elif _comparable(left.type, right.type, equality=True):
            value = sql("(:a IS NOT DISTINCT FROM :b)", a=left.value, b=right.value)
        elif {left.type.kind, right.type.kind} & {"list", "struct", "map", "dyn"}:
            raise Unsupported(f"{left.type.kind} {op} {right.type.kind}")  # compared element by element in CEL
        else:  # values of different types are never equal; two nulls are
            value = sql("(:a IS NULL AND :b IS NULL)", a=left.value, b=right.value)
        if op == "!=":
            value = exp.Not(this=value)
        return Compiled(value, any_of([left.error, right.error]), BOOL)

    def _call(self, node: syntax.Call) -> Compiled:
        args = [self.node(arg) for arg in node.args]
        if node.target is not None:
            args = [self.node(node.target)] + args
        name = node.name
        handler = getattr(self, f"call_{name}", None)
        if handler is None:
            raise Unsupported(f"the function {name}()")
        if name == "timestamp":
            return handler(node)
        if name == "matches":
            args = [node] + args
        if len(inspect.signature(handler).parameters) != len(args):  # e.g. a getter given a time zone
            raise Unsupported(f"{name}() with {len(node.args)} argument(s)")
        return handler(*args)

    def call_size(self, value: Compiled) -> Compiled:
        if value.type.kind == "list":
            return Compiled(self.target.list_size(value.value), value.error, INT)
        if value.type.kind == "string":
            return Compiled(sql("LENGTH(:v)", v=value.value), value.error_or_null(), INT)
        raise Unsupported(f"size() of a {value.type.kind}")

    def call_double(self, value: Compiled) -> Compiled:
        if value.type.kind not in NUMBERS:
            raise Unsupported(f"double() of a {value.type.kind}")
        return Compiled(sql("CAST(:v AS DOUBLE)", v=value.value), value.error_or_null(), DOUBLE)

    def call_string(self, value: Compiled) -> Compiled:
        """string() of an int (its decimal digits), a string (itself) or a bool ('true'/'false'); of null an error.
        Doubles and timestamps are spelt by CEL in ways SQL's casts do not share: left to the per-record engine."""
        if value.type.kind == "int":
            text = sql("CAST(:v AS VARCHAR)", v=value.value)
        elif value.type.kind == "string":
            text = value.value
        elif value.type.kind == "bool":
            text = sql("CASE WHEN :v THEN 'true' ELSE 'false' END", v=value.value)
        else:
            raise Unsupported(f"string() of a {value.type.kind}")
        return Compiled(text, value.error_or_null(), STRING)

    def call_int(self, value: Compiled) -> Compiled:
        if value.type.kind != "int":
            raise Unsupported(f"int() of a {value.type.kind}")
        return Compiled(value.value, value.error_or_null(), INT)

    def call_timestamp(self, node: syntax.Call) -> Compiled:
        text = self.node(node.args[0]).value if len(node.args) == 1 else None  # a literal or a setting
        if not (isinstance(text, exp.Literal) and text.is_string):
            raise Unsupported("timestamp() of a non-literal")
        try:
            instant = parse_timestamp(text.this).astimezone(timezone.utc)
        except Exception:
            raise Unsupported("timestamp() of text that is not a timestamp") from None
        return Compiled(instant_literal(instant), None, TIMESTAMP)

    def call_matches(self, node: syntax.Call, text: Compiled, pattern: Compiled) -> Compiled:
        if text.type.kind != "string" or not isinstance(pattern.value, exp.Literal):
            raise Unsupported("matches() with a pattern that is not a literal")
        matched = self.target.regex_matches(text.value, translate_pattern(pattern.value.this))
        return Compiled(matched, text.error_or_null(), BOOL)

    def _getter(self, value: Compiled, part: str, offset: int = 0) -> Compiled:
        if value.type.kind != "timestamp":
            raise Unsupported(f"a timestamp getter on a {value.type.kind}")
        # Records are UTC instants and the getters read a timestamp in its own offset: UTC.
        getter = sql(f"(EXTRACT({part} FROM CAST(:v AT TIME ZONE 'UTC' AS TIMESTAMP)) + {offset})", v=value.value)
        return Compiled(sql("CAST(:g AS BIGINT)", g=getter), value.error_or_null(), INT)

    def call_getFullYear(self, value: Compiled) -> Compiled:
        return self._getter(value, "YEAR")

    def call_getMonth(self, value: Compiled) -> Compiled:
        return self._getter(value, "MONTH", -1)  # CEL months count from 0

    def call_getDate(self, value: Compiled) -> Compiled:
        return self._getter(value, "DAY")

    def _two_instants(self, start: Compiled, end: Compiled) -> tuple[exp.Expression | None, Compiled, Compiled]:
        for value in (start, end):
            if value.type.kind not in ("timestamp", "null"):
                raise Unsupported(f"a date helper given a {value.type.kind}")
        return any_of([start.error, end.error]), start, end

    def call_hours_between(self, start: Compiled, end: Compiled) -> Compiled:
        error, start, end = self._two_instants(start, end)
        value = sql("(CAST(:b - :a AS DOUBLE) / 1000000 / 3600)", a=self.target.epoch_us(start.value),
                    b=self.target.epoch_us(end.value))
        return Compiled(value, error, CelType("double"))

    def _local_date(self, instant: Compiled) -> exp.Expression:
        """The instant's date in the run's zone: a record field's read from the local-days step, once per record."""
        if instant.path is not None and "[]" not in instant.path:
            self.local_days[instant.path] = instant.value
            return exp.column(local_day_column(instant.path), table=RECORDS)
        return local_date(instant.value, self.zone_name)

    def call_local_date(self, instant: Compiled) -> Compiled:
        """The instant's date in the run's zone as text, `YYYY-MM-DD` (null for null, as the checker gives it)."""
        if instant.type.kind not in ("timestamp", "null"):
            raise Unsupported(f"local_date() of a {instant.type.kind}")
        value = exp.Null() if instant.type.kind == "null" else self.target.date_text(self._local_date(instant))
        return Compiled(value, instant.error, CelType("string"))

    def call_local_date_plus_months(self, instant: Compiled, months: Compiled) -> Compiled:
        """The instant's local date moved on by whole calendar months, a day the month lacks becoming its last
        (SQL's date + months interval clamps so), as text; null when either is null."""
        if instant.type.kind not in ("timestamp", "null") or months.type.kind not in ("int", "null"):
            raise Unsupported(f"local_date_plus_months() of a {instant.type.kind} and a {months.type.kind}")
        if "null" in (instant.type.kind, months.type.kind):
            value: exp.Expression = exp.Null()
        else:
            value = self.target.date_text(self.target.add_months(self._local_date(instant), months.value))
        return Compiled(value, any_of([instant.error, months.error]), CelType("string"))

    def call_working_days_between(self, start: Compiled, end: Compiled) -> Compiled:
        error, start, end = self._two_instants(start, end)
        self.uses_calendar = True
        value = sql("(:b - :a)", a=working_day_ordinal(self._local_date(start)),
                    b=working_day_ordinal(self._local_date(end)))
        return Compiled(value, error, CelType("int"))

    def call_longest_gap_days(self, instants: Compiled) -> Compiled:
        if instants.type.kind != "list" or (instants.type.item or NULL).kind not in ("timestamp", "null"):
            raise Unsupported("longest_gap_days() of something other than a list of timestamps")
        self._lambda_count += 1
        gaps = self.target.longest_gap(instants.value, self._lambda_count)
        value = sql("CASE WHEN :n THEN NULL ELSE COALESCE(:g, CAST(0 AS DOUBLE)) END",
                    n=self.target.has_null(instants.value), g=gaps)
        return Compiled(value, instants.error, CelType("double"))

    def call_longest_gap_local_days(self, instants: Compiled) -> Compiled:
        """The longest gap in local calendar days between the instants once sorted (0 for fewer than two; null
        when any is null), as `WorkingDayCalendar.longest_gap_local_days` counts them."""
        if instants.type.kind != "list" or (instants.type.item or NULL).kind != "timestamp":
            raise Unsupported("longest_gap_local_days() of something other than a list of timestamps")
        self._lambda_count += 1
        gap = self.target.longest_local_day_gap(instants.value, self._lambda_count, self.zone_name)
        value = sql("CASE WHEN :n THEN NULL ELSE COALESCE(:g, CAST(0 AS BIGINT)) END",
                    n=self.target.has_null(instants.value), g=gap)
        return Compiled(value, instants.error, CelType("int"))

    def call_as_of(self) -> Compiled:
        """The run's reference date (--as-of) as the instant the per-record engine gives (the start of that day in
        the run's zone), a literal; a null timestamp when the run has none."""
        if self.as_of is None:
            return Compiled(sql("CAST(NULL AS TIMESTAMPTZ)"), None, CelType("timestamp"))
        return Compiled(instant_literal(self.as_of), None, TIMESTAMP)

    def call_latest(self, value: Compiled) -> Compiled:
        """The latest instant in a list of timestamps or in a record (or part of one), walked through its
        objects and lists as `WorkingDayCalendar.latest` walks the normalised record: nulls skipped, null
        when there is none. Maps (judgements) hold no timestamps in a normalised record: they are skipped."""
        latest = self._latest_in(value)
        return Compiled(latest if latest is not None else sql("CAST(NULL AS TIMESTAMPTZ)"), value.error,
                        CelType("timestamp"))

    def _latest_in(self, value: Compiled) -> exp.Expression | None:
        """SQL for the latest instant in the value (NULL when none); None when the value can hold no timestamp."""
        kind = value.type.kind
        if kind == "timestamp":
            return value.value
        if kind == "struct":
            parts = []
            for name, child in value.type.schema.get("properties", {}).items():
                if not _has_timestamps(child) or isinstance(child.get("additionalProperties"), dict):
                    continue
                child_type = type_of_schema(child)
                path = value.path + (name,) if value.path is not None else None
                if path is not None:
                    self.paths.add(path)
                child_value = self.target.field(value.value, name, child_type, self.zone_name, path)
                part = self._latest_in(Compiled(child_value, None, child_type, path))
                if part is not None:
                    parts.append(part)
            return self.target.greatest(parts) if parts else None
        if kind == "list":
            item = value.type.item or NULL
            self._lambda_count += 1
            number = self._lambda_count
            if item.kind == "timestamp":
                return self.target.list_max(value.value, number)
            if item.kind not in ("struct", "list"):
                return None
            if item.kind == "list" and not self.target.nested_lists:
                raise Unsupported(f"latest() of a list of lists, on {self.target.name}")
            path = value.path + ("[]",) if value.path is not None else None
            inner = self._latest_in(Compiled(self.target.element(number), None, item, path))
            if inner is None:
                return None
            return self.target.list_max(self.target.map_list(value.value, number, inner), number)
        if kind in ("dyn",):
            raise Unsupported(f"latest() of a {kind}")
        return None  # null, text, numbers, booleans, maps: no instant

    def call_code_number(self, code: Compiled) -> Compiled:
        if code.type.kind not in ("string", "null"):
            raise Unsupported("code_number() of a non-string")
        digits = self.target.leading_digits(code.value)
        value = sql("CASE WHEN LENGTH(:d) BETWEEN 1 AND 18 THEN CAST(:d AS BIGINT) END", d=digits)
        if code.type.kind == "null":
            value = exp.Null()
        return Compiled(value, code.error, CelType("int"))

    def _comprehension(self, node: syntax.Comprehension) -> Compiled:
        source = self.node(node.range)
        if source.type.kind != "list" or node.macro not in ("all", "exists", "filter", "map") or len(node.args) != 1:
            raise Unsupported(f"{node.macro}() over a {source.type.kind}")
        self._lambda_count += 1
        number = self._lambda_count
        item_type = source.type.item or NULL
        item_path = source.path + ("[]",) if source.path is not None else None
        self._scopes.append({node.var: Compiled(self.target.element(number), None, item_type, item_path)})
        try:
            body = self.node(node.args[0])
        finally:
            self._scopes.pop()
        target = self.target
        if node.macro == "map":
            if body.type.kind == "list" and not target.nested_lists:
                raise Unsupported(f"map() giving lists, on {target.name}")
            value = target.map_list(source.value, number, body.value)
            error = None if body.error is None else target.any_element(source.value, number, body.error)
            return Compiled(value, any_of([source.error, error]), CelType("list", item=body.type, nullable=False))
        if body.type.kind != "bool":
            raise Unsupported(f"{node.macro}() with a predicate that is not a bool")
        failed = body.error_or_null()
        if node.macro == "filter":
            value = target.filter_list(source.value, number, body.value)
            error = None if failed is None else target.any_element(source.value, number,
                                                                   sql("COALESCE(:e, FALSE)", e=failed))
            return Compiled(value, any_of([source.error, error]), source.type)
        # all / exists: the first element that does not settle it (false for all, true for exists) decides,
        # or the first error: 0 = settles, 1 = decisive, 2 = error
        decisive = "NOT :b" if node.macro == "all" else ":b"
        code = sql(f"CASE WHEN COALESCE(:e, FALSE) THEN 2 WHEN {decisive} THEN 1 ELSE 0 END",
                   e=failed if failed is not None else FALSE, b=body.value)
        first = target.first_code(source.value, number, code)
        value = sql("COALESCE(:f, 0) = 0", f=first) if node.macro == "all" else sql("COALESCE(:f, 0) = 1", f=first)
        return Compiled(exp.Paren(this=value), any_of([source.error, sql("COALESCE(:f = 2, FALSE)", f=first)]), BOOL)


@dataclass
class Definition:
    """A shared expression computed once per record: columns `<name>_value` and `<name>_error` of step `layer`."""

    name: str
    compiled: Compiled
    layer: int
    reference: Compiled


def _children(node: Any) -> list[Any]:
    if isinstance(node, syntax.Access):
        return [node.root] + [step for kind, step in node.steps if kind == "index"]
    if isinstance(node, syntax.Call):
        return list(node.args) + ([node.target] if node.target is not None else [])
    if isinstance(node, syntax.ListExpr):
        return list(node.items)
    if isinstance(node, syntax.MapExpr):
        return [part for entry in node.entries for part in entry]
    if isinstance(node, syntax.Unary):
        return [node.operand]
    if isinstance(node, syntax.Chain):
        return [node.first] + [term for _, term in node.rest]
    if isinstance(node, syntax.Logical):
        return list(node.terms)
    if isinstance(node, syntax.Conditional):
        return [node.test, node.then, node.other]
    if isinstance(node, syntax.Has):
        return [node.operand]
    if isinstance(node, syntax.Group):
        return [node.inner]
    return []


def typed_value(value: exp.Expression, schema: dict[str, Any], zone_name: str,
                used: set[tuple[str, ...]], path: tuple[str, ...]) -> exp.Expression | None:
    """A case-model value as rules read it (timestamps, text in the file, as instants; lists never null),
    keeping only the parts rules read (`used` paths); None when rules read none of it."""
    if path not in used:
        return None
    kind = type_of_schema(schema)
    if kind.kind == "timestamp":
        return timestamp_of(value, zone_name)
    if kind.kind == "list":
        item = schema["items"]
        if not _has_timestamps(item):
            return sql("COALESCE(:v, [])", v=value)
        converted = typed_value(exp.to_identifier("_item"), item, zone_name, used, path + ("[]",))
        if converted is None:  # only the list itself is read (its size)
            return sql("COALESCE(:v, [])", v=value)
        return sql("COALESCE(LIST_TRANSFORM(:v, LAMBDA _item: :t), [])", v=value, t=converted)
    if kind.kind == "struct" and _has_timestamps(schema):
        fields = []
        for name, child in schema.get("properties", {}).items():
            if isinstance(child.get("additionalProperties"), dict):
                continue  # maps (judgements) are read only by manual rules, outside SQL
            part = exp.column(name, table=value.name) if isinstance(value, exp.Identifier) else \
                exp.Dot(this=value.copy(), expression=exp.to_identifier(name))
            converted = typed_value(part, child, zone_name, used, path + (name,))
            if converted is not None:
                fields.append(exp.PropertyEQ(this=exp.to_identifier(name), expression=converted))
        if not fields:  # only tested against null
            fields.append(exp.PropertyEQ(this=exp.to_identifier("recorded"), expression=TRUE.copy()))
        packed = exp.func("STRUCT_PACK", *fields, copy=False)
        return sql("CASE WHEN :v IS NULL THEN NULL ELSE :p END", v=value, p=packed) if kind.nullable else packed
    return value


def _has_timestamps(schema: dict[str, Any]) -> bool:
    if schema.get("format") == TIMESTAMP_FORMAT:
        return True
    children = list(schema.get("properties", {}).values())
    if isinstance(schema.get("items"), dict):
        children.append(schema["items"])
    return any(_has_timestamps(child) for child in children)


def _comparable(left: CelType, right: CelType, equality: bool) -> bool:
    kinds = {left.kind, right.kind}
    if kinds <= set(NUMBERS):
        return True
    if len(kinds) != 1:
        return False
    (kind,) = kinds
    return kind in ("string", "timestamp", "bool", "int", "double") or (equality and kind == "null")


def _result_type(a: CelType, b: CelType) -> CelType:
    """The type of a value that is one of two (a conditional, a concatenated list)."""
    if a.kind == "null":
        return _nullable(b, True)
    if b.kind == "null":
        return _nullable(a, True)
    if a.kind != b.kind:
        raise Unsupported(f"a value that is a {a.kind} or a {b.kind}")
    if a.kind == "list":
        return CelType("list", item=_result_type(a.item or NULL, b.item or NULL), nullable=False)
    return _nullable(a, a.nullable or b.nullable)
