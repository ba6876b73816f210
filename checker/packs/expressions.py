"""CEL expressions in rule packs: parsing, reading and compiling them from their syntax trees.

Rules are written in CEL (the Common Expression Language used by Kubernetes and Kyverno). They run
on `checker.cel` (engine "fast", the default), which compiles each expression once into Python
closures over the normalised record; the `common-expression-language` binding (engine "reference")
is the syntax authority and the reference the fast engine is tested against. The record is the root
variable `case`. A pack adds two namespaces, resolved when its expressions are compiled:

- `settings.NAME`: the run's value of the pack setting, a typed constant bound at compile time
  (`x <= settings.limit` compiles as a comparison with a number);
- `variables.NAME`: the pack variable, a named program of its own, evaluated at most once per
  record whichever rule reads it first (its value, or its error, is kept for the record).

The compiled variables of a pack (`compile_scope` → `PackScope`; other compilers of rules, such
as one to SQL, read the same):

    scope = compile_scope(settings_values, {name: text}, engine)
    scope.variables[name].tree      # the syntax tree of the variable's text (checker.cel.syntax nodes)
    scope.variables[name].program   # its compiled program (a checker.cel.Program)
    scope.variables[name].reads     # the variables it reads directly; scope.order lists every variable
                                    # after those it reads
    scope.settings                  # setting name → the run's value
    scope.compile(text)             # (tree, program) of a rule's expression in this scope
    scope.variables_read(tree)      # the variables an expression needs, directly or through others
    scope.case_paths(tree)          # the case fields it reads, through its variables too

Variables that read each other are compiled once each, in dependency order; a cycle is a located
error. Nothing is expanded as text (only the reference engine, which has no named programs, gets
each variable written out in brackets, with a size limit). No rule text is ever evaluated as Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from checker import cel
from checker.cel.tree import field_paths
from checker.cel.reference import binding
from checker.cel.syntax import Access, Ident, Node, literal_text, parse, unparse

MAX_EXPRESSION_LENGTH = 4000
MAX_REFERENCE_LENGTH = 100_000  # a variable written out into the reference engine's text
MAX_VARIABLE_DEPTH = 32  # variables reading variables: each level is a nested call when a record is evaluated

FAST, REFERENCE = "fast", "reference"
ENGINES = (FAST, REFERENCE)
Program = Union[cel.Program, binding.Program]
SETTINGS, VARIABLES, CASE = "settings", "variables", "case"


class ExpressionError(ValueError):
    """An expression that cannot be parsed or compiled; `offset` is where in its text, when known."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


class VariableError(ExpressionError):
    """A pack variable that cannot be compiled, or variables that read each other in a cycle; `variable`
    is the one whose text `offset` is in."""

    def __init__(self, message: str, variable: str, offset: int | None) -> None:
        super().__init__(message, offset)
        self.variable = variable


# --- reading the syntax tree --------------------------------------------------------------------


