"""The reviewer's round trip for manual rules: `check review` writes a workbook, `check CASES --judgements` reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from checker.cli.main import app
from checker.report.review_workbook import COLUMNS, read_judgements
from checker.errors import FileErrors
from tests.conftest import ROOT, RULES, SAMPLES, make_case, rule_yaml, rules_yaml, write_cases, write_pack

OUTCOME_16 = "case.outcome != null && case.outcome.code == \"16\""
MANUAL_PACK = rules_yaml(
    rule_yaml("t-signed", severity="high", applies_when=OUTCOME_16, message="Not signed",
              check="case.victim.decision_record.signed_by_victim == true"),
    rule_yaml("t-justifiable", severity="high", applies_when=OUTCOME_16, question="Was outcome 16 justifiable?",
              message="Not justifiable", evidence=["outcome.rationale"]),
    rule_yaml("t-engagement", question="Was the engagement with the victim good?", message="Engagement not good",
              evidence=["victim.contact_agreement.interval_days"]),
)

HEADER = ("case_id", "rule_id", "question", "answer", "reviewer", "notes", "crime reference", "offence", "outcome",
          "finalised", "victim", "flags", "evidence")


def outcome16(case_id: str, audit: dict[str, Any] | None = None) -> dict[str, Any]:
    record = make_case(case_id, outcome={"code": "16", "finalised_at": "2022-04-01T10:00:00Z",
                                         "rationale": f"Victim {case_id} does not support action"},
                       victim={"kind": "person", "decision_record": {"signed_by_victim": True},
                               "contact_agreement": {"interval_days": 14}})
    record["crime"]["reference"] = f"REF-{case_id}"
    record["crime"]["flags"] = {"domestic_abuse": True}
    if audit is not None:
        record["audit"] = audit
    return record


def sample_records() -> list[dict[str, Any]]:
    """J-01…J-06 pending both manual rules; J-07 judged in the case file; O-01, O-02 open (justifiable n/a)."""
    judged = outcome16("J-07", {"reviewer": "File Reviewer",
                                "judgements": {"t-justifiable": "yes", "t-engagement": "no"}})
    return [outcome16(f"J-0{i}") for i in range(1, 7)] + [judged, make_case("O-01"), make_case("O-02")]


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    write_pack(directory, MANUAL_PACK)
    return directory


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    return write_cases(tmp_path / "cases.json", sample_records())


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def make_workbook(cases: Path, rules: Path, output: Path) -> Path:
    result = invoke("review", cases, "--rules", rules, "--output", output)
    assert result.exit_code == 0, result.output
    return output


def fill(path: Path, cells: dict[str, Any], target: Path | None = None) -> Path:
    """Set cells of the Review sheet, as a reviewer would, and save (to `target`, else in place)."""
    workbook = load_workbook(path)
    sheet = workbook["Review"]
    for ref, value in cells.items():
        sheet[ref] = value
    workbook.save(target or path)
    return target or path


def rows_of(path: Path) -> list[tuple[Any, ...]]:
    return list(load_workbook(path)["Review"].iter_rows(min_row=2, values_only=True))


def score(cases: Path, rules: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / f"result-{len(list(tmp_path.glob('result-*.json')))}.json"
    result = invoke("run", cases, "--rules", rules, "-f", "json", "-o", out, *extra)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def counts(data: dict[str, Any], rule_id: str) -> dict[str, int]:
    return next(rule["counts"] for rule in data["rules"] if rule["id"] == rule_id)


def result_of(data: dict[str, Any], case_id: str, rule_id: str) -> dict[str, Any]:
    record = next(record for record in data["records"] if record["case_id"] == case_id)
    return next(result for result in record["results"] if result["rule_id"] == rule_id)


# --- writing ---------------------------------------------------------------------------------------------------


def test_review_writes_one_row_per_pending_judgement(cases: Path, rules_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "review.xlsx"
    result = invoke("review", cases, "--rules", rules_dir, "--output", output)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"14 judgement(s) pending (t-justifiable: 6, t-engagement: 8): wrote {output}\n"
    workbook = load_workbook(output)
    assert workbook.sheetnames == ["Review", "About"]
    sheet = workbook["Review"]
    assert COLUMNS == HEADER
    assert next(sheet.iter_rows(max_row=1, values_only=True)) == HEADER
    rows = rows_of(output)
    expected_keys = [(f"J-0{i}", rule) for i in range(1, 7) for rule in ("t-justifiable", "t-engagement")]
    assert [(row[0], row[1]) for row in rows] == expected_keys + [("O-01", "t-engagement"), ("O-02", "t-engagement")]
    first = dict(zip(HEADER, rows[0]))
    assert first == {"case_id": "J-01", "rule_id": "t-justifiable", "question": "Was outcome 16 justifiable?",
                     "answer": None, "reviewer": None, "notes": None, "crime reference": "REF-J-01",
                     "offence": None, "outcome": "16", "finalised": "2022-04-01T10:00:00Z", "victim": "person",
                     "flags": "domestic abuse", "evidence": "outcome.rationale = Victim J-01 does not support action"}
    assert dict(zip(HEADER, rows[1]))["evidence"] == "victim.contact_agreement.interval_days = 14"
    assert dict(zip(HEADER, rows[-1]))["outcome"] == "open"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M15"
    (validation,) = sheet.data_validations.dataValidation
    assert (validation.type, validation.formula1, str(validation.sqref)) == ("list", '"yes,no,not_applicable"',
                                                                              "D2:D15")
    assert validation.showErrorMessage is True and validation.allow_blank is True
    about = [row for row in workbook["About"].iter_rows(values_only=True)]
    assert ("Case file", str(cases)) == about[8][:2] and about[8][2] is not None  # path and sha256
    assert ("Rule pack", "test-pack", "1.0.0", "TEST-1") == about[9][:4]
    assert ("Pending judgements", 14) == about[7][:2]


def test_case_text_that_looks_like_a_formula_is_neutralised(rules_dir: Path, tmp_path: Path) -> None:
    record = outcome16("J-01")
    record["outcome"]["rationale"] = "=HYPERLINK(\"http://example.invalid\")"
    record["crime"]["reference"] = "+REF"
    cases = write_cases(tmp_path / "cases.json", [record])
    row = dict(zip(HEADER, rows_of(make_workbook(cases, rules_dir, tmp_path / "r.xlsx"))[0]))
    assert row["evidence"] == "outcome.rationale = =HYPERLINK(\"http://example.invalid\")"  # not at the start
    assert row["crime reference"] == "'+REF"


# --- the round trip --------------------------------------------------------------------------------------------


def test_filled_answers_change_the_counts_exactly(cases: Path, rules_dir: Path, tmp_path: Path) -> None:
    before = score(cases, rules_dir, tmp_path)
    assert "judgement_conflicts" not in before  # only when a workbook is given
    assert counts(before, "t-justifiable") == {"pass": 1, "fail": 0, "not_applicable": 2, "error": 0, "manual": 6, "waived": 0}
    assert counts(before, "t-engagement") == {"pass": 0, "fail": 1, "not_applicable": 0, "error": 0, "manual": 8, "waived": 0}
    workbook = fill(make_workbook(cases, rules_dir, tmp_path / "review.xlsx"), {
        # t-justifiable rows of J-01, J-02, J-03, J-04; t-engagement rows of J-01 and O-02
        "D2": "yes", "E2": "A. Reviewer", "F2": "Rationale is clear", "D4": "Yes", "D6": "NO", "D8": " n/a ",
        "D3": "yes", "D15": "no"})
    after = score(cases, rules_dir, tmp_path, "--judgements", workbook)
    # pending falls by the number answered; each answer lands on its status
    assert counts(after, "t-justifiable") == {"pass": 3, "fail": 1, "not_applicable": 3, "error": 0, "manual": 2, "waived": 0}
    assert counts(after, "t-engagement") == {"pass": 1, "fail": 2, "not_applicable": 0, "error": 0, "manual": 6, "waived": 0}
    assert counts(after, "t-signed") == counts(before, "t-signed")
    justified = result_of(after, "J-01", "t-justifiable")
    assert justified["status"] == "pass" and justified["clause"] == "judgement"
    assert justified["explanation"] == [f"{workbook} Review!D2 = 'yes' (review workbook, recorded by A. Reviewer)",
                                        "reviewer's notes: Rationale is clear"]
    refused = result_of(after, "J-03", "t-justifiable")
    assert (refused["status"], refused["message"]) == ("fail", "Not justifiable")
    assert refused["explanation"] == [f"{workbook} Review!D6 = 'no' (review workbook, no reviewer named)"]
    assert result_of(after, "J-07", "t-justifiable")["explanation"] == [
        "audit.judgements.t-justifiable = 'yes' (recorded by File Reviewer)"]  # the case file's own, unchanged
    assert after["judgement_conflicts"] == []
    assert after["input"]["judgements"]["path"] == str(workbook) and after["input"]["judgements"]["answers"] == 6
    assert not [warning for warning in after["warnings"] if "judgement" in warning]


def test_a_second_workbook_leaves_out_what_is_answered(cases: Path, rules_dir: Path, tmp_path: Path) -> None:
    done = fill(make_workbook(cases, rules_dir, tmp_path / "review.xlsx"), {"D2": "yes", "D3": "no", "D15": "no"})
    again = tmp_path / "again.xlsx"
    result = invoke("review", cases, "--rules", rules_dir, "--judgements", done, "--output", again)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("11 judgement(s) pending (t-justifiable: 5, t-engagement: 6)")
    keys = [(row[0], row[1]) for row in rows_of(again)]
    assert ("J-01", "t-justifiable") not in keys and ("O-02", "t-engagement") not in keys and len(keys) == 11


def test_shipped_sample_round_trip(tmp_path: Path) -> None:
    cases = SAMPLES / "cases.json"
    output = tmp_path / "review.xlsx"
    result = invoke("review", cases, "--rules", RULES, "--output", output)
    assert result.exit_code == 0, result.output
    rows = rows_of(output)
    out16 = [index + 2 for index, row in enumerate(rows) if row[1] == "out16-justifiable"]
    assert len(out16) == 3 and all(row[8] == "16" for row in rows if row[1] == "out16-justifiable")
    before = score(cases, RULES, tmp_path)
    assert counts(before, "out16-justifiable") == {"pass": 5, "fail": 0, "not_applicable": 72, "error": 0,
                                                   "manual": 3, "waived": 0}
    fill(output, {f"D{out16[0]}": "yes", f"D{out16[1]}": "yes", f"D{out16[2]}": "no"})
    after = score(cases, RULES, tmp_path, "--judgements", output)
    assert counts(after, "out16-justifiable") == {"pass": 7, "fail": 1, "not_applicable": 72, "error": 0,
                                                  "manual": 0, "waived": 0}
    engagement = next(rule for rule in after["rules"] if rule["id"] == "vc-engagement-good")
    assert engagement["counts"]["manual"] == counts(before, "vc-engagement-good")["manual"] == 28


# --- conflicts -------------------------------------------------------------------------------------------------


def test_a_conflict_with_the_case_file_is_reported_and_the_case_file_counts(
        rules_dir: Path, tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.json", sample_records())
    workbook = make_workbook(cases, rules_dir, tmp_path / "review.xlsx")
    # Meanwhile the case files are updated: J-01 and J-02 now carry their own judgement of t-justifiable.
    records = sample_records()
    records[0]["audit"] = {"reviewer": "File Reviewer", "judgements": {"t-justifiable": "yes"}}
    records[1]["audit"] = {"reviewer": "File Reviewer", "judgements": {"t-justifiable": "no"}}
    write_cases(cases, records)
    fill(workbook, {"D2": "no",  # J-01: differs from the case file
                    "D4": "no",  # J-02: agrees with the case file
                    "A16": "O-01", "B16": "t-justifiable", "D16": "yes"})  # O-01: the rule does not apply
    data = score(cases, rules_dir, tmp_path, "--judgements", workbook)
    assert data["judgement_conflicts"] == [{
        "case_id": "J-01", "rule_id": "t-justifiable", "case_file_answer": "yes", "workbook_answer": "no",
        "workbook": str(workbook), "cell": "Review!D2", "counted": "case_file"}]
    assert result_of(data, "J-01", "t-justifiable")["status"] == "pass"  # the case file's answer
    assert result_of(data, "J-02", "t-justifiable")["status"] == "fail"
    # J-07 yes (file), J-01 yes (file), J-02 no (file and workbook); O-01, O-02 not applicable
    assert counts(data, "t-justifiable") == {"pass": 2, "fail": 1, "not_applicable": 2, "error": 0, "manual": 4, "waived": 0}
    conflict_line = (f"judgement conflict: J-01 t-justifiable: the case file says 'yes', {workbook} Review!D2 says "
                     "'no'; the case file's answer is counted")
    unused_line = (f"judgement not used: {workbook} Review!D16 (O-01 t-justifiable): the rule's status on this "
                   "file is not_applicable, not pending")
    assert [w for w in data["warnings"] if w.startswith("judgement")] == [conflict_line, unused_line]
    table = invoke("run", cases, "--rules", rules_dir, "--judgements", workbook)
    assert table.exit_code == 0 and f"Warning: {conflict_line}" in table.stdout
    markdown = invoke("run", cases, "--rules", rules_dir, "--judgements", workbook, "--format", "markdown")
    assert "judgement conflict: J-01 t-justifiable" in markdown.stdout


# --- errors ----------------------------------------------------------------------------------------------------


def test_every_error_in_a_workbook_is_listed_with_its_cell(cases: Path, rules_dir: Path, tmp_path: Path) -> None:
    workbook = fill(make_workbook(cases, rules_dir, tmp_path / "review.xlsx"), {
        "D2": "yes",
        "A3": "NOPE", "D3": "yes",  # unknown case id
        "B4": "t-unknown", "D4": "no",  # unknown rule id
        "D5": "maybe",  # invalid answer
        "B6": "t-signed", "D6": "yes",  # an automatic rule takes no judgement
        "A16": "J-01", "B16": "t-justifiable", "D16": "no",  # a second row for J-01 t-justifiable
    })
    result = invoke("run", cases, "--rules", rules_dir, "--judgements", workbook)
    assert result.exit_code == 2
    manual = "(expected one of t-engagement, t-justifiable)"
    # The workbook is checked on its own first; case ids are checked against the case ids the run reads.
    assert result.stderr.splitlines() == [
        f"{workbook}: Review!B4: rule id 't-unknown' is not a manual rule of the rule packs {manual}",
        f"{workbook}: Review!D5: answer 'maybe' is not one of yes, no, not_applicable",
        f"{workbook}: Review!B6: rule id 't-signed' is not a manual rule of the rule packs {manual}",
        f"{workbook}: Review!A16: duplicate row for case 'J-01' and rule 't-justifiable' (first on row 2)",
        "4 error(s) in the review workbook: nothing was scored.",
    ]
    assert result.stdout == ""
    fill(workbook, {"A4": None, "B4": None, "D4": None, "D5": None, "A6": None, "B6": None, "D6": None, "A16": None, "B16": None,
                    "D16": None})
    result = invoke("run", cases, "--rules", rules_dir, "--judgements", workbook, "-o", tmp_path / "out.json")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{workbook}: Review!A3: case id 'NOPE' is not in the case file",
        "1 error(s) in the review workbook: nothing was scored.",
    ]
    assert not (tmp_path / "out.json").exists() and not list(tmp_path.glob(".out.json*"))


def test_read_judgements_errors_are_objects_with_location(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Review"
    sheet.append(["Case_ID", "rule_id", "answer"])  # columns found by header, whatever their order and case
    sheet.append(["A", "t-justifiable", "perhaps"])
    sheet.append(["A", "t-engagement", "Not Applicable"])
    sheet.append([None, None, None])  # blank rows are skipped
    sheet.append(["B", "t-engagement", None])  # blank answer: still pending
    workbook.save(path)
    with pytest.raises(FileErrors) as caught:
        read_judgements(path, {"A", "B"}, {"t-justifiable", "t-engagement"})
    (error,) = caught.value.errors
    assert (error.sheet, error.cell, error.found, error.expected) == ("Review", "Review!C2", "perhaps",
                                                                       "yes, no, not_applicable")
    sheet["C2"] = "YES"
    workbook.save(path)
    judgements = read_judgements(path, {"A", "B"}, {"t-justifiable", "t-engagement"})
    assert {key: (j.answer, j.cell) for key, j in judgements.items.items()} == {
        ("A", "t-justifiable"): ("yes", "Review!C2"), ("A", "t-engagement"): ("not_applicable", "Review!C3")}


def test_missing_sheet_or_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    workbook.save(path)
    with pytest.raises(FileErrors) as caught:
        read_judgements(path, set(), set())
    assert str(caught.value) == f"{path}: no sheet 'Review' (found Sheet1): expected the workbook of check review"
    workbook.active.title = "Review"
    workbook.active.append(["case_id", "rule", "verdict"])
    workbook.save(path)
    with pytest.raises(FileErrors) as caught:
        read_judgements(path, set(), set())
    assert str(caught.value) == (f"{path}: Review!1:1: the header row has no 'rule_id', 'answer' column "
                                 "(expected case_id, rule_id, answer)")
    not_a_workbook = tmp_path / "r2.xlsx"
    not_a_workbook.write_text("hello")
    with pytest.raises(FileErrors) as caught:
        read_judgements(not_a_workbook, set(), set())
    assert str(caught.value).startswith(f"{not_a_workbook}: cannot read the workbook")


def test_command_line_entry_point_reads_a_workbook(cases: Path, rules_dir: Path, tmp_path: Path) -> None:
    """`check CASES --judgements F` through `python -m checker.cli.main` (main inserts `run`)."""
    workbook = fill(make_workbook(cases, rules_dir, tmp_path / "review.xlsx"), {"D2": "maybe"})
    result = subprocess.run([sys.executable, "-m", "checker.cli.main", str(cases), "--rules", str(rules_dir),
                             "--judgements", str(workbook)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f"{workbook}: Review!D2: answer 'maybe' is not one of yes, no, not_applicable" in result.stderr
    fill(workbook, {"D2": "yes"})
    result = subprocess.run([sys.executable, "-m", "checker.cli.main", "review", str(cases), "--rules", str(rules_dir),
                             "--judgements", str(workbook), "-o", str(tmp_path / "next.xlsx")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("13 judgement(s) pending")
