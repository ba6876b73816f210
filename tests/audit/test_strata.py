"""Stratified estimates: the weighted rate, its variance with the finite-population correction, empty strata."""

from __future__ import annotations

import math
from typing import Any

import pytest

from checker.audit.strata import estimate_result, strata_from_manifest, stratified_estimate, tally_by_stratum
from checker.report.estimates import render_estimates_table

Z95 = 1.959963984540054


def test_weighted_rate_and_interval_by_hand() -> None:
    """A: 18 of 20 from 100 files; B: 12 of 20 from 300 files."""
    estimate = stratified_estimate({"A": {"passed": 18, "applicable": 20}, "B": {"passed": 12, "applicable": 20}},
                                   {"A": 100, "B": 300})
    assert estimate.rate == pytest.approx(0.25 * 0.9 + 0.75 * 0.6)  # 0.675, not the pooled 30 of 40
    variance = 0.25 ** 2 * (1 - 20 / 100) * 0.9 * 0.1 / 20 + 0.75 ** 2 * (1 - 20 / 300) * 0.6 * 0.4 / 20
    assert estimate.standard_error == pytest.approx(math.sqrt(variance))
    assert estimate.low == pytest.approx(0.675 - Z95 * math.sqrt(variance))
    assert estimate.high == pytest.approx(0.675 + Z95 * math.sqrt(variance))
    assert [s.weight for s in estimate.strata] == pytest.approx([0.25, 0.75])
    assert estimate.as_dict()["method"] == "stratified-normal"


def test_census_of_a_stratum_adds_no_variance() -> None:
    estimate = stratified_estimate({"A": {"passed": 15, "applicable": 20}}, {"A": 20})
    assert estimate.rate == 0.75
    assert estimate.standard_error == 0
    # A census has no sampling error: said as such, not as rates at 0% or 100% (it is 75%).
    assert estimate.notes[-1] == ("every stratum was taken whole (a census of it): the estimate has no sampling "
                                  "error, so its interval has no width")


def test_stratum_without_applicable_files_is_left_out_and_weights_renormalised() -> None:
    estimate = stratified_estimate({"A": {"passed": 9, "applicable": 10}, "B": {"passed": 5, "applicable": 10},
                                    "C": {"passed": 0, "applicable": 0}}, {"A": 100, "B": 100, "C": 200})
    weights = {s.stratum: s.weight for s in estimate.strata}
    assert weights == {"A": 0.5, "B": 0.5, "C": None}
    assert estimate.rate == pytest.approx(0.7)
    assert any("no applicable files in stratum(s) C" in note for note in estimate.notes)
    assert next(s for s in estimate.strata if s.stratum == "C").note.startswith("no applicable files")


def test_strata_missing_from_the_counts_have_no_applicable_files() -> None:
    estimate = stratified_estimate({"A": {"passed": 9, "applicable": 10}}, {"A": 100, "B": 50})
    assert estimate.rate == 0.9
    assert [s.stratum for s in estimate.strata if s.weight is None] == ["B"]


def test_files_drawn_weight_by_estimated_applicable_files() -> None:
    """A rule applying to 10 of the 20 files drawn from A counts A as about 50 applicable files, not 100."""
    counts = {"A": {"passed": 10, "applicable": 10}, "B": {"passed": 10, "applicable": 20}}
    estimate = stratified_estimate(counts, {"A": 100, "B": 100}, sampled={"A": 20, "B": 20})
    weights = {s.stratum: s.weight for s in estimate.strata}
    assert weights == pytest.approx({"A": 50 / 150, "B": 100 / 150})
    assert estimate.rate == pytest.approx(50 / 150 * 1.0 + 100 / 150 * 0.5)
    unweighted = stratified_estimate(counts, {"A": 100, "B": 100})
    assert unweighted.rate == pytest.approx(0.75)


def test_no_applicable_files_anywhere() -> None:
    estimate = stratified_estimate({}, {"A": 10})
    assert estimate.rate is None and estimate.low is None
    assert estimate.notes == ("no applicable files in any stratum: no rate",)


