"""A fast evaluator for the subset of CEL that rule packs use.

Why: the `cel` binding (PyPI `common-expression-language`) converts the whole
Python record into its own values on every `cel.Context` and converts again on
every call, which costs hundreds of microseconds per record. Here an expression
is compiled ONCE into a tree of Python closures that read the normalised record
(plain dict/list/str/int/float/bool/None, aware `datetime`, `timedelta`)
directly: no per-record conversion, no name lookups that compile time can
resolve, no exceptions on the happy path. The binding stays the reference: a
differential test checks that both give the same value, or both an error, for
every shipped expression on thousands of records.

How: a hand-written tokenizer and recursive-descent parser (binary operators by
precedence climbing over an explicit stack) build a small AST following the
grammar of https://github.com/google/cel-spec/blob/master/doc/langdef.md; the
compiler turns each node into a closure `run(activation) -> value`, folding
constant sub-expressions and specialising common shapes (`case.a.b.c` as one
chained dict lookup, `x == null`, `x <= 5`, `x in ["a", "b"]` as a set test).
Rule text is never handed to Python's eval/exec/compile or the ast module.

The activation is a plain dict: variables by name (`case`), helper functions
under `name()` (see `make_activation`), and a cache: a parenthesised
sub-expression or a helper call that reads no comprehension variable is
evaluated once per activation, whichever program reads it first (helpers must
be pure). Errors are raised as `CelError` (a
`NoSuchKeyError`, also a `KeyError`, for a missing map key); syntax errors as
`CelSyntaxError`, whose message has the binding's `ERROR: <input>:L:C: ...` form.

Supported subset
- literals: int (decimal, 0x hex), double, string ('…', "…", triple-quoted, raw
  r"…", all CEL escapes), true, false, null; list `[…]` and map `{k: v}` literals.
- field selection `a.b`, indexing `a[i]` (lists by int, maps by string/int/bool
  key), `has(a.b)`.
- `!`, unary `-` (pairs cancel: `!!x` is `x`, as in the binding), `* / %`, `+ -`, `< <= > >= == !=`, `in` (list or map keys),
  `&&`, `||`, `? :`.
- macros `all`, `exists`, `exists_one`, `map` (2 and 3 arguments), `filter`
  over lists and maps (map keys), nested, with shadowing of names.
- functions `size`, `int`, `double`, `string`, `timestamp`, `duration`, `dyn`,
  `matches` (also as a method); methods `size`, `matches`, `startsWith`,
  `endsWith`, `contains`, and the timestamp getters `getFullYear`, `getMonth`,
  `getDate`, `getDayOfMonth`, `getDayOfWeek`, `getDayOfYear`, `getHours`,
  `getMinutes`, `getSeconds`, `getMilliseconds` (optionally with a time zone
  argument), the last four also on durations.
- any other global call `f(x, …)` calls the activation's Python function `f()`.

Semantics, as checked against the binding (see tests/test_celfast.py)
- selecting a missing key is an error (`NoSuchKeyError`), selecting a field of
  null or of a non-map is an error; `has()` of a field of null is an error.
- no implicit conversion: `1 + 1.0`, `"a" + 1`, `null < 3` are errors, but
  `==`/`!=` compare across types (`1 == 1.0` is true, `1 == "1"` and
  `true == 1` are false, `null == x` is false unless x is null) and `<` etc.
  order int against double. bool is never a number.
- `&&`/`||` are commutative with respect to errors: `false && <error>` and
  `<error> && false` are false, `true || <error>` and `<error> || true` are
  true; a non-bool operand behaves like an error.
- int arithmetic is 64-bit: overflow is an error; `/` truncates toward zero,
  `%` takes the sign of the dividend; division or modulo by zero is an error.
  double division by zero gives ±inf or NaN. `%` on doubles is an error.
- timestamps are aware datetimes; timestamp ± duration, timestamp − timestamp,
  duration ± duration; results beyond year 1..9999 are errors.
- a condition of `? :` or an operand of `!` that is not a bool is an error.

Deliberate differences (from full CEL, and where the binding differs)
- not supported (located compile error): unsigned ints (`1u`), bytes literals,
  message construction `T{…}`, leading-dot names, optional syntax `.?`,
  `type()`, `uint()`, `bytes()`, unknown methods. Expressions may nest at most
  96 brackets deep (as the binding) and the closure tree at most 200 levels.
- macros evaluate elements in order and stop at the first decisive element or
  error, as the binding does (full CEL makes `all`/`exists` commutative with
  respect to errors too); `exists_one` evaluates every element.
- `size()` of a string counts code points as CEL specifies (the binding counts
  UTF-8 bytes).
- timestamp getters read the timestamp in its own offset, as the binding does
  (records are UTC, so this is UTC for them); a time-zone argument
  (`"Europe/London"`, `"+01:00"`) is supported (the binding has none).
- extensions the binding lacks: `string(bool)`, `duration + timestamp`,
  `matches(s, p)` as a global function, time-zone arguments to getters.
- int/double comparisons are exact (the binding converts the int to a double).
- `matches()` runs Python's `re` (search semantics, Unicode classes like the
  Rust regex crate the binding uses) after mapping RE2's `$` (end of text
  unless multi-line) and `\\z`; RE2-only syntax such as `\\pN` or `(?U)` is an
  error. Literal patterns are compiled once.
- macros over a map visit its keys in insertion order (the binding's order is arbitrary).
- map literals with both `true` and `1` as keys collapse to one key (as in the
  binding). Duplicate keys keep the last value (as in the binding).
- values returned by a program, or passed to helper functions, may be shared
  with the record or with the program's constants: treat them as read-only.
- a Program is thread-safe and re-entrant (comprehension variables live in a
  per-evaluation copy of the activation).
"""

