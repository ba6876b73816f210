"""CEL types as the static analysis knows them (`CelType`), read from JSON Schema (`type_from_schema`), and
what operators and functions make of them. Nothing here reads a syntax tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

# --- types --------------------------------------------------------------------------------------

DYN, NULL, BOOL, INT, DOUBLE, NUMBER, STRING, TIMESTAMP, DURATION, LIST, MAP, OBJECT = (
    "dyn", "null", "bool", "int", "double", "number", "string", "timestamp", "duration", "list", "map", "object")
NUMERIC = frozenset({INT, DOUBLE, NUMBER})


@dataclass(frozen=True)
class CelType:
    """What is known of a value's type.

    `kind` is one of dyn, null, bool, int, double, number (int or double), string, timestamp, duration,
    list (`item`), map (free-form: `value`), object (a map with known `fields`, closed). `nullable`: it
    may also be null. `enum`: the only values allowed (None: any). `label` names an object's fields in
    messages ("setting": "undeclared setting 'settings.x'"); `description` names the type ("the case model")."""

    kind: str
    nullable: bool = False
    item: CelType | None = None
    value: CelType | None = None
    fields: Mapping[str, CelType] | None = None
    enum: tuple[Any, ...] | None = None
    label: str = ""
    description: str = ""

    def __str__(self) -> str:
        if self.kind == LIST and self.item is not None and self.item.kind != DYN:
            return f"list of {self.item}"
        return "map" if self.kind == OBJECT else self.kind


DYN_TYPE = CelType(DYN)
NULL_TYPE = CelType(NULL)
BOOL_TYPE = CelType(BOOL)
INT_TYPE = CelType(INT)
DOUBLE_TYPE = CelType(DOUBLE)
STRING_TYPE = CelType(STRING)
TIMESTAMP_TYPE = CelType(TIMESTAMP)
DURATION_TYPE = CelType(DURATION)


def list_of(item: CelType) -> CelType:
    return CelType(LIST, item=item)


def object_type(fields: Mapping[str, CelType], label: str = "", description: str = "") -> CelType:
    return CelType(OBJECT, fields=dict(fields), label=label, description=description)


def type_of_value(value: Any) -> CelType:
    """The type of a constant (a literal, a setting's value)."""
    if value is None:
        return NULL_TYPE
    kind = {bool: BOOL, int: INT, float: DOUBLE, str: STRING, datetime: TIMESTAMP, timedelta: DURATION}.get(
        type(value))
    if kind is not None:
        return CelType(kind)
    if type(value) is list:
        return list_of(join_all([type_of_value(item) for item in value]))
    return CelType(MAP, value=DYN_TYPE) if type(value) is dict else DYN_TYPE


_JSON_KINDS = {"boolean": BOOL, "integer": INT, "number": NUMBER, "string": STRING, "null": NULL}


def type_from_schema(schema: Mapping[str, Any], formats: Mapping[str, str] | None = None,
                     description: str = "") -> CelType:
    """The CEL type of values valid against a JSON Schema (`type`, `properties`, `items`, `enum`, `format`).

    `formats` maps a string format to a CEL kind, for strings a reader turns into other values
    (e.g. {"date-time": "timestamp"}). An object with `properties` is closed (its fields are known);
    one without is a free-form map. Anything else (several non-null types, no type) is dyn."""
    formats = formats or {}
    declared = schema.get("type")
    kinds = {declared} if isinstance(declared, str) else set(declared or ())
    nullable = "null" in kinds
    kinds.discard("null")
    enum = tuple(value for value in schema["enum"] if value is not None) if "enum" in schema else None
    if len(kinds) != 1:
        return CelType(DYN, nullable=nullable)
    (kind,) = kinds
    if kind == "object":
        properties = schema.get("properties")
        if properties is None:
            extra = schema.get("additionalProperties")
            value = type_from_schema(extra, formats) if isinstance(extra, Mapping) else DYN_TYPE
            return CelType(MAP, nullable=nullable, value=value, description=description)
        fields = {name: type_from_schema(sub, formats) for name, sub in properties.items()}
        return CelType(OBJECT, nullable=nullable, fields=fields, description=description)
    if kind == "array":
        items = schema.get("items")
        return CelType(LIST, nullable=nullable,
                       item=type_from_schema(items, formats) if isinstance(items, Mapping) else DYN_TYPE)
    if kind == "string" and schema.get("format") in formats:
        return CelType(formats[schema["format"]], nullable=nullable)
    return CelType(_JSON_KINDS.get(kind, DYN), nullable=nullable, enum=enum)


def join(a: CelType, b: CelType) -> CelType:
    """The type of a value that is either an `a` or a `b` (the branches of `? :`, the items of a list)."""
    if a.kind == NULL:
        return replace(b, nullable=True)
    if b.kind == NULL:
        return replace(a, nullable=True)
    nullable = a.nullable or b.nullable
    if a.kind == b.kind:
        if a.kind == LIST:
            items = [t for t in (a.item, b.item) if t is not None]
            item = join(items[0], items[1]) if len(items) == 2 else DYN_TYPE
            return CelType(LIST, nullable=nullable, item=item)
        if a.kind == OBJECT and a.fields != b.fields:
            return CelType(MAP, nullable=nullable, value=DYN_TYPE)
        enum = tuple(dict.fromkeys(a.enum + b.enum)) if a.enum is not None and b.enum is not None else None
        return replace(a, nullable=nullable, enum=enum)
    if a.kind in NUMERIC and b.kind in NUMERIC:
        return CelType(NUMBER, nullable=nullable)
    return CelType(DYN, nullable=nullable)


def join_all(types: list[CelType]) -> CelType:
    """The join of the items' types; an empty list's items are dyn (they join with anything)."""
    if not types:
        return DYN_TYPE
    result = types[0]
    for other in types[1:]:
        result = join(result, other)
    return result


def join_list_items(a: CelType, b: CelType) -> CelType:
    """`list + list`: an empty literal `[]` (items dyn) takes the other list's item type."""
    if a.kind == DYN:
        return b
    if b.kind == DYN:
        return a
    return join(a, b)



def comparable(expected: str, actual: str) -> bool:
    if expected == actual or DYN in (expected, actual):
        return True
    return expected in NUMERIC and actual in NUMERIC


def accepts(parameter: CelType, argument: CelType) -> bool:
    if parameter.kind == DYN or argument.kind in (DYN, NULL):
        return True
    if parameter.kind == LIST and argument.kind == LIST:
        return parameter.item is None or argument.item is None or accepts(parameter.item, argument.item)
    return comparable(parameter.kind, argument.kind) or {parameter.kind, argument.kind} <= {MAP, OBJECT}


_CERTAIN = frozenset({BOOL, INT, DOUBLE, STRING, TIMESTAMP, DURATION, LIST, MAP, OBJECT})  # NUMBER may be either


def arithmetic(op: str, left: CelType, right: CelType) -> CelType | None:
    """The type of `left op right` (+ - * / %), or None when no values of these types have the operator
    (CEL converts nothing: int + double is an error)."""
    a, b = left.kind, right.kind
    if op == "+" and a == LIST and b == LIST:
        return list_of(join_list_items(left.item or DYN_TYPE, right.item or DYN_TYPE))
    if op == "+" and a == STRING and b == STRING:
        return STRING_TYPE
    if op == "-" and a == TIMESTAMP and b == TIMESTAMP:
        return DURATION_TYPE
    if (op == "+" and {a, b} == {TIMESTAMP, DURATION}) or (op == "-" and (a, b) == (TIMESTAMP, DURATION)):
        return TIMESTAMP_TYPE
    if op in "+-" and a == DURATION and b == DURATION:
        return DURATION_TYPE
    if a in (INT, DOUBLE) and a == b and not (a == DOUBLE and op == "%"):
        return CelType(a)
    if a in _CERTAIN and b in _CERTAIN:
        return None
    if a in NUMERIC and b in NUMERIC:
        return CelType(NUMBER)
    return DYN_TYPE
