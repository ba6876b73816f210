"""The fast CEL engine (checker.celfast) against expected values and against the reference binding.

- unit tables: each operator, macro and function, and each error case, with the expected value;
  the AGREED table is checked on both engines (so the binding's behaviour we rely on is pinned
  too), the FAST_ONLY table lists the deliberate differences documented in celfast;
- syntax: located errors for unsupported or invalid text, limits on nesting;
- the activation cache (named programs, i.e. pack variables, and helper calls) and the evaluation budget;
- a differential test: every shipped expression, as the engine compiles it, on the sample, the
  rule fixtures' records and 500 synthetic records, gives the same value (or an error) on both;
- a hypothesis property test doing the same on randomly damaged records;
- engine level: the whole evaluation of samples/cases.json is identical with both engines.
"""

from __future__ import annotations

import copy
import json
import math
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cel
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from tests.cel.values import same

from checker import cel as celfast
from checker.inputs.records import CaseRecord, RawRecord, check_record
from checker.cel import CelError, CelSyntaxError, NoSuchKeyError
from checker.cel.tree import walk
from checker.cel.syntax import Access
from checker.engine.evaluate import EvaluationError, Evaluator, new_context
from checker.packs.expressions import FAST, REFERENCE, ExpressionError, compile_expression
from checker.inputs.recordtypes import CASE_FILE
from checker.packs.rules import load_packs, packs_for
from checker.errors import FileErrors
from checker.settings import RunSettings
from synthetic.cases import generate_cases
from tests.conftest import RULES, SAMPLES, case_file_fixture_records, write_pack

UTC = timezone.utc
T0 = datetime(2022, 3, 1, 10, 0, tzinfo=UTC)  # a Tuesday
CASE: dict[str, Any] = {
    "n": None, "t": True, "f": False, "i": 7, "d": 2.5, "s": "abc",
    "when": T0, "later": T0 + timedelta(hours=30),
    "l": [1, 2, 3], "empty": [], "m": {"k": 1, "z": None},
    "events": [{"type": "arrest", "at": T0}, {"type": "charge", "at": None}],
}
FUNCTIONS: dict[str, Any] = {
    "twice": lambda x: x * 2,
    "boom": lambda x: 1 / 0,
    "none": lambda: None,
    "pair": lambda a, b: [a, b],
}


class _Error:
    """Expected: the expression cannot be evaluated."""

    def __init__(self, missing_key: bool = False) -> None:
        self.missing_key = missing_key

    def __repr__(self) -> str:
        return "NO_SUCH_KEY" if self.missing_key else "ERROR"


ERROR = _Error()
NO_SUCH_KEY = _Error(missing_key=True)


def run_fast(text: str, case: Any = None) -> Any:
    activation = celfast.make_activation({"case": CASE if case is None else case}, FUNCTIONS)
    return celfast.compile_program(text).execute(activation)


def run_reference(text: str) -> Any:
    return cel.compile(text).execute(cel.Context({"case": CASE}, FUNCTIONS))


# What each engine raises for an expression it cannot evaluate: the fast engine's CEL errors; the binding
# raises Python's own (a missing key is a KeyError in both: NoSuchKeyError is one).
ENGINE_ERRORS = {"run_fast": CelError, "run_reference": (LookupError, TypeError, ValueError, RuntimeError, ArithmeticError)}


def check(run: Any, text: str, expected: Any) -> None:
    if isinstance(expected, _Error):
        missing = NoSuchKeyError if run.__name__ == "run_fast" else KeyError
        with pytest.raises(missing if expected.missing_key else ENGINE_ERRORS[run.__name__]):
            run(text)
        return
    value = run(text)
    assert same(value, expected), f"{text} gave {value!r}, expected {expected!r}"


