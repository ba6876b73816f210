"""Static analysis of a CEL syntax tree against declared types: what can be known before any record is read.

The caller declares the names an expression may read (`Environment.variables`, each a `CelType`, usually
built from a JSON Schema with `type_from_schema`) and the helper functions it may call (`Environment.functions`,
each a `FunctionType`: parameter types and result type). `analyse(tree, environment)` walks the tree once,
infers the type of each sub-expression, and returns its `Analysis`: the inferred type and the `Problem`s found,
each located by its offset in the expression text. Errors:

- a function or method that does not exist, or not with that number of arguments (with a did-you-mean);
- a field that the declared type does not have, on any path: `case.victim.kindd`, `case["victim"].kindd`,
  and through comprehension variables, which are bound to the item type of the list they range over
  (`case.key_events.all(e, e.victim_informed_att != null)`); reading a field of a list;
- a field compared (`==`, `!=`, `<`, …, `in [...]`) with a literal of another type (`case.outcome.code == 16`
  where the code is a string), or with a value its enum does not allow (`case.victim.kind == "persn"`);
- `size()` of something that is not a list, a map or a string;
- arithmetic on types that have no such operator (`int + double`: CEL converts nothing).

Warnings: a comprehension nested in another whose list does not depend on the outer item (its cost
grows as the product of the two lists' sizes).

Where a type is not known (`dyn`: a free-form map, a helper returning anything, a mixed list) nothing
is reported: the analysis only refuses what is certainly wrong. This module imports nothing else from
the project; it knows CEL's own functions, and the caller's are declared.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from checker.cel.syntax import (
    Access, Call, Chain, Comprehension, Conditional, Group, Has, Ident, ListExpr, Literal, Logical, MapExpr, Node,
    Unary, literal_text,
)
from checker.cel.tree import names, start
from checker.cel.types import (
    BOOL_TYPE, DOUBLE, DOUBLE_TYPE, DURATION, DURATION_TYPE, DYN, DYN_TYPE, INT, INT_TYPE, LIST, MAP, NULL, NUMBER,
    NUMERIC, OBJECT, STRING, STRING_TYPE, TIMESTAMP, TIMESTAMP_TYPE, CelType, accepts, arithmetic, comparable, join,
    join_all, list_of, type_of_value,
)

# --- functions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionType:
    """A helper function: its parameters' types (dyn accepts anything) and its result's type."""

    parameters: tuple[CelType, ...]
    result: CelType = DYN_TYPE


# CEL's own global functions: name → {arity: result kind}.
_BUILTIN_FUNCTIONS: dict[str, dict[int, CelType]] = {
    "size": {1: INT_TYPE}, "int": {1: INT_TYPE}, "double": {1: DOUBLE_TYPE}, "string": {1: STRING_TYPE},
    "timestamp": {1: TIMESTAMP_TYPE}, "duration": {1: DURATION_TYPE}, "dyn": {1: DYN_TYPE},
    "matches": {2: BOOL_TYPE},
}
_TIME_GETTERS = ("getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours",
                 "getMinutes", "getSeconds", "getMilliseconds")
# CEL's methods: name → {arity (not counting the receiver): result type}.
_BUILTIN_METHODS: dict[str, dict[int, CelType]] = {
    "size": {0: INT_TYPE}, "matches": {1: BOOL_TYPE}, "startsWith": {1: BOOL_TYPE}, "endsWith": {1: BOOL_TYPE},
    "contains": {1: BOOL_TYPE}, **{name: {0: INT_TYPE, 1: INT_TYPE} for name in _TIME_GETTERS},
}
_MACROS = {"all": (1, 2), "exists": (1, 2), "exists_one": (1, 2), "filter": (1, 2), "map": (2, 3)}  # with the var


# --- results ------------------------------------------------------------------------------------

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """Something wrong with an expression, at `offset` in its text."""

    offset: int
    message: str
    severity: str = ERROR


@dataclass(frozen=True)
class Environment:
    """What an expression may read: names and their types, and helper functions by name."""

    variables: Mapping[str, CelType]
    functions: Mapping[str, FunctionType] = field(default_factory=dict)


@dataclass(frozen=True)
class Analysis:
    type: CelType
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == WARNING]


def analyse(tree: Node, environment: Environment) -> Analysis:
    """The inferred type of `tree` and every problem found in it, in the order of the text."""
    analyser = _Analyser(environment)
    result = analyser.visit(tree).type
    problems = sorted(dict.fromkeys(analyser.problems), key=lambda problem: problem.offset)
    return Analysis(result, tuple(problems))


def did_you_mean(name: str, choices: Any, quote: str = "'") -> str:
    """` (did you mean 'x'?)` for the closest choice, or ""."""
    close = difflib.get_close_matches(str(name), [str(choice) for choice in choices], n=1, cutoff=0.6)
    return f" (did you mean {quote}{close[0]}{quote}?)" if close else ""


# --- the walk -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Typed:
    """A sub-expression's type, and its path when it is a field read from a declared name (for messages)."""

    type: CelType
    path: str | None = None  # "case.victim.kind", "e.at"
    below_root: str | None = None  # "victim.kind": the path under a declared name (None under a loop variable)


