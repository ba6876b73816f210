"""Published arithmetic: the inspectorate's figures must come out of the scoring."""

from __future__ import annotations

import pytest

from checker.scoring.intervals import proportion_interval, z_value
from checker.report.wording import count_of, interval_text, percent


def test_156_of_183_wald_margin_matches_published_plus_minus_5_1() -> None:
    interval = proportion_interval(156, 183, "wald", 0.95)
    assert interval is not None
    assert percent(156 / 183) == "85.2%"
    assert round(interval.margin * 100, 1) == 5.1
    assert interval_text(interval.as_dict()) == "80.1%–90.4% (±5.1)"


def test_156_of_183_wilson_interval_is_79_4_to_89_7() -> None:
    interval = proportion_interval(156, 183)
    assert interval is not None and interval.method == "wilson" and interval.margin is None
    assert (round(interval.low * 100, 1), round(interval.high * 100, 1)) == (79.4, 89.7)


def test_208_of_241_wald_is_86_3_plus_minus_4_3() -> None:
    interval = proportion_interval(208, 241, "wald")
    assert interval is not None
    assert percent(208 / 241) == "86.3%" and round(interval.margin * 100, 1) == 4.3


def test_small_counts_print_as_x_of_y() -> None:
    assert count_of(13, 17) == "13 of 17"
    assert count_of(18, 20) == "18 of 20"


def test_no_applicable_files_gives_no_interval() -> None:
    assert proportion_interval(0, 0) is None
    assert percent(None) == "—"


def test_confidence_level_changes_the_width() -> None:
    narrow = proportion_interval(156, 183, "wald", 0.90)
    wide = proportion_interval(156, 183, "wald", 0.99)
    assert narrow is not None and wide is not None
    assert narrow.margin < wide.margin
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize("method", ["exact", "jeffreys", "agresti-coull"])
def test_other_methods_bracket_the_rate(method: str) -> None:
    interval = proportion_interval(13, 17, method)
    assert interval is not None and interval.low < 13 / 17 < interval.high


def test_unknown_method_and_bad_level_are_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="expected one of wilson, wald"):
        proportion_interval(1, 2, "bayes")
    with pytest.raises(ValueError, match="such as 0.95"):
        proportion_interval(1, 2, "wilson", 95)


@pytest.mark.parametrize("method", ["wilson", "wald", "exact", "jeffreys", "agresti-coull"])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99, 0.999])
def test_the_written_out_formulas_agree_with_statsmodels(method: str, level: float) -> None:
    from statsmodels.stats.proportion import proportion_confint

    from checker.scoring.intervals import METHODS

    for trials in (1, 2, 5, 17, 60, 183, 1000, 250_000):
        for successes in sorted({0, 1, trials // 3, trials // 2, trials - 1, trials} - {-1}):
            ours = proportion_interval(successes, trials, method, level)
            low, high = proportion_confint(successes, trials, alpha=1 - level, method=METHODS[method])
            assert ours is not None
            assert (ours.low, ours.high) == (pytest.approx(float(low), abs=1e-12),
                                              pytest.approx(float(high), abs=1e-12)), (successes, trials)