AGREED: list[tuple[str, Any]] = [
    # literals
    ("42", 42), ("-7", -7), ("0x1F", 31), ("-0x10", -16), ("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0),
    ("-9223372036854775808", -(2**63)), ('"a\\tb"', "a\tb"), (r"'\x41\101\u00e9\U0001F600'", "AAé😀"),
    (r'r"\d"', "\\d"), ('"""tri "q" """', 'tri "q" '), ("'a' + \"b\"", "ab"), ("null", None),
    ("true", True), ("[1, 'a', null]", [1, "a", None]), ("{'k': [1]}", {"k": [1]}), ("[1, 2,][1]", 2),
    ("{'a': 1,}", {"a": 1}), ("// a comment\n1", 1),
    # arithmetic
    ("7 / 2", 3), ("-7 / 2", -3), ("-7 % 3", -1), ("7 % -3", 1), ("-5 % -3", -2),
    ("1 + 2 * 3 - 4 / 2 % 3", 5), ("100 / 10 / 5", 2), ("2.0 * 3.0", 6.0), ("7.0 / 2.0", 3.5),
    ("1.0 / 0.0", math.inf), ("-1.0 / 0.0", -math.inf), ("1 / 0", ERROR), ("1 % 0", ERROR),
    ("9223372036854775807 + 1", ERROR), ("-9223372036854775807 - 2", ERROR), ("2 * 9223372036854775807", ERROR),
    ("-9223372036854775808 / -1", ERROR), ("1 + 1.0", ERROR), ("1.5 + 1", ERROR), ('"a" + 1', ERROR),
    ("null + 1", ERROR), ("1.0 % 2.0", ERROR), ('"a" * 2', ERROR), ("[1] + [2]", [1, 2]),
    ("case.l + case.empty", [1, 2, 3]), ("-(1)", -1), ("--1", 1), ('-"a"', ERROR), ("-case.d", -2.5),
    ("-null", ERROR),
    # comparisons
    ("1 < 1.5", True), ("1.5 > 1", True), ("2.0 <= 2", True), ("1 <= 1.0", True), ("2 >= 3", False),
    ("1 < 'a'", ERROR), ("null < 3", ERROR), ("1.0 < null", ERROR), ("null <= null", ERROR),
    ("'a' < 'b'", True), ("'ab' < 'abc'", True), ("true > false", True), ("[1] < [2]", ERROR),
    ("{'a': 1} < {'a': 2}", ERROR), ("case.when < case.later", True), ("duration('1h') < duration('2h')", True),
    ("case.when < duration('1h')", ERROR), ("3 > 2 > 1", ERROR), ("case.i <= 7", True), ("case.d > 2", True),
    ("case.t < 3", ERROR), ("case.s >= 'abc'", True), ("case.when >= timestamp('2022-03-01T10:00:00Z')", True),
    # equality
    ("1 == 1.0", True), ("2.0 == 2", True), ("1 == '1'", False), ("true == 1", False), ("null == null", True),
    ("null == 0", False), ("case.n == null", True), ("case.i != null", True), ("[1, 2] == [1.0, 2]", True),
    ("{'a': 1} == {'a': 1.0}", True), ("{'a': 1} == {'b': 1}", False), ("[1, 2] == [1]", False),
    ("timestamp('2020-01-01T01:00:00+01:00') == timestamp('2020-01-01T00:00:00Z')", True),
    ("duration('1h') == duration('60m')", True), ("duration('1h') == 1", False), ("case.t == 1", False),
    ("case.t == true", True), ("case.f == 0", False), ("case.s == 'abc'", True), ("case.i == 7.0", True),
    ("0.0 / 0.0 == 0.0 / 0.0", False), ("[case.t] == [1]", False), ("1 == 1 != false", True),
    ("true == 1 == 1", False),
    # in
    ("1 in [1.0, 2]", True), ("1 in [true]", False), ("true in [1]", False), ("'a' in ['a', 1]", True),
    ("null in [null]", True), ("null in []", False), ("[1] in [[1.0]]", True), ("'k' in case.m", True),
    ("'q' in case.m", False), ("1 in {1: 2}", True), ("true in {1: 2}", False), ("'1' in {1: 2}", False),
    ("1.5 in {'a': 1}", ERROR), ("null in {'a': 1}", ERROR), ("'a' in 'abc'", ERROR), ("1 in null", ERROR),
    ("case.s in ['abc', 'x']", True), ("case.i in [7, 8]", True), ("case.t in [1, 2]", False),
    ("case.d in [2.5]", True), ("case.l in [1, 2]", False), ("case.n in ['a']", False),
    # && || ! ?:
    ("false && (1/0 == 1)", False), ("(1/0 == 1) && false", False), ("true || (1/0 == 1)", True),
    ("(1/0 == 1) || true", True), ("(1/0 == 1) || false", ERROR), ("true && (1/0 == 1)", ERROR),
    ("(1/0 == 1) || (2/0 == 1)", ERROR), ("1 && false", False), ("false && 1", False), ("1 && true", ERROR),
    ("true && 1", ERROR), ("1 || true", True), ("1 || false", ERROR), ("false || 1", ERROR),
    ("null || true", True), ("!true", False), ("!!true", True), ("!!!true", False), ("!1", ERROR),
    ("!!1", 1), ("!!!1", ERROR), ("!!null", None), ("--'a'", "a"), ("---1", -1), ("!null", ERROR), ("true ? 1 : 'x'", 1), ("false ? 1 : 'x'", "x"), ("null ? 1 : 2", ERROR),
    ("1 ? 2 : 3", ERROR), ("true ? 1 : false ? 2 : 3", 1), ("case.t && case.t && case.f", False),
    ("(1/0 == 1) && case.t && false", False), ("(1/0 == 1) && true && case.t", ERROR),
    ("false || false || case.t", True), ("case.n.x == 1 || case.t", True), ("case.n.x == 1 && case.f", False),
    ("case.i > 3 && case.s == 'abc' && case.l.size() == 3 && !case.f", True),
    ("!false || true && false", True),
    # selection and indexing
    ("case.m.k", 1), ("case.m.z", None), ("case.m.missing", NO_SUCH_KEY), ("case.nothing", NO_SUCH_KEY),
    ("case.n.x", ERROR), ("case.l.x", ERROR), ("case.s.x", ERROR), ("case.when.x", ERROR), ("case.i.x", ERROR),
    ("case.m['k']", 1), ("case.m['zz']", NO_SUCH_KEY), ("case.l[0]", 1), ("case.l[3]", ERROR),
    ("case.l[-1]", ERROR), ("case.l[1.0]", ERROR), ("case.l[true]", ERROR), ("{1: 'x'}[1]", "x"),
    ("{1: 'x'}[1.0]", ERROR), ("{'a': 1}[1]", NO_SUCH_KEY), ("case.events[0].type", "arrest"),
    ("case.events[1].at", None), ("case.events[1].at.x", ERROR), ("case['m'].k", 1), ("'abc'[0]", ERROR),
    ("[[1]][0][0]", 1), ("{'a': [1]}.a[0]", 1), ("has(case.m.k)", True), ("has(case.m.zz)", False),
    ("has(case.m.z)", True), ("has(case.n.x)", ERROR), ("has(case.l.x)", ERROR), ("has(case.s.x)", ERROR),
    ("undefined_name", ERROR), ("undefined_name.x", ERROR),
    # macros
    ("[1, 2, 3].all(x, x > 0)", True), ("[1, 2, 3].exists(x, x > 2)", True),
    ("[1, 2, 3].exists_one(x, x > 1)", False), ("[1, 2, 3].exists_one(x, x == 2)", True),
    ("[1, 2, 3].map(x, x * 2)", [2, 4, 6]), ("[1, 2, 3].filter(x, x > 1)", [2, 3]),
    ("[1, 2, 3].map(x, x > 1, x * 10)", [20, 30]), ("[].all(x, x)", True), ("[].exists(x, x)", False),
    ("[1, false].all(x, x)", ERROR), ("[false, 1].all(x, x)", False), ("[true, 1].exists(x, x)", True),
    ("[1, true].exists(x, x)", ERROR), ("[0, -1].all(x, 1 / x > 0)", ERROR), ("[-1, 0].all(x, 1 / x > 0)", False),
    ("[1, 0].exists(x, 1 / x > 0)", True), ("[1, 1, 0].exists_one(x, 1 / x == 1)", ERROR),
    ("[1, 2].filter(x, x)", ERROR), ("[1, 2, 3].map(x, x, x)", ERROR),
    ("[1, 2].map(x, [3, 4].map(y, x * y))", [[3, 4], [6, 8]]), ("[1].map(x, [2].map(x, x))", [[2]]),
    ("[1, 2].all(x, [3].all(x, x == 3))", True), ("[1, 2].map(x, x).map(x, x)", [1, 2]),
    ("case.m.map(k, k).size() == 2 && 'z' in case.m.map(k, k)", True),  # map order: arbitrary in the binding
    ("{'a': 1, 'b': 2}.filter(k, k == 'a')", ["a"]), ("case.m.all(k, k in ['k', 'z'])", True),
    ("case.events.filter(e, e.at != null).map(e, e.type)", ["arrest"]),
    ("case.events.exists(e, e.at > case.when)", ERROR), ("case.events.all(e, e.at > case.when)", False),
    ("case.n.all(x, x)", ERROR), ("case.s.all(x, true)", ERROR), ("case.l.map(case, case * 2)", [2, 4, 6]),
    ("[1, 2].map(x, y)", ERROR), ("case.l.filter(x, x > case.i - 6).size()", 2),
    # functions and methods
    ("size('abc')", 3), ("'abc'.size()", 3), ("size([1, 2])", 2), ("size(case.m)", 2), ("case.m.size()", 2),
    ("size(1)", ERROR), ("size(null)", ERROR), ("double(3)", 3.0), ("double('3.5')", 3.5),
    ("double('1e3')", 1000.0), ("double('5.')", 5.0), ("double('-inf')", -math.inf), ("double('x')", ERROR),
    ("double('  1')", ERROR), ("double('1_0')", ERROR), ("double(true)", ERROR), ("double(null)", ERROR),
    ("int(3.7)", 3), ("int(-3.7)", -3), ("int(-0.5)", 0), ("int('12')", 12), ("int('+5')", 5), ("int('007')", 7),
    ("int('x')", ERROR), ("int(' 3')", ERROR), ("int('')", ERROR), ("int('0x10')", ERROR), ("int(1e19)", ERROR),
    ("int(-9.9e18)", ERROR), ("int(double('nan'))", ERROR), ("int('9223372036854775808')", ERROR),
    ("int(true)", ERROR), ("string(1)", "1"), ("string(-1)", "-1"), ("string(1.5)", "1.5"), ("string(100.0)", "100"),
    ("string(1e-7)", "0.0000001"), ("string(1e21)", "1000000000000000000000"), ("string(-0.0)", "-0"),
    ("string(123456789.123456789)", "123456789.12345679"), ("string(1.0 / 0.0)", "inf"),
    ("string(0.0 / 0.0)", "NaN"), ("string('s')", "s"), ("string(null)", ERROR), ("string([1])", ERROR),
    ("string(timestamp('2020-01-01T01:00:00Z'))", "2020-01-01T01:00:00+00:00"),
    ("string(timestamp('2020-01-01T01:00:00.5Z'))", "2020-01-01T01:00:00.500+00:00"),
    ("string(timestamp('2020-01-01T01:00:00.123456Z'))", "2020-01-01T01:00:00.123456+00:00"),
    ("string(timestamp('2020-01-01T01:00:00+01:00'))", "2020-01-01T01:00:00+01:00"),
    ("string(duration('90m'))", "1h30m0s"), ("string(duration('36h'))", "36h0m0s"),
    ("string(duration('1.5s'))", "1.5s"), ("string(duration('100ms'))", "100ms"), ("string(duration('0s'))", "0s"),
    ("string(duration('1us'))", "1µs"),
    ("timestamp('2020-01-01T00:00:00Z')", datetime(2020, 1, 1, tzinfo=UTC)),
    ("timestamp('2020-01-01T00:30:00+01:00')", datetime(2020, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))),
    ("timestamp('2020-01-01t00:30:00z')", datetime(2020, 1, 1, 0, 30, tzinfo=UTC)),
    ("timestamp('2020-01-01 00:30:00Z')", datetime(2020, 1, 1, 0, 30, tzinfo=UTC)),
    ("timestamp('2020-01-01T00:30:00.123456789Z')", datetime(2020, 1, 1, 0, 30, 0, 123456, tzinfo=UTC)),
    ("timestamp('2020-01-01T00:00:00-00:00')", datetime(2020, 1, 1, tzinfo=UTC)),
    ("timestamp('2020-01-01')", ERROR), ("timestamp('2020-01-01T00:30Z')", ERROR),
    ("timestamp('2020-02-30T00:00:00Z')", ERROR), ("timestamp('2020-01-01T24:00:00Z')", ERROR),
    ("timestamp('2020-01-01T00:00:00+0100')", ERROR), ("timestamp('2020-01-01T00:00:00+24:00')", ERROR),
    ("timestamp(case.when)", T0), ("timestamp(1)", ERROR), ("timestamp(null)", ERROR),
    ("duration('1h')", timedelta(hours=1)), ("duration('1.5h')", timedelta(minutes=90)),
    ("duration('-1h30m')", -timedelta(minutes=90)), ("duration('1m1h')", timedelta(minutes=61)),
    ("duration('100ms')", timedelta(milliseconds=100)), ("duration('1ns')", timedelta(0)),
    ("duration('.5s')", timedelta(milliseconds=500)), ("duration('0')", timedelta(0)), ("duration('1d')", ERROR),
    ("duration('1')", ERROR), ("duration(' 1s')", ERROR),
    ("timestamp('2020-01-02T00:00:00Z') - timestamp('2020-01-01T00:00:00Z')", timedelta(days=1)),
    ("case.when + duration('1h')", T0 + timedelta(hours=1)), ("case.when - duration('1h')", T0 - timedelta(hours=1)),
    ("duration('2h') - duration('1h')", timedelta(hours=1)), ("duration('1h') + duration('1m')", timedelta(minutes=61)),
    ("case.later - case.when", timedelta(hours=30)), ("duration('1h') * 2", ERROR), ("-duration('1h')", ERROR),
    ("timestamp('9999-12-31T23:59:59Z') + duration('1s')", ERROR),
    ("timestamp('2020-01-01T01:00:00+01:00') + duration('1h')",
     datetime(2020, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=1)))),
    ("'abc'.matches('b')", True), ("'abc'.matches('^b')", False), ("'abc\\n'.matches('c$')", False),
    ("'abc'.matches('\\\\Aabc\\\\z')", True), ("'é'.matches('^.$')", True), ("'ab'.matches('\\\\w\\\\w')", True),
    ("' '.matches('\\\\s')", True), ("'5'.matches('\\\\pN')", True), ("'a\\nc'.matches('a.c')", False), ("'x'.matches('[')", ERROR),
    ("case.s.matches(case.s)", True), ("case.n.matches('x')", ERROR), ("'abc'.startsWith('a')", True),
    ("'abc'.endsWith('c')", True), ("'abc'.contains('b')", True), ("'abc'.contains('')", True),
    ("'abc'.startsWith(1)", ERROR), ("case.i.startsWith('a')", ERROR),
    ("case.when.getFullYear()", 2022), ("case.when.getMonth()", 2), ("case.when.getDate()", 1),
    ("case.when.getDayOfMonth()", 0), ("case.when.getDayOfWeek()", 2), ("case.when.getDayOfYear()", 59),
    ("case.when.getHours()", 10), ("case.when.getMinutes()", 0), ("case.when.getSeconds()", 0),
    ("timestamp('2020-01-01T01:00:00.5Z').getMilliseconds()", 500),
    ("timestamp('2020-01-01T00:30:00+01:00').getFullYear()", 2020),
    ("timestamp('2020-01-01T00:30:00+01:00').getHours()", 0),
    ("duration('90m').getHours()", 1), ("duration('90m').getMinutes()", 90), ("duration('90m').getSeconds()", 5400),
    ("duration('1500ms').getMilliseconds()", 1500), ("case.n.getFullYear()", ERROR), ("dyn(1)", 1),
    ("dyn([1, 2]).size()", 2),
    # helper functions from the activation
    ("twice(case.i)", 14), ("pair(1, 'a')", [1, "a"]), ("none()", None), ("none() + 1", ERROR),
    ("boom(1)", ERROR), ("nosuch(1)", ERROR), ("twice(1/0)", ERROR),
]

