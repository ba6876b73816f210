"""`--by`: every rule scored within each group of records, as the inspectorate reports a subgroup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker import api
from checker.engine.selectors import NOT_EVALUATED, NOT_RECORDED, SelectorError
from tests.conftest import RULES, SAMPLES, make_case, run_cli, write_cases


@pytest.fixture(scope="module")
def packs() -> list[api.RulePack]:
    return api.load_packs([RULES])


def test_the_groups_add_up_to_the_whole_sample_rule_by_rule(packs: list[api.RulePack]) -> None:
    report = api.run(SAMPLES / "cases.json", packs, by="case.crime.flags.domestic_abuse")
    groups = report.breakdown["groups"]
    assert report.breakdown["by"] == "case.crime.flags.domestic_abuse"
    assert [(group["value"], group["records"]) for group in groups] == [("false", 60), ("true", 20)]
    for position, score in enumerate(report.rules):
        for status, count in score.counts.items():
            assert sum(group["rules"][position]["counts"][status] for group in groups) == count, (score.id, status)


def test_a_field_of_an_object_not_recorded_is_its_own_group(packs: list[api.RulePack]) -> None:
    report = api.run(SAMPLES / "cases.json", packs, by="case.outcome.code")
    values = [group["value"] for group in report.breakdown["groups"]]
    assert values[0] == NOT_RECORDED  # open files have no outcome
    assert NOT_EVALUATED not in values
    assert not any(warning.startswith("--by") for warning in report.warnings)


def test_an_expression_makes_its_own_groups_and_each_is_scored_as_a_sample(tmp_path: Path,
                                                                          packs: list[api.RulePack]) -> None:
    records = [make_case(f"T-{n}", crime={"reported_at": "2022-03-01T10:00:00Z", "recorded_at": recorded,
                                          "flags": {"domestic_abuse": n % 3 == 0}})
               for n, recorded in enumerate(["2022-03-01T12:00:00Z"] * 7 + ["2022-03-03T12:00:00Z"] * 3)]
    cases = write_cases(tmp_path / "cases.json", records)
    report = api.run(cases, packs, by='case.crime.flags.domestic_abuse ? "domestic abuse" : "other"')
    scores = {group["value"]: next(s for s in group["rules"] if s["id"] == "ncrs-recorded-within-24h")
              for group in report.breakdown["groups"]}
    # T-0, T-3, T-6 (recorded within 24 hours) and T-9 (not) are domestic abuse
    assert (scores["domestic abuse"]["counts"]["pass"], scores["domestic abuse"]["applicable"]) == (3, 4)
    assert (scores["other"]["counts"]["pass"], scores["other"]["applicable"]) == (4, 6)
    assert scores["other"]["statement"] == "4 of 6"


def test_a_grouping_that_is_not_one_value_is_refused(packs: list[api.RulePack]) -> None:
    with pytest.raises(SelectorError, match="--by gives a list of map; a group is one value"):
        api.run(SAMPLES / "cases.json", packs, by="case.victim.updates")
    result = run_cli("samples/cases.json", "--by", "case.victim.updatez", "-q")
    assert result.returncode == 2
    assert result.stderr == ("error: --by (column 13): 'case.victim.updatez' is not a field of the case model "
                             "(did you mean 'victim.updates'?)\n")


def test_records_it_cannot_be_evaluated_on_are_counted_apart_with_a_warning(tmp_path: Path,
                                                                            packs: list[api.RulePack]) -> None:
    cases = write_cases(tmp_path / "cases.json", [make_case("A"), make_case("B", outcome={"code": "16"})])
    report = api.run(cases, packs, by='case.outcome.code + "!"')
    assert [(group["value"], group["records"]) for group in report.breakdown["groups"]] == [
        (NOT_EVALUATED, 1), ("16!", 1)]
    assert report.warnings[-1] == (f"--by 'case.outcome.code + \"!\"' could not be evaluated on 1 record(s): they "
                                   f"are counted in the group {NOT_EVALUATED!r}")


def test_every_format_shows_the_groups_and_case_text_stays_text(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>|"
    cases = write_cases(tmp_path / "cases.json", [make_case("A", force=hostile), make_case("B", force="Synthetic")])
    report = json.loads(run_cli(str(cases), "--by", "case.force", "-f", "json").stdout)
    assert [group["value"] for group in report["breakdown"]["groups"]] == [hostile, "Synthetic"]
    table = run_cli(str(cases), "--by", "case.force").stdout
    assert "Results by case.force (each group scored as a sample of its own):" in table
    html = run_cli(str(cases), "--by", "case.force", "-f", "html").stdout
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;|" in html
    assert '<a href="#breakdown">By case.force</a>' in html
    markdown = run_cli(str(cases), "--by", "case.force", "-f", "markdown").stdout
    assert "**Results by case.force (each group scored as a sample of its own):**" in markdown
    assert "<script>" not in markdown


def test_the_sql_engine_gives_the_same_groups(packs: list[api.RulePack]) -> None:
    by = "case.outcome.code"
    records = api.run(SAMPLES / "cases.json", packs, by=by, engine="records")
    sql = api.run(SAMPLES / "cases.json", packs, by=by, engine="sql")
    assert sql.breakdown == records.breakdown