from __future__ import annotations

import math
import operator
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "CelError", "CelSyntaxError", "NoSuchKeyError", "Program", "compile_program", "make_activation",
]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
MAX_NESTING = 96  # brackets, calls and conditionals; the binding rejects deeper nesting too
MAX_DEPTH = 200  # closure tree depth: evaluation stays well inside Python's recursion limit
FUNCTION_SUFFIX = "()"  # activation key of a helper function: "hours_between()"
MEMO_KEY = "#memo"  # activation key of the per-activation cache of parenthesised sub-expressions and helper calls
MEMO_PREFIX = "#"

Activation = dict[str, Any]
Run = Callable[[Activation], Any]


# --- errors -------------------------------------------------------------------------------------


class CelError(Exception):
    """An expression could not be evaluated on this activation (a CEL error value)."""


class NoSuchKeyError(CelError, KeyError):
    """A map (or the record) has no such key. Also a KeyError, which callers report as a missing field."""

    def __str__(self) -> str:
        return f"no such key: {self.args[0]!r}"


class CelSyntaxError(ValueError):
    """The text is not CEL, or uses CEL this engine does not support; located like the binding's errors."""

    def __init__(self, problem: str, text: str, offset: int) -> None:
        self.problem = problem
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        super().__init__(f"ERROR: <input>:{self.line}:{self.column}: {problem}")


def type_name(value: Any) -> str:
    """The CEL name of a value's type, for messages."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {type(None): "null", bool: "bool", int: "int", float: "double", str: "string", list: "list",
               dict: "map", datetime: "timestamp", timedelta: "duration"}


def _no_overload(operator_text: str, left: Any, right: Any) -> CelError:
    return CelError(f"no such overload: {type_name(left)} {operator_text} {type_name(right)}")


def _not_bool(where: str, value: Any) -> CelError:
    return CelError(f"{where} needs a bool, got {type_name(value)}")


# --- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # int, uint, float, string, bytes, ident, literal (true/false/null), op, eof
    text: str
    value: Any
    offset: int


_SPACE = re.compile(r"(?:[ \t\r\n\f]+|//[^\n]*)+")
_NUMBER = re.compile(
    r"(?P<float>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<int>0x[0-9a-fA-F]+|\d+)(?P<unsigned>[uU])?"
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_START = re.compile(r"([rRbB]{0,2})('''|\"\"\"|'|\")")
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",",
              "[", "]", "{", "}", "(", ")")
_LITERAL_WORDS = {"true": True, "false": False, "null": None}
RESERVED = frozenset("as break const continue else for function if import let loop namespace package return "
                     "var void while".split())
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
                   "'": "'", '"': '"', "`": "`", "?": "?"}
_HEX = frozenset("0123456789abcdefABCDEF")


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an `eof` token; raise CelSyntaxError at the first bad character."""
    tokens: list[Token] = []
    position, end = 0, len(text)
    while True:
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
        if position >= end:
            tokens.append(Token("eof", "", None, end))
            return tokens
        token = _string_token(text, position) or _number_token(text, position) or _word_token(text, position)
        if token is None:
            token = next((Token("op", op, None, position) for op in _OPERATORS if text.startswith(op, position)),
                         None)
        if token is None:
            raise CelSyntaxError(f"Syntax error: unexpected character {text[position]!r}", text, position)
        tokens.append(token)
        position += len(token.text)


def _string_token(text: str, position: int) -> Token | None:
    start = _STRING_START.match(text, position)
    if not start:
        return None
    prefix, quote = start.group(1).lower(), start.group(2)
    if len(prefix) != len(set(prefix)):
        raise CelSyntaxError(f"Syntax error: invalid string prefix {start.group(1)!r}", text, position)
    value, stop = _scan_string(text, start.end(), quote, raw="r" in prefix, start=position)
    kind = "bytes" if "b" in prefix else "string"
    return Token(kind, text[position:stop], value, position)


def _scan_string(text: str, position: int, quote: str, raw: bool, start: int) -> tuple[str, int]:
    """The value of a string body starting at `position`, and the offset after its closing quote."""
    parts: list[str] = []
    triple = len(quote) == 3
    while True:
        if position >= len(text):
            raise CelSyntaxError("Syntax error: unterminated string", text, start)
        if text.startswith(quote, position):
            return "".join(parts), position + len(quote)
        char = text[position]
        if not triple and char in "\r\n":
            raise CelSyntaxError("Syntax error: newline in a string (use a triple-quoted string)", text, start)
        if char == "\\" and not raw:
            value, position = _escape(text, position)
            parts.append(value)
            continue
        parts.append(char)
        position += 1


def _escape(text: str, position: int) -> tuple[str, int]:
    """The character of the escape sequence at `position` (a backslash) and the offset after it."""
    code = text[position + 1: position + 2]
    if code in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[code], position + 2
    digits = {"x": 2, "X": 2, "u": 4, "U": 8}.get(code)
    if digits:
        hex_text = text[position + 2: position + 2 + digits]
        if len(hex_text) == digits and all(c in _HEX for c in hex_text):
            number = int(hex_text, 16)
            if number <= 0x10FFFF and not 0xD800 <= number <= 0xDFFF:
                return chr(number), position + 2 + digits
    elif code and code in "0123":
        octal = text[position + 1: position + 4]
        if len(octal) == 3 and all(c in "01234567" for c in octal):
            return chr(int(octal, 8)), position + 4
    raise CelSyntaxError(f"Syntax error: invalid escape sequence {text[position: position + 2]!r}", text, position)