# Deliberate differences from the binding (see the celfast module docstring): checked on fast only,
# and the binding's different answer is pinned so a new binding version that changes it is noticed.
FAST_ONLY: list[tuple[str, Any, Any]] = [
    ("size('é')", 1, 2),  # CEL counts code points; the binding counts UTF-8 bytes
    ("'é'.size()", 1, 2),
    ("string(true)", "true", ERROR),
    ("case.when.getHours('+05:00')", 15, ERROR),
    ("case.when.getFullYear('Europe/London')", 2022, ERROR),
    ("case.later.getHours('Europe/London')", 16, ERROR),
    ("duration('1h') + case.when", T0 + timedelta(hours=1), ERROR),
    ("matches('abc', 'b')", True, ERROR),
    # RE2's Perl classes (\w, \s, \d, \b) are ASCII, as in CEL's other runtimes; the binding's are Unicode
    ("'aé'.matches('\\\\w\\\\w')", False, True), ("'\\u00a0'.matches('\\\\s')", False, True),
    ("-(-9223372036854775807 - 1)", ERROR, -(2**63)),  # the binding's negation wraps around
    ("9223372036854775807 == 9.223372036854775807e18", False, True),  # exact, not via double
]


@pytest.mark.parametrize(("text", "expected"), AGREED, ids=[text for text, _ in AGREED])
def test_fast_engine(text: str, expected: Any) -> None:
    check(run_fast, text, expected)


