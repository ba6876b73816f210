"""The `check` command as users run it: output, JSON contract, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SIGNED_RULE, CliResult, make_case, run_cli, write_cases, write_pack

CHECK = [sys.executable, "-m", "checker.cli.main"]


def check(*args: str) -> CliResult:
    return run_cli(*args)


def test_the_installed_entry_point_runs_as_its_own_process() -> None:
    """Every other test runs the command in-process (tests.conftest.run_cli); this one runs `check` as
    users do, in a process of its own: `check CASES` is `check run CASES`, with its exit code."""
    result = subprocess.run([str(Path(sys.executable).parent / "check"), "samples/cases.json", "--format", "json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["records_read"] == 80




@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    write_pack(directory, SIGNED_RULE)
    return directory


def signed(case_id: str, value: bool) -> dict:
    return make_case(case_id, victim={"kind": "person", "decision_record": {"signed_by_victim": value}},
                     outcome={"code": "16", "finalised_at": "2022-04-01"})


def sample_13_of_17(tmp_path: Path) -> Path:
    records = [signed(f"S-{i:02}", i < 13) for i in range(17)] + [make_case(f"N-{i}") for i in range(3)]
    return write_cases(tmp_path / "cases.json", records)


def test_table_prints_x_of_y_rate_interval_and_summary(tmp_path: Path, pack_dir: Path) -> None:
    result = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir))
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("t-signed "))
    assert "13 of 17" in row and "76.5%" in row and "52.7%–90.4%" in row
    error_row = next(line for line in result.stdout.splitlines() if line.startswith("t-unguarded "))
    assert "17 of 17" in error_row and error_row.split()[-3:] == ["0", "3", "0"]  # fail, error, pending
    assert "Records (case files): 20 read, 20 evaluated, 0 rejected." in result.stdout
    assert "Settings: interval=wilson, confidence=0.95, timezone=Europe/London" in result.stdout


def test_wald_interval_prints_the_plus_minus_margin(tmp_path: Path, pack_dir: Path) -> None:
    result = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "--interval", "wald")
    row = next(line for line in result.stdout.splitlines() if line.startswith("t-signed "))
    assert "(±20.2)" in row


def test_json_output_follows_the_contract(tmp_path: Path, pack_dir: Path) -> None:
    out = tmp_path / "result.json"
    result = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "--format", "json", "--output", str(out),
                   "--confidence", "0.9")
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["schema_version"] == 1
    assert set(data) >= {"tool", "input", "rulesets", "settings", "summary", "rules", "records", "rejected"}
    assert data["rulesets"][0]["code_version"] == "TEST-1"
    assert data["settings"]["confidence"] == 0.9 and data["settings"]["interval"] == "wilson"
    rule = data["rules"][0]
    assert (rule["id"], rule["applicable"], rule["counts"]["pass"], rule["counts"]["not_applicable"]) == (
        "t-signed", 17, 13, 3)
    assert rule["rate"] == pytest.approx(13 / 17)
    assert rule["interval"]["method"] == "wilson" and rule["interval"]["level"] == 0.9
    assert rule["interval"]["margin"] is None
    assert len(data["records"]) == 20 and all(len(r["results"]) == 2 for r in data["records"])
    failed = next(r for r in data["records"] if r["case_id"] == "S-13")["results"][0]
    assert failed["status"] == "fail"
    assert failed["evidence"] == [{"path": "victim.decision_record.signed_by_victim", "value": False}]
    assert "victim.decision_record.signed_by_victim = false (expected true)" in failed["message"]
    errored = next(r for r in data["records"] if r["case_id"] == "N-0")["results"][1]
    assert errored["status"] == "error" and "outcome is not recorded (null)" in errored["message"]


def test_rejected_records_exit_3_and_output_is_still_written(tmp_path: Path, pack_dir: Path) -> None:
    cases = write_cases(tmp_path / "cases.json", [
        signed("A", True), {"crime": {"reported_at": "2022-01-01"}},
        make_case("C", crime={"reported_at": "not a time"}), make_case("D", victim={"vulnerable": "yes"})])
    out = tmp_path / "r.json"
    result = check(str(cases), "--rules", str(pack_dir), "-f", "json", "-o", str(out))
    assert result.returncode == 3
    data = json.loads(out.read_text())
    assert data["summary"] == {"records_read": 4, "records_evaluated": 1, "records_rejected": 3}
    assert [(r["index"], r["case_id"], r["path"]) for r in data["rejected"]] == [
        (1, None, "case_id"), (2, "C", "crime.reported_at"), (3, "D", "victim.vulnerable")]
    assert "3 record(s) rejected" in result.stderr


def test_a_broken_rule_file_exits_2_with_file_and_line_and_scores_nothing(tmp_path: Path, pack_dir: Path) -> None:
    (pack_dir / "test-pack.yaml").write_text((pack_dir / "test-pack.yaml").read_text().replace("family:", "famly:", 1))
    result = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir))
    assert result.returncode == 2
    assert f"{pack_dir / 'test-pack.yaml'}:8:5: rules[0]: unknown key 'famly' (did you mean 'family'?)" in result.stderr
    assert "nothing was scored" in result.stderr and result.stdout == ""


def test_an_unreadable_input_exits_2_with_its_location(tmp_path: Path, pack_dir: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n{"case_id": "A",\n')
    result = check(str(bad), "--rules", str(pack_dir))
    assert result.returncode == 2 and f"{bad}:3:1:" in result.stderr and "truncated" in result.stderr
    missing = check(str(tmp_path / "none.json"), "--rules", str(pack_dir))
    assert missing.returncode == 2 and "cannot read the file" in missing.stderr


def test_case_option_explains_one_file(tmp_path: Path, pack_dir: Path) -> None:
    result = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "--case", "S-14")
    assert result.returncode == 0
    assert result.stdout.startswith("Case file S-14 (")
    assert "FAIL            t-signed: Decision signed" in result.stdout
    assert "evidence: victim.decision_record.signed_by_victim = false" in result.stdout
    unknown = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "--case", "NOPE")
    assert unknown.returncode == 2 and "no case 'NOPE'" in unknown.stderr


def test_validate_reports_errors_as_file_line_column_and_exits_1(tmp_path: Path, pack_dir: Path) -> None:
    assert check("validate", str(pack_dir)).returncode == 0
    (pack_dir / "test-pack.yaml").write_text(
        (pack_dir / "test-pack.yaml").read_text().replace('case.outcome.code == "16"', "case.outcome.cod == 16"))
    result = check("validate", str(pack_dir))
    assert result.returncode == 1
    assert f"{pack_dir / 'test-pack.yaml'}:24:26: rule 't-unguarded': 'case.outcome.cod' is not a field" in result.stderr
    assert "(did you mean 'outcome.code'?)" in result.stderr


def test_schema_command_prints_both_schemas() -> None:
    rules = json.loads(check("schema", "rules").stdout)
    cases = json.loads(check("schema", "cases").stdout)
    assert rules["properties"]["rules"]["items"]["$ref"] == "#/$defs/rule"
    assert cases["required"] == ["case_id", "crime"]


def test_unknown_setting_override_is_refused(tmp_path: Path, pack_dir: Path) -> None:
    result = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "--set", "nothing=1")
    assert result.returncode == 2 and "no loaded pack declares this setting" in result.stderr


def test_small_samples_are_marked_unreliable_with_the_inspectorate_wording(tmp_path: Path, pack_dir: Path) -> None:
    out = tmp_path / "r.json"
    check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "-f", "json", "-o", str(out))
    rule = json.loads(out.read_text())["rules"][0]
    assert rule["reliable"] is False and rule["statement"] == "13 of 17"
    assert 'report the result as "13 of 17"' in rule["note"]
    table = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir)).stdout
    assert "76.5%*" in table and "the interval is unreliable" in table


def test_a_stratified_sample_gets_population_estimates_from_its_manifest(tmp_path: Path, pack_dir: Path) -> None:
    north = [dict(signed(f"A-{i:02}", i % 4 != 0), force="North") for i in range(40)]
    south = [dict(signed(f"B-{i:02}", i % 2 == 0), force="South") for i in range(20)]
    population = write_cases(tmp_path / "population.json", north + south)
    drawn = tmp_path / "sample.json"
    result = check("sample", str(population), "--stratify-by", "force", "--per-stratum", "10", "--seed", "11",
                   "--output", str(drawn))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "r.json"
    scored = check(str(drawn), "--rules", str(pack_dir), "--manifest", f"{drawn}.manifest.json", "-f", "json",
                   "-o", str(out))
    assert scored.returncode == 0, scored.stderr
    estimate = next(e for e in json.loads(out.read_text())["stratified"] if e["rule_id"] == "t-signed")
    strata = {s["stratum"]: s for s in estimate["strata"]}
    assert (strata["North"]["population"], strata["North"]["sampled"]) == (40, 10)
    assert (strata["South"]["population"], strata["South"]["sampled"]) == (20, 10)
    assert 0 < estimate["low"] < estimate["rate"] < estimate["high"] < 1


def test_force_grade_bands_give_each_rule_a_grade_and_are_reported(tmp_path: Path, pack_dir: Path) -> None:
    bands = tmp_path / "bands.yaml"
    bands.write_text("bands:\n  - {min: 0.9, grade: good}\n  - {min: 0.7, grade: requires improvement}\n"
                     "  - {min: 0, grade: inadequate}\n")
    out = tmp_path / "r.json"
    result = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "--grades", str(bands), "-f", "json",
                   "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["rules"][0]["grade"] == "requires improvement"  # 13 of 17 = 76.5%
    assert data["settings"]["grade_bands"]["source"] == str(bands)
    bands.write_text("bands:\n  - {min: 0.9, grade: good}\n")
    refused = check(str(sample_13_of_17(tmp_path)), "--rules", str(pack_dir), "--grades", str(bands))
    assert refused.returncode == 2 and str(bands) in refused.stderr


def test_a_run_does_not_load_the_modules_it_does_not_use() -> None:
    """Start-up is most of a run on an audit sample. statsmodels and scipy.stats (about a second:
    the interval formulas are written out, see checker.scoring.intervals), openpyxl (workbooks only) and the
    CEL binding's interactive shell (prompt_toolkit, see checker.celbinding) stay unloaded."""
    script = ("import sys; from checker.cli.main import main\n"
              "sys.argv = ['check', 'samples/cases.json', '--quiet']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in ('statsmodels', 'scipy.stats', 'pandas', 'openpyxl', 'prompt_toolkit')"
              " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
