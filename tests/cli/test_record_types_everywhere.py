"""What was built for case files works for every record type: sampling with strata and scoring with the
manifest, waivers (their selectors read the record by its type's name), --jobs, every output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_cli

SEARCHES = str(SAMPLES / "stop-search.json")
CALLS = str(SAMPLES / "calls.json")


def test_a_stratified_sample_of_searches_is_drawn_and_scored_by_its_strata(tmp_path: Path) -> None:
    sample = tmp_path / "sample.json"
    drawn = run_cli("sample", SEARCHES, "--stratify-by", "person.self_defined_ethnicity", "--per-stratum", "4",
                    "--seed", "11", "--output", str(sample))
    assert drawn.returncode == 0, drawn.stderr
    manifest = json.loads((tmp_path / "sample.json.manifest.json").read_text())
    assert manifest["population"]["record_type"] == "stop-search"
    assert manifest["stratify_by"] == "person.self_defined_ethnicity"
    assert {stratum["sample"] for stratum in manifest["strata"]} <= {1, 2, 3, 4}
    scored = run_cli(str(sample), "--manifest", str(tmp_path / "sample.json.manifest.json"), "-f", "json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["input"]["record_type"] == "stop-search"
    assert report["summary"]["records_read"] == manifest["sample"]["size"]
    assert {estimate["rule_id"] for estimate in report["stratified"]} >= {"ss-reasonable-grounds"}


def test_a_stratum_path_is_checked_against_the_types_own_model(tmp_path: Path) -> None:
    result = run_cli("sample", SEARCHES, "--stratify-by", "person.ethnicity", "--per-stratum", "4",
                     "--output", str(tmp_path / "s.json"))
    assert result.returncode == 2
    assert "--stratify-by 'person.ethnicity' is not a field of the stop-search record model" in result.stderr


def test_a_waiver_on_searches_reads_the_record_as_search(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: ss-supervisor-review\n    where: search.review == null\n"
                       "    reason: Reviews were kept on paper in this period (synthetic)\n"
                       "    approved_by: Audit lead\n    expires: 2027-12-31\n")
    result = run_cli(SEARCHES, "--waivers", str(waivers), "--as-of", "2026-12-01", "-f", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    (score,) = [rule for rule in report["rules"] if rule["id"] == "ss-supervisor-review"]
    assert score["counts"]["waived"] > 0
    assert report["waivers"][0]["waived"] == score["counts"]["waived"]
    waivers.write_text(waivers.read_text().replace("search.review", "case.review"))
    refused = run_cli(SEARCHES, "--waivers", str(waivers), "--as-of", "2026-12-01")
    assert refused.returncode == 2
    assert "waivers[0].where: undeclared reference to 'case'" in refused.stderr
    assert "nothing was scored" in refused.stderr


@pytest.mark.parametrize("sample", [SEARCHES, CALLS])
def test_jobs_give_the_same_report_for_every_type(sample: str) -> None:
    one = run_cli(sample, "-f", "json")
    two = run_cli(sample, "-f", "json", "--jobs", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout


def test_every_format_is_written_for_calls_and_says_what_was_audited(tmp_path: Path) -> None:
    outputs = [tmp_path / f"calls.{extension}" for extension in ("txt", "json", "csv", "md", "xlsx", "html")]
    result = run_cli(CALLS, *[arg for path in outputs for arg in ("-o", str(path))])
    assert result.returncode == 0, result.stderr
    assert "Records (calls): 74 read, 74 evaluated, 0 rejected." in outputs[0].read_text()
    assert json.loads(outputs[1].read_text())["input"]["record_type"] == "call"
    assert outputs[2].read_text().splitlines()[0].startswith("case_id,rule_id,status")
    assert outputs[3].read_text().startswith("# Call record compliance")
    assert outputs[4].read_bytes()[:2] == b"PK"
    assert f"<title>Call record compliance: {CALLS}</title>" in outputs[5].read_text()