@pytest.mark.parametrize(("text", "expected"), AGREED, ids=[text for text, _ in AGREED])
def test_reference_engine_agrees(text: str, expected: Any) -> None:
    check(run_reference, text, expected)


@pytest.mark.parametrize(("text", "fast", "reference"), FAST_ONLY, ids=[text for text, *_ in FAST_ONLY])
def test_deliberate_differences(text: str, fast: Any, reference: Any) -> None:
    check(run_fast, text, fast)
    check(run_reference, text, reference)


def test_errors_are_cel_errors_with_readable_reasons() -> None:
    with pytest.raises(NoSuchKeyError) as missing:
        run_fast("case.m.missing == 1")
    assert isinstance(missing.value, KeyError) and missing.value.args == ("missing",)
    with pytest.raises(CelError, match="cannot read field 'x' of null"):
        run_fast("case.n.x")
    with pytest.raises(CelError, match=r"no such overload: null < int"):
        run_fast("case.n < 3")
    with pytest.raises(CelError, match="function boom\\(\\) failed: ZeroDivisionError"):
        run_fast("boom(1)")
    with pytest.raises(CelError, match="'&&' needs a bool, got int"):
        run_fast("true && 1")


def test_engine_maps_a_missing_key_to_no_field_in_the_record() -> None:
    from checker.engine.evaluate import _error_reason

    with pytest.raises(NoSuchKeyError) as caught:
        run_fast("case.nothing")
    assert _error_reason(caught.value) == "no field 'nothing' in the record"


