"""The CEL compiler: a syntax tree into a tree of Python closures over an activation (`compile_program`)."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from checker.cel.errors import (
    BudgetExceeded,
    CelError,
    CelSyntaxError,
    NoSuchKeyError,
    _no_overload,
    _not_bool,
    type_name,
)
from checker.cel.runtime import (
    _BINARY,
    _COMPARE,
    _GLOBAL_FUNCTIONS,
    _MAP_KEYS,
    _MIRROR,
    _RESULT_TYPES,
    _STRING_METHODS,
    _TIMESTAMP_FIELDS,
    _UNSUPPORTED_FUNCTIONS,
    _checked_result,
    _getter,
    _matches,
    _negate,
    regex,
    size,
)
from checker.cel.syntax import (
    Access,
    Call,
    Chain,
    Comprehension,
    Conditional,
    Group,
    Has,
    Ident,
    ListExpr,
    Literal,
    Logical,
    MapExpr,
    Node,
    Unary,
    parse,
)
from checker.cel.tree import children

FUNCTION_SUFFIX = "()"  # activation key of a helper function: "hours_between()"
MEMO_KEY = "#memo"  # activation key of the per-activation cache of named programs and helper calls
MEMO_PREFIX = "#"
BUDGET_KEY = "#budget"  # memo key: list items the activation may still visit in comprehensions
EVALUATION_BUDGET = 1_000_000  # list items visited by all(), exists(), map(), filter() per activation

Activation = dict[str, Any]
Run = Callable[[Activation], Any]



class _Code(NamedTuple):
    run: Run
    constant: bool = False
    value: Any = None


def _constant(value: Any) -> _Code:
    return _Code(lambda activation: value, True, value)


def _folded(run: Run, *parts: _Code) -> _Code:
    """`run` as a constant when every part is constant and it evaluates without error; else as is."""
    if all(part.constant for part in parts):
        try:
            return _constant(run({}))
        except Exception:  # an error the expression must raise when it runs, not now
            return _Code(run)
    return _Code(run)


class _Compiler:
    """Turns syntax-tree nodes into closures over the activation."""

    def __init__(self, text: str, scope: Scope) -> None:
        self.text = text
        self.scope = scope
        self.bound: list[str] = []  # comprehension variables in scope, innermost last

    def error(self, problem: str, node: Node, offset: int | None = None) -> CelSyntaxError:
        return CelSyntaxError(problem, self.text, node.offset if offset is None else offset)

    def compile(self, node: Node) -> _Code:
        return getattr(self, "_" + type(node).__name__)(node)

    def _Group(self, node: Group) -> _Code:
        """A parenthesised sub-expression is the expression itself: brackets change nothing at run time
        (values worth evaluating once per activation are named programs, see `Scope`)."""
        return self.compile(node.inner)

    def _Literal(self, node: Literal) -> _Code:
        return _constant(node.value)

    def _Ident(self, node: Ident) -> _Code:
        name = node.name
        if name not in self.bound:
            if name in self.scope.constants:
                return _constant(self.scope.constants[name])
            if name in self.scope.programs:
                raise self.error(f"'{name}' is a namespace of named values: read one as {name}.NAME", node)

        def ident(activation: Activation) -> Any:
            try:
                return activation[name]
            except KeyError:
                raise CelError(f"undeclared reference to '{name}'") from None
        return _Code(ident)

    # selection

    def _Access(self, node: Access) -> _Code:
        root = node.root
        if (isinstance(root, Ident) and root.name in self.scope.programs and root.name not in self.bound
                and node.steps[0][0] != "index"):
            return self.steps(self.named(root.name, node.steps[0][1], node, 0), node, node.steps[1:])
        if all(kind != "index" for kind, _ in node.steps) and not (
                isinstance(root, Ident) and root.name in self.scope.constants and root.name not in self.bound):
            keys = tuple(payload for _, payload in node.steps)
            if isinstance(node.root, Ident):
                return _Code(_rooted_path(node.root.name, keys))
            base = self.compile(node.root)
            return _folded(_value_path(base.run, keys), base)
        return self._mixed_access(node)

    def named(self, namespace: str, name: str, node: Access, step: int) -> _Code:
        """`variables.NAME`: the named program, evaluated once per activation (its value is cached in the
        activation's memo under the program itself), or its value when it is a constant."""
        program = self.scope.programs[namespace].get(name)
        if program is None:
            offset = node.step_offsets[step] if len(node.step_offsets) > step else node.offset
            raise self.error(f"undeclared reference to '{namespace}.{name}'", node, offset)
        if program.constant:
            return _constant(program.value)
        return _Code(_cached(program, program.execute))

    def _mixed_access(self, node: Access) -> _Code:
        return self.steps(self.compile(node.root), node, node.steps)

    def steps(self, base: _Code, node: Access, node_steps: list[tuple[str, Any]]) -> _Code:
        """Selections and indexes applied in order to `base`."""
        if not node_steps:
            return base
        steps: list[tuple[bool, Any]] = []
        parts = [base]
        for kind, payload in node_steps:
            if kind == "index":
                code = self.compile(payload)
                parts.append(code)
                steps.append((True, code.run))
            else:
                steps.append((False, payload))
        root = base.run

        def access(activation: Activation) -> Any:
            value = root(activation)
            for is_index, payload in steps:
                value = _index(value, payload(activation)) if is_index else _select(value, payload)
            return value
        return _folded(access, *parts)

    def _Has(self, node: Has) -> _Code:
        operand = self.compile(node.operand)
        run, name = operand.run, node.field

        def has(activation: Activation) -> bool:
            value = run(activation)
            if type(value) is dict:
                return name in value
            raise CelError(f"has() cannot test field '{name}' of a {type_name(value)}")
        return _folded(has, operand)

    # operators

    def _Unary(self, node: Unary) -> _Code:
        operand = self.compile(node.operand)
        run = operand.run
        if node.op == "!":
            def logical_not(activation: Activation) -> bool:
                value = run(activation)
                if value is True:
                    return False
                if value is False:
                    return True
                raise _not_bool("'!'", value)
            return _folded(logical_not, operand)
        return _folded(lambda activation: _negate(run(activation)), operand)

    def _Chain(self, node: Chain) -> _Code:
        first = self.compile(node.first)
        if len(node.rest) == 1:
            op, right = node.rest[0]
            return self.binary(op, first, self.compile(right))
        rest = [(_BINARY[op], self.compile(term)) for op, term in node.rest]
        start = first.run
        steps = [(function, code.run) for function, code in rest]

        def chain(activation: Activation) -> Any:
            value = start(activation)
            for function, run in steps:
                value = function(value, run(activation))
            return value
        return _folded(chain, first, *(code for _, code in rest))

    def binary(self, op: str, left: _Code, right: _Code) -> _Code:
        """One binary operation, specialised when one side is a constant."""
        if left.constant and right.constant:
            function = _BINARY[op]
            lhs, rhs = left.value, right.value
            return _folded(lambda activation: function(lhs, rhs), left, right)
        special = None
        if op in ("==", "!="):
            if right.constant:
                special = _equals_constant(left.run, right.value, op == "!=")
            elif left.constant:
                special = _equals_constant(right.run, left.value, op == "!=")
        elif op in _COMPARE:
            if right.constant:
                special = _compare_constant(op, left.run, right.value)
            elif left.constant:
                special = _compare_constant(_MIRROR[op], right.run, left.value)
        elif op == "in" and right.constant:
            special = _in_constant(left.run, right.value)
        if special is not None:
            return _Code(special)
        function = _BINARY[op]
        lhs_run, rhs_run = left.run, right.run
        return _Code(lambda activation: function(lhs_run(activation), rhs_run(activation)))

    def _Logical(self, node: Logical) -> _Code:
        """n-ary && / ||. A constant operand that decides (false for &&, true for ||) decides at compile time;
        a constant that does not (true for &&) is dropped, keeping the bool check on what remains."""
        decisive = node.op == "||"
        codes = [self.compile(term) for term in node.terms]
        if any(code.constant and code.value is decisive for code in codes):
            return _constant(decisive)
        kept = [code for code in codes if not (code.constant and code.value is (not decisive))]
        if not kept:
            return _constant(not decisive)
        runs = [code.run for code in kept]
        if len(runs) == 1:
            return _boolean_code(kept[0], "'&&'" if node.op == "&&" else "'||'")
        if node.op == "&&":
            run = _and2(*runs) if len(runs) == 2 else _and_n(runs)
        else:
            run = _or2(*runs) if len(runs) == 2 else _or_n(runs)
        return _folded(run, *kept)

    def _Conditional(self, node: Conditional) -> _Code:
        test, then, other = self.compile(node.test), self.compile(node.then), self.compile(node.other)
        if test.constant and (test.value is True or test.value is False):
            return then if test.value else other
        test_run, then_run, other_run = test.run, then.run, other.run

        def conditional(activation: Activation) -> Any:
            value = test_run(activation)
            if value is True:
                return then_run(activation)
            if value is False:
                return other_run(activation)
            raise _not_bool("the condition of '? :'", value)
        return _folded(conditional, test, then, other)

    # literals

    def _ListExpr(self, node: ListExpr) -> _Code:
        codes = [self.compile(item) for item in node.items]
        runs = [code.run for code in codes]
        if len(runs) == 1:
            (only,) = runs
            return _folded(lambda activation: [only(activation)], *codes)
        return _folded(lambda activation: [run(activation) for run in runs], *codes)

    def _MapExpr(self, node: MapExpr) -> _Code:
        codes = [(self.compile(key), self.compile(value)) for key, value in node.entries]
        entries = [(key.run, value.run) for key, value in codes]

        def map_literal(activation: Activation) -> dict[Any, Any]:
            result: dict[Any, Any] = {}
            for key_run, value_run in entries:
                key = key_run(activation)
                if type(key) not in _MAP_KEYS:
                    raise CelError(f"a {type_name(key)} cannot be a map key (keys are strings, ints or bools)")
                result[key] = value_run(activation)
            return result
        return _folded(map_literal, *(code for pair in codes for code in pair))

    # calls

    def _Call(self, node: Call) -> _Code:
        if node.target is not None:
            return self.method(node)
        name = node.name
        if name in _UNSUPPORTED_FUNCTIONS:
            raise self.error(f"{name}() is not supported by the fast CEL engine", node)
        args = [self.compile(arg) for arg in node.args]
        if name in _GLOBAL_FUNCTIONS:
            arity, function = _GLOBAL_FUNCTIONS[name]
            if len(args) != arity:
                raise self.error(f"{name}() takes {arity} argument{'s' if arity > 1 else ''}", node)
            if name == "matches" and args[1].constant:
                return self.constant_pattern(args[0], args[1].value)
            return _folded(_apply(function, [arg.run for arg in args]), *args)
        run = _helper_call(name, [arg.run for arg in args])
        if _free_names(node) & set(self.bound):
            return _Code(run)
        # Helpers are pure, so a call that reads no comprehension variable is cached in the activation:
        # a rule's evidence often repeats its clause's call. The key is the call's text in this scope
        # (the same text means the same value only where names mean the same thing).
        return _Code(_cached(sys.intern(f"{MEMO_PREFIX}{self.scope.serial}:{node.key}"), run))

    def method(self, node: Call) -> _Code:
        name = node.name
        target = self.compile(node.target)
        args = [self.compile(arg) for arg in node.args]
        runs = [target.run] + [arg.run for arg in args]
        if name == "size" and not args:
            return _folded(_apply(size, runs), target)
        if name in _STRING_METHODS and len(args) == 1:
            if name == "matches" and args[0].constant:
                return self.constant_pattern(target, args[0].value)
            return _folded(_apply(_STRING_METHODS[name], runs), target, *args)
        if name in _TIMESTAMP_FIELDS and len(args) <= 1:
            return _folded(_apply(_getter(name), runs), target, *args)
        raise self.error(f"unknown method '{name}' with {len(args)} argument(s) "
                         "(not supported by the fast CEL engine)", node)

    def constant_pattern(self, text: _Code, pattern: Any) -> _Code:
        """`s.matches("literal")`: the pattern is compiled once, here (an invalid one fails when it runs)."""
        try:
            compiled = regex(pattern) if type(pattern) is str else None
        except CelError:
            compiled = None
        if compiled is None:
            return _folded(_apply(_matches, [text.run, lambda activation: pattern]), text)
        search, run = compiled.search, text.run

        def matches(activation: Activation) -> bool:
            value = run(activation)
            if type(value) is str:
                return search(value) is not None
            raise CelError(f"no such overload: {type_name(value)}.matches(string)")
        return _folded(matches, text)

    # macros

    def _Comprehension(self, node: Comprehension) -> _Code:
        source = self.compile(node.range)
        self.bound.append(node.var)
        bodies = [self.compile(arg) for arg in node.args]
        self.bound.pop()
        build = _MACRO_BUILDERS[node.macro if len(bodies) == 1 else "map_filter"]
        run = build(node.macro, source.run, node.var, *(body.run for body in bodies))
        return _folded(run, source, *bodies)


_MISSING = object()


class _Raised:
    """A cached error: the sub-expression failed, and fails the same way every time. The class and
    arguments are kept, not the exception, whose traceback would tie the activation into a cycle."""
    __slots__ = ("kind", "args")

    def __init__(self, error: Exception) -> None:
        self.kind = type(error) if isinstance(error, CelError) else CelError
        self.args = error.args if isinstance(error, CelError) else (str(error),)


def _cached(key: str, run: Run) -> Run:
    def cached(activation: Activation) -> Any:
        memo = activation.get(MEMO_KEY)
        if memo is None:  # an activation not made by make_activation: no cache
            return run(activation)
        value = memo.get(key, _MISSING)
        if value is _MISSING:
            try:
                value = run(activation)
            except Exception as error:
                memo[key] = _Raised(error)
                raise
            memo[key] = value
            return value
        if type(value) is _Raised:
            raise value.kind(*value.args)
        return value
    return cached


def _free_names(node: Node) -> set[str]:
    """The variable names a sub-expression reads that it does not bind itself."""
    if type(node) is Ident:
        return {node.name}
    if type(node) is Comprehension:
        inner = set().union(*(_free_names(arg) for arg in node.args)) - {node.var}
        return _free_names(node.range) | inner
    return set().union(*(_free_names(child) for child in children(node)))


def _boolean_code(code: _Code, where: str) -> _Code:
    """The value of `code`, which must be a bool."""
    run = code.run

    def boolean(activation: Activation) -> bool:
        value = run(activation)
        if value is True or value is False:
            return value
        raise _not_bool(where, value)
    return _folded(boolean, code)


def _apply(function: Callable[..., Any], runs: list[Run]) -> Run:
    """A closure calling `function` on the values of `runs`, unrolled for one and two arguments."""
    if len(runs) == 1:
        (first,) = runs
        return lambda activation: function(first(activation))
    if len(runs) == 2:
        first, second = runs
        return lambda activation: function(first(activation), second(activation))
    return lambda activation: function(*[run(activation) for run in runs])


def _helper_call(name: str, runs: list[Run]) -> Run:
    """A call of the activation's Python function `name()` (arguments first, left to right); any
    exception it raises becomes a CelError. Unrolled for one and two arguments, the usual cases."""
    key = name + FUNCTION_SUFFIX

    def function_of(activation: Activation) -> Callable[..., Any]:
        try:
            return activation[key]
        except KeyError:
            raise CelError(f"undeclared reference to function '{name}'") from None

    def failed(exc: Exception) -> CelError:
        return exc if isinstance(exc, CelError) else CelError(f"function {name}() failed: {type(exc).__name__}: {exc}")

    if len(runs) == 1:
        (first,) = runs

        def call1(activation: Activation) -> Any:
            arg = first(activation)
            try:
                result = function_of(activation)(arg)
            except Exception as exc:
                raise failed(exc) from None
            return result if type(result) in _RESULT_TYPES else _checked_result(name, result)
        return call1
    if len(runs) == 2:
        first, second = runs

        def call2(activation: Activation) -> Any:
            arg1, arg2 = first(activation), second(activation)
            try:
                result = function_of(activation)(arg1, arg2)
            except Exception as exc:
                raise failed(exc) from None
            return result if type(result) in _RESULT_TYPES else _checked_result(name, result)
        return call2

    def call(activation: Activation) -> Any:
        args = [run(activation) for run in runs]
        try:
            result = function_of(activation)(*args)
        except Exception as exc:
            raise failed(exc) from None
        return result if type(result) in _RESULT_TYPES else _checked_result(name, result)
    return call


# selection at run time


def _select(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        try:
            return value[key]
        except KeyError:
            raise NoSuchKeyError(key) from None
    raise _field_error(value, key)


def _field_error(value: Any, key: str) -> CelError:
    if value is None:
        return CelError(f"cannot read field '{key}' of null")
    return CelError(f"cannot read field '{key}' of a {type_name(value)}")


def _walk(value: Any, keys: tuple[str, ...]) -> Any:
    """The slow path of a selection chain: step by step, raising the precise error."""
    for key in keys:
        value = _select(value, key)
    return value


def _lookup(activation: Activation, name: str) -> Any:
    try:
        return activation[name]
    except KeyError:
        raise CelError(f"undeclared reference to '{name}'") from None


_LOOKUP_ERRORS = (KeyError, TypeError)  # what `value[key]` raises on a missing key or a non-map


def _path_error(activation: Activation, name: str, keys: tuple[str, ...]) -> Exception:
    """Why `name.k1.k2…` cannot be read. The error is built without raising and raised by the caller,
    so a failed read costs one raise through as few frames as possible."""
    if name not in activation:
        return CelError(f"undeclared reference to '{name}'")
    value = activation[name]
    for key in keys:
        if not isinstance(value, dict):
            return _field_error(value, key)
        if key not in value:
            return NoSuchKeyError(key)
        value = value[key]
    return CelError(f"cannot read {name}.{'.'.join(keys)}")  # not reached for CEL values


def _rooted_path(name: str, keys: tuple[str, ...]) -> Run:
    """`name.k1.k2…` as one chained subscript; on any failure `_path_error` says what went wrong.

    Indexing with a string raises TypeError on every non-map value (null, list, string, number,
    timestamp), so the fast path needs no type checks."""
    if len(keys) == 1:
        (k0,) = keys

        def path1(activation: Activation) -> Any:
            try:
                return activation[name][k0]
            except _LOOKUP_ERRORS:
                raise _path_error(activation, name, keys) from None
        return path1
    if len(keys) == 2:
        k0, k1 = keys

        def path2(activation: Activation) -> Any:
            try:
                return activation[name][k0][k1]
            except _LOOKUP_ERRORS:
                raise _path_error(activation, name, keys) from None
        return path2
    if len(keys) == 3:
        k0, k1, k2 = keys

        def path3(activation: Activation) -> Any:
            try:
                return activation[name][k0][k1][k2]
            except _LOOKUP_ERRORS:
                raise _path_error(activation, name, keys) from None
        return path3
    if len(keys) == 4:
        k0, k1, k2, k3 = keys

        def path4(activation: Activation) -> Any:
            try:
                return activation[name][k0][k1][k2][k3]
            except _LOOKUP_ERRORS:
                raise _path_error(activation, name, keys) from None
        return path4

    def path(activation: Activation) -> Any:
        try:
            value = activation[name]
            for key in keys:
                value = value[key]
            return value
        except _LOOKUP_ERRORS:
            raise _path_error(activation, name, keys) from None
    return path


def _value_path(base: Run, keys: tuple[str, ...]) -> Run:
    """`(expression).k1.k2…`."""
    def path(activation: Activation) -> Any:
        value = base(activation)
        try:
            result = value
            for key in keys:
                result = result[key]
            return result
        except _LOOKUP_ERRORS:
            return _walk(value, keys)
    return path


def _index(container: Any, index: Any) -> Any:
    kind = type(container)
    if kind is list:
        if type(index) is int:
            if 0 <= index < len(container):
                return container[index]
            raise CelError(f"index out of bounds: {index}")
        raise CelError(f"a list index must be an int, got {type_name(index)}")
    if kind is dict:
        key_kind = type(index)
        if key_kind not in _MAP_KEYS:
            raise CelError(f"a {type_name(index)} cannot be a map key (keys are strings, ints or bools)")
        if key_kind is str:
            try:
                return container[index]
            except KeyError:
                raise NoSuchKeyError(index) from None
        for key, value in container.items():  # ints and bools: Python would mix 1 and True
            if type(key) is key_kind and key == index:
                return value
        raise NoSuchKeyError(index)
    raise CelError(f"no such overload: {type_name(container)}[{type_name(index)}]")


# comparisons with a constant


def _equals_constant(run: Run, constant: Any, negate: bool) -> Run | None:
    """`x == constant` without the generic type dispatch, where Python's `==` already agrees with CEL."""
    kind = type(constant)
    if constant is None or kind is bool:
        if negate:
            return lambda activation: run(activation) is not constant
        return lambda activation: run(activation) is constant
    if kind is str or ((kind is int or kind is float) and constant not in (0, 1)):
        # Only strings equal a string; a number other than 0 and 1 equals no bool in Python either.
        if negate:
            return lambda activation: run(activation) != constant
        return lambda activation: run(activation) == constant
    return None


def _compare_constant(op: str, run: Run, constant: Any) -> Run | None:
    """`x < constant` for a number, string, timestamp or duration constant."""
    compare = _COMPARE[op]
    kind = type(constant)
    if kind is int or kind is float:
        if op == "<=":
            def at_most(activation: Activation) -> bool:
                value = run(activation)
                if type(value) is int or type(value) is float:
                    return value <= constant
                raise _no_overload(op, value, constant)
            return at_most
        if op == ">":
            def above(activation: Activation) -> bool:
                value = run(activation)
                if type(value) is int or type(value) is float:
                    return value > constant
                raise _no_overload(op, value, constant)
            return above

        def number_order(activation: Activation) -> bool:
            value = run(activation)
            if type(value) is int or type(value) is float:
                return compare(value, constant)
            raise _no_overload(op, value, constant)
        return number_order
    if kind is str or kind is datetime or kind is timedelta:
        def same_type_order(activation: Activation) -> bool:
            value = run(activation)
            if type(value) is kind:
                return compare(value, constant)
            raise _no_overload(op, value, constant)
        return same_type_order
    return None


def _in_constant(run: Run, container: Any) -> Run | None:
    """`x in [constant strings and numbers]` as a set lookup."""
    if type(container) is not list or not container:
        return None
    if not all(type(item) is str or type(item) is int or type(item) is float for item in container):
        return None
    members = frozenset(container)

    def in_set(activation: Activation) -> bool:
        value = run(activation)
        kind = type(value)
        return (kind is str or kind is int or kind is float) and value in members
    return in_set


# && and ||: a false (true) operand decides even when the other is an error or not a bool.


def _and2(left: Run, right: Run) -> Run:
    def logical_and(activation: Activation) -> bool:
        try:
            lhs = left(activation)
        except Exception as error:
            try:
                rhs = right(activation)
            except Exception:
                raise error from None
            if rhs is False:
                return False
            raise error from None
        if lhs is False:
            return False
        rhs = right(activation)
        if lhs is True:
            if rhs is True or rhs is False:
                return rhs
            raise _not_bool("'&&'", rhs)
        if rhs is False:
            return False
        raise _not_bool("'&&'", lhs)
    return logical_and


def _or2(left: Run, right: Run) -> Run:
    def logical_or(activation: Activation) -> bool:
        try:
            lhs = left(activation)
        except Exception as error:
            try:
                rhs = right(activation)
            except Exception:
                raise error from None
            if rhs is True:
                return True
            raise error from None
        if lhs is True:
            return True
        rhs = right(activation)
        if lhs is False:
            if rhs is True or rhs is False:
                return rhs
            raise _not_bool("'||'", rhs)
        if rhs is True:
            return True
        raise _not_bool("'||'", lhs)
    return logical_or


def _and_n(terms: list[Run]) -> Run:
    def logical_and(activation: Activation) -> bool:
        error: Exception | None = None
        for term in terms:
            try:
                value = term(activation)
            except Exception as exc:
                error = error or exc
                continue
            if value is False:
                return False
            if value is not True and error is None:
                error = _not_bool("'&&'", value)
        if error is not None:
            raise error
        return True
    return logical_and


def _or_n(terms: list[Run]) -> Run:
    def logical_or(activation: Activation) -> bool:
        error: Exception | None = None
        for term in terms:
            try:
                value = term(activation)
            except Exception as exc:
                error = error or exc
                continue
            if value is True:
                return True
            if value is not False and error is None:
                error = _not_bool("'||'", value)
        if error is not None:
            raise error
        return False
    return logical_or


# macros: elements in order; the first decisive element or error ends all/exists (as the binding does).


def _range_items(value: Any, macro: str, activation: Activation) -> Any:
    """The items a comprehension visits, charged to the activation's evaluation budget."""
    kind = type(value)
    if kind is list:
        items = value
    elif kind is dict:
        items = list(value)
    else:
        raise CelError(f"{macro}() needs a list or a map, got {type_name(value)}")
    memo = activation.get(MEMO_KEY)
    if memo is not None and items:
        remaining = memo.get(BUDGET_KEY, EVALUATION_BUDGET) - len(items)
        memo[BUDGET_KEY] = remaining
        if remaining < 0:
            raise BudgetExceeded("evaluation budget exceeded: the comprehensions (all, exists, exists_one, map, "
                                 "filter) run on this record visited more list items than its budget allows "
                                 "(nested over large lists?)")
    return items


def _all(macro: str, source: Run, var: str, predicate: Run) -> Run:
    def all_(activation: Activation) -> bool:
        items = _range_items(source(activation), macro, activation)
        local = activation.copy()
        for item in items:
            local[var] = item
            value = predicate(local)
            if value is False:
                return False
            if value is not True:
                raise _not_bool("all()", value)
        return True
    return all_


def _exists(macro: str, source: Run, var: str, predicate: Run) -> Run:
    def exists(activation: Activation) -> bool:
        items = _range_items(source(activation), macro, activation)
        local = activation.copy()
        for item in items:
            local[var] = item
            value = predicate(local)
            if value is True:
                return True
            if value is not False:
                raise _not_bool("exists()", value)
        return False
    return exists


def _exists_one(macro: str, source: Run, var: str, predicate: Run) -> Run:
    def exists_one(activation: Activation) -> bool:
        items = _range_items(source(activation), macro, activation)
        local = activation.copy()
        count = 0
        for item in items:
            local[var] = item
            value = predicate(local)
            if value is True:
                count += 1
            elif value is not False:
                raise _not_bool("exists_one()", value)
        return count == 1
    return exists_one


def _filter(macro: str, source: Run, var: str, predicate: Run) -> Run:
    def filter_(activation: Activation) -> list[Any]:
        items = _range_items(source(activation), macro, activation)
        local = activation.copy()
        kept = []
        for item in items:
            local[var] = item
            value = predicate(local)
            if value is True:
                kept.append(item)
            elif value is not False:
                raise _not_bool("filter()", value)
        return kept
    return filter_


def _map(macro: str, source: Run, var: str, transform: Run) -> Run:
    def map_(activation: Activation) -> list[Any]:
        items = _range_items(source(activation), macro, activation)
        local = activation.copy()
        result = []
        for item in items:
            local[var] = item
            result.append(transform(local))
        return result
    return map_


def _map_filter(macro: str, source: Run, var: str, predicate: Run, transform: Run) -> Run:
    def map_filter(activation: Activation) -> list[Any]:
        items = _range_items(source(activation), macro, activation)
        local = activation.copy()
        result = []
        for item in items:
            local[var] = item
            value = predicate(local)
            if value is True:
                result.append(transform(local))
            elif value is not False:
                raise _not_bool("map()", value)
        return result
    return map_filter


_MACRO_BUILDERS: dict[str, Callable[..., Run]] = {
    "all": _all, "exists": _exists, "exists_one": _exists_one, "filter": _filter, "map": _map,
    "map_filter": _map_filter,
}


# --- public interface ---------------------------------------------------------------------------


class Program:
    """A compiled expression. `execute(activation)` evaluates it; the attribute is the closure itself,
    so a call costs no method dispatch. Hashed by identity: a named program is its own cache key."""

    execute: Run

    def __init__(self, source: str, run: Run, constant: bool, value: Any = None, tree: Node | None = None) -> None:
        self.source = source
        self.execute = run
        self.constant = constant  # the value does not depend on the activation
        self.value = value  # the value, when constant
        self.tree = tree

    def __repr__(self) -> str:
        return f"Program({self.source!r})"


_SCOPE_SERIALS = itertools.count(1)


class Scope:
    """Names bound when compiling, beside the activation's variables.

    - `constants`: name → value, folded into the program (`settings` → {"limit": 5} makes
      `settings.limit` the constant 5, and `x <= settings.limit` a comparison with a constant);
    - `programs`: namespace → {name → Program}: `variables.NAME` runs the named program at most
      once per activation (the value, or the error, is kept in the activation's memo), whichever
      program reads it first; a constant program is folded like a constant.

    A name not found in a namespace is a located compile error. The dicts are read when a program
    is compiled, so named programs may be added (in dependency order) after the Scope is made."""

    def __init__(self, constants: Mapping[str, Any] | None = None,
                 programs: Mapping[str, Mapping[str, Program]] | None = None) -> None:
        self.constants = constants or {}
        self.programs = programs or {}
        self.serial = next(_SCOPE_SERIALS)  # distinguishes the memo keys of helper calls between scopes


_NO_SCOPE = Scope()


def compile_program(text: str, scope: Scope | None = None, tree: Node | None = None) -> Program:
    """Parse (unless `tree` is given: `parse(text)`) and compile `text` in `scope`; raise CelSyntaxError
    (located) when it is not CEL this engine supports or reads an undeclared named value."""
    if tree is None:
        tree = parse(text)
    try:
        code = _Compiler(text, scope or _NO_SCOPE).compile(tree)
    except RecursionError:
        raise CelSyntaxError("expression nested too deeply", text, 0) from None
    return Program(text, code.run, code.constant, code.value, tree)


def make_activation(variables: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None,
                    budget: int = EVALUATION_BUDGET) -> Activation:
    """The dict a Program runs on: variables by name, helper functions under `name()`, and a cache.

    Functions live under a key no CEL name can spell, so a comprehension variable never hides one.
    The cache holds named programs and helper calls already evaluated on this activation (shared by
    every program run on it), so make one activation per record and never change its variables.
    `budget`: list items the comprehensions of all programs run on it may visit in total; beyond it
    a comprehension raises BudgetExceeded (a CelError)."""
    activation = dict(variables)
    for name, function in (functions or {}).items():
        activation[name + FUNCTION_SUFFIX] = function
    activation[MEMO_KEY] = {BUDGET_KEY: budget}
    return activation
