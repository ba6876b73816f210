"""The inspectorate's published stop-and-search figures, rebuilt from record-level data through the engine.

PEEL 2021/22: of 183 search records from 2021, "85.2 percent (with a confidence interval of +/- 5.1
percent)" had reasonable grounds recorded; 2019: 86.3% (+/- 4.3), "broadly unchanged"; "Of the records
we reviewed for stop and searches on people from ethnic minorities, 21 of 27 had reasonable grounds
recorded". The samples are synthetic (synthetic/stop_search.py); the judgements are the auditor's.
"""

from __future__ import annotations

import json

import pytest

from checker import api
from synthetic.cases import write_json_array
from synthetic.stop_search import MINORITY_GROUPS, audit_sample_2019, audit_sample_2021
from tests.conftest import RULES, SAMPLES

RULE = "ss-reasonable-grounds"


@pytest.fixture(scope="module")
def packs() -> list[api.RulePack]:
    return api.load_packs([RULES])


def _wald(packs: list[api.RulePack]) -> api.RunSettings:
    return api.RunSettings(interval="wald", packs=api.pack_settings(packs, {}))


def _score(report: api.RunReport, rule_id: str = RULE):
    return next(score for score in report.rules if score.id == rule_id)


@pytest.fixture(scope="module")
def report_2021(packs) -> api.RunReport:
    return api.run(SAMPLES / "stop-search.json", packs, _wald(packs))


@pytest.fixture(scope="module")
def report_2019(packs, tmp_path_factory) -> api.RunReport:
    path = tmp_path_factory.mktemp("audit2019") / "stop-search-2019.json"
    with path.open("w", encoding="utf-8") as stream:
        write_json_array(audit_sample_2019(), stream)
    return api.run(path, packs, _wald(packs))


def test_2021_reasonable_grounds_156_of_183_is_85_2_plus_or_minus_5_1(report_2021) -> None:
    assert report_2021.summary == {"records_read": 183, "records_evaluated": 183, "records_rejected": 0}
    grounds = _score(report_2021)
    assert (grounds.counts["pass"], grounds.applicable) == (156, 183)
    assert grounds.statement == "85.2 percent (with a confidence interval of +/- 5.1 percent)"
    assert grounds.counts["manual"] == 0 and grounds.counts["error"] == 0


def test_2019_reasonable_grounds_208_of_241_is_86_3_plus_or_minus_4_3(report_2019) -> None:
    grounds = _score(report_2019)
    assert (grounds.counts["pass"], grounds.applicable) == (208, 241)
    assert grounds.statement == "86.3 percent (with a confidence interval of +/- 4.3 percent)"


def test_the_change_from_2019_to_2021_is_not_significant(report_2019, report_2021) -> None:
    before = json.loads(api.render("json", report_2019))
    after = json.loads(api.render("json", report_2021))
    comparison = api.compare_results(before, after)
    grounds = next(rule for rule in comparison.rules if rule.id == RULE)
    assert (grounds.before.passed, grounds.before.applicable) == (208, 241)
    assert (grounds.after.passed, grounds.after.applicable) == (156, 183)
    assert grounds.significant is False and grounds.p_value > 0.05
    assert grounds.low < 0 < grounds.high


def test_ethnic_minority_subgroup_is_21_of_27(packs) -> None:
    """The subgroup is the records of people who define themselves as from an ethnic minority, scored alone."""
    minority = [record for record in audit_sample_2021()
                if record["person"]["self_defined_ethnicity"] in MINORITY_GROUPS]
    grounds = _score(api.score(minority, packs, _wald(packs)))
    assert (grounds.counts["pass"], grounds.applicable) == (21, 27)
    assert grounds.statement == "21 of 27"  # too few to quote a rate: reported as the inspectorate does


def test_other_rules_have_passes_and_failures_on_the_sample(report_2021) -> None:
    for score in report_2021.rules:
        if score.id.startswith("ss-") and score.id != RULE:
            assert score.counts["pass"] > 0 and score.counts["fail"] > 0, score.id
            assert score.counts["error"] == 0, score.id


def test_the_subgroup_through_the_command_an_auditor_runs() -> None:
    """As the README shows: `check --by` scores each group of the people searched as a sample of its own."""
    from tests.conftest import run_cli

    by = 'search.person.self_defined_ethnicity in ["asian", "black", "mixed", "other"] ? "ethnic minority" : "other"'
    scored = run_cli("samples/stop-search.json", "--format", "json", "--interval", "wald", "--by", by)
    assert scored.returncode == 0, scored.stderr
    groups = {group["value"]: group for group in json.loads(scored.stdout)["breakdown"]["groups"]}
    assert {value: group["records"] for value, group in groups.items()} == {"ethnic minority": 27, "other": 156}
    minority = next(rule for rule in groups["ethnic minority"]["rules"] if rule["id"] == RULE)
    assert (minority["counts"]["pass"], minority["applicable"], minority["statement"]) == (21, 27, "21 of 27")
    by_group = json.loads(run_cli("samples/stop-search.json", "--format", "json",
                                  "--by", "search.person.self_defined_ethnicity").stdout)["breakdown"]["groups"]
    assert sum(next(rule["counts"]["pass"] for rule in group["rules"] if rule["id"] == RULE)
               for group in by_group if group["value"] in MINORITY_GROUPS) == 21
