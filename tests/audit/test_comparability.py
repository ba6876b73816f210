"""`check compare` is honest: audits made differently, or sharing case files, are refused or flagged;
`compare` and `plan` write to --output in the format of its extension."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.audit.comparability import differences, shared_case_ids
from tests.conftest import RULES, make_case, run_cli, write_cases


def audit(tmp_path: Path, name: str, ids: range, *options: str) -> Path:
    cases = write_cases(tmp_path / f"{name}-cases.json", [make_case(f"{name}-{i}") for i in ids])
    output = tmp_path / f"{name}.json"
    result = run_cli(str(cases), "--rules", str(RULES), "-o", str(output), *options)
    assert result.returncode == 0, result.stderr
    return output


def test_audits_made_with_different_settings_are_refused_saying_what_differs(tmp_path: Path) -> None:
    before = audit(tmp_path, "a", range(5))
    after = audit(tmp_path, "b", range(5), "--interval", "wald", "--set", "recording_limit_hours=48")
    result = run_cli("compare", str(before), str(after))
    assert result.returncode == 2
    assert "are not comparable" in result.stderr
    assert "  - setting interval method: wilson before, wald after" in result.stderr
    assert "  - setting crime-recording.recording_limit_hours: 24 before, 48 after" in result.stderr
    assert result.stdout == ""


def test_allow_differences_compares_and_says_loudly_what_differs(tmp_path: Path) -> None:
    before = audit(tmp_path, "a", range(5))
    after = audit(tmp_path, "b", range(5), "--timezone", "UTC")
    result = run_cli("compare", str(before), str(after), "--allow-differences", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "WARNING: these audits are not like for like" in result.stderr
    assert json.loads(result.stdout)["differences"] == ["setting timezone: Europe/London before, UTC after"]
    table = run_cli("compare", str(before), str(after), "--allow-differences")
    assert table.stdout.startswith("WARNING: these audits are not like for like")


def rulesets(version: str, sha: str) -> dict[str, Any]:
    return {"rulesets": [{"name": "p", "version": version, "code_version": "X", "sha256": sha}],
            "settings": {"interval": "wilson"}}


def test_pack_versions_and_rule_texts_are_compared() -> None:
    assert differences(rulesets("1.0.0", "aa"), rulesets("1.1.0", "bb")) == [
        "rule pack 'p': version 1.0.0 before, 1.1.0 after"]
    (text,) = differences(rulesets("1.0.0", "aa" * 32), rulesets("1.0.0", "bb" * 32))
    assert text.startswith("rule pack 'p': the rule texts differ although both say version 1.0.0")
    assert differences(rulesets("1.0.0", "aa"), rulesets("1.0.0", "aa")) == []


def test_a_run_records_each_pack_file_hash(tmp_path: Path) -> None:
    data = json.loads(audit(tmp_path, "a", range(1)).read_text())
    assert all(len(pack["sha256"]) == 64 for pack in data["rulesets"])


def test_audits_sharing_case_files_are_compared_paired_for_the_shared_files(tmp_path: Path) -> None:
    before = audit(tmp_path, "a", range(5))
    after = tmp_path / "again.json"
    assert run_cli(str(tmp_path / "a-cases.json"), "--rules", str(RULES), "-o", str(after)).returncode == 0
    result = run_cli("compare", str(before), str(after))
    assert result.returncode == 0, result.stderr
    assert "share 5 case file(s) (a-0, a-1, a-2, a-3, a-4): they are not independent samples" in result.stderr
    assert "Case files in both audits (5): compared paired" in result.stdout
    data = json.loads(run_cli("compare", str(before), str(after), "--format", "json").stdout)
    assert data["shared_case_files"] == 5
    recorded = next(rule for rule in data["paired"] if rule["id"] == "ncrs-recorded-within-24h")
    assert recorded["pairs"] == 5 and recorded["p_value"] == 1.0
    independent = next(rule for rule in data["rules"] if rule["id"] == "ncrs-recorded-within-24h")
    assert independent["before"]["applicable"] == 0  # no file in one audit only
    assert shared_case_ids({"records": [{"case_id": "x"}]}, {"records": [{"case_id": "y"}]}) == set()
    assert shared_case_ids({"rules": []}, {"records": []}) is None


def scored(statuses: dict[str, str]) -> dict[str, Any]:
    """A result whose records give rule r the status of each case."""
    passed = sum(1 for status in statuses.values() if status == "pass")
    applicable = sum(1 for status in statuses.values() if status in ("pass", "fail"))
    return {"schema_version": 1, "settings": {}, "rulesets": [],
            "rules": [{"id": "r", "counts": {"pass": passed}, "applicable": applicable}],
            "records": [{"case_id": case, "results": [{"rule_id": "r", "status": status}]}
                        for case, status in statuses.items()]}


def test_the_shared_part_uses_the_exact_mcnemar_test_and_the_rest_the_independent_one() -> None:
    from checker.audit.paired import compare_overlapping

    before = {f"s{i}": "pass" if i < 10 else "fail" for i in range(20)} | {f"b{i}": "pass" for i in range(8)}
    after = {f"s{i}": "pass" if i < 16 else "fail" for i in range(20)} | {f"c{i}": "fail" for i in range(3)}
    comparison, (paired,) = compare_overlapping(scored(before), scored(after), {f"s{i}" for i in range(20)})
    assert (paired.pairs, paired.both_passed, paired.passed_then_failed, paired.failed_then_passed,
            paired.both_failed) == (20, 10, 0, 6, 4)
    assert paired.difference == pytest.approx(0.3)
    assert paired.p_value == pytest.approx(2 * 0.5 ** 6)  # exact McNemar: 6 discordant pairs, all one way
    assert paired.significant is True and paired.low > 0
    (independent,) = comparison.rules
    assert (independent.before.passed, independent.before.applicable) == (8, 8)
    assert (independent.after.passed, independent.after.applicable) == (0, 3)


@pytest.mark.parametrize("name,kind", [("cmp.json", "json"), ("cmp.txt", "table")])
def test_compare_writes_the_format_of_its_output_name(tmp_path: Path, name: str, kind: str) -> None:
    before, after = audit(tmp_path, "a", range(5)), audit(tmp_path, "b", range(5))
    output = tmp_path / name
    result = run_cli("compare", str(before), str(after), "-o", str(output))
    assert result.returncode == 0, result.stderr
    text = output.read_text()
    if kind == "json":
        assert json.loads(text)["differences"] == []
    else:
        assert text.startswith("rule ")


def test_compare_never_writes_over_a_result_it_reads(tmp_path: Path) -> None:
    before, after = audit(tmp_path, "a", range(5)), audit(tmp_path, "b", range(5))
    kept = after.read_bytes()
    result = run_cli("compare", str(before), str(after), "-o", str(after))
    assert result.returncode == 2 and "which this command reads" in result.stderr
    assert after.read_bytes() == kept


def test_plan_writes_the_format_of_its_output_name(tmp_path: Path) -> None:
    output = tmp_path / "plan.json"
    result = run_cli("plan", "--expected-rate", "0.85", "--margin", "0.05", "-o", str(output))
    assert result.returncode == 0, result.stderr
    data = json.loads(output.read_text())
    assert data["files_needed"] == 196 and data["margins"][0]["files"] == 20
    text = tmp_path / "plan.txt"
    assert run_cli("plan", "--expected-rate", "0.5", "--margin", "0.05", "-o", str(text)).returncode == 0
    assert text.read_text().startswith("Files needed: 385")
    refused = run_cli("plan", "--expected-rate", "0.5", "--margin", "0.05", "-o", str(tmp_path / "plan.pdf"))
    assert refused.returncode == 2 and "cannot tell the format" in refused.stderr


def test_audits_of_different_record_types_are_not_comparable() -> None:
    calls = {**rulesets("1.0.0", "aa"), "input": {"record_type": "call"}}
    older = rulesets("1.0.0", "aa")  # a result written before record types: case files
    assert differences(older, calls) == ["record type: case-file before, call after"]
    assert differences(calls, {**calls}) == []
