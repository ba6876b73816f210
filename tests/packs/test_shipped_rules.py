"""The shipped rule packs: valid, fully tested by fixtures, and right on the published audit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.engine.fixtures import find_fixture_files, run_fixtures
from checker.packs.rules import find_pack_files, load_packs, rules_schema
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from tests.conftest import RULES, SAMPLES

REQUIRED_IDS = {
    "vc-written-acknowledgement", "vc-needs-assessment", "vc-enhanced-rights-assessed", "vc-referral",
    "vc-contact-agreement", "vc-updates-at-agreed-frequency", "vc-key-decisions-informed", "vc-vps-offered",
    "vc-review-information", "vc-engagement-good",
    "out-named-suspect", "out-code-valid-for-date", "out15-victim-informed", "out16-decision-record",
    "out16-signed-decision", "out16-withdrawal-reasons", "out16-supervised", "out16-justifiable",
    "out16-da-protective-orders", "out10-evidence-and-views", "out17-time-limit", "out21-rationale-and-informed",
    "out22-intervention-completed", "ooc-victim-views",
    "ncrs-recorded-within-24h", "ncrs-cancellation-authorised",
}


@pytest.fixture(scope="module")
def packs():
    return load_packs([RULES])


def test_every_required_rule_id_is_shipped(packs) -> None:
    shipped = {rule.id for pack in packs for rule in pack.rules}
    assert REQUIRED_IDS <= shipped
    case_file_packs = {pack.name for pack in packs if pack.record_type == "case-file"}
    assert case_file_packs == {"victims-code", "outcomes", "crime-recording", "investigation"}
    assert {pack.name for pack in packs if pack.record_type == "stop-search"} == {"stop-search"}
    assert {pack.name for pack in packs if pack.record_type == "call"} == {"calls"}


def test_manual_rules_are_the_reviewer_judgements(packs) -> None:
    manual = {rule.id for pack in packs for rule in pack.rules if rule.kind == "manual"}
    assert {"out16-justifiable", "vc-engagement-good"} <= manual


def test_every_fixture_matches_and_every_rule_is_tested(packs) -> None:
    report = run_fixtures(packs, find_fixture_files([RULES]))
    assert report.ok, "\n".join(outcome.detail for outcome in report.failures)
    covered = {outcome.name for outcome in report.outcomes if outcome.suite == "coverage" and outcome.passed}
    assert covered == {rule.id for pack in packs for rule in pack.rules}


def test_shipped_packs_validate_with_an_independent_validator(tmp_path: Path) -> None:
    """check-jsonschema (not our loader) validates every pack against the published rule schema."""
    executable = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    schema = tmp_path / "rules.schema.json"
    schema.write_text(json.dumps(rules_schema()))
    files = [str(path) for path in find_pack_files([RULES])]
    result = subprocess.run([executable, "--schemafile", str(schema), *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(Path(files[0]).read_text().replace("severity:", "severty:", 1))
    refused = subprocess.run([executable, "--schemafile", str(schema), str(broken)], capture_output=True, text=True)
    assert refused.returncode == 1 and "severty" in refused.stdout + refused.stderr


def test_published_outcome16_audit_scores_13_of_17_18_of_20_19_of_20(packs, outcome16_sample: Path) -> None:
    report = run_check(outcome16_sample, packs, RunSettings(packs=pack_settings(packs, {})))
    scores = {score.id: score for score in report.rules}
    signed, supervised, justifiable = (scores[i] for i in
                                       ("out16-signed-decision", "out16-supervised", "out16-justifiable"))
    assert (signed.counts["pass"], signed.applicable) == (13, 17)
    assert (supervised.counts["pass"], supervised.applicable) == (18, 20)
    assert (justifiable.counts["pass"], justifiable.applicable) == (19, 20)
    assert report.summary == {"records_read": 20, "records_evaluated": 20, "records_rejected": 0}


def test_published_victim_engagement_scores_21_of_35(packs, tmp_path: Path) -> None:
    """The 2021 inspection: "Of 35 relevant cases reviewed, 21 had good victim engagement". Rebuilt from
    record-level data: 35 synthetic files of person victims (the Code's scope), 21 judged good by the
    reviewer and 14 not; 5 files out of the Code's scope (a business victim, a cancelled crime) do not count."""
    from synthetic.cases import generate_cases

    in_scope = [case for case in generate_cases(200, seed=35)
                if case["victim"].get("kind") == "person" and case["crime"].get("cancellation") is None][:35]
    for position, case in enumerate(in_scope):
        case["audit"] = {"reviewer": "Reviewer 01", "judgements": {"vc-engagement-good": "yes" if position < 21 else "no"}}
    out_of_scope = [dict(case, case_id=f"{case['case_id']}-B", victim=dict(case["victim"], kind="business"),
                         audit={"judgements": {"vc-engagement-good": "yes"}}) for case in in_scope[:5]]
    cases = tmp_path / "engagement.json"
    cases.write_text(json.dumps(in_scope + out_of_scope), encoding="utf-8")
    report = run_check(cases, packs, RunSettings(interval="wald", packs=pack_settings(packs, {})))
    engagement = next(score for score in report.rules if score.id == "vc-engagement-good")
    assert (engagement.counts["pass"], engagement.applicable) == (21, 35)
    assert engagement.counts["not_applicable"] == 5
    # Wald, as the inspectorate writes it: 0.6 +/- 1.96 * sqrt(0.6 * 0.4 / 35) = 16.2 points
    assert engagement.statement == "60.0 percent (with a confidence interval of +/- 16.2 percent)"


def test_shipped_sample_scores_without_rejections_or_errors(packs) -> None:
    report = run_check(SAMPLES / "cases.json", packs, RunSettings(packs=pack_settings(packs, {})))
    assert report.summary["records_rejected"] == 0 and report.summary["records_read"] >= 60
    errors = {score.id: score.counts["error"] for score in report.rules if score.counts["error"]}
    assert errors == {}
    assert any(score.counts["fail"] for score in report.rules) and any(score.counts["pass"] for score in report.rules)
