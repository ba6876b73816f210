"""What auditors noticed: --set takes what the run prints, numbers rounded for people, the table fits the
terminal, xlsx sheets sized and filterable, help and did-you-mean, --case with --output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from checker import api
from checker.cli.main import command_line, mistyped_command
from checker.report.explain import render_case
from checker.report.table import render as render_table
from checker.report.wording import for_people
from tests.conftest import RULES, SAMPLES, run_cli

CASES = str(SAMPLES / "cases.json")


@pytest.fixture(scope="module")
def report() -> api.RunReport:
    return api.run(SAMPLES / "cases.json", api.load_packs([RULES]))


@pytest.mark.parametrize("given", ["victims-code.count_automated_updates=True", "count_automated_updates=yes",
                                   "victims-code.count_automated_updates=true"])
def test_set_takes_pack_qualified_names_and_the_booleans_the_run_prints(given: str) -> None:
    result = run_cli(CASES, "--set", given, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["settings"]["packs"]["victims-code"]["count_automated_updates"] is True
    printed = run_cli(CASES, "--set", given)
    assert "victims-code.count_automated_updates=True" in printed.stdout


def test_set_says_which_values_a_yes_no_setting_takes() -> None:
    result = run_cli(CASES, "--set", "count_automated_updates=maybe")
    assert result.returncode == 2
    assert "count_automated_updates is a yes/no setting: give true or false (True/False and yes/no" in result.stderr
    wrong_pack = run_cli(CASES, "--set", "victims-code.recording_limit_hours=48")
    assert wrong_pack.returncode == 2
    assert "pack 'victims-code' declares no setting 'recording_limit_hours'" in wrong_pack.stderr


def test_numbers_are_rounded_for_people_and_kept_whole_in_json(report: api.RunReport) -> None:
    assert for_people(15.65) == 15.7 and for_people(24.0) == 24 and for_people([1.25, "x"]) == [1.2, "x"]
    record = report.records[2]
    hours = next(item.value for result in record.results for item in result.evidence
                 if item.path == "hours from report to recording")
    assert hours == 15.65  # the JSON keeps full precision
    assert "hours from report to recording = 15.7" in render_case(report, record.case_id)
    assert "hours from report to recording = 15.65" not in api.render("html", report)
    assert "hours from report to recording=15.65" in api.render("csv", report)  # data, not for people


def test_the_terminal_table_fits_the_terminal(report: api.RunReport) -> None:
    whole = render_table(report)
    assert max(len(line) for line in whole.split("\n\n")[0].splitlines()) > 100
    for width in (140, 110, 80, 60):
        fitted = render_table(report, width)
        table = fitted.split("\n\n")[0]
        assert max(len(line) for line in table.splitlines()) <= width, width
        assert all(score.id in table for score in report.rules)
    assert "titles are left out to fit a terminal 110 characters wide" in render_table(report, 110)
    assert "Each rule takes a block of lines to fit a terminal 80 characters wide" in render_table(report, 80)


def test_xlsx_columns_are_sized_with_the_header_frozen_and_filters_on(report: api.RunReport, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(api.render("xlsx", report))
    workbook = load_workbook(path)
    summary, findings, rule_sheet = workbook["Summary"], workbook["Findings"], workbook.worksheets[2]
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref == f"A1:L{1 + len(report.rules)}"
    assert rule_sheet.freeze_panes == "A3" and rule_sheet.auto_filter.ref.startswith("A2:C")
    assert findings.auto_filter.ref.startswith("A1:F")
    longest_rule_id = max(len(score.id) for score in report.rules)
    assert summary.column_dimensions["A"].width == longest_rule_id + 2
    assert findings.column_dimensions["C"].width == len("not_applicable") + 2
    assert summary.column_dimensions["B"].width == 60  # long titles wrap at the cap


def test_help_says_check_cases_is_check_run() -> None:
    result = run_cli("--help")
    assert "`check CASES [OPTIONS]` is short for `check run CASES" in " ".join(result.stdout.split())


def test_a_mistyped_command_gets_a_did_you_mean() -> None:
    assert command_line(["smaple", "x.json", "--size", "3"]) == ["run", "smaple"]
    result = run_cli("smaple", "x.json", "--size", "3")
    assert result.returncode == 2
    assert "no command or case file 'smaple': did you mean `check sample`?" in result.stderr
    assert "cannot read the file" not in result.stderr
    assert mistyped_command("cases.json") is None and mistyped_command("-") is None


def test_case_with_output_is_refused_not_ignored(tmp_path: Path) -> None:
    output = tmp_path / "case.html"
    result = run_cli(CASES, "--case", "SYN-2022-000003", "-o", str(output))
    assert result.returncode == 2
    assert "--case prints one case file's explanation" in result.stderr
    assert not output.exists()


def test_the_progress_bar_reaches_the_end_only_when_the_run_ends() -> None:
    from checker.cli.progress import bar_position

    assert bar_position(1000, 1000) == (990.0, 1000.0)  # all bytes read, records still being scored
    assert bar_position(1000, 1000, finished=True) == (1000.0, 1000.0)
    assert bar_position(400, 1000) == (400.0, 1000.0)
    assert bar_position(0, 1000) == (0.0, None)  # a mapped export: bytes are not counted, a running count
    assert bar_position(0, None, finished=True) == (1.0, 1.0)


def test_init_scaffolds_a_rules_folder_that_validates_and_tests(tmp_path: Path) -> None:
    folder = tmp_path / "our-rules"
    result = run_cli("init", str(folder))
    assert result.returncode == 0, result.stderr
    assert sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()) == [
        "README.md", "example.yaml", "tests/base-case.json", "tests/example.test.yaml"]
    assert run_cli("validate", str(folder)).returncode == 0
    tested = run_cli("test", str(folder))
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.strip() == "5 passed, 0 failed"
    scored = run_cli(CASES, "--rules", str(folder), "--format", "json")
    assert json.loads(scored.stdout)["rules"][0]["id"] == "example-recorded-in-time"
    again = run_cli("init", str(folder))
    assert again.returncode == 2 and "is not an empty folder" in again.stderr


def test_check_test_without_a_base_record_says_what_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    assert run_cli("init", str(folder)).returncode == 0
    (folder / "tests" / "base-case.json").unlink()
    result = run_cli("test", str(folder))
    assert result.returncode == 1
    assert f"no base record: each fixture is a fragment merged onto a complete, valid case file, " \
           f"{folder / 'tests' / 'base-case.json'}, which does not exist" in result.stderr
    for fixture in (folder / "tests").glob("*.test.yaml"):
        fixture.unlink()
    bare = run_cli("test", str(folder))
    assert "no fixture files (*.test.yaml) under" in bare.stderr


def test_junit_never_overwrites_a_rule_file(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    assert run_cli("init", str(folder)).returncode == 0
    pack = (folder / "example.yaml").read_bytes()
    result = run_cli("test", str(folder), "--junit", str(folder / "example.yaml"))
    assert result.returncode == 2 and "which this command reads" in result.stderr
    assert (folder / "example.yaml").read_bytes() == pack


def test_schema_writes_to_output(tmp_path: Path) -> None:
    output = tmp_path / "cases.schema.json"
    result = run_cli("schema", "cases", "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert json.loads(output.read_text()) == json.loads(run_cli("schema", "cases").stdout)
    assert run_cli("schema", "rules", "-o", str(tmp_path / "x.txt")).returncode == 2