def parse_expression(text: str) -> Node:
    """The syntax tree of a rule's expression; ExpressionError (located) when it is not CEL this engine runs.

    The binding parses it first (it is the syntax authority); the fast engine's parser must accept it too."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_LENGTH}")
    try:
        binding.compile(text)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise _parser_error(str(exc), text) from None
    try:
        return parse(text)
    except cel.CelSyntaxError as exc:
        raise _parser_error(str(exc), text) from None


def referenced(tree: Node, namespace: str) -> list[tuple[str, int]]:
    """The names read from `namespace` (`settings`, `variables`) with the offset of each first mention."""
    found: dict[str, int] = {}
    for path, offset in field_paths(tree, namespace):
        name = path.split(".")[0]
        found.setdefault(name, offset)
    return list(found.items())


def case_paths(tree: Node, root: str = CASE) -> list[str]:
    """The record's field paths an expression reads (`case.…`, or the record type's `root`), without the
    prefix, in order, each once.
    Paths stop before an index or a method call; paths read through comprehension variables are not here."""
    return [path for path, _ in field_paths(tree, root)]


# --- the compiled variables of a pack -----------------------------------------------------------


@dataclass(frozen=True)
class CompiledVariable:
    name: str
    text: str
    tree: Node
    program: Program
    reads: tuple[str, ...]  # variables it reads directly


@dataclass
class PackScope:
    """A pack's settings (values of one run) and compiled variables: what its expressions are compiled in."""

    settings: dict[str, Any]
    variables: dict[str, CompiledVariable]
    order: list[str]  # every variable after the ones it reads
    engine: str = FAST
    scope: cel.Scope | None = field(default=None, repr=False)  # the fast engine's compile-time names
    root: str = CASE  # the name rules read the record by (its record type's variable)

    def compile(self, text: str, tree: Node | None = None) -> tuple[Node, Program]:
        """A rule's expression (or a waiver selector) compiled in this scope."""
        tree = tree if tree is not None else parse_expression(text)
        if self.engine == REFERENCE:
            return tree, _reference_program(self.reference_text(tree))
        try:
            return tree, cel.compile_program(text, self.scope, tree)
        except cel.CelSyntaxError as exc:
            raise _parser_error(str(exc), text, exc.offset) from None

    def case_paths(self, tree: Node) -> tuple[str, ...]:
        """The case paths an expression reads, with those of the variables it reads (transitively), in the
        order of the text with each variable read where it is named, each once: the values a rule read,
        for explanations."""
        paths: dict[str, None] = {}
        self._collect_paths(tree, paths, set())
        return tuple(paths)

    def _collect_paths(self, tree: Node, paths: dict[str, None], seen: set[str]) -> None:
        mentions = [(offset, CASE, path) for path, offset in field_paths(tree, self.root)]
        mentions += [(offset, VARIABLES, name) for name, offset in referenced(tree, VARIABLES)]
        for _, kind, name in sorted(mentions):
            if kind == CASE:
                paths.setdefault(name)
            elif name in self.variables and name not in seen:
                seen.add(name)
                self._collect_paths(self.variables[name].tree, paths, seen)

    def variables_read(self, tree: Node) -> list[str]:
        """The variables an expression reads, directly or through other variables, each once."""
        found: dict[str, None] = {}
        pending = [name for name, _ in referenced(tree, VARIABLES)]
        while pending:
            name = pending.pop(0)
            if name in found or name not in self.variables:
                continue
            found[name] = None
            pending += list(self.variables[name].reads)
        return list(found)

    def reference_text(self, tree: Node) -> str:
        """The expression with settings as literals and variables written out in brackets (the reference
        engine has no named values); ExpressionError when that text would exceed MAX_REFERENCE_LENGTH."""
        written: dict[str, str] = {}

        def substitute(node: Node) -> str | None:
            if not (isinstance(node, Access) and isinstance(node.root, Ident) and node.steps[0][0] == "field"):
                return None
            namespace, name = node.root.name, node.steps[0][1]
            if namespace == SETTINGS and name in self.settings:
                head = literal_text(self.settings[name])
            elif namespace == VARIABLES and name in self.variables:
                if name not in written:
                    written[name] = "(" + unparse(self.variables[name].tree, substitute) + ")"
                    if len(written[name]) > MAX_REFERENCE_LENGTH:
                        raise ExpressionError(f"variable {name!r} written out is longer than {MAX_REFERENCE_LENGTH} "
                                              "characters")
                head = written[name]
            else:
                return None
            rest = Access(node.offset, Ident(node.offset, "_"), node.steps[1:]) if node.steps[1:] else None
            return head + (unparse(rest, substitute)[1:] if rest is not None else "")

        text = unparse(tree, substitute)
        if len(text) > MAX_REFERENCE_LENGTH:
            raise ExpressionError(f"expression written out is longer than {MAX_REFERENCE_LENGTH} characters")
        return text


def variable_order(trees: Mapping[str, Node]) -> list[str]:
    """The variables in an order where each comes after those it reads; VariableError when they read
    each other in a cycle or more than MAX_VARIABLE_DEPTH deep."""
    order: list[str] = []
    state: dict[str, str] = {}  # "visiting" or "done"

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            first, second = cycle[0], cycle[1]
            offset = dict(referenced(trees[first], VARIABLES)).get(second)
            raise VariableError("variables read each other in a cycle: "
                                + " → ".join(f"variables.{n}" for n in cycle), first, offset)
        if len(path) >= MAX_VARIABLE_DEPTH:  # also keeps this walk's recursion shallow
            raise _too_deep(trees, path + [name])
        state[name] = "visiting"
        for read, _ in referenced(trees[name], VARIABLES):
            if read in trees:
                visit(read, path + [name])
        state[name] = "done"
        order.append(name)

    for name in trees:
        visit(name, [])
    depth: dict[str, int] = {}
    deepest: dict[str, str | None] = {}
    for name in order:  # each after the ones it reads
        reads = [read for read, _ in referenced(trees[name], VARIABLES) if read in trees]
        deepest[name] = max(reads, key=lambda read: depth[read], default=None)
        depth[name] = 1 + (depth[deepest[name]] if deepest[name] else 0)
        if depth[name] > MAX_VARIABLE_DEPTH:
            chain = [name]
            while deepest[chain[-1]]:
                chain.append(deepest[chain[-1]])
            raise _too_deep(trees, chain)
    return order


