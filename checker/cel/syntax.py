"""CEL syntax: the tokenizer, the syntax tree and the recursive-descent parser (`parse`).

The grammar follows https://github.com/google/cel-spec/blob/master/doc/langdef.md; nothing here evaluates.
Every node carries its offset in the text, so errors (and the analysis) are located."""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from collections.abc import Callable
from typing import Any

from checker.cel.errors import INT64_MAX, INT64_MIN, CelSyntaxError

MAX_DEPTH = 200  # closure tree depth: evaluation stays well inside Python's recursion limit
MAX_NESTING = 96  # brackets, calls and conditionals; the binding rejects deeper nesting too


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

    Each step is ("field", name), ("key", string literal index) or ("index", node); `step_offsets[i]`
    is where step i is written (the field name, or the opening bracket)."""
    offset: int
    root: Any
    steps: list[tuple[str, Any]]
    depth: int = 0
    step_offsets: list[int] = dataclass_field(default_factory=list)

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
    field_offset: int = -1  # where the tested field's name is written

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
    """A parenthesised expression (kept so that the tree says how its text was written; it evaluates as
    `inner`). `key` is its canonical text."""
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
            node.step_offsets.append(offset)
            if step[0] == "index":
                node.depth = max(node.depth, 1 + step[1].depth)
            return self.node(node)
        return self.node(Access(offset, node, [step], step_offsets=[offset]))

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
            operand = (Access(argument.offset, argument.root, steps, step_offsets=argument.step_offsets[:-1])
                       if steps else argument.root)
            return self.node(Has(name.offset, operand, argument.steps[-1][1],
                                 field_offset=argument.step_offsets[-1]))
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



# --- text from a syntax tree --------------------------------------------------------------------

Substitute = Callable[[Node], "str | None"]


def unparse(node: Node, substitute: Substitute | None = None) -> str:
    """CEL text for a syntax tree: parsing it gives the same tree (up to offsets). Every compound
    sub-expression is bracketed, so the text never depends on precedence. `substitute(node)` may give
    the text of a node instead (e.g. a named value written out); None keeps the node."""
    return _Unparser(substitute).text(node)


class _Unparser:
    def __init__(self, substitute: Substitute | None) -> None:
        self.substitute = substitute

    def text(self, node: Node) -> str:
        if self.substitute is not None:
            replaced = self.substitute(node)
            if replaced is not None:
                return replaced
        return getattr(self, "_" + type(node).__name__)(node)

    def bracketed(self, node: Node) -> str:
        text = self.text(node)
        return text if isinstance(node, (Literal, Ident, Access, Call, ListExpr, MapExpr, Has, Comprehension,
                                         Group)) else f"({text})"

    def _Literal(self, node: Literal) -> str:
        return literal_text(node.value)

    def _Ident(self, node: Ident) -> str:
        return node.name

    def _Access(self, node: Access) -> str:
        parts = [self.bracketed(node.root)]
        for kind, payload in node.steps:
            if kind == "field":
                parts.append(f".{payload}")
            elif kind == "key":
                parts.append(f"[{literal_text(payload)}]")
            else:
                parts.append(f"[{self.text(payload)}]")
        return "".join(parts)

    def _Call(self, node: Call) -> str:
        args = ", ".join(self.text(arg) for arg in node.args)
        if node.target is None:
            return f"{node.name}({args})"
        return f"{self.bracketed(node.target)}.{node.name}({args})"

    def _ListExpr(self, node: ListExpr) -> str:
        return "[" + ", ".join(self.text(item) for item in node.items) + "]"

    def _MapExpr(self, node: MapExpr) -> str:
        return "{" + ", ".join(f"{self.text(key)}: {self.text(value)}" for key, value in node.entries) + "}"

    def _Unary(self, node: Unary) -> str:
        operand = self.bracketed(node.operand)
        if node.op == "-" and (operand.startswith("-") or operand[:1].isdigit()):
            operand = f"({operand})"  # `--x` would cancel, and `-1` would be a literal: keep the brackets
        return f"{node.op}{operand}"

    def _Chain(self, node: Chain) -> str:
        text = self.bracketed(node.first)
        for op, term in node.rest:  # one precedence level, left to right: no brackets needed between terms
            text = f"{text} {op} {self.bracketed(term)}"
        return text

    def _Logical(self, node: Logical) -> str:
        return f" {node.op} ".join(self.bracketed(term) for term in node.terms)

    def _Conditional(self, node: Conditional) -> str:
        return f"{self.bracketed(node.test)} ? {self.bracketed(node.then)} : {self.bracketed(node.other)}"

    def _Has(self, node: Has) -> str:
        return f"has({self.bracketed(node.operand)}.{node.field})"

    def _Comprehension(self, node: Comprehension) -> str:
        args = ", ".join([node.var] + [self.text(arg) for arg in node.args])
        return f"{self.bracketed(node.range)}.{node.macro}({args})"

    def _Group(self, node: Group) -> str:
        return f"({self.text(node.inner)})"


def literal_text(value: Any) -> str:
    """A Python value of a CEL literal (null, bool, int, double, string, or a list of them: a list
    setting) as CEL text."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        if value != value or value in (float("inf"), float("-inf")):
            return {"nan": 'double("NaN")', "inf": 'double("Infinity")', "-inf": 'double("-Infinity")'}[repr(value)]
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if type(value) is str:
        return '"' + "".join(_STRING_ESCAPES.get(char) or (
            f"\\x{ord(char):02x}" if ord(char) < 0x20 or ord(char) == 0x7f else char) for char in value) + '"'
    if type(value) is list:
        return "[" + ", ".join(literal_text(item) for item in value) + "]"
    raise TypeError(f"no CEL literal for a {type(value).__name__}")


_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}

