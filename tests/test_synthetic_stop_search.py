"""The synthetic stop-and-search generator (synthetic/stop_search.py), samples/stop-search.json and its schema."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from synthetic.cases import write_json_array
from synthetic.stop_search import MINORITY_GROUPS, audit_sample, audit_sample_2019, audit_sample_2021
from tests.conftest import ROOT

SAMPLE = ROOT / "samples" / "stop-search.json"
SCHEMA_FILE = ROOT / "checker" / "schemas" / "stop-search.schema.json"
RULE = "ss-reasonable-grounds"


def _builder() -> Any:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        spec = importlib.util.spec_from_file_location("build_stop_search_schema",
                                                      ROOT / "tools" / "build_stop_search_schema.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "tools"))


def _judged_yes(records: list[dict[str, Any]]) -> int:
    return sum(record["audit"]["judgements"][RULE] == "yes" for record in records)


def _minority(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for record in records if record["person"]["self_defined_ethnicity"] in MINORITY_GROUPS]


def test_committed_schema_is_the_builders_output() -> None:
    builder = _builder()
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == builder.STOP_SEARCH_SCHEMA, (
        "checker/schemas/stop-search.schema.json drifted: run python tools/build_stop_search_schema.py")
    schema = builder.STOP_SEARCH_SCHEMA
    assert schema["$id"] == "https://case-file-checker.invalid/schemas/stop-search/v1"
    assert schema["required"] == ["search_id"]
    # The reviewer's judgements are the case model's, so manual rules and the review workbook work unchanged.
    assert schema["properties"]["audit"] == json.loads(
        (ROOT / "checker" / "schemas" / "case.schema.json").read_text())["properties"]["audit"]


def test_every_field_of_the_schema_is_described() -> None:
    def walk(node: dict[str, Any], path: str) -> list[str]:
        missing = [] if node.get("description") else [path]
        for name, child in node.get("properties", {}).items():
            missing += walk(child, f"{path}.{name}" if path else name)
        return missing
    assert walk(json.loads(SCHEMA_FILE.read_text()), "") == []


def test_committed_sample_is_the_generators_output() -> None:
    expected = io.StringIO()
    write_json_array(audit_sample_2021(), expected)
    assert SAMPLE.read_text(encoding="utf-8") == expected.getvalue(), (
        "samples/stop-search.json drifted: regenerate with "
        "python -m synthetic.stop_search --audit 2021 --output samples/stop-search.json")


def test_command_line_writes_the_sample(tmp_path) -> None:
    output = tmp_path / "out.json"
    subprocess.run([sys.executable, "-m", "synthetic.stop_search", "--audit", "2021", "--output", str(output)],
                   check=True, cwd=ROOT)
    assert output.read_text() == SAMPLE.read_text()


@pytest.mark.parametrize("build", [audit_sample_2021, audit_sample_2019])
def test_samples_are_valid_records_of_the_model(build) -> None:
    validator = Draft202012Validator(json.loads(SCHEMA_FILE.read_text()), format_checker=FormatChecker())
    records = build()
    problems = [f"{record['search_id']}: {error.message}" for record in records for error in validator.iter_errors(record)]
    assert problems == []
    assert len({record["search_id"] for record in records}) == len(records)
    assert {record["record_type"] for record in records} == {"stop-search"}


def test_2021_audit_has_the_published_composition() -> None:
    records = audit_sample_2021()
    assert (len(records), _judged_yes(records)) == (183, 156)
    minority = _minority(records)
    assert (len(minority), _judged_yes(minority)) == (27, 21)


def test_2019_audit_has_the_published_composition() -> None:
    records = audit_sample_2019()
    assert (len(records), _judged_yes(records)) == (241, 208)


def test_generator_is_deterministic_and_the_seed_matters() -> None:
    assert audit_sample_2021() == audit_sample_2021()
    assert audit_sample_2021(seed=7) != audit_sample_2021()
    assert _judged_yes(audit_sample_2021(seed=7)) == 156


def test_counts_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        audit_sample(2021, 10, 5, 4, 5, seed=1)  # more minority yes than minority records
    with pytest.raises(ValueError, match="do not fit"):
        audit_sample(2021, 10, 9, 4, 1, seed=1)  # 8 yes left for 6 other records


def test_grounds_fit_the_judgement() -> None:
    records = audit_sample_2021()
    for record in records:
        grounds = record["grounds"]
        if record["audit"]["judgements"][RULE] == "yes":
            assert grounds["recorded_text"] and grounds["personal_factors_only"] is False
    unreasonable = [record["grounds"] for record in records if record["audit"]["judgements"][RULE] == "no"]
    assert any(grounds["personal_factors_only"] for grounds in unreasonable)
    assert any(grounds["recorded_text"] is None for grounds in unreasonable)


def test_sample_has_a_realistic_mix_of_other_outcomes() -> None:
    """Each obligation other than the judgement is met by most records and missed by some."""
    records = audit_sample_2021()
    def share(predicate) -> float:
        return sum(bool(predicate(record)) for record in records) / len(records)
    checks = {
        "bwv used": lambda r: r["bwv"]["used"],
        "told grounds": lambda r: r["told"]["grounds"],
        "record given or offered": lambda r: r["record_given"] or r["receipt_offered_at"],
        "ethnicity recorded": lambda r: r["person"]["self_defined_ethnicity"],
        "reviewed": lambda r: r["review"],
    }
    for name, predicate in checks.items():
        assert 0.6 < share(predicate) < 1.0, name
    assert Counter(record["person"]["self_defined_ethnicity"] for record in records)["not_stated"] > 0


def test_no_names_of_people() -> None:
    text = SAMPLE.read_text()
    people = set(re.findall(r'"(?:identifier|reviewer)": "([^"]+)"', text))
    assert people and all(re.fullmatch(r"(Officer \d{4}|Sergeant \d{2}|Reviewer \d{2})", who) for who in people)


def test_check_schema_prints_the_stop_search_model() -> None:
    from tests.conftest import run_cli

    printed = run_cli("schema", "stop-search")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
