"""Waivers: loading with located errors, applying to results, scoring, reporting and the CLI."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from checker.cli.main import app
from checker.report import csv_report, markdown, table, xlsx
from checker.results import RULE_STATUSES, STATUSES, WAIVED, RunReport
from checker.packs.rules import RulePack, load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from checker.engine.waivers import Waiver, load_waivers
from checker.errors import FileErrors
from tests.conftest import ROOT, RULES, make_case, write_cases, write_pack
from tests.conftest import SIGNED_RULE
from tests.conftest import run_cli as check

PACK = SIGNED_RULE + """\
  - id: t-judged
    title: Justifiable (reviewer's judgement)
    family: test
    severity: low
    kind: manual
    source: {document: test.txt, quote: "x", status: assumed}
    question: Was it justifiable?
    message: Not justifiable
"""

AS_OF = date(2023, 1, 31)


def signed(case_id: str, value: bool, form: str = "signed_statement") -> dict:
    return make_case(case_id, victim={"kind": "person",
                                      "decision_record": {"signed_by_victim": value, "form": form}},
                     outcome={"code": "16", "finalised_at": "2022-04-01"})


@pytest.fixture
def packs(tmp_path: Path) -> list[RulePack]:
    directory = tmp_path / "rules"
    directory.mkdir()
    write_pack(directory, PACK)
    return load_packs([directory])


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    """t-signed: S-00..S-12 pass, S-13..S-16 fail (13 of 17); N-0..N-2 not applicable (and t-unguarded errors).

    S-10..S-12 (pass) and S-16 (fail) were recorded in a notebook.
    """
    records = ([signed(f"S-{i:02}", i < 13, "notebook" if i in (10, 11, 12, 16) else "signed_statement")
                for i in range(17)] + [make_case(f"N-{i}") for i in range(3)])
    return write_cases(tmp_path / "cases.json", records)


def write_waivers(tmp_path: Path, body: str, name: str = "waivers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def item(rule: str = "t-signed", scope: str = "cases: [S-13, S-14]", expires: str = "2023-03-31",
         reason: str = "Victim could not be contacted; recorded on the file") -> str:
    """One waiver as YAML list item; `- rule` is on the item's first line, column 5."""
    return (f"  - rule: {rule}\n    {scope}\n    reason: {reason}\n    approved_by: DI A. Example\n"
            f"    expires: {expires}\n")


def waivers_file(tmp_path: Path, *items: str) -> Path:
    return write_waivers(tmp_path, "waivers:\n" + "".join(items or (item(),)))


def run(cases: Path, packs: list[RulePack], waivers: list[Waiver] | None, as_of: date | None = AS_OF) -> RunReport:
    return run_check(cases, packs, RunSettings(packs=pack_settings(packs, {}), as_of=as_of), waivers=waivers)


def score(report: RunReport, rule_id: str = "t-signed"):
    return next(s for s in report.rules if s.id == rule_id)


def result(report: RunReport, case_id: str, rule_id: str = "t-signed"):
    record = next(r for r in report.records if r.case_id == case_id)
    return next(r for r in record.results if r.rule_id == rule_id)


def load_errors(path: Path, packs: list[RulePack]) -> list[str]:
    with pytest.raises(FileErrors) as caught:
        load_waivers(path, packs)
    return [str(error) for error in caught.value.errors]


# --- loading ------------------------------------------------------------------------------------


def test_a_valid_file_loads_into_plain_waivers(tmp_path: Path, packs: list[RulePack]) -> None:
    path = waivers_file(tmp_path, item())
    (waiver,) = load_waivers(path, packs)
    assert (waiver.rule_id, waiver.cases, waiver.where, waiver.expires, waiver.pack) == (
        "t-signed", ("S-13", "S-14"), None, date(2023, 3, 31), "test-pack")
    assert (waiver.reason, waiver.approved_by) == ("Victim could not be contacted; recorded on the file",
                                                   "DI A. Example")
    assert str(waiver.location) == f"{path}:2:5"


def test_a_waiver_without_a_reason_is_refused_with_file_and_line(tmp_path: Path, packs: list[RulePack]) -> None:
    path = write_waivers(tmp_path, """\
    waivers:
      - rule: t-signed
        cases: [S-13]
        approved_by: DI A. Example
        expires: 2023-03-31
    """)
    assert load_errors(path, packs) == [
        f"{path}:2:5: waivers[0]: no 'reason': a waiver is refused without the documented reason why the rule "
        "does not apply to these files"]


def test_a_blank_reason_is_refused(tmp_path: Path, packs: list[RulePack]) -> None:
    path = waivers_file(tmp_path, item(reason='"   "'))
    assert load_errors(path, packs) == [
        f'{path}:4:13: waivers[0].reason: found "   ", expected the documented reason why the rule does not apply']


def test_an_unknown_rule_id_is_located_with_a_suggestion(tmp_path: Path, packs: list[RulePack]) -> None:
    path = waivers_file(tmp_path, item(rule="t-signd"))
    assert load_errors(path, packs) == [
        f"{path}:2:11: waivers[0].rule: unknown rule id 't-signd' (did you mean 't-signed'?): "
        "a waiver names a rule of the loaded packs"]


def test_cases_and_where_together_are_refused(tmp_path: Path, packs: list[RulePack]) -> None:
    path = waivers_file(tmp_path, item(scope='cases: [S-13]\n    where: case.victim.kind == "person"'))
    assert load_errors(path, packs) == [
        f"{path}:4:5: waivers[0]: give either 'cases' (a list of case ids) or 'where' (a CEL selector), not both"]


def test_neither_cases_nor_where_is_refused(tmp_path: Path, packs: list[RulePack]) -> None:
    path = waivers_file(tmp_path, item(scope="# no files named"))
    assert load_errors(path, packs) == [
        f"{path}:2:5: waivers[0]: missing 'cases' or 'where': name the files by a list of case ids or by a CEL selector"]


@pytest.mark.parametrize(("expires", "message"), [
    ("31/03/2023", 'waivers[0].expires: found "31/03/2023", expected a date YYYY-MM-DD, e.g. 2023-03-31'),
    ("2023-02-30", "waivers[0].expires: '2023-02-30' is not a date: expected YYYY-MM-DD, e.g. '2023-03-31'"),
    ("20230331", "waivers[0].expires: found 20230331, expected a date YYYY-MM-DD, e.g. 2023-03-31"),
])
def test_a_bad_date_is_located(tmp_path: Path, packs: list[RulePack], expires: str, message: str) -> None:
    path = waivers_file(tmp_path, item(expires=expires))
    assert load_errors(path, packs) == [f"{path}:6:14: {message}"]


def test_a_selector_is_checked_like_a_rule_expression(tmp_path: Path, packs: list[RulePack]) -> None:
    path = write_waivers(tmp_path, """\
    waivers:
      - rule: t-signed
        where: case.victim.knd == "person"
        reason: r
        approved_by: a
        expires: 2023-03-31
      - rule: t-signed
        where: case.victim.kind ==
        reason: r
        approved_by: a
        expires: 2023-03-31
    """)
    errors = load_errors(path, packs)
    assert errors[0] == (f"{path}:3:24: waivers[0].where: 'case.victim.knd' is not a field of the case model "
                         "(did you mean 'victim.kind'?)")
    assert errors[1].startswith(f"{path}:8:31: waivers[1].where: expression does not compile (column 20 of the "
                                "expression)")
    assert len(errors) == 2


def test_every_problem_is_listed_in_file_order(tmp_path: Path, packs: list[RulePack]) -> None:
    path = write_waivers(tmp_path, """\
    waivers:
      - rule: t-signd
        cases: [S-13]
        reason: r
        approved_by: a
        expires: 2023-03-31
      - rule: t-signed
        cases: [S-13]
        reason: r
        aproved_by: a
        expires: 2023-03-31
    """)
    assert [error.split(": ", 1)[0] for error in load_errors(path, packs)] == [f"{path}:2:11", f"{path}:10:5"]
    assert "unknown key 'aproved_by' (did you mean 'approved_by'?)" in load_errors(path, packs)[1]


def test_yaml_aliases_are_refused(tmp_path: Path, packs: list[RulePack]) -> None:
    path = write_waivers(tmp_path, """\
    waivers:
      - &one {rule: t-signed, cases: [S-13], reason: r, approved_by: a, expires: 2023-03-31}
      - *one
    """)
    assert load_errors(path, packs) == [f"{path}:2:5: YAML anchors and aliases are not allowed in this file"]


# --- applying and scoring -----------------------------------------------------------------------


def test_a_waiver_by_case_id_turns_two_fails_into_waived(tmp_path: Path, packs: list[RulePack], cases: Path) -> None:
    before = score(run(cases, packs, None))
    assert (before.counts["pass"], before.counts["fail"], before.counts[WAIVED], before.applicable) == (13, 4, 0, 17)
    assert before.rate == pytest.approx(13 / 17)

    report = run(cases, packs, load_waivers(waivers_file(tmp_path, item()), packs))
    after = score(report)
    assert (after.counts["pass"], after.counts["fail"], after.counts[WAIVED], after.applicable) == (13, 2, 2, 15)
    assert after.counts["not_applicable"] == before.counts["not_applicable"] == 3
    assert after.rate == pytest.approx(13 / 15)
    assert after.interval is not None and after.interval != before.interval  # recomputed on 13 of 15
    assert after.statement == "13 of 15"

    waived = result(report, "S-13")
    assert (waived.status, waived.waived_from, waived.clause) == (WAIVED, "fail", "signed")
    assert waived.message.startswith("waived (was fail): Victim could not be contacted; recorded on the file "
                                     "(approved by DI A. Example; expires 2023-03-31; ")
    assert waived.message.endswith("before the waiver: Not signed by the victim "
                                   "[victim.decision_record.signed_by_victim = false (expected true)]")
    assert waived.as_dict()["waived_from"] == "fail"
    assert "waived_from" not in result(report, "S-15").as_dict()  # an unwaived result is as before
    assert result(report, "S-13", "t-unguarded").status == "pass"  # other rules of the file are untouched


def test_a_waiver_by_selector_takes_out_passes_and_fails_alike(tmp_path: Path, packs: list[RulePack],
                                                               cases: Path) -> None:
    path = waivers_file(tmp_path, item(scope='where: case.victim.decision_record.form == "notebook"'))
    report = run(cases, packs, load_waivers(path, packs))
    after = score(report)
    # S-10..S-12 passed and S-16 failed: all four leave the rule, so the rate is not picked upwards.
    assert (after.counts["pass"], after.counts["fail"], after.counts[WAIVED], after.applicable) == (10, 3, 4, 13)
    assert after.rate == pytest.approx(10 / 13)
    assert [result(report, f"S-{i}").waived_from for i in (10, 11, 12, 16)] == ["pass", "pass", "pass", "fail"]
    assert result(report, "N-0").status == "not_applicable"  # the selector is not even asked: no decision record
    (entry,) = report.waivers
    assert (entry["state"], entry["waived"], entry["waived_from"], entry["selector_errors"]) == (
        "applied", 4, {"pass": 3, "fail": 1, "error": 0, "manual": 0}, 0)
    assert entry["where"] == 'case.victim.decision_record.form == "notebook"' and entry["cases"] is None
    assert report.warnings == []


def test_errors_and_pending_judgements_are_waived_but_not_applicable_stays(tmp_path: Path, packs: list[RulePack],
                                                                         cases: Path) -> None:
    path = waivers_file(tmp_path, item("t-unguarded", "cases: [N-0, N-1]"), item("t-judged", "cases: [S-00, S-01]"),
                        item("t-signed", "cases: [N-2]"))
    report = run(cases, packs, load_waivers(path, packs))
    unguarded, judged, signed_score = score(report, "t-unguarded"), score(report, "t-judged"), score(report)
    assert (unguarded.counts["error"], unguarded.counts[WAIVED], unguarded.applicable) == (1, 2, 17)
    assert (judged.counts["manual"], judged.counts[WAIVED], judged.applicable) == (18, 2, 0)
    assert result(report, "N-0", "t-unguarded").waived_from == "error"
    assert result(report, "S-00", "t-judged").waived_from == "manual"
    assert result(report, "N-2").status == "not_applicable" and signed_score.counts[WAIVED] == 0
    assert [entry["state"] for entry in report.waivers] == ["applied", "applied", "unused"]


def test_an_expired_waiver_is_not_applied_and_is_reported(tmp_path: Path, packs: list[RulePack], cases: Path) -> None:
    waivers = load_waivers(waivers_file(tmp_path, item(expires="2023-01-30")), packs)
    report = run(cases, packs, waivers, as_of=AS_OF)
    after = score(report)
    assert (after.counts["fail"], after.counts[WAIVED], after.applicable) == (4, 0, 17)
    assert result(report, "S-13").status == "fail"
    (entry,) = report.waivers
    assert (entry["state"], entry["waived"], entry["would_have_waived"]) == ("expired", 0, 2)
    assert report.warnings == [f"waiver for t-signed ({waivers[0].location}) expired on 2023-01-30, before the "
                               "as-of date 2023-01-31: not applied; it would have waived 2 result(s)"]
    # On its expiry date a waiver still applies.
    on_the_day = run(cases, packs, waivers, as_of=date(2023, 1, 30))
    assert score(on_the_day).counts[WAIVED] == 2 and on_the_day.waivers[0]["state"] == "applied"


def test_an_unused_waiver_and_unknown_case_ids_are_reported(tmp_path: Path, packs: list[RulePack],
                                                            cases: Path) -> None:
    path = waivers_file(tmp_path, item(scope="cases: [X-1, X-2]"), item(scope="cases: [S-13, X-3]"),
                        item(scope='where: case.victim.kind == "business"'))
    waivers = load_waivers(path, packs)
    report = run(cases, packs, waivers)
    assert [(e["state"], e["waived"], e["cases_not_scored"]) for e in report.waivers] == [
        ("unused", 0, ["X-1", "X-2"]), ("applied", 1, ["X-3"]), ("unused", 0, [])]
    assert report.warnings == [
        f"waiver for t-signed ({waivers[0].location}) waived nothing: no file it covers had an applicable result; "
        "case id(s) not among the scored records: X-1, X-2",
        f"waiver for t-signed ({waivers[1].location}): case id(s) not among the scored records: X-3",
        f"waiver for t-signed ({waivers[2].location}) waived nothing: no file it covers had an applicable result",
    ]
    assert score(report).counts[WAIVED] == 1


def test_a_selector_that_cannot_be_evaluated_waives_nothing_on_that_record(tmp_path: Path, packs: list[RulePack],
                                                                         cases: Path) -> None:
    # t-unguarded applies to every file; its selector reads through a null outcome on N-0..N-2.
    path = waivers_file(tmp_path, item(rule="t-unguarded", scope='where: case.outcome.code == "16"'))
    report = run(cases, packs, load_waivers(path, packs))
    unguarded = score(report, "t-unguarded")
    assert (unguarded.counts["pass"], unguarded.counts["error"], unguarded.counts[WAIVED]) == (0, 3, 17)
    assert report.waivers[0]["selector_errors"] == 3
    assert any("its 'where' could not be evaluated on 3 record(s), which were not waived (first: N-0:" in warning
               for warning in report.warnings)


def test_the_first_matching_waiver_wins(tmp_path: Path, packs: list[RulePack], cases: Path) -> None:
    path = waivers_file(tmp_path, item(), item(scope="cases: [S-14, S-15]", reason="second"))
    report = run(cases, packs, load_waivers(path, packs))
    assert [entry["waived"] for entry in report.waivers] == [2, 1]
    assert "second" in result(report, "S-15").message and "second" not in result(report, "S-14").message
    assert score(report).counts[WAIVED] == 3


def test_as_of_defaults_to_today_and_is_a_setting(tmp_path: Path, packs: list[RulePack], cases: Path) -> None:
    waivers = load_waivers(waivers_file(tmp_path, item(expires="2999-12-31")), packs)
    today = datetime.now(ZoneInfo("Europe/London")).date()
    report = run(cases, packs, waivers, as_of=None)
    assert report.settings["as_of"] == today.isoformat()
    assert f"as-of={today.isoformat()}" in table.render(report)
    plain = run(cases, packs, None, as_of=None)
    assert plain.settings["as_of"] is None and plain.waivers is None and "waivers" not in plain.as_dict()


def test_waived_is_a_status_but_never_a_rule_outcome() -> None:
    assert WAIVED in STATUSES and WAIVED not in RULE_STATUSES


# --- every output format ------------------------------------------------------------------------


@pytest.fixture
def waived_report(tmp_path: Path, packs: list[RulePack], cases: Path) -> RunReport:
    path = waivers_file(tmp_path, item(), item(scope="cases: [S-15]", reason="expired one", expires="2022-12-31"))
    return run(cases, packs, load_waivers(path, packs))


def test_table_and_markdown_show_the_waived_count_and_the_waivers(waived_report: RunReport) -> None:
    text = table.render(waived_report)
    header = next(line for line in text.splitlines() if line.startswith("rule "))
    assert header.split()[-4:] == ["fail", "error", "pending", "waived"]
    row = next(line for line in text.splitlines() if line.startswith("t-signed "))
    assert "13 of 15" in row and row.split()[-4:] == ["2", "0", "0", "2"]
    assert "Waivers (2; waived results are not in the rates' denominators):" in text
    assert "  t-signed [2 case(s): S-13, S-14]: waived 2 (2 fail). Reason: Victim could not be contacted" in text
    assert "Warning: waiver for t-signed (" in text and "expired on 2022-12-31" in text
    assert "as-of=2023-01-31" in text

    md = markdown.render(waived_report)
    md_header = next(line for line in md.splitlines() if line.startswith("| rule"))
    assert [cell.strip() for cell in md_header.strip("|").split("|")][-4:] == ["fail", "error", "pending", "waived"]
    md_row = next(line for line in md.splitlines() if line.startswith("| t-signed "))
    assert [cell.strip() for cell in md_row.strip("|").split("|")][-4:] == ["2", "0", "0", "2"]
    assert "**Waivers** (waived results are not in the rates' denominators):" in md
    assert "- t-signed [1 case(s): S-15]: expired, not applied." in md


def test_json_csv_and_xlsx_carry_the_waived_results(waived_report: RunReport) -> None:
    data = json.loads(json.dumps(waived_report.as_dict()))
    rule = next(r for r in data["rules"] if r["id"] == "t-signed")
    assert (rule["counts"]["waived"], rule["counts"]["fail"], rule["applicable"]) == (2, 2, 15)
    assert [(w["state"], w["waived"]) for w in data["waivers"]] == [("applied", 2), ("expired", 0)]
    assert data["settings"]["as_of"] == "2023-01-31"

    rows = list(csv.reader(io.StringIO(csv_report.render(waived_report))))
    waived_rows = [row for row in rows if row[2] == "waived"]
    assert [(row[0], row[1]) for row in waived_rows] == [("S-13", "t-signed"), ("S-14", "t-signed")]
    assert waived_rows[0][3].startswith("waived (was fail): Victim could not be contacted")

    book = load_workbook(io.BytesIO(xlsx.render(waived_report)))
    summary = book["Summary"]
    headers = [cell.value for cell in summary[1]]
    assert headers[7:11] == ["fail", "error", "pending", "waived"]
    signed_row = next(row for row in summary.iter_rows(min_row=2, values_only=True) if row[0] == "t-signed")
    assert signed_row[2:4] == ("13 of 15", 15) and signed_row[7:11] == (2, 0, 0, 2)
    assert book.sheetnames[:3] == ["Summary", "Findings", "Waivers"]
    sheet_rows = list(book["Waivers"].iter_rows(values_only=True))
    assert sheet_rows[1][:3] == ("t-signed", "S-13, S-14", None) and sheet_rows[1][6:9] == ("applied", 2, "2 fail")
    assert sheet_rows[2][6] == "expired"


def test_without_waivers_the_outputs_have_no_waived_column(packs: list[RulePack], cases: Path) -> None:
    report = run(cases, packs, None, as_of=None)
    header = next(line for line in table.render(report).splitlines() if line.startswith("rule "))
    assert header.split()[-1] == "pending"
    assert "waived" not in next(line for line in markdown.render(report).splitlines() if line.startswith("| rule"))
    assert [cell.value for cell in load_workbook(io.BytesIO(xlsx.render(report)))["Summary"][1]][10] == "reliable"


# --- the command line ---------------------------------------------------------------------------


SAMPLE = ROOT / "samples" / "cases.json"
SAMPLE_WAIVERS = ROOT / "samples" / "waivers.yaml"


def invoke(*args: str):
    """The `check run` command in-process (the subprocess test below covers the installed entry point)."""
    return CliRunner().invoke(app, ["run", *args, "--rules", str(RULES)])


def test_cli_applies_the_shipped_sample_waivers(tmp_path: Path) -> None:
    packs = load_packs([RULES])
    before = {s.id: s for s in run_check(SAMPLE, packs, RunSettings(packs=pack_settings(packs, {}))).rules}
    out_json, out_text = tmp_path / "result.json", tmp_path / "result.txt"
    result = check(str(SAMPLE), "--waivers", str(SAMPLE_WAIVERS), "--as-of", "2023-01-31",
                   "-o", str(out_json), "-o", str(out_text))
    assert result.returncode == 0, result.stderr
    data = json.loads(out_json.read_text(encoding="utf-8"))
    after = {r["id"]: r for r in data["rules"]}
    needs_before, needs_after = before["vc-needs-assessment"], after["vc-needs-assessment"]
    assert needs_after["counts"]["fail"] == needs_before.counts["fail"] - 2
    assert needs_after["counts"]["waived"] == 2 and needs_after["applicable"] == needs_before.applicable - 2
    assert needs_after["counts"]["pass"] == needs_before.counts["pass"]
    assert needs_after["rate"] == pytest.approx(needs_after["counts"]["pass"] / needs_after["applicable"])
    updates = after["vc-updates-at-agreed-frequency"]
    assert updates["counts"]["waived"] == 5
    assert updates["applicable"] == before["vc-updates-at-agreed-frequency"].applicable - 5
    assert after["vc-vps-offered"]["counts"] == before["vc-vps-offered"].counts  # its waiver has expired
    assert [w["state"] for w in data["waivers"]] == ["applied", "applied", "expired"]
    assert data["settings"]["as_of"] == "2023-01-31"

    text = out_text.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("vc-needs-assessment "))
    assert f"{needs_after['counts']['pass']} of {needs_after['applicable']}" in row and row.split()[-1] == "2"
    assert ("Warning: waiver for vc-vps-offered (" in text
            and "expired on 2022-12-31, before the as-of date 2023-01-31: not applied" in text)


