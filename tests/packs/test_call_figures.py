"""The inspection's call-handling figures rebuilt from record-level data through the real engine.

"call handlers were polite and professional and showed empathy to callers in 55 out of 57 calls
audited. And the initial prioritisation and response to calls for service were appropriate in 71 out
of 74 calls audited. Supervision, when required, was found in 12 out of 15 suitable cases."

The shipped sample (samples/calls.json, 74 calls) carries those findings as reviewers' judgements and
records; scoring it with the shipped packs gives them back, with the intervals the product reports.
The expected intervals are computed here from their formulas, not read from the product.
"""

from __future__ import annotations

import math

import pytest

from checker import api
from tests.conftest import RULES, SAMPLES

Z95 = 1.959963984540054


def wald_margin(passed: int, applicable: int) -> float:
    rate = passed / applicable
    return Z95 * math.sqrt(rate * (1 - rate) / applicable)


def wilson(passed: int, applicable: int) -> tuple[float, float]:
    rate, n, z2 = passed / applicable, applicable, Z95 * Z95
    centre = (rate + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def scores(interval: str) -> dict[str, api.RunReport]:
    packs = api.load_packs([RULES])
    settings = api.RunSettings(interval=interval, packs=api.pack_settings(packs, {}))
    report = api.run(api.open_input(SAMPLES / "calls.json"), packs, settings)
    assert report.summary == {"records_read": 74, "records_evaluated": 74, "records_rejected": 0}
    return {score.id: score for score in report.rules}


@pytest.fixture(scope="module")
def wald() -> dict:
    return scores("wald")


@pytest.fixture(scope="module")
def wilson_scores() -> dict:
    return scores("wilson")


@pytest.mark.parametrize(("rule_id", "passed", "applicable"), [
    ("call-manner-professional", 55, 57),
    ("call-prioritised-appropriately", 71, 74),
    ("call-supervised", 12, 15),
])
def test_published_call_figures_with_their_intervals(wald, wilson_scores, rule_id: str, passed: int,
                                                     applicable: int) -> None:
    for score in (wald[rule_id], wilson_scores[rule_id]):
        assert (score.counts["pass"], score.counts["fail"], score.applicable) == (passed, applicable - passed, applicable)
        assert score.rate == pytest.approx(passed / applicable)
        # Fewer than 5 failures: the product reports the count, as the inspection did, and says why.
        assert score.reliable is False
        assert score.statement == f"{passed} of {applicable}"
    assert wald[rule_id].interval["margin"] == pytest.approx(wald_margin(passed, applicable))
    low, high = wilson(passed, applicable)
    assert (wilson_scores[rule_id].interval["low"], wilson_scores[rule_id].interval["high"]) == (
        pytest.approx(low), pytest.approx(high))


def test_the_figures_are_the_published_rates_and_margins(wald) -> None:
    """96.5% +/- 4.8 points, 95.9% +/- 4.5, 80.0% +/- 20.2 (Wald), as a reader would quote them."""
    quoted = {rule_id: (round(100 * wald[rule_id].rate, 1), round(100 * wald[rule_id].interval["margin"], 1))
              for rule_id in ("call-manner-professional", "call-prioritised-appropriately", "call-supervised")}
    assert quoted == {"call-manner-professional": (96.5, 4.8), "call-prioritised-appropriately": (95.9, 4.5),
                      "call-supervised": (80.0, 20.2)}


def test_calls_not_listened_to_are_left_out_of_the_manner_figure(wald) -> None:
    manner = wald["call-manner-professional"]
    assert manner.counts["not_applicable"] == 74 - 57
    assert wald["call-supervised"].counts["not_applicable"] == 74 - 15