def test_bool_is_never_a_number() -> None:
    for text in ("case.t + 1", "case.t * 2", "case.t < 2", "double(case.t)", "int(case.t)", "-case.t"):
        with pytest.raises(CelError):
            run_fast(text)
    assert run_fast("case.t == 1") is False and run_fast("case.f in [0]") is False


def test_long_chains_do_not_nest_closures() -> None:
    assert run_fast("+".join(["1"] * 1500)) == 1500
    assert run_fast(" && ".join(["case.t"] * 1500)) is True
    assert run_fast("!" * 1001 + "true") is False
    assert run_fast("-" * 999 + "(1)") == -1
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(600):
        node["a"] = {}
        node = node["a"]
    assert run_fast("case" + ".a" * 600, case=deep) == {}


def test_maps_iterate_in_insertion_order() -> None:
    assert run_fast("{'k': 1, 'z': 2, 'a': 3}.map(k, k)") == ["k", "z", "a"]


def test_results_are_the_record_values_not_copies() -> None:
    assert run_fast("case.events") is CASE["events"]


# --- syntax -------------------------------------------------------------------------------------

UNSUPPORTED = [  # accepted by the binding, not by the fast engine: a located error that says so
    ("1u == 1", 1, "unsigned integers"),
    ("b'x' == b'x'", 1, "bytes literals"),
    ("a.b{c: 1}", 4, "message construction"),
    (".case", 1, "leading dot"),
    ("type(1) == int", 1, "type() is not supported"),
    ("uint(1)", 1, "uint() is not supported"),
    ("'abc'.lowerAscii()", 7, "unknown method 'lowerAscii'"),
    ("[1, 2].all(x)", 8, "unknown method 'all'"),
    ("size('a', 'b')", 1, "size() takes 1 argument"),
]

INVALID = [  # rejected by both
    ("1 +", 4, "Syntax error"),
    ("(1", 3, "expected ')'"),
    ("[1, 2", 6, "expected ','"),
    ("'unterminated", 1, "unterminated string"),
    ("'\\q'", 2, "invalid escape sequence"),
    ("true ? false ? 1 : 2 : 3", 14, "expected ':'"),
    ("9223372036854775808", 1, "invalid int literal"),
    ("1 == = 2", 6, "Syntax error"),
    ("@", 1, "unexpected character '@'"),
    ("as", 1, "reserved identifier: as"),
    ("[1, 2].all(1, true)", 12, "argument must be a simple name"),
    ("has(x)", 5, "invalid argument to has() macro"),
    ("x.1", 2, "Syntax error"),
    ("1.", 3, "expected a field or method name"),
    ("a.in", 3, "expected a field or method name"),
    ("f(1,)", 5, "Syntax error"),
]