def test_cli_case_view_shows_the_waiver() -> None:
    result = invoke(str(SAMPLE), "--waivers", str(SAMPLE_WAIVERS), "--as-of", "2023-01-31", "--case", "SYN-2022-000005")
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "vc-needs-assessment" in line)
    assert line.startswith("WAIVED ")
    assert "waived (was fail): Victim could not be contacted" in result.stdout
    assert "approved by DI A. Example" in result.stdout


def test_cli_refuses_a_bad_waivers_file_with_every_located_error(tmp_path: Path) -> None:
    path = write_waivers(tmp_path, """\
    waivers:
      - rule: vc-needs-asessment
        cases: [SYN-2022-000005]
        reason: r
        approved_by: a
        expires: 2023-03-31
      - rule: vc-needs-assessment
        cases: [SYN-2022-000006]
        approved_by: a
        expires: 2023-03-31
    """)
    result = invoke(str(SAMPLE), "--waivers", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert (f"{path}:2:11: waivers[0].rule: unknown rule id 'vc-needs-asessment' "
            "(did you mean 'vc-needs-assessment'?)") in result.stderr
    assert f"{path}:7:5: waivers[1]: no 'reason'" in result.stderr
    assert "The waivers file has errors: nothing was scored." in result.stderr


def test_cli_refuses_a_bad_as_of_date() -> None:
    result = invoke(str(SAMPLE), "--waivers", str(SAMPLE_WAIVERS), "--as-of", "31/01/2023")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--as-of: '31/01/2023' is not a date: expected YYYY-MM-DD" in result.stderr
