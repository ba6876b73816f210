"""The compiled query for PostgreSQL: records as JSON documents, lists as arrays, comprehensions as subqueries.

The compiler (`checker.sql.compile`) is the same; this target writes the node kinds whose SQL differs:

- records are a table `records (record_index BIGINT, record JSONB)`, the case file's JSON as written (what a
  data team loads with `COPY`); a field is read from the document where a rule reads it and converted to
  its CEL type there (`->>` then a cast; a timestamp's text read in the run's zone as the checker reads it);
  an object is `jsonb` (JSON `null` read as SQL NULL), a list an array of its elements' type;
- comprehensions are correlated subqueries over `UNNEST(list) WITH ORDINALITY`, keeping the elements'
  order, so `all`/`exists` stop at the first deciding element or error as DuckDB's list functions do;
- the working-day table is the same one-row table (`first_day DATE, ordinals INTEGER[]`).

The query gives the same outcome codes as DuckDB's (tests/engine/test_postgres.py runs both on a server).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlglot import exp

from checker.sql.compile import RECORDS, CelType, DuckDbTarget, Unsupported, fragment, type_of_schema

DIALECT = "postgres"
RECORD_COLUMN = "record"

# The SQL type of each CEL type's values (an array's elements; an empty list literal's type).
ELEMENT_TYPES = {"bool": "BOOLEAN", "int": "BIGINT", "double": "DOUBLE PRECISION", "string": "TEXT",
                 "timestamp": "TIMESTAMPTZ", "struct": "JSONB", "map": "JSONB", "null": "TEXT", "dyn": "TEXT"}

# RE2's classes spelled out, so that a pattern means the same whatever the database's locale (PostgreSQL's
# `\s` and `\w` follow it; RE2's are ASCII).
_CLASSES = {"s": "[\t\n\f\r ]", "S": "[^\t\n\f\r ]", "d": "[0-9]", "D": "[^0-9]",
            "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]"}


def pg(text: str, **parts: exp.Expression) -> exp.Expression:
    """A PostgreSQL fragment with `:name` placeholders replaced by expressions."""
    return fragment(DIALECT, text, **parts)


def column_name(path: tuple[str, ...]) -> str:
    """The first step's column holding a case-model field, e.g. `crime__reported_at`."""
    return "__".join(path)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PostgresTarget(DuckDbTarget):
    name = DIALECT
    wide_integer = "DECIMAL(38, 0)"  # holds + - * of two 64-bit integers exactly (below 2 ** 127)
    nested_lists = False  # an array's elements cannot be arrays of different lengths
    materialize_steps = True

    def record_root(self) -> exp.Expression:
        return exp.column(RECORD_COLUMN, table=RECORDS)

    def record_columns(self, records_table: str, schema: dict[str, Any], zone_name: str,
                       used: set[tuple[str, ...]]) -> list[exp.Expression]:
        """Every field the rules read outside a list's elements, read once from the document as its CEL type
        (`field` reads these columns)."""
        columns: list[exp.Expression] = [exp.column(RECORD_COLUMN, table=records_table)]
        for path in sorted(used):
            if not path or "[]" in path:
                continue
            field_schema = schema
            for name in path:
                field_schema = field_schema["properties"][name]
            pointer = _quoted("{" + ",".join(path) + "}")
            document = exp.column(RECORD_COLUMN, table=records_table)
            value = self.from_json(pg(f":d #> {pointer}", d=document), pg(f":d #>> {pointer}", d=document),
                                   type_of_schema(field_schema), zone_name)
            columns.append(exp.alias_(value, column_name(path), copy=False))
        return columns

    def field(self, parent: exp.Expression, name: str, kind: CelType, zone_name: str,
              path: tuple[str, ...] | None) -> exp.Expression:
        if path is not None and "[]" not in path:  # read once, in the query's first step
            return exp.column(column_name(path), table=RECORDS)
        member = pg(f":p -> {_quoted(name)}", p=parent)
        text = pg(f":p ->> {_quoted(name)}", p=parent)
        return self.from_json(member, text, kind, zone_name)

    def from_json(self, value: exp.Expression, text: exp.Expression, kind: CelType, zone_name: str) -> exp.Expression:
        """A JSON value (`value`, jsonb; `text`, its text, NULL for JSON null) as the SQL value of its CEL type."""
        if kind.kind in ("struct", "map"):
            return pg(":j", j=self._object(value))
        if kind.kind == "list":
            item = kind.item
            if item is None or item.kind in ("list", "dyn"):
                raise Unsupported("a list whose elements are lists, on PostgreSQL")
            element = exp.column("value", table="_j")
            converted = self.from_json(element, pg("_j.value #>> '{}'"), item, zone_name)
            # an absent or null list is empty, as on DuckDB (`typed_value`)
            return pg("ARRAY(SELECT :c FROM JSONB_ARRAY_ELEMENTS(:l) WITH ORDINALITY AS _j(value, n) ORDER BY _j.n)",
                      c=converted, l=self._object(value))
        if kind.kind == "string":
            return text
        if kind.kind == "int":
            return pg("CAST(CAST(:t AS NUMERIC) AS BIGINT)", t=text)
        if kind.kind == "double":
            return pg("CAST(:t AS DOUBLE PRECISION)", t=text)
        if kind.kind == "bool":
            return pg("CAST(:t AS BOOLEAN)", t=text)
        if kind.kind == "timestamp":
            return self.timestamp_of(text, zone_name)
        raise Unsupported(f"a field of type {kind.kind} on PostgreSQL")

    @staticmethod
    def _object(value: exp.Expression) -> exp.Expression:
        return pg("NULLIF(:j, CAST('null' AS JSONB))", j=value)

    def timestamp_of(self, text: exp.Expression, zone_name: str) -> exp.Expression:
        """As `checker.sql.compile.timestamp_of`: with an offset exact; else wall-clock time in the zone, the
        earlier reading in a repeated hour (PostgreSQL, like DuckDB, takes the later), a time in the missing
        spring hour with the offset from before the change (as PostgreSQL reads it). Digits of a second beyond
        the sixth are dropped as the checker drops them (PostgreSQL would round them)."""
        # The text is bound to a name once, in nested subqueries (each step names what the next reads), so that
        # the query holds each field's expression once rather than once per use.
        zone = exp.Literal.string(zone_name)
        return pg(
            "(SELECT CASE WHEN _ts.exact THEN CAST(_ts.written AS TIMESTAMPTZ) "
            "WHEN CAST((_ts.later - INTERVAL '1 hour') AT TIME ZONE :z AS TIMESTAMP) = _ts.wall "
            "THEN _ts.later - INTERVAL '1 hour' ELSE _ts.later END "
            "FROM (SELECT _tw.written, _tw.exact, _tw.wall, _tw.wall AT TIME ZONE :z AS later "
            "FROM (SELECT _tt.written, _tt.exact, CAST(_tt.written AS TIMESTAMP) AS wall "
            "FROM (SELECT REGEXP_REPLACE(REPLACE(_tx.text, ' ', 'T'), '(\\.[0-9]{6})[0-9]+', '\\1') AS written, "
            "LENGTH(_tx.text) > 16 AND (UPPER(RIGHT(_tx.text, 1)) = 'Z' OR LEFT(RIGHT(_tx.text, 6), 1) IN ('+', '-') "
            "OR LEFT(RIGHT(_tx.text, 5), 1) IN ('+', '-')) AS exact "
            "FROM (SELECT :t AS text) AS _tx) AS _tt) AS _tw) AS _ts)", t=text, z=zone)

    def epoch_us(self, instant: exp.Expression) -> exp.Expression:
        return pg("CAST(EXTRACT(EPOCH FROM :t) * 1000000 AS BIGINT)", t=instant)  # EXTRACT is exact (numeric)

    def divide(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        # PostgreSQL stops the query on a division by zero; IEEE 754 gives ±infinity (NaN for 0/0)
        return pg("CASE WHEN :b = 0 THEN :a * CAST(CASE WHEN CAST(:b AS TEXT) LIKE '-%' THEN '-Infinity' "
                  "ELSE 'Infinity' END AS DOUBLE PRECISION) ELSE :a / :b END", a=left, b=right)

    def list_literal(self, items: list[exp.Expression], item: CelType) -> exp.Expression:
        if item.kind in ("list", "dyn"):
            raise Unsupported("a list of lists, on PostgreSQL")
        if not items:
            return pg(f"CAST(ARRAY[] AS {ELEMENT_TYPES[item.kind]}[])")
        # a subquery element (e.g. latest() of a list) bracketed: sqlglot writes an array whose first element is a
        # subquery as ARRAY(subquery), dropping the other elements
        return exp.Array(expressions=[exp.Paren(this=item) if isinstance(item, exp.Subquery) else item
                                      for item in items])

    def list_size(self, items: exp.Expression) -> exp.Expression:
        return pg("CARDINALITY(:v)", v=items)

    def text_in_code_point_order(self, text: exp.Expression) -> exp.Expression:
        # the database's collation may follow a language's rules; "C" compares UTF-8 bytes: code point order
        return pg(':t COLLATE "C"', t=text)

    def date_text(self, day: exp.Expression) -> exp.Expression:
        return pg("TO_CHAR(:d, 'YYYY-MM-DD')", d=day)  # whatever the session's DateStyle

    def add_months(self, day: exp.Expression, months: exp.Expression) -> exp.Expression:
        return pg("CAST(:d + MAKE_INTERVAL(months => CAST(:m AS INTEGER)) AS DATE)", d=day, m=months)

    def retype(self, value: exp.Expression, kind: CelType) -> exp.Expression:
        # PostgreSQL gives an empty array literal a type of its own: the one of the list it is put beside
        inner = value
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if (kind.kind == "list" and kind.item is not None and isinstance(inner, exp.Cast)
                and isinstance(inner.this, exp.Array) and not inner.this.expressions):
            return self.list_literal([], kind.item)
        return value

    def concat(self, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        return pg("(:a || :b)", a=left, b=right)

    def contains(self, items: exp.Expression, value: exp.Expression, nullable: bool) -> exp.Expression:
        found = pg("COALESCE(:x = ANY(:l), FALSE)", x=value, l=items)
        if nullable:
            found = pg("CASE WHEN :x IS NULL THEN :n ELSE :v END", x=value, n=self.has_null(items), v=found)
        return found

    def has_null(self, items: exp.Expression) -> exp.Expression:
        return pg("(ARRAY_POSITION(:l, NULL) IS NOT NULL)", l=items)

    def regex_matches(self, text: exp.Expression, pattern: str) -> exp.Expression:
        translated, index = [], 0
        while index < len(pattern):  # a `translate_pattern` pattern: literal text and backslash escapes
            if pattern[index] == "\\":
                escaped = pattern[index + 1]
                translated.append(_CLASSES.get(escaped, "\\" + escaped))
                index += 2
            else:
                translated.append(pattern[index])
                index += 1
        return pg(":t ~ :p", t=text, p=exp.Literal.string("".join(translated)))

    def leading_digits(self, text: exp.Expression) -> exp.Expression:
        return pg("SUBSTRING(:c FROM '^[0-9]+')", c=text)

    def map_list(self, items: exp.Expression, number: int, body: exp.Expression) -> exp.Expression:
        n = number
        return pg(f"ARRAY(SELECT :b FROM UNNEST(:l) WITH ORDINALITY AS _t{n}(_e{n}, _n{n}) ORDER BY _n{n})",
                  b=body, l=items)

    def any_element(self, items: exp.Expression, number: int, condition: exp.Expression) -> exp.Expression:
        n = number
        return pg(f"EXISTS(SELECT 1 FROM UNNEST(:l) AS _t{n}(_e{n}) WHERE :e)", l=items, e=condition)

    def filter_list(self, items: exp.Expression, number: int, condition: exp.Expression) -> exp.Expression:
        n = number
        return pg(f"ARRAY(SELECT _e{n} FROM UNNEST(:l) WITH ORDINALITY AS _t{n}(_e{n}, _n{n}) "
                  f"WHERE COALESCE(:b, FALSE) ORDER BY _n{n})", l=items, b=condition)

    def first_code(self, items: exp.Expression, number: int, code: exp.Expression) -> exp.Expression:
        n = number
        return pg(f"(SELECT _c{n} FROM (SELECT :c AS _c{n}, _n{n} FROM UNNEST(:l) WITH ORDINALITY AS _t{n}(_e{n}, _n{n})) "
                  f"AS _k{n} WHERE _c{n} <> 0 ORDER BY _n{n} LIMIT 1)", c=code, l=items)

    def longest_gap(self, instants: exp.Expression, number: int) -> exp.Expression:
        n = number
        instant, previous = exp.to_identifier(f"_u{n}"), pg(f"LAG(_u{n}) OVER (ORDER BY _u{n})")
        gap = pg("CAST(:b - :a AS DOUBLE PRECISION) / 1000000 / 86400", a=self.epoch_us(previous),
                 b=self.epoch_us(instant))
        return pg(f"(SELECT MAX(_g{n}) FROM (SELECT :g AS _g{n} FROM UNNEST(:l) AS _w{n}(_u{n})) AS _v{n})",
                  g=gap, l=instants)

    def longest_local_day_gap(self, instants: exp.Expression, number: int, zone_name: str) -> exp.Expression:
        n = number
        day = pg(f"CAST(_u{n} AT TIME ZONE :z AS DATE)", z=exp.Literal.string(zone_name))
        return pg(f"(SELECT CAST(MAX(_g{n}) AS BIGINT) FROM (SELECT _d{n} - LAG(_d{n}) OVER (ORDER BY _d{n}) AS _g{n} "
                  f"FROM (SELECT :d AS _d{n} FROM UNNEST(:l) AS _w{n}(_u{n})) AS _x{n}) AS _v{n})", d=day, l=instants)

    def list_max(self, items: exp.Expression, number: int) -> exp.Expression:
        n = number
        return pg(f"(SELECT MAX(_m{n}) FROM UNNEST(:l) AS _y{n}(_m{n}))", l=items)


# --- what a data team needs besides the query -------------------------------------------------------


def header_lines() -> list[str]:
    """The tables the PostgreSQL query reads and how to load them (comment lines of `check explain-sql`)."""
    return [
        "-- Reads a table `records` (record_index BIGINT, record JSONB): one row per record, `record` its JSON as",
        "-- written in the record model (fields outside the model are ignored). The records must be valid",
        "-- against the model, as `check` validates them (it rejects the others, each located): a value",
        "-- of another type or an unreadable timestamp stops the query. Loading JSON Lines with psql:",
        "--   CREATE TABLE records (record_index BIGINT GENERATED ALWAYS AS IDENTITY, record JSONB NOT NULL);",
        "--   \\copy records (record) FROM 'cases.jsonl' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')",
        "-- (CSV with quote and delimiter characters that JSON text never holds: each line is read as it is).",
        "-- The results do not depend on the session's TimeZone.",
    ]


# Printed before the query: PostgreSQL's JIT compiler (on by default where it is installed) takes minutes
# over this query's expressions, which run in well under a second on a sample without it.
SESSION_SETTINGS = "SET jit = off;\n"


def calendar_statements(first_day: date, ordinals: list[int]) -> str:
    """SQL creating and filling the one-row table `workday_calendar` (PostgreSQL and DuckDB alike)."""
    values = ", ".join(str(value) for value in ordinals)
    return ("CREATE TABLE workday_calendar (first_day DATE, ordinals INTEGER[]);\n"
            f"INSERT INTO workday_calendar VALUES (DATE '{first_day.isoformat()}', ARRAY[{values}]);\n")