@pytest.mark.parametrize(("text", "column", "problem"), UNSUPPORTED, ids=[t for t, *_ in UNSUPPORTED])
def test_unsupported_cel_is_a_located_compile_error(text: str, column: int, problem: str) -> None:
    cel.compile(text)  # the binding accepts it
    with pytest.raises(CelSyntaxError) as caught:
        celfast.compile_program(text)
    assert (caught.value.line, caught.value.column) == (1, column)
    assert problem in caught.value.problem


@pytest.mark.parametrize(("text", "column", "problem"), INVALID, ids=[t for t, *_ in INVALID])
def test_invalid_cel_is_a_located_compile_error(text: str, column: int, problem: str) -> None:
    with pytest.raises(ValueError):
        cel.compile(text)
    with pytest.raises(CelSyntaxError) as caught:
        celfast.compile_program(text)
    assert (caught.value.line, caught.value.column) == (1, column)
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"ERROR: <input>:1:{column}: ")


def test_errors_on_later_lines_are_located_by_line_and_column() -> None:
    with pytest.raises(CelSyntaxError) as caught:
        celfast.compile_program("case.t &&\n   @")
    assert (caught.value.line, caught.value.column) == (2, 4)


def test_reserved_words_may_be_field_names() -> None:
    assert run_fast("case.package", case={"package": 1}) == 1


def test_nesting_limit_matches_the_binding() -> None:
    accepted = "(" * 95 + "1" + ")" * 95
    cel.compile(accepted)
    assert celfast.compile_program(accepted).execute({}) == 1
    with pytest.raises(CelSyntaxError, match="nested too deeply"):
        celfast.compile_program("(" * 97 + "1" + ")" * 97)


def test_compile_expression_checks_with_both_engines() -> None:
    assert isinstance(compile_expression("1u == 1", engine=REFERENCE), cel.Program)
    with pytest.raises(ExpressionError) as caught:
        compile_expression("1u == 1")
    assert str(caught.value) == ("does not compile (column 1 of the expression): unsigned integers (1u) are not "
                                 "supported by the fast CEL engine")
    with pytest.raises(ExpressionError, match=r"does not compile \(column 4 of the expression\)"):
        compile_expression("1 +")
    with pytest.raises(ValueError, match="unknown CEL engine"):
        compile_expression("1", engine="turbo")


def test_validate_reports_expressions_the_fast_engine_cannot_run(tmp_path: Path) -> None:
    path = write_pack(tmp_path, """\
rules:
  - id: t-rule
    title: A rule
    family: test
    severity: low
    kind: automatic
    source: {document: x.txt, quote: "x", status: assumed}
    assert: size(case.key_events) > 0u
    message: m
""")
    with pytest.raises(FileErrors) as caught:
        load_packs([tmp_path])
    (error,) = [str(e) for e in caught.value.errors]
    assert error.startswith(f"{path}:12:37: rule 't-rule': expression does not compile (column 25 of the "
                            "expression): unsigned integers")


# --- the activation cache -----------------------------------------------------------------------


def test_named_programs_are_evaluated_once_per_activation() -> None:
    calls: list[int] = []

    def counted(value: int) -> int:
        calls.append(value)
        return value

    named: dict[str, celfast.Program] = {}
    scope = celfast.Scope({"settings": {"limit": 3}}, {"variables": named})
    named["big"] = celfast.compile_program("[counted(case.i)].all(x, x > settings.limit)", scope)
    named["both"] = celfast.compile_program("variables.big && case.t", scope)
    first = celfast.compile_program("variables.both || variables.big", scope)
    second = celfast.compile_program("(variables.big) && ((variables.big))", scope)
    activation = celfast.make_activation({"case": CASE}, {"counted": counted})
    assert first.execute(activation) is True and second.execute(activation) is True
    assert calls == [7]  # `big` ran once, whichever program read it first, however it was bracketed
    assert second.execute(celfast.make_activation({"case": CASE}, {"counted": counted})) is True
    assert calls == [7, 7]
    assert first.execute({"case": CASE, "counted()": counted}) is True  # a plain dict: no cache
    assert calls == [7, 7, 7]


def test_a_constant_named_program_is_folded_and_an_undeclared_name_is_located() -> None:
    named = {"codes": celfast.compile_program('["a", "b"]')}
    scope = celfast.Scope({"settings": {"n": 2}}, {"variables": named})
    program = celfast.compile_program("case.s in variables.codes || size(variables.codes) == settings.n", scope)
    assert program.execute(celfast.make_activation({"case": {"s": "x"}})) is True
    assert celfast.compile_program("settings.n * 2", scope).constant
    with pytest.raises(CelSyntaxError) as caught:
        celfast.compile_program("variables.code", scope)
    assert (caught.value.offset, caught.value.problem) == (10, "undeclared reference to 'variables.code'")
    with pytest.raises(CelSyntaxError, match="read one as variables.NAME"):
        celfast.compile_program("variables", scope)
    # a comprehension variable named like a namespace hides it
    assert celfast.compile_program("[1].map(variables, variables + 1)", scope).execute({}) == [2]


def test_helper_calls_are_cached_per_scope() -> None:
    """The same call text in two scopes can mean two things (`f(settings.n)`): it is cached apart."""
    calls: list[int] = []
    first = celfast.compile_program("twice(settings.n)", celfast.Scope({"settings": {"n": 1}}))
    second = celfast.compile_program("twice(settings.n)", celfast.Scope({"settings": {"n": 5}}))
    activation = celfast.make_activation({}, {"twice": lambda x: calls.append(x) or x * 2})
    assert (first.execute(activation), second.execute(activation), first.execute(activation)) == (2, 10, 2)
    assert calls == [1, 5]