def test_every_rate_at_100_percent_is_flagged() -> None:
    estimate = stratified_estimate({"A": {"passed": 40, "applicable": 40}}, {"A": 400})
    assert (estimate.low, estimate.high) == (1.0, 1.0)
    assert estimate.notes == ("every stratum's rate is 0% or 100%: the normal interval has no width and "
                              "understates the uncertainty; report the counts",)
    mixed = stratified_estimate({"A": {"passed": 40, "applicable": 40}, "B": {"passed": 3, "applicable": 4}},
                                {"A": 400, "B": 4})  # B taken whole at 75%
    assert mixed.notes[-1] == ("every stratum's rate is 0% or 100% (or the stratum was taken whole): the normal "
                               "interval has no width and understates the uncertainty; report the counts")


def test_small_strata_are_flagged() -> None:
    estimate = stratified_estimate({"A": {"passed": 13, "applicable": 17}, "B": {"passed": 30, "applicable": 40}},
                                   {"A": 100, "B": 100})
    assert any("fewer than 30 applicable files in stratum(s) A:" in note for note in estimate.notes)
    assert estimate.strata[0].note.startswith("13 of 17")


@pytest.mark.parametrize(("counts", "population", "sampled", "message"), [
    ({"X": {"passed": 1, "applicable": 1}}, {"A": 10}, None, "stratum 'X' has counts but no population size"),
    ({"A": {"passed": 3, "applicable": 2}}, {"A": 10}, None, "passed <= applicable"),
    ({}, {"A": 0}, None, "at least 1"),
    ({"A": {"passed": 1, "applicable": 8}}, {"A": 10}, {"A": 5}, "more than its files sampled"),
    ({}, {"A": 10}, {"A": 11}, "from 0 to its population size 10"),
])
def test_inconsistent_figures_name_the_stratum(counts: dict, population: dict, sampled: dict | None,
                                               message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stratified_estimate(counts, population, sampled)


# --- from a manifest and a check result ------------------------------------------------------


def manifest() -> dict[str, Any]:
    return {"method": "stratified", "stratify_by": "outcome.code", "strata": [
        {"value": "1", "population": 50, "sample": 2, "case_ids": ["T-1", "T-2"]},
        {"value": "16", "population": 150, "sample": 2, "case_ids": ["T-3", "T-4"]},
    ]}


def check_result(statuses: dict[str, str]) -> dict[str, Any]:
    return {"schema_version": 1, "settings": {"confidence": 0.95}, "rules": [{"id": "r1"}],
            "records": [{"case_id": case_id, "results": [{"rule_id": "r1", "status": status}]}
                        for case_id, status in statuses.items()]}


def test_strata_from_manifest() -> None:
    strata = strata_from_manifest(manifest())
    assert strata.population == {"1": 50, "16": 150}
    assert strata.sampled == {"1": 2, "16": 2}
    assert strata.case_strata == {"T-1": "1", "T-2": "1", "T-3": "16", "T-4": "16"}


def test_simple_sample_manifest_is_refused() -> None:
    with pytest.raises(ValueError, match="not of a stratified sample"):
        strata_from_manifest({"method": "simple", "strata": []})


def test_tally_and_estimate_from_a_check_result() -> None:
    result = check_result({"T-1": "pass", "T-2": "fail", "T-3": "pass", "T-4": "not_applicable"})
    tallies = tally_by_stratum(result, strata_from_manifest(manifest()).case_strata)
    assert tallies == {"r1": {"1": {"passed": 1, "applicable": 2}, "16": {"passed": 1, "applicable": 1}}}
    (estimate,) = estimate_result(result, manifest())
    assert estimate.rule_id == "r1" and estimate.level == 0.95
    # weights from estimated applicable files: 50 * 2/2 = 50 and 150 * 1/2 = 75
    assert estimate.rate == pytest.approx(50 / 125 * 0.5 + 75 / 125 * 1.0)
    assert "r1" in render_estimates_table([estimate.as_dict()])


def test_scored_cases_outside_the_manifest_are_refused() -> None:
    with pytest.raises(ValueError, match=r"1 scored case\(s\) are not in the manifest's sample \(T-9\)"):
        estimate_result(check_result({"T-1": "pass", "T-9": "pass"}), manifest())
