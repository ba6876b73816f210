"""Property-based tests of rule inputs: mutated rule packs and random expression text never crash.

A pack damaged anywhere (a value replaced, a key dropped or added, the YAML text cut or edited)
either loads, and then scores records with every one accounted for, or is refused with located
errors (file, line, column and a message); no other exception gets out. Random CEL text either
compiles or gives an ExpressionError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from checker.packs.expressions import ExpressionError, compile_expression
from checker.results import STATUSES
from checker.packs.rules import load_packs
from checker.errors import FileErrors
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from synthetic.cases import generate_cases
from tests.conftest import RULES, mutate_once, write_cases

PACK_TEXTS = {path.name: path.read_text(encoding="utf-8") for path in sorted(RULES.glob("*.yaml"))}
PACK_DATA = {name: yaml.safe_load(text) for name, text in PACK_TEXTS.items()}
RECORDS = generate_cases(6, seed=5)

HOSTILE = st.sampled_from([
    None, True, 0, -1, 10**20, 1.5, "", " ", "x" * 5000, [], {}, [None], {"all": []}, {"any": {}},
    "case.victim.nope > 1", "case.victim.kind ==", "((((", "settings.undefined", "variables.nope",
    "!!python/object/apply:os.system ['true']", "working_days_between(1, 2)", "size(case) / 0",
    "automatic", "manual", "high", "confirmed", "bad id!", "vc-needs-assessment", "&anchor", "*alias",
])


@st.composite
def mutated_pack(draw: st.DrawFn) -> str:
    """A shipped pack's YAML with a few structural changes, or its text edited."""
    name = draw(st.sampled_from(sorted(PACK_TEXTS)))
    if draw(st.booleans()):
        text = PACK_TEXTS[name]
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            edit = draw(st.sampled_from(["cut", "delete", "insert"]))
            if edit == "cut":
                text = text[:at]
            elif edit == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 40)):]
            else:
                text = text[:at] + draw(st.sampled_from([":", "- ", "\n  ", "'", '"', "{", "]", "\t", "&a ", "*a", "!!"])) + text[at:]
        return text
    data = copy.deepcopy(PACK_DATA[name])
    for _ in range(draw(st.integers(1, 3))):
        mutate_once(draw, data, HOSTILE)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(text=mutated_pack())
def test_a_damaged_pack_loads_and_scores_or_is_refused_with_located_errors(tmp_path_factory: Any, text: str) -> None:
    folder = Path(tmp_path_factory.mktemp("pack"))
    pack_file = folder / "pack.yaml"
    pack_file.write_text(text, encoding="utf-8")
    try:
        packs = load_packs([pack_file])
    except FileErrors as refused:
        assert refused.errors
        for error in refused.errors:
            assert error.location.file == str(pack_file) and error.location.line >= 1 and error.location.column >= 1
            assert error.message.strip()
        return
    report = run_check(write_cases(folder / "cases.json", RECORDS), packs, RunSettings(packs=pack_settings(packs, {})))
    assert report.summary["records_read"] == len(RECORDS) == report.summary["records_evaluated"]
    for score in report.rules:
        assert sum(score.counts[status] for status in STATUSES) == len(RECORDS)


CEL_PIECES = st.sampled_from([
    "case", ".", "victim", "crime", "reported_at", "updates", "kind", "nope", "(", ")", "[", "]", "{", "}", ",",
    ":", "?", "!", "-", "+", "*", "/", "%", "<", "<=", "==", "!=", "&&", "||", " in ", "1", "0", "2.5", "-7",
    "'person'", '"x"', "true", "false", "null", "size", "has", "exists", "all", "map", "filter", "x", " ",
    "timestamp('2022-01-01T00:00:00Z')", "duration('24h')", "int", "string", "working_days_between",
    "hours_between", "\\", "'", "\n", "b'\\xff'", "18446744073709551616", "1e400", "u",
])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(pieces=st.lists(CEL_PIECES, min_size=1, max_size=25))
def test_random_expression_text_compiles_or_gives_an_expression_error(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        compile_expression(text)
    except ExpressionError as exc:
        assert str(exc).strip()
