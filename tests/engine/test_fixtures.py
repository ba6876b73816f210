"""`check test`: fixtures must match, errors are never expected silently, no rule goes untested."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from checker.engine.fixtures import find_fixture_files, load_fixtures, merge, run_fixtures, write_junit
from checker.packs.rules import load_packs
from tests.conftest import rule_yaml, rules_yaml, write_pack

PACK = rules_yaml(rule_yaml("t-signed", severity="high", applies_when="case.outcome != null", message="Not signed",
                            check={"recorded": "case.victim.decision_record != null",
                                   "signed": "case.victim.decision_record.signed_by_victim == true"},
                            evidence=["victim.decision_record.signed_by_victim"]))

BASE = {"case_id": "BASE", "crime": {"reported_at": "2022-01-01T10:00:00Z"},
        "victim": {"decision_record": {"signed_by_victim": True, "form": "signed_statement"}},
        "outcome": {"code": "16", "finalised_at": "2022-02-01"}}


def setup(tmp_path: Path, fixtures: str) -> Path:
    write_pack(tmp_path, PACK)
    (tmp_path / "base-case.json").write_text(json.dumps(BASE))
    (tmp_path / "pack.test.yaml").write_text(fixtures)
    return tmp_path


COMPLETE = """\
fixtures:
  - name: signed
    expect: {t-signed: pass}
  - name: not signed
    case: {victim: {decision_record: {signed_by_victim: false}}}
    expect: {t-signed: fail}
  - name: open case
    case: {outcome: null}
    expect: {t-signed: not_applicable}
"""


def run(directory: Path):
    return run_fixtures(load_packs([directory]), find_fixture_files([directory]))


def test_complete_fixtures_pass(tmp_path: Path) -> None:
    report = run(setup(tmp_path, COMPLETE))
    assert report.ok and report.summary_line() == "4 passed, 0 failed"


def test_a_mismatch_prints_expected_got_and_the_evidence(tmp_path: Path) -> None:
    report = run(setup(tmp_path, COMPLETE.replace("expect: {t-signed: fail}", "expect: {t-signed: pass}")))
    (failure,) = [o for o in report.failures if o.suite != "coverage"]
    assert "pack.test.yaml:4:5: fixture 'not signed': rule t-signed: expected pass, got fail" in failure.detail
    assert "evidence: victim.decision_record.signed_by_victim = false" in failure.detail
    assert "victim.decision_record.signed_by_victim = false (expected true)" in failure.detail
    coverage = [o for o in report.failures if o.suite == "coverage"]
    assert coverage and "has no fixture that gives fail" in coverage[0].detail


def test_an_unexpected_error_fails_even_when_not_asked_about(tmp_path: Path) -> None:
    unguarded = rule_yaml("t-signed", applies_when="case.outcome != null",
                          check={"signed": "case.victim.decision_record.signed_by_victim == true"})
    write_pack(tmp_path, rules_yaml(unguarded))
    (tmp_path / "base-case.json").write_text(json.dumps(BASE))
    (tmp_path / "pack.test.yaml").write_text(COMPLETE + "  - name: no record\n    case: {victim: {decision_record: null}}\n"
                                             "    expect: {t-signed: fail}\n")
    report = run(tmp_path)
    assert any("expected fail, got error" in o.detail for o in report.failures)


def test_an_untested_rule_fails_coverage(tmp_path: Path) -> None:
    report = run(setup(tmp_path, "fixtures:\n  - name: signed\n    expect: {t-signed: pass}\n"))
    (failure,) = report.failures
    assert failure.suite == "coverage" and "has no fixture that gives fail, not_applicable" in failure.detail


def test_a_fixture_that_is_not_a_valid_case_file_is_reported(tmp_path: Path) -> None:
    fixtures = COMPLETE + "  - name: bad date\n    case: {crime: {reported_at: soon}}\n    expect: {t-signed: pass}\n"
    report = run(setup(tmp_path, fixtures))
    (failure,) = report.failures
    assert "fixture 'bad date' is not a valid case file: crime.reported_at:" in failure.detail


def test_unknown_rule_ids_and_statuses_are_refused(tmp_path: Path) -> None:
    report = run(setup(tmp_path, COMPLETE + "  - name: typo\n    expect: {t-signd: pass}\n"))
    assert any("unknown rule id 't-signd'" in o.detail for o in report.failures)
    (tmp_path / "pack.test.yaml").write_text("fixtures:\n  - name: x\n    expect: {t-signed: passed}\n")
    report = run(tmp_path)
    assert any("expected status 'passed' is not one of" in o.detail for o in report.failures)


def test_junit_report_lists_each_expectation_and_failure(tmp_path: Path) -> None:
    report = run(setup(tmp_path, COMPLETE.replace("expect: {t-signed: fail}", "expect: {t-signed: pass}")))
    out = tmp_path / "junit.xml"
    write_junit(report, out)
    root = ElementTree.parse(out).getroot()
    assert root.get("tests") == str(len(report.outcomes)) and root.get("failures") == "2"
    names = [case.get("name") for case in root.iter("testcase")]
    assert "not signed :: t-signed" in names and "t-signed" in names


def test_merge_overlays_objects_and_replaces_everything_else() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert merge(base, {"a": {"c": [3]}, "d": None}) == {"a": {"b": 1, "c": [3]}, "d": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_fixture_case_ids_are_unique_and_named_after_the_file(tmp_path: Path) -> None:
    setup(tmp_path, COMPLETE)
    fixtures = load_fixtures(tmp_path / "pack.test.yaml")
    assert [f.default_id for f in fixtures] == ["pack.test-1", "pack.test-2", "pack.test-3"]  # given as case_id when run
