"""The CEL layer: the subset of the Common Expression Language that rule packs use.

Modules: `syntax` (tokenizer, parser, syntax tree with node offsets, and text from a tree),
`tree` (reading trees: children, walk, field paths), `types` (CEL types, from JSON Schema),
`analysis` (static checks of a tree against declared types), `compiler` (syntax tree → closures),
`runtime` (values and operations), `errors`, and `reference` (the `common-expression-language`
binding, the syntax authority and the reference in tests). This package imports nothing else from
the project: the caller declares what an expression may read.

Public surface
- `parse(text)` → syntax tree (nodes of `checker.cel.syntax`, each with its `offset` in the text);
  `unparse(tree)` → CEL text that parses to the same tree (every compound sub-expression bracketed).
- `compile_program(text, scope=None, tree=None)` → `Program` (`execute(activation)`, `constant`,
  `value`, `tree`); a `Scope` binds names at compile time: `constants` (name → value, folded, e.g.
  `settings`) and `programs` (namespace → {name → Program}: `variables.NAME` runs that named program
  at most once per activation, whichever program reads it first).
- `make_activation(variables, functions, budget=EVALUATION_BUDGET)` → what a Program runs on: the
  variables, helper functions (called as `name(...)`), a cache of named programs and helper calls,
  and the evaluation budget: the list items all comprehensions on it may visit in total.
- `analyse(tree, Environment(variables, functions))` → `Analysis` (inferred type, `Problem`s with
  offsets): functions and arities, field paths (through comprehension variables and index syntax),
  literal types and enum values in comparisons, `size()` arguments; warnings for comprehensions
  nested over independent lists. Types (`CelType`) come from JSON Schema (`type_from_schema`) and
  helpers are declared as `FunctionType`s. See `checker.cel.analysis`.
- Errors: `CelError` (an evaluation error; `NoSuchKeyError`, also a `KeyError`, for a missing map
  key; `BudgetExceeded` when the budget is spent) and `CelSyntaxError` (located: `offset`, `line`,
  `column`, `problem`; its message has the binding's `ERROR: <input>:L:C: ...` form).

Why: the `cel` binding (PyPI `common-expression-language`) converts the whole
Python record into its own values on every `cel.Context` and converts again on
every call, which costs hundreds of microseconds per record. Here an expression
is compiled ONCE into a tree of Python closures that read the normalised record
(plain dict/list/str/int/float/bool/None, aware `datetime`, `timedelta`)
directly: no per-record conversion, no name lookups that compile time can
resolve, no exceptions on the happy path. The binding stays the reference:
differential tests check that both give the same value, or both an error, on
every shipped expression and on generated programs (tests/cel).

How: a hand-written tokenizer and recursive-descent parser (binary operators by
precedence climbing over an explicit stack) build a small AST following the
grammar of https://github.com/google/cel-spec/blob/master/doc/langdef.md; the
compiler turns each node into a closure `run(activation) -> value`, folding
constant sub-expressions and specialising common shapes (`case.a.b.c` as one
chained dict lookup, `x == null`, `x <= 5`, `x in ["a", "b"]` as a set test).
Rule text is never handed to Python's eval/exec/compile or the ast module.

The activation is a plain dict: variables by name (`case`), helper functions
under `name()` (see `make_activation`), and a memo: a named program's value
(or error) and a helper call that reads no comprehension variable are evaluated
once per activation, whichever program reads them first (helpers must be pure).
Brackets change nothing: `(x)` is `x`.

Bounded evaluation: `matches()` runs on RE2 (google-re2), in time linear in the
text whatever the pattern; each comprehension charges the items it visits to
the activation's budget, and raises `BudgetExceeded` when it is spent.

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

Semantics, as checked against the binding (see tests/cel/)
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
- `matches()` has RE2's syntax and semantics (search; `\\w`, `\\s`, `\\d`, `\\b`
  are ASCII, as in CEL's other runtimes; the binding's Rust regex makes them
  Unicode); no backreferences or look-around. Literal patterns compile once.
- macros over a map visit its keys in insertion order (the binding's order is arbitrary).
- map literals with both `true` and `1` as keys collapse to one key (as in the
  binding). Duplicate keys keep the last value (as in the binding).
- values returned by a program, or passed to helper functions, may be shared
  with the record or with the program's constants: treat them as read-only.
- a Program is thread-safe and re-entrant (comprehension variables live in a
  per-evaluation copy of the activation).
"""

from checker.cel.analysis import Analysis, Environment, FunctionType, Problem, analyse
from checker.cel.types import CelType, type_from_schema
from checker.cel.compiler import EVALUATION_BUDGET, Program, Scope, compile_program, make_activation
from checker.cel.errors import BudgetExceeded, CelError, CelSyntaxError, NoSuchKeyError
from checker.cel.syntax import parse, unparse

__all__ = [
    "EVALUATION_BUDGET", "Analysis", "BudgetExceeded", "CelError", "CelSyntaxError", "CelType", "Environment",
    "FunctionType", "NoSuchKeyError", "Problem", "Program", "Scope", "analyse", "compile_program", "make_activation",
    "parse", "type_from_schema", "unparse",
]
