"""The README's commands for auditing calls for service, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, run_cli


def test_the_sample_of_calls_scores_with_the_shipped_packs() -> None:
    result = run_cli("samples/calls.json")
    assert result.returncode == 0, result.stderr
    assert "Records (calls): 74 read, 74 evaluated, 0 rejected." in result.stdout
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("call-")}
    assert len(rows) == 8
    assert "55 of 57" in rows["call-manner-professional"] and "71 of 74" in rows["call-prioritised-appropriately"]
    assert "Rule packs: calls 1.0.0" in result.stdout
    assert "calls.answer_standard_seconds_999=10, calls.answer_standard_seconds_101=0" in result.stdout


def test_a_101_standard_and_the_supervision_policy_from_the_command_line() -> None:
    result = run_cli("samples/calls.json", "--set", "answer_standard_seconds_101=60",
                     "--set", "supervise_downgrades=false")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("call-")}
    assert "31 of 62" in rows["call-answered-in-time"] and "8 of 9" in rows["call-supervised"]
    assert "calls.answer_standard_seconds_101=60" in result.stdout
    assert "calls.supervise_downgrades=False" in result.stdout


def test_the_export_scores_through_its_mapping_and_the_json_report_names_the_type(tmp_path: Path) -> None:
    assert run_cli("mapping", "validate", "samples/export-calls/mapping.yaml").returncode == 0
    output = tmp_path / "calls.json"
    result = run_cli("samples/export-calls/calls.csv", "--mapping", "samples/export-calls/mapping.yaml",
                     "--output", str(output))
    assert result.returncode == 0, result.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["input"]["record_type"] == "call"
    assert report["summary"] == {"records_read": 74, "records_evaluated": 74, "records_rejected": 0}
    assert {rule["pack"] for rule in report["rules"]} == {"calls"}


def test_the_schema_of_calls_is_printed() -> None:
    result = run_cli("schema", "call")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$id"] == "https://case-file-checker.invalid/schemas/call/v1"
    assert schema["required"] == ["call_id", "received_at"]



def test_a_reviewer_answers_the_call_judgements_in_the_review_workbook(tmp_path: Path) -> None:
    """The manual rules of calls go round the reviewer's workbook like those of case files: the calls
    whose judgements are not yet recorded are listed, and the answers written in it are scored."""
    from openpyxl import load_workbook

    calls = json.loads((ROOT / "samples" / "calls.json").read_text(encoding="utf-8"))
    recorded = [call for call in calls if call["recording_available"]][:3]
    judged_no = {rule: sum(1 for call in calls if call["audit"]["judgements"].get(rule) == "no"
                           and call not in recorded)
                 for rule in ("call-manner-professional", "call-prioritised-appropriately")}
    for call in recorded:
        call["audit"] = None  # not yet reviewed: both judgements pending
    cases = tmp_path / "calls.json"
    cases.write_text(json.dumps(calls), encoding="utf-8")
    workbook_path = tmp_path / "review.xlsx"
    result = run_cli("review", str(cases), "--output", str(workbook_path))
    assert result.returncode == 0, result.stderr
    assert "6 judgement(s) pending" in result.stdout + result.stderr
    workbook = load_workbook(workbook_path)
    sheet = workbook["Review"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted((row[0], row[1]) for row in rows) == sorted(
        (call["call_id"], rule) for call in recorded
        for rule in ("call-manner-professional", "call-prioritised-appropriately"))
    for number in range(2, 2 + len(rows)):
        sheet[f"D{number}"] = "no"
    workbook.save(workbook_path)
    output = tmp_path / "result.json"
    scored = run_cli(str(cases), "--judgements", str(workbook_path), "--output", str(output))
    assert scored.returncode == 0, scored.stderr
    rules = {rule["id"]: rule for rule in json.loads(output.read_text(encoding="utf-8"))["rules"]}
    for rule, earlier in judged_no.items():
        counts = rules[rule]["counts"]
        assert (counts["fail"], counts["manual"]) == (earlier + 3, 0), rule