def _too_deep(trees: Mapping[str, Node], chain: list[str]) -> VariableError:
    """The error for a chain of variables each reading the next, located at the first one's reference."""
    shown = chain if len(chain) <= 5 else chain[:3] + ["…", chain[-1]]
    return VariableError(f"variables read each other more than {MAX_VARIABLE_DEPTH} deep: "
                         + " → ".join(name if name == "…" else f"variables.{name}" for name in shown), chain[0],
                         dict(referenced(trees[chain[0]], VARIABLES)).get(chain[1]))


def compile_scope(settings: Mapping[str, Any], variables: Mapping[str, str], engine: str = FAST,
                  trees: Mapping[str, Node] | None = None, root: str = CASE) -> PackScope:
    """Compile a pack's variables (name → text; `trees`: their syntax trees when already parsed) in
    dependency order, with its settings' values as constants (`root`: the name the record is read by). VariableError (an ExpressionError) on the
    first problem: packs are checked (`check_packs`) before they are compiled for a run."""
    if engine not in ENGINES:
        raise ValueError(f"unknown CEL engine {engine!r}: expected one of {', '.join(ENGINES)}")
    trees = dict(trees) if trees is not None else {name: parse_expression(text) for name, text in variables.items()}
    order = variable_order(trees)
    programs: dict[str, cel.Program] = {}
    scope = PackScope(dict(settings), {}, order, engine,
                      cel.Scope({SETTINGS: dict(settings)}, {VARIABLES: programs}) if engine == FAST else None,
                      root)
    for name in order:
        try:
            tree, program = scope.compile(variables[name], trees[name])
        except VariableError:
            raise
        except ExpressionError as exc:
            raise VariableError(str(exc), name, exc.offset) from None
        if engine == FAST:
            programs[name] = program  # type: ignore[assignment]
        reads = tuple(read for read, _ in referenced(tree, VARIABLES))
        scope.variables[name] = CompiledVariable(name, variables[name], tree, program, reads)
    scope.variables = {name: scope.variables[name] for name in variables}  # in the pack's order
    return scope


def compile_expression(text: str, engine: str = FAST, scope: PackScope | None = None) -> Program:
    """Compile one expression for `engine` (in a pack's scope, or reading only `case`); ExpressionError with
    the parser's located message."""
    if engine not in ENGINES:
        raise ValueError(f"unknown CEL engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if engine == REFERENCE and scope is None:  # the text as it is: the reference runs what the fast engine cannot
        if len(text) > MAX_EXPRESSION_LENGTH:
            raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_LENGTH}")
        return _reference_program(text)
    return (scope or PackScope({}, {}, [], engine, cel.Scope() if engine == FAST else None)).compile(text)[1]


def _reference_program(text: str) -> Program:
    try:
        return binding.compile(text)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise _parser_error(str(exc), text) from None


_PARSER_ERROR = re.compile(r"ERROR: <input>:(\d+):(\d+): (.*)")


def _parser_error(message: str, text: str, offset: int | None = None) -> ExpressionError:
    """The parser's own message, with its position inside the expression (and that position as an offset)."""
    match = _PARSER_ERROR.search(message)
    if match:
        line, column, problem = match.groups()
        if offset is None:
            offset = _offset_of(text, int(line), int(column))
        where = f"column {column}" if line == "1" else f"line {line}, column {column}"
        return ExpressionError(f"does not compile ({where} of the expression): {problem}", offset)
    lines = [line for line in message.splitlines() if line.strip()]
    return ExpressionError(lines[0] if lines else message, offset)


def _offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column (the binding counts columns in characters)."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
    return min(start + column - 1, len(text))