def test_helper_calls_are_evaluated_once_per_activation_unless_they_read_a_comprehension_variable() -> None:
    calls: list[Any] = []

    def counted(value: Any) -> Any:
        calls.append(value)
        return value

    clause = celfast.compile_program("counted(case.i) > 3")
    evidence = celfast.compile_program("counted( case.i )")  # the same call, spaced differently
    per_item = celfast.compile_program("[1, 2].map(x, counted(x))")
    activation = celfast.make_activation({"case": CASE}, {"counted": counted})
    assert clause.execute(activation) is True and evidence.execute(activation) == 7
    assert calls == [7]
    assert per_item.execute(activation) == [1, 2] and per_item.execute(activation) == [1, 2]
    assert calls == [7, 1, 2, 1, 2]
    failing = celfast.compile_program("counted(case.n.x)")
    for _ in range(2):
        with pytest.raises(CelError, match="cannot read field 'x' of null"):
            failing.execute(activation)


def test_cached_errors_raise_again() -> None:
    program = celfast.compile_program("((case.n.x == 1 && case.t) || (case.n.x == 1 && case.t)) || case.t")
    assert run_fast("((case.n.x == 1) && case.t) || case.t") is True
    activation = celfast.make_activation({"case": CASE}, FUNCTIONS)
    assert program.execute(activation) is True
    failing = celfast.compile_program("(case.n.x == 1 && case.t) || (case.n.x == 1 && case.t)")
    for _ in range(2):
        with pytest.raises(CelError, match="cannot read field 'x' of null"):
            failing.execute(activation)


def test_sub_expressions_reading_a_comprehension_variable_are_not_cached() -> None:
    assert run_fast("[1, 2].map(x, (x * 10 + 1))") == [11, 21]
    assert run_fast("[1, 2].map(x, [x].map(y, (y + x * 1 + 0)))") == [[2], [4]]
    assert run_fast("[1, 2].map(x, (size(case.l) + 0 * 1) + x)") == [4, 5]  # invariant: cached, still right


# --- differential: fast against reference on every shipped expression ----------------------------


@pytest.fixture(scope="module")
def engines() -> dict[str, Evaluator]:
    packs = packs_for(load_packs([RULES]), CASE_FILE)  # rules/ holds packs of every record type
    run_settings = RunSettings(packs={pack.name: pack.default_settings() for pack in packs})
    return {engine: Evaluator(packs, run_settings, engine=engine) for engine in (FAST, REFERENCE)}


def shipped_expressions(evaluator: Evaluator) -> list[Any]:
    found = []
    for compiled in evaluator.rules:
        found += [compiled.applies_when] if compiled.applies_when is not None else []
        found += [expression for _, expression in compiled.clauses]
        found += [expression for _, _, expression in compiled.evidence if expression is not None]
    return found


def normalised(data: list[Any]) -> list[CaseRecord]:
    checked = [check_record(RawRecord(index, None, item), "Europe/London") for index, item in enumerate(data)]
    return [record for record in checked if isinstance(record, CaseRecord)]


@pytest.fixture(scope="module")
def sample_records() -> list[CaseRecord]:
    return normalised(json.loads((SAMPLES / "cases.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def fixture_records() -> list[CaseRecord]:
    return normalised(case_file_fixture_records())


def outcome(expression: Any, context: Any) -> tuple[str, Any]:
    try:
        return "value", expression.run(context)
    except EvaluationError as exc:
        return "error", str(exc)


def differences(engines: dict[str, Evaluator], records: list[CaseRecord]) -> list[str]:
    """Where the engines disagree: one context per record and engine, shared by every expression
    (as in the engine, so the fast engine's cache is exercised too)."""
    pairs = list(zip(shipped_expressions(engines[FAST]), shipped_expressions(engines[REFERENCE])))
    assert all(fast.source == reference.source for fast, reference in pairs)
    found = []
    for record in records:
        contexts = {name: new_context(record, evaluator.functions, name) for name, evaluator in engines.items()}
        for fast, reference in pairs:
            got, want = outcome(fast, contexts[FAST]), outcome(reference, contexts[REFERENCE])
            if got[0] != want[0] or (got[0] == "value" and not same(got[1], want[1])):
                found.append(f"{record.case_id}: {' '.join(fast.source.text.split())[:120]}\n"
                             f"    fast {got!r:.200}\n    reference {want!r:.200}")
    return found


def test_shipped_expression_count(engines: dict[str, Evaluator]) -> None:
    assert len(engines[FAST].rules) == 37
    assert len(shipped_expressions(engines[FAST])) > 100


def test_differential_on_the_sample(engines: dict[str, Evaluator], sample_records: list[CaseRecord]) -> None:
    assert len(sample_records) == 80
    assert differences(engines, sample_records) == []


def test_differential_on_the_rule_fixtures(engines: dict[str, Evaluator], fixture_records: list[CaseRecord]) -> None:
    assert len(fixture_records) > 50
    assert differences(engines, fixture_records) == []


def test_differential_on_synthetic_cases(engines: dict[str, Evaluator]) -> None:
    records = normalised(generate_cases(500, seed=20240611))
    assert len(records) == 500
    assert differences(engines, records) == []


# --- property: randomly damaged records -------------------------------------------------------------

TEXT = st.text(alphabet=string.ascii_letters + string.digits + " _-.:", max_size=6)
REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(-50, 50), st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    TEXT, st.sampled_from(["16", "3A", "person", "withdrew", "suspect_interviewed", "transferred", ""]),
    # fresh containers each time (st.just would share one object, which a later mutation could make cyclic)
    st.builds(list), st.builds(dict), st.lists(st.integers(-3, 3), max_size=3), st.builds(lambda: {"at": None}),
    st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2030, 1, 1)).map(lambda d: d.replace(tzinfo=UTC)),
)


