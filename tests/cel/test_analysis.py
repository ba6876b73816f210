"""The static analysis on its own: a type environment from a small JSON Schema and declared functions,
nothing from the checker's case model or packs."""

from __future__ import annotations

from typing import Any

import pytest

from checker.cel.analysis import Environment, FunctionType, Problem, analyse
from checker.cel.tree import field_paths
from checker.cel.types import (
    BOOL_TYPE, DOUBLE_TYPE, INT_TYPE, STRING_TYPE, TIMESTAMP_TYPE, list_of, object_type, type_from_schema,
)
from checker.cel.syntax import parse

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": ["integer", "null"]},
        "score": {"type": "number"},
        "when": {"type": ["string", "null"], "format": "date-time"},
        "colour": {"type": ["string", "null"], "enum": ["red", "green", None]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "pets": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["cat", "dog"]}, "born": {"type": "string", "format": "date-time"}}}},
        "notes": {"type": ["object", "null"]},
        "owner": {"type": ["object", "null"], "properties": {"name": {"type": "string"}}},
    },
}
RECORD = type_from_schema(SCHEMA, {"date-time": "timestamp"}, description="the record")
ENVIRONMENT = Environment(
    {"r": RECORD, "limits": object_type({"max_age": INT_TYPE}, label="limit")},
    {"days_between": FunctionType((TIMESTAMP_TYPE, TIMESTAMP_TYPE), INT_TYPE)},
)


def problems(text: str) -> list[tuple[int, str]]:
    return [(problem.offset, problem.message) for problem in analyse(parse(text), ENVIRONMENT).problems]


@pytest.mark.parametrize("text", [
    'r.name == "x" && r.age != null && r.age >= limits.max_age',
    "r.pets.all(p, p.born < r.when) && r.pets.exists(p, p.kind == 'cat')",
    'r.colour in ["red", "green"] && r.colour != null',
    "size(r.tags) + size(r.name) + size(r.notes) + r.tags.size() > 0",
    "r.notes.anything.at.all == 1 && has(r.owner.name)",  # a free-form map: any key
    'days_between(r.when, r.when) <= 3 && r.score > 1 && r.score == 2.5',
    '[r.pets.map(p, p.kind), ["cat"]].all(l, l.all(k, k in ["cat", "dog"]))',
    "r.age == 3.0 && r.when == null",  # numbers compare across int and double; null with anything
    "r.score + 1 > 0 && r.score + 1.5 > 0",  # a JSON number is an int or a double: either may hold
    "r.when - duration('1h') < r.when + duration('1h') && r.when - r.when > duration('0s')",
])
def test_well_typed_expressions_have_no_problems(text: str) -> None:
    assert problems(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("r.nam == 'x'", [(2, "'r.nam' is not a field of the record (did you mean 'name'?)")]),
    ("r['owner'].nam == 'x'", [(11, "'r[\"owner\"].nam' is not a field of the record (did you mean 'owner.name'?)")]),
    ("r.pets.exists(p, p.knd == 'cat')", [(19, "'p.knd' is not a field of 'r.pets' items (did you mean 'kind'?)")]),
    ("r.pets.exists(p, p.kind == 'cow')",
     [(27, "\"cow\" is not an allowed value of 'p.kind'; allowed: \"cat\", \"dog\"")]),
    ("'rde' == r.colour", [(0, "\"rde\" is not an allowed value of 'r.colour' (did you mean \"red\"?); "
                              "allowed: \"red\", \"green\"")]),
    ("r.age == '3'", [(9, "'r.age' is an int, compared with \"3\" (a string) (did you mean 3?)")]),
    ("r.when < '2020-01-01'", [(9, "'r.when' is a timestamp, compared with \"2020-01-01\" (a string) "
                                   "(did you mean timestamp(\"2020-01-01\")?)")]),
    ("r.name == r.age", [(10, "'r.name' is a string, compared with 'r.age' (an int)")]),
    ("size(r.age) > 0", [(5, "size() counts the items of a list or map or the characters of a string; "
                            "'r.age' is an int")]),
    ("r.tags.name", [(7, "'r.tags' is a list; read its items with .all(), .exists(), .map() or .filter()")]),
    ("dayz_between(r.when, r.when)", [(0, "unknown function 'dayz_between' (did you mean 'days_between'?)")]),
    ("days_between(r.when)", [(0, "days_between() takes 2 arguments, given 1")]),
    ("days_between(r.name, r.when)", [(13, "days_between() expects a timestamp here, not a string")]),
    ("r.name.startswith('a')", [(7, "unknown method 'startswith' (did you mean 'startsWith'?)")]),
    ("limits.max_ag > 1", [(7, "undeclared limit 'limits.max_ag' (did you mean 'max_age'?); "
                               "declare it under 'limits:'")]),
    ("q.name", [(0, "undeclared reference to 'q'")]),
    ("r.age.all(x, x > 0)", [(0, "all() ranges over a list or a map; 'r.age' is an int")]),
    ("r.age + 1.5 > 2.0", [(8, "no operator + for an int and a double (CEL converts no numbers: write double(…) "
                               "or int(…))")]),
    ("r.name - 'a' == ''", [(9, "no operator - for a string and a string")]),
    ("r.tags + r.name", [(9, "no operator + for a list of string and a string")]),
    ("duration('1h') - r.when == r.when", [(17, "no operator - for a duration and a timestamp")]),
    ("double(r.age) % 2.0 == 0.0", [(16, "no operator % for a double and a double")]),
])
def test_problems_are_found_and_located(text: str, expected: list[tuple[int, str]]) -> None:
    assert problems(text) == expected


def test_a_comprehension_nested_over_an_independent_list_is_a_warning() -> None:
    (warning,) = analyse(parse("r.pets.all(p, r.tags.exists(t, t == p.kind))"), ENVIRONMENT).problems
    assert warning == Problem(14, "exists() inside p's loop ranges over a list that does not depend on 'p': the cost "
                                  "grows as the product of the two lists' sizes", "warning")
    assert analyse(parse("r.pets.all(p, [p.kind].exists(k, k == 'cat'))"), ENVIRONMENT).problems == ()
    assert analyse(parse("r.pets.all(p, ['a', 'b'].exists(k, k == p.kind))"), ENVIRONMENT).problems == ()


def test_inferred_types() -> None:
    def type_of(text: str) -> Any:
        return analyse(parse(text), ENVIRONMENT).type

    assert type_of("r.pets.map(p, p.kind)") == list_of(RECORD.fields["pets"].item.fields["kind"])
    assert type_of("r.pets.filter(p, true)").item.fields == RECORD.fields["pets"].item.fields
    assert type_of("(r.age > 1 ? ['a'] : []) + r.tags") == list_of(STRING_TYPE)
    assert type_of("r.score + r.score").kind == "number"  # int or double, as the record holds it
    assert type_of("days_between(r.when, r.when) * 2") == INT_TYPE
    assert type_of("double(r.age) / 2.0") == DOUBLE_TYPE
    assert type_of("r.pets.exists(p, true)") == BOOL_TYPE


def test_field_paths_read_from_a_root() -> None:
    tree = parse("r.owner.name == r['name'] && r.pets.all(r, r.kind == 'cat') && has(r.notes)")
    assert field_paths(tree, "r") == [("owner.name", 2), ("name", 17), ("pets", 31), ("notes", 69)]
