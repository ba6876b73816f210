"""CSV, Markdown and XLSX output: content written from a real run of the pipeline."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from checker.report import EXTENSIONS, FORMATS, csv_report, markdown, xlsx
from checker.packs.rules import load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from tests.conftest import ROOT, make_case, rule_yaml, rules_yaml, write_cases, write_pack
from tests.conftest import run_cli as check

LONG_ID = "t-signed-by-the-victim-rule-with-a-long-id"  # 42 characters: truncated to 31 as a sheet name

SIGNED = "case.victim.decision_record.signed_by_victim == true"
PACK = rules_yaml(
    rule_yaml(LONG_ID, title="Decision signed | by the victim", severity="high", status="confirmed",
              applies_when="case.victim.decision_record != null", check={"signed": SIGNED},
              message="Not signed by the victim", evidence=["victim.decision_record.signed_by_victim"]),
    rule_yaml(f"{LONG_ID}-2", title="Decision signed (again)", severity="low", status="confirmed",
              applies_when="case.victim.decision_record != null", check=SIGNED, message="Not signed (again)"),
    rule_yaml("t-outcome", title="Outcome 16", severity="low", check='case.outcome.code == "16"',
              message="Not outcome 16"),
)

INJECTED = '=HYPERLINK("http://evil.example","click")'


def signed(case_id: str, value: bool) -> dict:
    return make_case(case_id, victim={"kind": "person", "decision_record": {"signed_by_victim": value}},
                     outcome={"code": "16", "finalised_at": "2022-04-01"})


@pytest.fixture
def report(tmp_path: Path):
    directory = tmp_path / "rules"
    directory.mkdir()
    write_pack(directory, PACK)
    packs = load_packs([directory])
    # 17 applicable files, 13 signed: S-13..S-16 fail; the injected case id also fails (not signed).
    records = ([signed(f"S-{i:02}", i < 13) for i in range(16)] + [signed(INJECTED, False)]
               + [make_case(f"N-{i}") for i in range(3)])
    cases = write_cases(tmp_path / "cases.json", records)
    return run_check(cases, packs, RunSettings(packs=pack_settings(packs, {})))


FAILING = ["S-13", "S-14", "S-15", INJECTED]


def test_formats_are_registered(report) -> None:
    assert {name: EXTENSIONS[ext] for name, ext in (("csv", ".csv"), ("markdown", ".md"), ("xlsx", ".xlsx"))} == {
        "csv": "csv", "markdown": "markdown", "xlsx": "xlsx"}
    assert FORMATS["csv"] is csv_report.render and FORMATS["markdown"] is markdown.render
    # xlsx is registered through a loader (openpyxl is imported only when a workbook is written)
    registered, direct = (load_workbook(io.BytesIO(render(report))) for render in (FORMATS["xlsx"], xlsx.render))
    assert registered.sheetnames == direct.sheetnames
    assert [list(sheet.values) for sheet in registered] == [list(sheet.values) for sheet in direct]


def test_csv_has_a_row_per_record_and_rule(report) -> None:
    rows = list(csv.reader(io.StringIO(csv_report.render(report))))
    assert rows[0] == ["case_id", "rule_id", "status", "message", "evidence", "clause"]
    assert len(rows) == 20 * 3 + 1
    assert {(row[0], row[1]) for row in rows[1:]} == {
        (record.case_id if not record.case_id.startswith("=") else "'" + record.case_id, score.id)
        for record in report.records for score in report.rules}
    failed = next(row for row in rows if row[0] == "S-13" and row[1] == LONG_ID)
    assert failed[2] == "fail"
    assert "Not signed by the victim" in failed[3]
    assert "victim.decision_record.signed_by_victim = false (expected true)" in failed[3]
    assert failed[4] == "victim.decision_record.signed_by_victim=false"
    assert failed[5] == "signed"
    errored = next(row for row in rows if row[0] == "N-0" and row[1] == "t-outcome")
    assert errored[2] == "error"


def test_csv_neutralises_formulas(report) -> None:
    rows = list(csv.reader(io.StringIO(csv_report.render(report))))
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert [row[2] for row in rows if row[0] == "'" + INJECTED][:1] == ["fail"]
    assert csv_report.neutralise("+1") == "'+1" and csv_report.neutralise("@x") == "'@x"
    assert csv_report.neutralise("-2") == "'-2" and csv_report.neutralise("a=b") == "a=b"
    assert csv_report.neutralise(5) == 5


def test_markdown_summary_table(report) -> None:
    text = markdown.render(report)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| rule"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "rule", "title", "passed", "rate", "95% interval (wilson)", "fail", "error", "pending"]
    row = next(line for line in lines if line.startswith(f"| {LONG_ID} "))
    assert "Decision signed \\| by the victim" in row
    assert "13 of 17" in row and "76.5%" in row and "52.7%–90.4%" in row
    cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]]  # split on unescaped pipes
    assert len(cells) == 8 and cells[1] == "Decision signed \\| by the victim" and cells[-3:] == ["4", "0", "0"]
    assert "**Records (case files):** 20 read, 20 evaluated, 0 rejected." in text
    assert "- test-pack 1.0.0 (TEST-1)" in text
    assert "**Settings:** interval=wilson, confidence=0.95, timezone=Europe/London" in text


def test_xlsx_workbook(report) -> None:
    book = load_workbook(io.BytesIO(xlsx.render(report)))
    long_sheet = LONG_ID[:31]
    assert book.sheetnames[:2] == ["Summary", "Findings"]
    rule_sheets = book.sheetnames[2:]
    assert len(rule_sheets) == 2 and rule_sheets[0] == long_sheet  # t-outcome has errors, no fails
    assert rule_sheets[1] != long_sheet and len(rule_sheets[1]) <= 31

    summary = book["Summary"]
    assert [c.value for c in summary[1]][:5] == ["rule", "title", "passed", "applicable", "rate"]
    assert summary["A1"].font.bold and summary.freeze_panes == "A2"
    assert summary["A2"].value == LONG_ID and summary["C2"].value == "13 of 17"
    assert summary["E2"].value == pytest.approx(13 / 17) and summary["E2"].number_format == "0.0%"
    assert summary["F2"].value == pytest.approx(0.527, abs=1e-3) and summary["F2"].number_format == "0.0%"
    assert summary["H2"].value == 4
    values = [row[0] for row in summary.iter_rows(values_only=True)]
    assert "Records read" in values and any(str(v).startswith("Settings: interval=wilson") for v in values)

    findings = book["Findings"]
    assert findings.auto_filter.ref == "A1:F61" and findings.freeze_panes == "A2"
    rows = list(findings.iter_rows(values_only=True))
    assert rows[0] == ("case_id", "rule_id", "status", "message", "evidence", "clause")
    failed = next(row for row in rows if row[0] == "S-13" and row[1] == LONG_ID)
    assert failed[2] == "fail" and failed[4] == "victim.decision_record.signed_by_victim=false"
    assert any(row[0] == "'" + INJECTED for row in rows)

    sheet = book[long_sheet]
    assert sheet["A1"].value == f"{LONG_ID}: Not signed by the victim"  # the rule's message
    listed = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert listed == ["S-13", "S-14", "S-15", "'" + INJECTED]
    assert "Not signed by the victim" in sheet["B3"].value


def test_sheet_names_are_legal_and_unique() -> None:
    taken = {"summary", "findings"}
    names = [xlsx.sheet_name(name, taken) for name in ("a/b:c*d?e[f]g\\h", "Summary", "x" * 40, "x" * 40)]
    assert names[0] == "a_b_c_d_e_f_g_h" and names[1] != "Summary"
    assert names[2] == "x" * 31 and names[3] != names[2] and all(len(n) <= 31 for n in names)


def test_cli_writes_all_three(tmp_path: Path) -> None:
    out = [tmp_path / name for name in ("out.csv", "out.xlsx", "out.md")]
    result = check(str(ROOT / "samples" / "cases.json"), *[arg for path in out for arg in ("-o", str(path))])
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(out[0].open(encoding="utf-8")))
    book = load_workbook(out[1])
    rule_count = len({row[1] for row in rows[1:]})
    assert rule_count > 1 and len(rows) - 1 == 80 * rule_count
    assert book.sheetnames[:2] == ["Summary", "Findings"] and book["Findings"].max_row == len(rows)
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert "| rule" in out[2].read_text(encoding="utf-8")