def all_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a record a mutation can touch: dict keys and list positions, at any depth."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append(prefix + (key,))
        found += all_paths(item, prefix + (key,))
    return found


def read_names(engines: dict[str, Evaluator]) -> frozenset[str]:
    """The field names the shipped expressions select (`.at`, `.finalised_at`, …)."""
    trees = [expression.tree for expression in shipped_expressions(engines[FAST])]
    trees += [variable.tree for scope in engines[FAST].scopes.values() for variable in scope.variables.values()]
    return frozenset(name for tree in trees for node in walk(tree) if isinstance(node, Access)
                     for kind, name in node.steps if kind == "field")


def mutate(record: dict[str, Any], data: st.DataObject, names: frozenset[str]) -> None:
    """Null a value, drop a list item, replace a value by one of another type, or shift a timestamp;
    four times in five at a field the rules read (or a list item)."""
    paths = all_paths(record)
    read = [path for path in paths if path[-1] in names or isinstance(path[-1], int)]
    path = data.draw(st.sampled_from(read if read and data.draw(st.integers(0, 4)) else paths))
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    value = parent[key]
    action = data.draw(st.sampled_from(["null", "drop", "type", "shift"]))
    if action == "null":
        parent[key] = None
    elif action == "drop":
        if isinstance(value, list) and value:
            del value[data.draw(st.integers(0, len(value) - 1))]
        elif isinstance(parent, list):
            del parent[key]
        else:
            parent[key] = []
    elif action == "shift" and isinstance(value, datetime):
        parent[key] = value + timedelta(hours=data.draw(st.integers(-24 * 400, 24 * 400)))
    else:
        parent[key] = data.draw(REPLACEMENTS)


@pytest.fixture(scope="module")
def base_records(sample_records: list[CaseRecord], fixture_records: list[CaseRecord]) -> list[CaseRecord]:
    return sample_records + fixture_records[::3] + normalised(generate_cases(40, seed=5))


@settings(max_examples=500, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_differential_on_damaged_records(engines: dict[str, Evaluator], base_records: list[CaseRecord],
                                         data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(base_records))
    record = copy.deepcopy(base.normalised)
    names = read_names(engines)
    for _ in range(data.draw(st.integers(1, 6))):
        mutate(record, data, names)
    damaged = CaseRecord(base.index, base.line, base.case_id, base.raw, record)
    assert differences(engines, [damaged]) == []


# --- engine level -------------------------------------------------------------------------------------


def test_whole_evaluation_of_the_sample_is_identical(engines: dict[str, Evaluator],
                                                      sample_records: list[CaseRecord]) -> None:
    for record in sample_records:
        assert engines[FAST].evaluate(record) == engines[REFERENCE].evaluate(record), record.case_id


def test_whole_evaluation_of_fixtures_and_synthetic_cases_is_identical(engines: dict[str, Evaluator],
                                                                      fixture_records: list[CaseRecord]) -> None:
    for record in fixture_records + normalised(generate_cases(200, seed=99)):
        assert engines[FAST].evaluate(record) == engines[REFERENCE].evaluate(record), record.case_id


def test_an_error_no_null_explains_gives_the_fast_engines_reason(tmp_path: Path) -> None:
    """Type mismatches on damaged data: the reason names the types (the binding's is generic)."""
    write_pack(tmp_path, """\
rules:
  - id: t-age
    title: Age
    family: test
    severity: low
    kind: automatic
    source: {document: x.txt, quote: "x", status: assumed}
    assert: case.victim.age_at_offence < 18
    message: m
""")
    packs = load_packs([tmp_path])
    evaluator = Evaluator(packs, RunSettings(packs={pack.name: pack.default_settings() for pack in packs}))
    (record,) = normalised([{"case_id": "A", "crime": {"reported_at": "2022-03-01T10:00:00Z"},
                             "victim": {"age_at_offence": 30}}])
    damaged = copy.deepcopy(record.normalised)
    damaged["victim"]["age_at_offence"] = "thirty"
    (result,) = evaluator.evaluate(CaseRecord(0, None, "A", record.raw, damaged))
    assert result.status == "error"
    assert result.message == "could not evaluate 'assert': no such overload: string < int"


def test_the_fast_context_is_a_plain_dict(engines: dict[str, Evaluator], sample_records: list[CaseRecord]) -> None:
    context = new_context(sample_records[0], engines[FAST].functions)
    assert type(context) is dict and context["case"] is sample_records[0].normalised
    assert isinstance(new_context(sample_records[0], engines[REFERENCE].functions, REFERENCE), cel.Context)
