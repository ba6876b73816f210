"""Evaluation is bounded: `matches()` runs in linear time (RE2) in rules, waiver selectors and
`sample --where`, and comprehensions nested over large lists stop at a per-record budget with an
`error` result while the run goes on."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from checker import api, cel
from checker.audit.sampling import filter_records
from checker.cel import BudgetExceeded
from checker.engine.waivers import load_waivers
from checker.inputs.records import CaseRecord, RawRecord, check_record
from checker.packs.rules import load_packs, pack_warnings
from checker.settings import RunSettings
from tests.conftest import make_case, rule_yaml, rules_yaml, write_pack

# Backtracking engines take exponential time on this pattern when the text almost matches.
HOSTILE_PATTERN = r"^(\\w+\\s?)*$"  # as written inside a CEL string literal in YAML
HOSTILE_TEXT = "a" * 29 + "!"  # 30 characters


def hostile_case(case_id: str = "T-1", **sections: Any) -> dict[str, Any]:
    record = make_case(case_id, **sections)
    record["crime"]["offence"] = {"description": HOSTILE_TEXT}
    return record


def rule(rule_id: str, assertion: str) -> str:
    return rule_yaml(rule_id, check=assertion)


def statuses(report: api.RunReport) -> dict[str, str]:
    return {result.rule_id: result.status for record in report.records for result in record.results}


def test_matches_is_linear_time_on_a_catastrophic_pattern() -> None:
    program = cel.compile_program("case.s.matches('^(\\\\w+\\\\s?)*$')")
    started = time.perf_counter()
    assert program.execute(cel.make_activation({"case": {"s": HOSTILE_TEXT}})) is False
    assert program.execute(cel.make_activation({"case": {"s": "a" * 100_000}})) is True
    assert time.perf_counter() - started < 0.5


def test_matches_in_a_rule_is_bounded(tmp_path: Path) -> None:
    write_pack(tmp_path, rules_yaml(rule("t-regex", f'case.crime.offence.description.matches("{HOSTILE_PATTERN}")')))
    started = time.perf_counter()
    report = api.score([hostile_case()], load_packs([tmp_path]))
    assert time.perf_counter() - started < 5
    assert statuses(report) == {"t-regex": "fail"}


def test_matches_in_a_waiver_selector_is_bounded(tmp_path: Path) -> None:
    packs_dir = tmp_path / "packs"
    packs_dir.mkdir()
    write_pack(packs_dir, rules_yaml(rule("t-kind", 'case.victim.kind == "business"')))
    packs = load_packs([packs_dir])
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: t-kind\n"
                       f"    where: 'case.crime.offence.description.matches(\"{HOSTILE_PATTERN}\")'\n"
                       "    reason: test\n    approved_by: DI Example\n    expires: 2030-01-01\n", encoding="utf-8")
    started = time.perf_counter()
    report = api.score([hostile_case()], packs, RunSettings(as_of=date(2025, 1, 1)),
                       waivers=load_waivers(waivers, packs))
    assert time.perf_counter() - started < 5
    assert statuses(report) == {"t-kind": "fail"}  # the selector was false: not waived


def test_matches_in_sample_where_is_bounded() -> None:
    record = check_record(RawRecord(0, None, hostile_case()), "Europe/London")
    assert isinstance(record, CaseRecord)
    started = time.perf_counter()
    kept = filter_records([record], f"case.crime.offence.description.matches('{HOSTILE_PATTERN}')")
    assert kept == [] and time.perf_counter() - started < 5


def test_an_invalid_pattern_is_an_error_value_not_a_crash() -> None:
    program = cel.compile_program("case.s.matches(case.p)")
    with pytest.raises(cel.CelError, match=r"invalid regular expression '\(a\)\\\\1'"):
        program.execute(cel.make_activation({"case": {"s": "aa", "p": "(a)\\1"}}))


# --- the evaluation budget ----------------------------------------------------------------------

NESTED = "case.key_events.all(a, case.key_events.all(b, case.key_events.all(c, a.type == b.type || true)))"


def many_events(count: int) -> list[dict[str, Any]]:
    return [{"type": "suspect_arrested", "at": "2022-03-02T10:00:00Z"} for _ in range(count)]


def test_a_rule_over_budget_is_an_error_and_the_run_goes_on(tmp_path: Path) -> None:
    write_pack(tmp_path, rules_yaml(rule("t-nested", NESTED), rule("t-kind", 'case.victim.kind == "person"')))
    packs = load_packs([tmp_path])
    started = time.perf_counter()
    report = api.score([make_case("BIG", key_events=many_events(300)), make_case("SMALL", key_events=many_events(3))],
                       packs)
    assert time.perf_counter() - started < 20
    results = {(record.case_id, result.rule_id): result for record in report.records for result in record.results}
    big = results[("BIG", "t-nested")]
    assert big.status == "error"
    assert big.message.startswith("could not evaluate 'assert': evaluation budget exceeded")
    assert results[("BIG", "t-kind")].status == "pass"  # the same record's other rules still run
    assert results[("SMALL", "t-nested")].status == "pass"
    assert report.summary["records_evaluated"] == 2


def test_validate_warns_of_the_nested_rule(tmp_path: Path) -> None:
    write_pack(tmp_path, rules_yaml(rule("t-nested", NESTED)))
    warnings = [warning.message for warning in pack_warnings(load_packs([tmp_path]))]
    assert warnings == [
        "rule 't-nested': all() inside a's loop ranges over a list that does not depend on 'a': the cost grows as "
        "the product of the two lists' sizes",
        "rule 't-nested': all() inside b's loop ranges over a list that does not depend on 'b': the cost grows as "
        "the product of the two lists' sizes",
    ]


def test_the_budget_is_per_activation() -> None:
    program = cel.compile_program("case.l.all(x, case.l.all(y, true))")
    activation = cel.make_activation({"case": {"l": list(range(30))}}, budget=1000)
    assert program.execute(activation) is True  # 30 + 30 × 30 = 930 items
    with pytest.raises(BudgetExceeded):
        program.execute(activation)  # the same record again: the budget is spent
    assert program.execute(cel.make_activation({"case": {"l": list(range(30))}}, budget=1000)) is True
