"""The README's commands for auditing calls for service, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


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
