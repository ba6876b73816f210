"""Comparing two audits: the inspectorate's published comparisons, rule matching, output, `check compare`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from checker.cli.main import app
from checker.audit.comparison import Figure, compare_figures, compare_results
from checker.report.comparison import render_comparison_table


def rule(rule_id: str, passed: int, failed: int, errors: int = 0) -> dict[str, Any]:
    """A rule entry as `check --format json` writes it (schema_version 1)."""
    applicable = passed + failed
    return {"id": rule_id, "title": rule_id, "counts": {"pass": passed, "fail": failed, "not_applicable": 3,
                                                        "error": errors, "manual": 0},
            "applicable": applicable, "rate": passed / applicable if applicable else None}


def result(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "settings": {"confidence": 0.95}, "rules": list(rules), "records": []}


def test_published_change_that_is_not_significant() -> None:
    """85.2% (156 of 183) against 86.3% (208 of 241): not a significant change."""
    comparison = compare_results(result(rule("stop-search", 156, 27)), result(rule("stop-search", 208, 33)))
    (only,) = comparison.rules
    assert (only.before.passed, only.before.applicable) == (156, 183)
    assert (only.after.passed, only.after.applicable) == (208, 241)
    assert only.difference == pytest.approx(208 / 241 - 156 / 183)
    assert only.low is not None and only.high is not None and only.p_value is not None
    assert only.low < 0 < only.high
    assert only.p_value == pytest.approx(0.756, abs=0.001)
    assert only.significant is False


def test_published_change_that_is_significant() -> None:
    """84.3% to 93.3% on 1,470 records each: significant."""
    comparison = compare_results(result(rule("accuracy", 1239, 231)), result(rule("accuracy", 1372, 98)))
    (only,) = comparison.rules
    assert only.before.rate is not None and only.after.rate is not None and only.p_value is not None
    assert only.low is not None and only.high is not None and only.difference is not None
    assert round(only.before.rate * 100, 1) == 84.3 and round(only.after.rate * 100, 1) == 93.3
    assert only.p_value < 1e-10
    assert only.significant is True
    assert 0 < only.low < only.difference < only.high


def test_wald_method_gives_the_same_verdicts() -> None:
    not_significant = compare_figures("r", Figure(156, 183), Figure(208, 241), method="wald")
    significant = compare_figures("r", Figure(1239, 1470), Figure(1372, 1470), method="wald")
    assert not_significant.significant is False and significant.significant is True
    # Wald interval for the difference: d +/- 1.96 * sqrt(p1 q1 / n1 + p2 q2 / n2)
    p1, p2 = 156 / 183, 208 / 241
    half = 1.959964 * ((p1 * (1 - p1) / 183) + (p2 * (1 - p2) / 241)) ** 0.5
    assert not_significant.low == pytest.approx(p2 - p1 - half, abs=1e-6)


def test_significance_follows_the_level() -> None:
    figures = (Figure(80, 100), Figure(90, 100))  # p about 0.05
    at_95 = compare_figures("r", *figures, level=0.95)
    at_90 = compare_figures("r", *figures, level=0.90)
    assert at_95.p_value is not None and at_95.p_value == at_90.p_value
    assert at_95.significant is (at_95.p_value < 0.05)
    assert at_90.significant is True


def test_rules_in_one_result_only_are_listed() -> None:
    before = result(rule("a", 10, 5), rule("gone", 3, 3))
    after = result(rule("new", 4, 1), rule("a", 12, 3))
    comparison = compare_results(before, after)
    assert [r.id for r in comparison.rules] == ["a"]
    assert comparison.only_before == ("gone",)
    assert comparison.only_after == ("new",)


def test_no_applicable_files_means_nothing_to_compare() -> None:
    (only,) = compare_results(result(rule("a", 0, 0)), result(rule("a", 5, 1))).rules
    assert only.difference is None and only.p_value is None and only.significant is None
    assert only.note == "no applicable files before: nothing to compare"


def test_both_at_100_percent() -> None:
    (only,) = compare_results(result(rule("a", 20, 0)), result(rule("a", 35, 0))).rules
    assert only.difference == 0 and only.p_value == 1.0 and only.significant is False
    assert only.low is not None and only.high is not None
    assert only.low < 0 < only.high  # the Newcombe interval still says how large a change could be hidden
    assert "100% in both audits" in only.note


def test_as_dict_follows_the_contract() -> None:
    data = compare_results(result(rule("a", 156, 27), rule("b", 1, 1)),
                           result(rule("a", 208, 33), rule("c", 1, 0))).as_dict()
    assert data["schema_version"] == 1
    assert data["level"] == 0.95
    assert data["method"] == "newcombe-score"
    assert data["only_before"] == ["b"] and data["only_after"] == ["c"]
    (entry,) = data["rules"]
    assert entry["id"] == "a"
    assert entry["before"] == {"passed": 156, "applicable": 183, "rate": 156 / 183}
    assert entry["after"] == {"passed": 208, "applicable": 241, "rate": 208 / 241}
    assert set(entry["difference"]) == {"value", "low", "high"}
    assert entry["significant"] is False
    json.dumps(data)  # plain JSON types only


def test_table_shows_counts_change_and_verdict() -> None:
    text = render_comparison_table(compare_results(result(rule("a", 156, 27), rule("b", 2, 2)),
                                                   result(rule("a", 208, 33))))
    row = next(line for line in text.splitlines() if line.startswith("a "))
    assert "156 of 183 (85.2%)" in row and "208 of 241 (86.3%)" in row
    assert "+1.1 points" in row and "0.756" in row and row.rstrip().endswith("no")
    assert "Only in the first result (not compared): b." in text


@pytest.mark.parametrize(("data", "message"), [
    ({"rules": []}, "schema_version 1"),
    ({"schema_version": 1}, "'rules' list"),
    ({"schema_version": 1, "rules": [{"counts": {}}]}, r"rules\[1\] has no 'id'"),
    ({"schema_version": 1, "rules": [{"id": "a", "counts": {"pass": 5}, "applicable": 3}]}, "pass <= applicable"),
])
def test_malformed_results_say_what_is_expected(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare_results(data, result(rule("a", 1, 1)))


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_compare_command_table(tmp_path: Path) -> None:
    before = write(tmp_path / "2019.json", result(rule("accuracy", 1239, 231)))
    after = write(tmp_path / "2023.json", result(rule("accuracy", 1372, 98)))
    outcome = CliRunner().invoke(app, ["compare", str(before), str(after)])
    assert outcome.exit_code == 0, outcome.output
    row = next(line for line in outcome.output.splitlines() if line.startswith("accuracy"))
    assert "1239 of 1470 (84.3%)" in row and "1372 of 1470 (93.3%)" in row and "<0.001" in row
    assert row.rstrip().endswith("yes")


def test_compare_command_json(tmp_path: Path) -> None:
    before = write(tmp_path / "a.json", result(rule("stop-search", 156, 27)))
    after = write(tmp_path / "b.json", result(rule("stop-search", 208, 33)))
    outcome = CliRunner().invoke(app, ["compare", str(before), str(after), "--format", "json",
                                               "--confidence", "0.9"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.output)
    assert data["level"] == 0.9
    assert data["rules"][0]["significant"] is False


def test_compare_command_locates_bad_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "schema_version": 1,\n  "rules": [\n}', encoding="utf-8")
    good = write(tmp_path / "good.json", result(rule("a", 1, 1)))
    outcome = CliRunner().invoke(app, ["compare", str(bad), str(good)])
    assert outcome.exit_code == 2
    assert f"{bad}:4:1: not valid JSON" in outcome.output


def test_compare_command_names_the_file_that_is_not_a_result(tmp_path: Path) -> None:
    other = write(tmp_path / "manifest.json", {"manifest_version": 1})
    good = write(tmp_path / "good.json", result(rule("a", 1, 1)))
    outcome = CliRunner().invoke(app, ["compare", str(good), str(other)])
    assert outcome.exit_code == 2
    assert f"{other}: expected the JSON output of `check --format json`" in outcome.output
