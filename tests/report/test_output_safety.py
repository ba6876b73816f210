"""Case text in every output is shown, never acted on: CSV rows cannot be split by a line break inside a
value, workbooks hold any text (control characters shown visibly) and give back exactly what was written,
Markdown carries no HTML tag, the terminal gets no escape sequence; `--set` takes finite numbers only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from checker import api
from checker.cli.main import app
from checker.report.safetext import read_workbook_text, workbook_value
from tests.conftest import RULES, SAMPLES, make_case, write_cases
from tests.report.test_review import fill, make_workbook, outcome16, rules_dir  # noqa: F401 - fixture

PACKS = api.load_packs([RULES])


def invoke(*args: object) -> object:
    return CliRunner().invoke(app, [str(arg) for arg in args])


@pytest.mark.parametrize("separator", ["\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_csv_value_holding_any_line_break_is_quoted(separator: str) -> None:
    case_id = f"C-1{separator}=1+1"  # no quote in it: the csv module quotes those anyway
    report = api.score([make_case(case_id)], PACKS)
    text = api.render("csv", report)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + len(report.rules)  # the header, then one row per rule: no row starts inside a value
    assert {row[0] for row in rows[1:]} == {case_id}
    quoted = '"' + case_id.replace('"', '""') + '"'
    assert text.count("\n" + quoted + ",") == len(report.rules)  # each row's value quoted, whatever the break


def test_workbook_values_round_trip_exactly_and_never_start_a_formula() -> None:
    for text in ["=X1", "'=X1", "''=X1", "'plain", "plain", "+1", "@SUM(A1)", "-", "'", ""]:
        written = workbook_value(text)
        assert not written.startswith(("=", "+", "-", "@")) or written == text == ""
        assert read_workbook_text(written) == text
    assert workbook_value("=X1") != workbook_value("'=X1")


def test_control_characters_are_shown_visibly_in_the_xlsx_report() -> None:
    record = make_case("C-\x01\x1b-1", victim={"kind": "person", "note": "bell\x07"})
    report = api.score([record], PACKS)
    workbook = load_workbook(io.BytesIO(api.render("xlsx", report)))  # IllegalCharacterError before
    case_ids = {row[0] for row in workbook["Findings"].iter_rows(min_row=2, values_only=True)}
    assert case_ids == {"C-\u2401\u241b-1"}


def test_review_round_trip_keeps_formula_like_and_apostrophe_ids_apart(rules_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    ids = ["=X1", "'=X1", "C-\x02-3"]
    cases = write_cases(tmp_path / "cases.json", [outcome16(case_id) for case_id in ids])
    workbook = make_workbook(cases, rules_dir, tmp_path / "review.xlsx")  # control characters: a crash before
    rows = list(load_workbook(workbook)["Review"].iter_rows(min_row=2, values_only=True))
    justifiable = {row[0]: number for number, row in enumerate(rows, start=2) if row[1] == "t-justifiable"}
    assert set(justifiable) == {"'=X1", "''=X1", "C-\u2402-3"}
    fill(workbook, {f"D{justifiable[chr(39) + '=X1']}": "yes", f"D{justifiable[chr(39) * 2 + '=X1']}": "no"})
    out = tmp_path / "result.json"
    result = invoke("run", cases, "--rules", rules_dir, "--judgements", workbook, "-o", out)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    statuses = {record["case_id"]: {r["rule_id"]: r["status"] for r in record["results"]}["t-justifiable"]
                for record in json.loads(out.read_text(encoding="utf-8"))["records"]}
    assert statuses == {"=X1": "pass", "'=X1": "fail", "C-\x02-3": "manual"}


def test_markdown_escapes_case_text_waiver_reasons_and_grade_names(tmp_path: Path) -> None:
    records = json.loads((SAMPLES / "cases.json").read_text(encoding="utf-8"))
    records.append(make_case("<script>alert(1)</script>", crime={"reported_at": "<b>never</b>"}))
    cases = write_cases(tmp_path / "cases.json", records)
    waivers = (SAMPLES / "waivers.yaml").read_text(encoding="utf-8").replace(
        "reason: Victim could not be contacted", "reason: <img src=x onerror=alert(1)> Victim could not be contacted")
    (tmp_path / "waivers.yaml").write_text(waivers, encoding="utf-8")
    (tmp_path / "grades.yaml").write_text("bands:\n  - {min: 0.5, grade: '<em>good</em>'}\n"
                                          "  - {min: 0, grade: '<iframe>poor'}\n", encoding="utf-8")
    out = tmp_path / "report.md"
    result = invoke("run", cases, "--waivers", tmp_path / "waivers.yaml", "--as-of", "2023-01-31",
                    "--grades", tmp_path / "grades.yaml", "-o", out)
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    text = out.read_text(encoding="utf-8")
    for tag in ("<script", "<img", "<em>", "<iframe", "<b>"):
        assert tag not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;em&gt;good&lt;/em&gt;" in text and "&lt;iframe&gt;poor" in text


def test_the_terminal_gets_control_characters_escaped(tmp_path: Path) -> None:
    red, csi = "\x1b[31m", "\x9b2J"
    cases = write_cases(tmp_path / "cases.json", [
        make_case(f"T-1{red}"), make_case(f"T-2{csi}\nForged line", crime={"reported_at": "x"}),
        make_case("T-3", **{f"field{red}": 1})])
    table = invoke("run", cases)
    output = table.output  # type: ignore[attr-defined]
    assert "\x1b" not in output and "\x9b" not in output
    assert "case file T-2\\x9b2J\\x0aForged line:" in output  # a rejected record's id, on its own line
    assert "field 'field\\x1b[31m' is not in the case model" in output
    one = invoke("run", cases, "--case", f"T-1{red}").output  # type: ignore[attr-defined]
    assert one.startswith("Case file T-1\\x1b[31m (") and "\x1b" not in one


@pytest.mark.parametrize("spelling", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1" + "0" * 400])
def test_set_refuses_non_finite_numbers_however_spelt(spelling: str) -> None:
    result = invoke("run", SAMPLES / "cases.json", "--set", f"update_tolerance_days={spelling}")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "setting 'update_tolerance_days' must be a finite number, found" in result.output  # type: ignore[attr-defined]