def _number_token(text: str, position: int) -> Token | None:
    match = _NUMBER.match(text, position)
    if not match:
        return None
    if match.group("float"):
        return Token("float", match.group(), float(match.group()), position)
    kind = "uint" if match.group("unsigned") else "int"
    digits = match.group("int")
    return Token(kind, match.group(), int(digits, 16) if digits.startswith("0x") else int(digits), position)


def _word_token(text: str, position: int) -> Token | None:
    match = _IDENT.match(text, position)
    if not match:
        return None
    word = match.group()
    if word in _LITERAL_WORDS:
        return Token("literal", word, _LITERAL_WORDS[word], position)
    if word == "in":
        return Token("op", word, None, position)
    return Token("ident", word, None, position)


def _describe(token: Token) -> str:
    return "the end of the expression" if token.kind == "eof" else repr(token.text)


# --- syntax tree --------------------------------------------------------------------------------
# Each node records its offset (for errors) and the depth of the tree below it (to bound recursion).


@dataclass(slots=True, eq=False)
class Literal:
    offset: int
    value: Any
    depth: int = 1


@dataclass(slots=True, eq=False)
class Ident:
    offset: int
    name: str
    depth: int = 1


@dataclass(slots=True, eq=False)
class Access:
    """`root.a["b"][i]…`: a chain of selections, kept flat so long chains do not nest closures.

    Each step is ("field", name), ("key", string literal index) or ("index", node)."""
    offset: int
    root: Any
    steps: list[tuple[str, Any]]
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + max([self.root.depth] + [p.depth for kind, p in self.steps if kind == "index"])


@dataclass(slots=True, eq=False)
class Call:
    offset: int
    name: str
    args: list[Any]
    target: Any = None  # the receiver of a method call
    depth: int = 0
    key: str = ""  # a global call's canonical text, like Group.key ("" for methods)

    def __post_init__(self) -> None:
        self.depth = 1 + max([a.depth for a in self.args] + ([self.target.depth] if self.target else [0]))


@dataclass(slots=True, eq=False)
class ListExpr:
    offset: int
    items: list[Any]
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + max([i.depth for i in self.items], default=0)


@dataclass(slots=True, eq=False)
class MapExpr:
    offset: int
    entries: list[tuple[Any, Any]]
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + max([max(k.depth, v.depth) for k, v in self.entries], default=0)


@dataclass(slots=True, eq=False)
class Unary:
    offset: int
    op: str  # "!" or "-"
    count: int  # always 1: pairs cancel in the parser
    operand: Any
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + self.operand.depth


@dataclass(slots=True, eq=False)
class Chain:
    """`first op1 t1 op2 t2 …` at one precedence level, evaluated left to right."""
    offset: int
    level: int
    first: Any
    rest: list[tuple[str, Any]]
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + max([self.first.depth] + [t.depth for _, t in self.rest])


@dataclass(slots=True, eq=False)
class Logical:
    """`t1 && t2 && …` or `t1 || t2 || …` (associative, so flattened)."""
    offset: int
    op: str
    terms: list[Any]
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + max(t.depth for t in self.terms)


@dataclass(slots=True, eq=False)
class Conditional:
    offset: int
    test: Any
    then: Any
    other: Any
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + max(self.test.depth, self.then.depth, self.other.depth)


@dataclass(slots=True, eq=False)
class Has:
    offset: int
    operand: Any
    field: str
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + self.operand.depth


@dataclass(slots=True, eq=False)
class Comprehension:
    offset: int
    macro: str  # all, exists, exists_one, map, filter
    range: Any
    var: str
    args: list[Any]  # predicate / transform ([predicate, transform] for 3-argument map)
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + max([self.range.depth] + [a.depth for a in self.args])


@dataclass(slots=True, eq=False)
class Group:
    """A parenthesised expression (which is how pack variables are expanded). `key` is its canonical text:
    equal keys mean equal expressions wherever no comprehension variable is involved."""
    offset: int
    inner: Any
    key: str
    depth: int = 0

    def __post_init__(self) -> None:
        self.depth = 1 + self.inner.depth


Node = Any  # one of the classes above

# Binding strength of binary operators; relations include `in`.
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3,
               "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}
_NUMBER_KINDS = ("int", "uint", "float")
_MACROS = {"all": (2,), "exists": (2,), "exists_one": (2,), "filter": (2,), "map": (2, 3)}