_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class _Analyser:
    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.scopes: list[dict[str, _Typed]] = []  # comprehension variables, innermost last
        self.loops: list[tuple[str, bool]] = []  # (variable, range is constant) of enclosing comprehensions
        self.problems: list[Problem] = []

    def error(self, offset: int, message: str) -> None:
        self.problems.append(Problem(offset, message))

    def visit(self, node: Node) -> _Typed:
        return getattr(self, "_" + type(node).__name__)(node)

    # names and fields

    def _Literal(self, node: Literal) -> _Typed:
        return _Typed(type_of_value(node.value))

    def _Ident(self, node: Ident) -> _Typed:
        for scope in reversed(self.scopes):
            if node.name in scope:
                return scope[node.name]
        declared = self.environment.variables.get(node.name)
        if declared is None:
            hint = did_you_mean(node.name, list(self.environment.variables) + [n for s in self.scopes for n in s])
            self.error(node.offset, f"undeclared reference to '{node.name}'{hint}")
            return _Typed(DYN_TYPE)
        return _Typed(declared, node.name, "")

    def _Group(self, node: Group) -> _Typed:
        return self.visit(node.inner)

    def _Access(self, node: Access) -> _Typed:
        current = self.visit(node.root)
        for (kind, payload), offset in zip(node.steps, node.step_offsets or [node.offset] * len(node.steps)):
            if kind == "index":
                index = self.visit(payload)
                if isinstance(payload, Literal) and type(payload.value) is str:  # not reached: parsed as "key"
                    current = self.select(current, payload.value, offset, bracket=True)
                else:
                    current = self.index(current, index.type, offset)
            else:
                current = self.select(current, payload, offset, bracket=kind == "key")
        return current

    def select(self, base: _Typed, name: str, offset: int, bracket: bool) -> _Typed:
        """`base.name` or `base["name"]`."""
        step = f'["{name}"]' if bracket else f".{name}"
        path = base.path + step if base.path is not None else None
        below = (f"{base.below_root}.{name}" if base.below_root else name) if base.below_root is not None else None
        kind = base.type.kind
        if kind == OBJECT:
            fields = base.type.fields or {}
            if name in fields:
                return _Typed(fields[name], path, below)
            self.error(offset, self.unknown_field(base, name, path))
            return _Typed(DYN_TYPE)
        if kind == MAP:
            return _Typed(base.type.value or DYN_TYPE, path, below)
        if kind == LIST:
            self.error(offset, f"'{base.path or 'this value'}' is a list; read its items with .all(), .exists(), "
                               f".map() or .filter()")
            return _Typed(DYN_TYPE)
        if kind in (DYN,):
            return _Typed(DYN_TYPE, path, below)
        self.error(offset, f"'{base.path or 'this value'}' is {_a(kind)}, which has no field '{name}'")
        return _Typed(DYN_TYPE)

    def unknown_field(self, base: _Typed, name: str, path: str | None) -> str:
        fields = base.type.fields or {}
        shown = path or name
        if base.type.label:
            return (f"undeclared {base.type.label} '{shown}'{did_you_mean(name, fields)}; declare it under "
                    f"'{base.path}:'")
        if base.below_root is not None and base.path is not None:
            full = f"{base.below_root}.{name}" if base.below_root else name
            choices = [f"{base.below_root}.{f}" if base.below_root else f for f in fields]
            root = self.environment.variables.get(base.path.split(".")[0].split("[")[0])
            where = (root.description if root is not None else "") or f"'{base.path}'"
            return f"'{shown}' is not a field of {where}{did_you_mean(full, choices)}"
        where = base.type.description or (f"'{base.path}'" if base.path else "this map")
        return f"'{shown}' is not a field of {where}{did_you_mean(name, fields)}"

    def index(self, base: _Typed, index: CelType, offset: int) -> _Typed:
        kind = base.type.kind
        if kind == LIST:
            if index.kind not in (INT, DYN, NUMBER):
                self.error(offset, f"a list index must be an int, not {_a(index.kind)}")
            return _Typed(base.type.item or DYN_TYPE)
        if kind == MAP:
            return _Typed(base.type.value or DYN_TYPE)
        if kind in (DYN, OBJECT):
            return _Typed(DYN_TYPE)
        self.error(offset, f"{_a(kind)} cannot be indexed")
        return _Typed(DYN_TYPE)

    def _Has(self, node: Has) -> _Typed:
        base = self.visit(node.operand)
        if base.type.kind == OBJECT:
            self.select(base, node.field, node.field_offset if node.field_offset >= 0 else node.offset, False)
        return _Typed(BOOL_TYPE)

    # operators

    def _Unary(self, node: Unary) -> _Typed:
        operand = self.visit(node.operand)
        return _Typed(BOOL_TYPE) if node.op == "!" else _Typed(replace(operand.type, enum=None, nullable=False))

    def _Logical(self, node: Logical) -> _Typed:
        for term in node.terms:
            self.visit(term)
        return _Typed(BOOL_TYPE)

    def _Conditional(self, node: Conditional) -> _Typed:
        self.visit(node.test)
        then, other = self.visit(node.then), self.visit(node.other)
        return _Typed(join(then.type, other.type))

    def _Chain(self, node: Chain) -> _Typed:
        left_node, left = node.first, self.visit(node.first)
        for op, right_node in node.rest:
            right = self.visit(right_node)
            if op in _COMPARISONS:
                if isinstance(left_node, Literal):
                    self.compare(right, left_node, left)
                else:
                    self.compare(left, right_node, right)
                left = _Typed(BOOL_TYPE)
            elif op == "in":
                self.membership(left_node, left, right_node)
                left = _Typed(BOOL_TYPE)
            else:
                result = arithmetic(op, left.type, right.type)
                if result is None:
                    hint = (" (CEL converts no numbers: write double(…) or int(…))"
                            if {left.type.kind, right.type.kind} == {INT, DOUBLE} else "")
                    self.error(start(right_node), f"no operator {op} for {_a(str(left.type))} and "
                                                  f"{_a(str(right.type))}{hint}")
                left = _Typed(result or DYN_TYPE)
            left_node = right_node
        return left

    def compare(self, field_type: _Typed, other_node: Node, other: _Typed) -> None:
        """A field (a path read from a declared name) compared with a literal of the wrong type or value,
        or with another field of a type it can never equal."""
        if field_type.path is None:
            return
        if isinstance(other_node, Literal):
            self.check_literal(field_type, other_node)
            return
        expected, actual = field_type.type.kind, other.type.kind
        if other.path is not None and NULL not in (expected, actual) and not comparable(expected, actual):
            self.error(start(other_node), f"'{field_type.path}' is {_a(str(field_type.type))}, compared with "
                                          f"'{other.path}' ({_a(str(other.type))})")

    def membership(self, item_node: Node, item: _Typed, container: Node) -> None:
        if item.path is None or not isinstance(container, ListExpr):
            return
        for element in container.items:
            if isinstance(element, Literal):
                self.check_literal(item, element)

    def check_literal(self, field_type: _Typed, literal: Literal) -> None:
        expected, value = field_type.type, literal.value
        if value is None or expected.kind == DYN:
            return
        actual = type_of_value(value).kind
        if not comparable(expected.kind, actual):
            hint = ""
            if expected.kind == STRING and actual in (INT, DOUBLE):
                hint = f' (did you mean "{value}"?)'
            elif expected.kind in NUMERIC and actual == STRING and _is_number(value):
                hint = f" (did you mean {value}?)"
            elif expected.kind == TIMESTAMP and actual == STRING:
                hint = f" (did you mean timestamp({literal_text(value)})?)"
            elif expected.kind == DURATION and actual == STRING:
                hint = f" (did you mean duration({literal_text(value)})?)"
            self.error(literal.offset, f"'{field_type.path}' is {_a(str(expected))}, compared with {literal_text(value)}"
                                       f" ({_a(actual)}){hint}")
            return
        if expected.enum is not None and value not in expected.enum:
            allowed = ", ".join(literal_text(v) for v in expected.enum)
            hint = did_you_mean(value, expected.enum, quote='"') if isinstance(value, str) else ""
            self.error(literal.offset, f"{literal_text(value)} is not an allowed value of '{field_type.path}'"
                                       f"{hint}; allowed: {allowed}")

    # literals

    def _ListExpr(self, node: ListExpr) -> _Typed:
        return _Typed(list_of(join_all([self.visit(item).type for item in node.items])))

    def _MapExpr(self, node: MapExpr) -> _Typed:
        values = []
        for key, value in node.entries:
            self.visit(key)
            values.append(self.visit(value).type)
        return _Typed(CelType(MAP, value=join_all(values)))

    # calls

    def _Call(self, node: Call) -> _Typed:
        args = [self.visit(arg) for arg in node.args]
        if node.target is not None:
            return self.method(node, self.visit(node.target), args)
        name = node.name
        declared = self.environment.functions.get(name)
        if declared is not None:
            if len(args) != len(declared.parameters):
                self.error(node.offset, f"{name}() takes {_arguments(len(declared.parameters))}, "
                                        f"given {len(args)}")
            else:
                for arg_node, arg, parameter in zip(node.args, args, declared.parameters):
                    if not accepts(parameter, arg.type):
                        self.error(start(arg_node), f"{name}() expects {_a(str(parameter))} here, not {_a(str(arg.type))}")
            return _Typed(declared.result)
        builtin = _BUILTIN_FUNCTIONS.get(name)
        if builtin is None:
            choices = list(self.environment.functions) + list(_BUILTIN_FUNCTIONS)
            self.error(node.offset, f"unknown function '{name}'{did_you_mean(name, choices)}")
            return _Typed(DYN_TYPE)
        if len(args) not in builtin:
            self.error(node.offset, f"{name}() takes {_arguments(min(builtin))}, given {len(args)}")
            return _Typed(DYN_TYPE)
        if name == "size":
            self.sized(node.args[0], args[0])
        return _Typed(builtin[len(args)])

    def method(self, node: Call, target: _Typed, args: list[_Typed]) -> _Typed:
        name = node.name
        builtin = _BUILTIN_METHODS.get(name)
        if builtin is None:
            hint = did_you_mean(name, list(_BUILTIN_METHODS) + list(_MACROS))
            self.error(node.offset, f"unknown method '{name}'{hint}")
            return _Typed(DYN_TYPE)
        if len(args) not in builtin:
            self.error(node.offset, f"{name}() takes {_arguments(min(builtin))}, given {len(args)}")
            return _Typed(DYN_TYPE)
        if name == "size":
            self.sized(node.target, target)
        return _Typed(builtin[len(args)])

    def sized(self, node: Node, value: _Typed) -> None:
        if value.type.kind not in (LIST, MAP, OBJECT, STRING, DYN):
            shown = f"'{value.path}' is {_a(str(value.type))}" if value.path else f"this is {_a(str(value.type))}"
            self.error(start(node), f"size() counts the items of a list or map or the characters of a string; "
                                    f"{shown}")

    def _Comprehension(self, node: Comprehension) -> _Typed:
        source = self.visit(node.range)
        kind = source.type.kind
        if kind == LIST:
            item_type = source.type.item or DYN_TYPE
            if source.path is not None and item_type.kind == OBJECT:  # `e.x` unknown: "a field of 'case.l' items"
                item_type = replace(item_type, description=f"'{source.path}' items")
        elif kind == MAP:
            item_type = STRING_TYPE
        elif kind == OBJECT:
            item_type = CelType(STRING, enum=tuple(source.type.fields or ()))
        else:
            item_type = DYN_TYPE
            if kind != DYN:
                shown = f"'{source.path}' is {_a(str(source.type))}" if source.path else f"this is {_a(str(source.type))}"
                self.error(start(node.range), f"{node.macro}() ranges over a list or a map; {shown}")
        item = _Typed(item_type, node.var, None)  # fields of the item are named as the author wrote them
        self.warn_product(node)
        self.loops.append((node.var, isinstance(node.range, ListExpr)))
        self.scopes.append({node.var: item})
        bodies = [self.visit(arg) for arg in node.args]
        self.scopes.pop()
        self.loops.pop()
        if node.macro in ("all", "exists", "exists_one"):
            return _Typed(BOOL_TYPE)
        if node.macro == "filter":
            return _Typed(list_of(item.type) if kind == LIST else list_of(DYN_TYPE))
        return _Typed(list_of(bodies[-1].type))

    def warn_product(self, node: Comprehension) -> None:
        """A comprehension inside another, over a list that does not depend on the outer item: its cost
        is the product of the two lists' sizes."""
        outer = [(var, constant) for var, constant in self.loops if not constant]
        if not outer or isinstance(node.range, ListExpr):
            return
        reads = set(names(node.range))
        if any(var in reads for var, _ in self.loops):
            return
        self.problems.append(Problem(start(node), f"{node.macro}() inside {outer[-1][0]}'s loop ranges over a list "
                                                  f"that does not depend on '{outer[-1][0]}': the cost grows as the "
                                                  "product of the two lists' sizes", WARNING))


# --- helpers ---------------------------------------------------------------------------------------


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _arguments(count: int) -> str:
    return f"{count} argument{'' if count == 1 else 's'}"
