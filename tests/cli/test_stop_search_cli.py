"""Stop-and-search records through the commands an audit team runs: the reasonable-grounds judgement goes
round the review workbook, and the answers rebuild the published 156 of 183."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, run_cli

RULE = "ss-reasonable-grounds"


def test_the_auditors_judgements_go_round_the_review_workbook(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    searches = json.loads((ROOT / "samples" / "stop-search.json").read_text(encoding="utf-8"))
    answers = {search["search_id"]: search["audit"]["judgements"][RULE] for search in searches}
    for search in searches:
        search["audit"] = None  # not yet audited: the judgement is pending on every record
    unjudged = tmp_path / "searches.json"
    unjudged.write_text(json.dumps(searches), encoding="utf-8")
    workbook_path = tmp_path / "review.xlsx"
    made = run_cli("review", str(unjudged), "--output", str(workbook_path))
    assert made.returncode == 0, made.stderr
    assert f"183 judgement(s) pending ({RULE}: 183)" in made.stdout + made.stderr

    workbook = load_workbook(workbook_path)
    sheet = workbook["Review"]
    header = [cell.value for cell in sheet[1]]
    ids, rules, answer, evidence = (header.index(name) for name in ("case_id", "rule_id", "answer", "evidence"))
    rows = list(sheet.iter_rows(min_row=2))
    assert {row[rules].value for row in rows} == {RULE} and len(rows) == 183
    grounds = {search["search_id"]: search["grounds"]["recorded_text"] for search in searches}
    shown = [row for row in rows if grounds[row[ids].value]]
    assert len(shown) > 150  # the reviewer sees the grounds the officer recorded, the text to judge
    assert all(grounds[row[ids].value] in str(row[evidence].value) for row in shown)
    for row in rows:  # the auditor writes the judgements the sample was built with
        row[answer].value = answers[row[ids].value]
    workbook.save(workbook_path)

    output = tmp_path / "result.json"
    scored = run_cli(str(unjudged), "--judgements", str(workbook_path), "--interval", "wald", "--output", str(output))
    assert scored.returncode == 0, scored.stderr
    grounds = next(rule for rule in json.loads(output.read_text(encoding="utf-8"))["rules"] if rule["id"] == RULE)
    assert (grounds["counts"]["pass"], grounds["applicable"], grounds["counts"]["manual"]) == (156, 183, 0)
    assert grounds["statement"] == "85.2 percent (with a confidence interval of +/- 5.1 percent)"


def test_a_case_file_pack_never_scores_search_records(tmp_path: Path) -> None:
    """Given only case-file packs, a stop-search input is refused, never scored against the wrong rules."""
    result = run_cli("samples/stop-search.json", "--rules", "rules/victims-code.yaml")
    assert result.returncode == 2
    assert "search records" in result.stderr and "victims-code (case-file)" in result.stderr