# --- parser -------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the CEL grammar; binary operators by precedence over an explicit stack."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.nesting = 0

    # token helpers

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, text: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == "op" and token.text == text

    def expect(self, text: str, context: str) -> Token:
        if not self.at(text):
            raise self.error(f"Syntax error: expected '{text}' {context}, found {_describe(self.token)}",
                             self.token.offset)
        return self.advance()

    def error(self, problem: str, offset: int) -> CelSyntaxError:
        return CelSyntaxError(problem, self.text, offset)

    def enter(self, offset: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"expression nested too deeply (more than {MAX_NESTING} levels)", offset)

    def leave(self) -> None:
        self.nesting -= 1

    def node(self, node: Node) -> Node:
        if node.depth > MAX_DEPTH:
            raise self.error(f"expression too deep for the fast CEL engine (more than {MAX_DEPTH} levels)",
                             node.offset)
        return node

    # grammar

    def parse(self) -> Node:
        node = self.expression()
        if self.token.kind != "eof":
            raise self.error(f"Syntax error: unexpected {_describe(self.token)}", self.token.offset)
        return node

    def expression(self) -> Node:
        """Expr = ConditionalOr ["?" ConditionalOr ":" Expr]."""
        test = self.binary()
        if not self.at("?"):
            return test
        mark = self.advance()
        self.enter(mark.offset)
        then = self.binary()
        self.expect(":", "in a conditional (test ? a : b)")
        other = self.expression()
        self.leave()
        return self.node(Conditional(mark.offset, test, then, other))

    def binary(self) -> Node:
        """ConditionalOr down to Multiplication, left-associative, by operator precedence."""
        operands = [self.unary()]
        operators: list[Token] = []
        while True:
            token = self.token
            if token.kind != "op" or token.text not in _PRECEDENCE:
                break
            self.advance()
            level = _PRECEDENCE[token.text]
            while operators and _PRECEDENCE[operators[-1].text] >= level:
                self.reduce(operands, operators.pop())
            operators.append(token)
            operands.append(self.unary())
        while operators:
            self.reduce(operands, operators.pop())
        return operands[0]

    def reduce(self, operands: list[Node], token: Token) -> None:
        right = operands.pop()
        left = operands.pop()
        op = token.text
        if op in ("&&", "||"):
            terms = [term for side in (left, right)
                     for term in (side.terms if isinstance(side, Logical) and side.op == op else [side])]
            operands.append(self.node(Logical(token.offset, op, terms)))
            return
        level = _PRECEDENCE[op]
        if isinstance(left, Chain) and left.level == level:
            left.rest.append((op, right))
            left.depth = max(left.depth, 1 + right.depth)
            operands.append(self.node(left))
            return
        operands.append(self.node(Chain(token.offset, level, left, [(op, right)])))

    def unary(self) -> Node:
        """Unary = Member | "!" {"!"} Member | "-" {"-"} Member; a `-` just before a number is part of the literal.

        Pairs cancel, as in the reference parsers: `!!x` and `--x` are `x` itself, not checked."""
        start = self.token
        count = 0
        if self.at("!"):
            while self.at("!"):
                self.advance()
                count += 1
        else:
            while self.at("-") and self.tokens[self.index + 1].kind not in _NUMBER_KINDS:
                self.advance()
                count += 1
        operand = self.member()
        return self.node(Unary(start.offset, start.text, 1, operand)) if count % 2 else operand

    def member(self) -> Node:
        """Member = Primary {"." IDENT ["(" args ")"] | "[" Expr "]"}."""
        node = self.primary()
        while True:
            if self.at("."):
                self.advance()
                name = self.token
                if name.kind != "ident":
                    raise self.error(f"Syntax error: expected a field or method name after '.', found "
                                     f"{_describe(name)}", name.offset)
                self.advance()
                if self.at("("):
                    node = self.method(node, name, self.arguments())
                else:
                    node = self.select(node, ("field", name.text), name.offset)
            elif self.at("["):
                open_bracket = self.advance()
                self.enter(open_bracket.offset)
                index = self.expression()
                self.expect("]", "to close the index")
                self.leave()
                step = ("key", index.value) if isinstance(index, Literal) and type(index.value) is str else (
                    "index", index)
                node = self.select(node, step, open_bracket.offset)
            elif self.at("{") and (isinstance(node, Ident) or isinstance(node, Access) and all(
                    kind == "field" for kind, _ in node.steps)):
                raise self.error("message construction (Type{field: value}) is not supported by the fast CEL "
                                 "engine", self.token.offset)
            else:
                return node

    def select(self, node: Node, step: tuple[str, Any], offset: int) -> Node:
        if isinstance(node, Access):
            node.steps.append(step)
            if step[0] == "index":
                node.depth = max(node.depth, 1 + step[1].depth)
            return self.node(node)
        return self.node(Access(offset, node, [step]))

    def method(self, target: Node, name: Token, args: list[Node]) -> Node:
        if len(args) in _MACROS.get(name.text, ()):
            variable = args[0]
            if not isinstance(variable, Ident):
                raise self.error("argument must be a simple name", variable.offset)
            return self.node(Comprehension(name.offset, name.text, target, variable.name, args[1:]))
        return self.node(Call(name.offset, name.text, args, target))

    def arguments(self) -> list[Node]:
        open_paren = self.advance()
        self.enter(open_paren.offset)
        args: list[Node] = []
        if not self.at(")"):
            args.append(self.expression())
            while self.at(","):
                self.advance()
                args.append(self.expression())
        self.expect(")", "to close the argument list")
        self.leave()
        return args

    def primary(self) -> Node:
        token = self.token
        if self.at("-") and self.tokens[self.index + 1].kind in _NUMBER_KINDS:
            self.advance()
            return self.number(self.token, token.offset, negative=True)
        kind = token.kind
        if kind in ("int", "float"):
            return self.number(token, token.offset, negative=False)
        if kind == "uint":
            return self.number(token, token.offset, negative=False)
        if kind == "string":
            self.advance()
            return Literal(token.offset, token.value)
        if kind == "bytes":
            raise self.error("bytes literals are not supported by the fast CEL engine", token.offset)
        if kind == "literal":
            self.advance()
            return Literal(token.offset, token.value)
        if kind == "ident":
            self.advance()
            if token.text in RESERVED:
                raise self.error(f"reserved identifier: {token.text}", token.offset)
            if self.at("("):
                first = self.index - 1
                args = self.arguments()
                return self.global_call(token, args, " ".join(t.text for t in self.tokens[first: self.index]))
            return Ident(token.offset, token.text)
        if self.at("("):
            self.advance()
            self.enter(token.offset)
            first = self.index
            node = self.expression()
            self.expect(")", "to close the parenthesis")
            self.leave()
            if isinstance(node, (Literal, Ident, Group)):
                return node
            key = " ".join(t.text for t in self.tokens[first: self.index - 1])
            return self.node(Group(token.offset, node, key))
        if self.at("["):
            return self.list_literal()
        if self.at("{"):
            return self.map_literal()
        if self.at("."):
            raise self.error("names with a leading dot (.name) are not supported by the fast CEL engine",
                             token.offset)
        raise self.error(f"Syntax error: unexpected {_describe(token)}", token.offset)

    def number(self, token: Token, offset: int, negative: bool) -> Node:
        if token.kind == "uint":
            raise self.error("unsigned integers (1u) are not supported by the fast CEL engine", token.offset)
        self.advance()
        value = -token.value if negative else token.value
        if token.kind == "int" and not INT64_MIN <= value <= INT64_MAX:
            raise self.error("invalid int literal", offset)
        return Literal(offset, value)

    def global_call(self, name: Token, args: list[Node], key: str) -> Node:
        if name.text == "has":
            argument = args[0] if len(args) == 1 else None
            if not (isinstance(argument, Access) and argument.steps[-1][0] == "field"):
                raise self.error("invalid argument to has() macro", args[0].offset if args else name.offset)
            steps = argument.steps[:-1]
            operand = Access(argument.offset, argument.root, steps) if steps else argument.root
            return self.node(Has(name.offset, operand, argument.steps[-1][1]))
        return self.node(Call(name.offset, name.text, args, key=key))

    def list_literal(self) -> Node:
        open_bracket = self.advance()
        self.enter(open_bracket.offset)
        items: list[Node] = []
        while not self.at("]"):
            if self.at(","):  # `[,]` and a trailing comma are allowed by the grammar
                self.advance()
                if not self.at("]"):
                    raise self.error(f"Syntax error: unexpected {_describe(self.token)}", self.token.offset)
                break
            items.append(self.expression())
            if not self.at("]"):
                self.expect(",", "between list elements")
        self.advance()
        self.leave()
        return self.node(ListExpr(open_bracket.offset, items))

    def map_literal(self) -> Node:
        open_brace = self.advance()
        self.enter(open_brace.offset)
        entries: list[tuple[Node, Node]] = []
        while not self.at("}"):
            if self.at(","):
                self.advance()
                if not self.at("}"):
                    raise self.error(f"Syntax error: unexpected {_describe(self.token)}", self.token.offset)
                break
            key = self.expression()
            self.expect(":", "after a map key")
            entries.append((key, self.expression()))
            if not self.at("}"):
                self.expect(",", "between map entries")
        self.advance()
        self.leave()
        return self.node(MapExpr(open_brace.offset, entries))


def parse(text: str) -> Node:
    """The syntax tree of `text`; raise CelSyntaxError, located, when it is not supported CEL."""
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise CelSyntaxError("expression nested too deeply", text, 0) from None


# --- runtime: equality, ordering, arithmetic ----------------------------------------------------

_NUMBERS = frozenset({int, float})
_ORDERED = frozenset({int, float, str, bool, datetime, timedelta})
_MAP_KEYS = frozenset({str, int, bool})


def cel_equals(left: Any, right: Any) -> bool:
    """CEL `==`: numbers compare across int/double, lists and maps element-wise, other types never equal."""
    kind = type(left)
    if kind is type(right):
        if kind is list:
            return len(left) == len(right) and all(map(cel_equals, left, right))
        if kind is dict:
            return len(left) == len(right) and all(
                key in right and cel_equals(value, right[key]) for key, value in left.items())
        return left == right
    return kind in _NUMBERS and type(right) in _NUMBERS and left == right


def _not_equals(left: Any, right: Any) -> bool:
    return not cel_equals(left, right)


def _ordering(symbol: str, compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def order(left: Any, right: Any) -> bool:
        kind = type(left)
        if kind is type(right):
            if kind in _ORDERED:
                return compare(left, right)
        elif kind in _NUMBERS and type(right) in _NUMBERS:
            return compare(left, right)
        raise _no_overload(symbol, left, right)
    return order


def cel_in(item: Any, container: Any) -> bool:
    """CEL `in`: membership of a list (by CEL equality) or of a map's keys."""
    kind = type(container)
    if kind is list:
        if type(item) is str or item is None:  # these equal only their own type: Python's `in` is exact
            return item in container
        return any(cel_equals(item, element) for element in container)
    if kind is dict:
        return _map_has(container, item)
    raise _no_overload("in", item, container)


def _map_has(container: dict[Any, Any], key: Any) -> bool:
    kind = type(key)
    if kind is str:
        return key in container
    if kind is int or kind is bool:  # Python merges 1 and True; CEL does not
        return any(type(k) is kind and k == key for k in container)
    raise CelError(f"a {type_name(key)} cannot be a map key (keys are strings, ints or bools)")


def _check_int(value: int, symbol: str, left: Any, right: Any) -> int:
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise CelError(f"integer overflow in {left} {symbol} {right}")


def _add(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        return _check_int(left + right, "+", left, right)
    if kind is other and (kind is float or kind is str or kind is list):
        return left + right
    if (kind is datetime and other is timedelta) or (kind is timedelta and (other is datetime or other is timedelta)):
        return _time_arithmetic(operator.add, "+", left, right)
    raise _no_overload("+", left, right)


def _subtract(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        return _check_int(left - right, "-", left, right)
    if kind is float and other is float:
        return left - right
    if (kind is datetime and (other is datetime or other is timedelta)) or (kind is timedelta and other is timedelta):
        return _time_arithmetic(operator.sub, "-", left, right)
    raise _no_overload("-", left, right)


def _time_arithmetic(function: Callable[[Any, Any], Any], symbol: str, left: Any, right: Any) -> Any:
    try:
        return function(left, right)
    except OverflowError:
        raise CelError(f"timestamp or duration out of range in {type_name(left)} {symbol} {type_name(right)}"
                       ) from None


def _multiply(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        return _check_int(left * right, "*", left, right)
    if kind is float and other is float:
        return left * right
    raise _no_overload("*", left, right)


def _divide(left: Any, right: Any) -> Any:
    kind, other = type(left), type(right)
    if kind is int and other is int:
        if right == 0:
            raise CelError("division by zero")
        quotient = abs(left) // abs(right)
        return _check_int(quotient if (left < 0) == (right < 0) else -quotient, "/", left, right)
    if kind is float and other is float:
        if right == 0.0:  # IEEE 754, as CEL: ±inf, or NaN for 0/0
            if left == 0.0 or left != left:
                return math.nan
            return math.copysign(math.inf, left) * math.copysign(1.0, right)
        return left / right
    raise _no_overload("/", left, right)


def _modulo(left: Any, right: Any) -> Any:
    if type(left) is int and type(right) is int:
        if right == 0:
            raise CelError("modulo by zero")
        if left == INT64_MIN and right == -1:
            raise CelError(f"integer overflow in {left} % {right}")
        remainder = abs(left) % abs(right)
        return remainder if left >= 0 else -remainder
    raise _no_overload("%", left, right)


def _negate(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        if value == INT64_MIN:
            raise CelError(f"integer overflow in -({value})")
        return -value
    if kind is float:
        return -value
    raise CelError(f"no such overload: -{type_name(value)}")


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": cel_equals, "!=": _not_equals, "in": cel_in,
    "<": _ordering("<", operator.lt), "<=": _ordering("<=", operator.le),
    ">": _ordering(">", operator.gt), ">=": _ordering(">=", operator.ge),
    "+": _add, "-": _subtract, "*": _multiply, "/": _divide, "%": _modulo,
}
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


# --- runtime: conversions and functions ---------------------------------------------------------

_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_DOUBLE_TEXT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.I)
_TIMESTAMP_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})")
_DURATION_PART = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?(?:h|ms|m|s|us|ns)"
_DURATION_TEXT = re.compile(rf"([+-]?)((?:{_DURATION_PART})+|0)")
_DURATION_ITEM = re.compile(r"((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(h|ms|m|s|us|ns)")
_MICROSECONDS: dict[str, int | Decimal] = {"h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000, "ms": 1000, "us": 1, "ns": Decimal("0.001")}
_ONE_MICROSECOND = timedelta(microseconds=1)


def to_int(value: Any) -> int:
    """CEL int(): from int, double (truncated; out of range is an error) or decimal text."""
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        if -9.223372036854775808e18 <= value < 9.223372036854775808e18:  # false for NaN
            return int(value)
        raise CelError(f"int({value!r}): out of the 64-bit integer range")
    if kind is str:
        if _INT_TEXT.fullmatch(value):
            number = int(value)
            if INT64_MIN <= number <= INT64_MAX:
                return number
        raise CelError(f"int({value!r}): not a 64-bit integer")
    raise CelError(f"no such overload: int({type_name(value)})")


def to_double(value: Any) -> float:
    """CEL double(): from int, double or number text."""
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        return float(value)
    if kind is str:
        if _DOUBLE_TEXT.fullmatch(value):
            return float(value)
        raise CelError(f"double({value!r}): not a number")
    raise CelError(f"no such overload: double({type_name(value)})")


def to_string(value: Any) -> str:
    """CEL string(), with the binding's spelling of doubles, timestamps and durations."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is float:
        return format_double(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is datetime:
        micro = value.microsecond
        spec = "seconds" if micro == 0 else "milliseconds" if micro % 1000 == 0 else "microseconds"
        return value.isoformat(timespec=spec)
    if kind is timedelta:
        return format_duration(value)
    raise CelError(f"no such overload: string({type_name(value)})")


def format_double(value: float) -> str:
    """A double as the binding prints it: shortest round-trip digits, never an exponent, no trailing `.0`."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(value: timedelta) -> str:
    """A duration as Go prints one: `1h30m0s`, `1.5s`, `100ms`, `0s`."""
    micro = value // _ONE_MICROSECOND
    sign, micro = ("-", -micro) if micro < 0 else ("", micro)
    if micro == 0:
        return "0s"
    if micro < 1000:
        return f"{sign}{micro}µs"
    if micro < 1_000_000:
        return f"{sign}{_decimal_text(micro, 1000)}ms"
    hours, rest = divmod(micro, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = f"{_decimal_text(rest, 1_000_000)}s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    return f"{sign}{minutes}m{seconds}" if minutes else f"{sign}{seconds}"


def _decimal_text(amount: int, unit: int) -> str:
    whole, fraction = divmod(amount, unit)
    if not fraction:
        return str(whole)
    digits = str(fraction).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def to_timestamp(value: Any) -> datetime:
    kind = type(value)
    if kind is datetime:
        return value
    if kind is str:
        return parse_timestamp(value)
    raise CelError(f"no such overload: timestamp({type_name(value)})")


@lru_cache(maxsize=1024)
def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp, keeping its offset; fractions beyond microseconds are truncated."""
    match = _TIMESTAMP_TEXT.fullmatch(text)
    if not match:
        raise CelError(f"timestamp({text!r}): not an RFC 3339 timestamp such as '2022-03-01T10:15:00Z'")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        if offset in ("Z", "z"):
            zone: tzinfo = timezone.utc
        else:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        return datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=zone)  # leap second → :59
    except ValueError:
        raise CelError(f"timestamp({text!r}): out of range") from None


def to_duration(value: Any) -> timedelta:
    kind = type(value)
    if kind is timedelta:
        return value
    if kind is str:
        return parse_duration(value)
    raise CelError(f"no such overload: duration({type_name(value)})")


@lru_cache(maxsize=1024)
def parse_duration(text: str) -> timedelta:
    """A Go-style duration: `1h30m`, `1.5s`, `-90m`, `100ms`, `0`; nanoseconds are truncated."""
    match = _DURATION_TEXT.fullmatch(text)
    if not match:
        raise CelError(f"duration({text!r}): not a duration such as '1h30m' or '90s'")
    total = sum((Decimal(number) * _MICROSECONDS[unit] for number, unit in _DURATION_ITEM.findall(match.group(2))),
                Decimal(0))
    try:
        result = timedelta(microseconds=int(total))
    except OverflowError:
        raise CelError(f"duration({text!r}): out of range") from None
    return -result if match.group(1) == "-" else result


def size(value: Any) -> int:
    kind = type(value)
    if kind is list or kind is dict or kind is str:
        return len(value)
    raise CelError(f"no such overload: size({type_name(value)})")


def _identity(value: Any) -> Any:
    return value


@lru_cache(maxsize=512)
def regex(pattern: str) -> re.Pattern[str]:
    """An RE2 pattern compiled for Python's re (see the module docstring); CelError when invalid."""
    try:
        return re.compile(_python_pattern(pattern))
    except (re.error, OverflowError, RecursionError) as exc:
        raise CelError(f"invalid regular expression {pattern!r}: {exc}") from None


def _python_pattern(pattern: str) -> str:
    """RE2's `\\z` and (outside multi-line mode) `$` mean the end of the text; Python's `$` also matches before a
    final newline, so both become `\\Z`."""
    multiline = re.search(r"\(\?[a-zA-Z]*m", pattern) is not None
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            pair = pattern[index: index + 2]
            out.append("\\Z" if pair == "\\z" and not in_class else pair)
            index += 2
            continue
        if in_class:
            in_class = char != "]" or out[-1] == "["
        elif char == "[":
            in_class = True
        elif char == "$" and not multiline:
            char = "\\Z"
        out.append(char)
        index += 1
    return "".join(out)


def _matches(text: Any, pattern: Any) -> bool:
    if type(text) is str and type(pattern) is str:
        return regex(pattern).search(text) is not None
    raise CelError(f"no such overload: {type_name(text)}.matches({type_name(pattern)})")


def _string_method(name: str, test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def method(text: Any, other: Any) -> bool:
        if type(text) is str and type(other) is str:
            return test(text, other)
        raise CelError(f"no such overload: {type_name(text)}.{name}({type_name(other)})")
    return method


_STRING_METHODS = {
    "startsWith": _string_method("startsWith", str.startswith),
    "endsWith": _string_method("endsWith", str.endswith),
    "contains": _string_method("contains", operator.contains),
    "matches": _matches,
}

_TIMESTAMP_FIELDS: dict[str, Callable[[datetime], int]] = {
    "getFullYear": lambda t: t.year,
    "getMonth": lambda t: t.month - 1,
    "getDate": lambda t: t.day,
    "getDayOfMonth": lambda t: t.day - 1,
    "getDayOfWeek": lambda t: (t.weekday() + 1) % 7,  # Sunday is 0
    "getDayOfYear": lambda t: t.timetuple().tm_yday - 1,
    "getHours": lambda t: t.hour,
    "getMinutes": lambda t: t.minute,
    "getSeconds": lambda t: t.second,
    "getMilliseconds": lambda t: t.microsecond // 1000,
}
_DURATION_UNITS = {"getHours": 3_600_000_000, "getMinutes": 60_000_000, "getSeconds": 1_000_000,
                   "getMilliseconds": 1000}


@lru_cache(maxsize=64)
def time_zone(name: str) -> tzinfo:
    """An IANA zone (`Europe/London`) or a fixed offset (`+01:00`, `-05:30`)."""
    match = re.fullmatch(r"([+-])([0-9]{2}):([0-9]{2})", name)
    try:
        if match:
            sign = -1 if match.group(1) == "-" else 1
            return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise CelError(f"unknown time zone {name!r}") from None


def _getter(name: str) -> Callable[..., int]:
    """timestamp.<name>([zone]) or duration.<name>()."""
    field_of = _TIMESTAMP_FIELDS[name]
    unit = _DURATION_UNITS.get(name)

    def get(value: Any, zone: Any = None) -> int:
        if type(value) is datetime:
            if zone is None:
                return field_of(value)
            if type(zone) is str:
                return field_of(value.astimezone(time_zone(zone)))
        elif type(value) is timedelta and unit is not None and zone is None:
            micro = value // _ONE_MICROSECOND
            whole = abs(micro) // unit
            return whole if micro >= 0 else -whole
        raise CelError(f"no such overload: {type_name(value)}.{name}()")
    return get


_GLOBAL_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "size": (1, size), "int": (1, to_int), "double": (1, to_double), "string": (1, to_string),
    "timestamp": (1, to_timestamp), "duration": (1, to_duration), "dyn": (1, _identity), "matches": (2, _matches),
}
_UNSUPPORTED_FUNCTIONS = frozenset({"uint", "bytes", "type"})
GLOBAL_FUNCTION_NAMES = frozenset(_GLOBAL_FUNCTIONS) | _UNSUPPORTED_FUNCTIONS  # not helpers: see checker.helpers
_RESULT_TYPES = frozenset({type(None), bool, int, float, str, list, dict, datetime, timedelta})


def _checked_result(name: str, value: Any) -> Any:
    if type(value) in _RESULT_TYPES:
        return value
    if type(value) is tuple:
        return list(value)
    raise CelError(f"function {name}() returned a {type(value).__name__}, which is not a CEL value")


# --- compiler -----------------------------------------------------------------------------------


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

    def __init__(self, text: str) -> None:
        self.text = text
        self.bound: list[str] = []  # comprehension variables in scope, innermost last

    def error(self, problem: str, node: Node) -> CelSyntaxError:
        return CelSyntaxError(problem, self.text, node.offset)

    def compile(self, node: Node) -> _Code:
        return getattr(self, "_" + type(node).__name__)(node)

    def _Group(self, node: Group) -> _Code:
        """A parenthesised sub-expression, cached in the activation when that is safe and worth it.

        Safe: it reads no comprehension variable, so its value depends only on the activation's
        variables (and the helper functions, which must be pure). Worth it: it calls a function,
        iterates, or has several operations. Pack variables are expanded in parentheses, so this
        evaluates each variable once per record however many rules use it, and hoists loop-invariant
        parts out of all()/filter() bodies."""
        code = self.compile(node.inner)
        if code.constant or not _worth_caching(node.inner) or _free_names(node.inner) & set(self.bound):
            return code
        # interned: one string object per key, so lookups from different programs compare by identity
        return _Code(_cached(sys.intern(MEMO_PREFIX + node.key), code.run))

    def _Literal(self, node: Literal) -> _Code:
        return _constant(node.value)

    def _Ident(self, node: Ident) -> _Code:
        name = node.name

        def ident(activation: Activation) -> Any:
            try:
                return activation[name]
            except KeyError:
                raise CelError(f"undeclared reference to '{name}'") from None
        return _Code(ident)

    # selection

    def _Access(self, node: Access) -> _Code:
        if all(kind != "index" for kind, _ in node.steps):
            keys = tuple(payload for _, payload in node.steps)
            if isinstance(node.root, Ident):
                return _Code(_rooted_path(node.root.name, keys))
            base = self.compile(node.root)
            return _folded(_value_path(base.run, keys), base)
        return self._mixed_access(node)

    def _mixed_access(self, node: Access) -> _Code:
        base = self.compile(node.root)
        steps: list[tuple[bool, Any]] = []
        parts = [base]
        for kind, payload in node.steps:
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
        # Helpers are pure, so a call that reads no comprehension variable is cached in the activation
        # like a parenthesised sub-expression: a rule's evidence often repeats its clause's call.
        return _Code(_cached(sys.intern(MEMO_PREFIX + node.key), run))

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


def _children(node: Node) -> list[Node]:
    """The direct sub-expressions of a node."""
    kind = type(node)
    if kind is Access:
        return [node.root] + [payload for step, payload in node.steps if step == "index"]
    if kind is Call:
        return ([node.target] if node.target is not None else []) + node.args
    if kind is ListExpr:
        return list(node.items)
    if kind is MapExpr:
        return [part for entry in node.entries for part in entry]
    if kind is Unary or kind is Has:
        return [node.operand]
    if kind is Chain:
        return [node.first] + [term for _, term in node.rest]
    if kind is Logical:
        return list(node.terms)
    if kind is Conditional:
        return [node.test, node.then, node.other]
    if kind is Group:
        return [node.inner]
    if kind is Comprehension:
        return [node.range] + node.args
    return []


child_nodes = _children  # for checks that walk a parsed expression (checker.helpers)


def _free_names(node: Node) -> set[str]:
    """The variable names a sub-expression reads that it does not bind itself."""
    if type(node) is Ident:
        return {node.name}
    if type(node) is Comprehension:
        inner = set().union(*(_free_names(arg) for arg in node.args)) - {node.var}
        return _free_names(node.range) | inner
    return set().union(*(_free_names(child) for child in _children(node)))


def _worth_caching(node: Node) -> bool:
    """Does evaluating it cost clearly more than a cache lookup (~0.1 µs)?"""
    count = 0
    pending = [node]
    while pending:
        current = pending.pop()
        if type(current) is Comprehension or type(current) is Call:
            return True
        count += 1
        pending += _children(current)
    return count >= 5


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


def _range_items(value: Any, macro: str) -> Any:
    kind = type(value)
    if kind is list:
        return value
    if kind is dict:
        return list(value)
    raise CelError(f"{macro}() needs a list or a map, got {type_name(value)}")


def _all(macro: str, source: Run, var: str, predicate: Run) -> Run:
    def all_(activation: Activation) -> bool:
        items = _range_items(source(activation), macro)
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
        items = _range_items(source(activation), macro)
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
        items = _range_items(source(activation), macro)
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
        items = _range_items(source(activation), macro)
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
        items = _range_items(source(activation), macro)
        local = activation.copy()
        result = []
        for item in items:
            local[var] = item
            result.append(transform(local))
        return result
    return map_


def _map_filter(macro: str, source: Run, var: str, predicate: Run, transform: Run) -> Run:
    def map_filter(activation: Activation) -> list[Any]:
        items = _range_items(source(activation), macro)
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
    so a call costs no method dispatch."""

    execute: Run

    def __init__(self, source: str, run: Run, constant: bool) -> None:
        self.source = source
        self.execute = run
        self.constant = constant  # the value does not depend on the activation

    def __repr__(self) -> str:
        return f"Program({self.source!r})"


def compile_program(text: str) -> Program:
    """Parse and compile `text`; raise CelSyntaxError (located) when it is not CEL this engine supports."""
    tree = parse(text)
    try:
        code = _Compiler(text).compile(tree)
    except RecursionError:
        raise CelSyntaxError("expression nested too deeply", text, 0) from None
    return Program(text, code.run, code.constant)


def make_activation(variables: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None
                    ) -> Activation:
    """The dict a Program runs on: variables by name, helper functions under `name()`, and a cache.

    Functions live under a key no CEL name can spell, so a comprehension variable never hides one.
    The cache holds parenthesised sub-expressions and helper calls already evaluated on this activation
    (shared by every program run on it), so make one activation per record and never change its variables."""
    activation = dict(variables)
    for name, function in (functions or {}).items():
        activation[name + FUNCTION_SUFFIX] = function
    activation[MEMO_KEY] = {}
    return activation
