"""Planning an audit: how many case files to sample for a wanted margin of error.

An auditor states the rate they expect (from the last audit, or 50% when there
is no idea: the worst case), the margin they want ("+/- 5 points") and the
confidence level, and gets the number of files to review.

Two methods, named as in `checker.scoring.intervals`:

- `wald` (default): the textbook normal-approximation size, the one behind the
  inspectorate's "385 for +/- 5 points" and "about 196 at 85%". The
  infinite-population size n0 comes from statsmodels'
  `samplesize_confint_proportion`; it is rounded up only at the very end.
- `wilson`: the smallest n whose Wilson interval, computed at the expected rate
  *as a continuous proportion* (successes = P x n, not rounded), has a half-width
  (width / 2) no larger than the margin. The continuous form is used because
  rounding P x n to whole files makes the half-width jump up and down with n,
  so "the smallest n" would depend on an accident of rounding; the continuous
  half-width falls steadily as n grows, so the answer is well defined. The
  boundary is found with scipy's `brentq` and rounded up to whole files.

Finite-population correction (`population=N`): for `wald`,
n = n0 / (1 + (n0 - 1) / N), applied to the unrounded n0 and then rounded up,
and never more than N. That is exactly the n at which the Wald half-width times
the factor sqrt((N - n) / (N - 1)) equals the margin. `wilson` has no closed
form, so its size is the smallest n at which the Wilson half-width times that
same factor is within the margin (an approximation: the Wilson interval has no
exact finite-population form). `margin_for_sample_size` applies the same
factor, so the two functions agree: the margin at the planned size is never
above the margin asked for, and one file fewer would exceed it.
"""

from __future__ import annotations

import math

# scipy and statsmodels are imported where used: ~100 MB that only these calculations need.
from checker.scoring.intervals import METHODS, check_level, z_value

PLANNING_METHODS = ("wald", "wilson")
# Sizes shown beside the computed one, to show what a smaller review would buy.
COMPARISON_SIZES = (20, 50, 100)
# Slack when rounding a computed size up, so 196.0000000001 (float noise) stays 196.
_ROUNDING_SLACK = 1e-9


def check_expected_rate(expected_rate: float) -> float:
    if isinstance(expected_rate, bool) or not 0 < expected_rate < 1:
        raise ValueError(f"expected rate {expected_rate!r} out of range: give a proportion strictly between 0 and 1, "
                         "e.g. 0.85 for 85% (use 0.5 when there is no prior figure: it needs the most files)")
    return float(expected_rate)


def check_margin(margin: float) -> float:
    if isinstance(margin, bool) or not 0 < margin < 1:
        raise ValueError(f"margin {margin!r} out of range: give the half-width as a proportion strictly between "
                         "0 and 1, e.g. 0.05 for +/- 5 percentage points")
    return float(margin)


def check_population(population: int | None) -> int | None:
    if population is None:
        return None
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError(f"population {population!r} is not valid: give the number of case files in the "
                         "population as a whole number of at least 1, or leave it out for a large population")
    return population


def check_planning_method(method: str) -> str:
    if method not in PLANNING_METHODS:
        raise ValueError(f"unknown interval method {method!r} for planning: expected one of "
                         f"{', '.join(PLANNING_METHODS)}")
    return method


def check_sample_size(n: int, population: int | None) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"sample size {n!r} is not valid: give a whole number of files, at least 1")
    if population is not None and n > population:
        raise ValueError(f"sample size {n} is larger than the population of {population} files")
    return n


def required_sample_size(expected_rate: float, margin: float, confidence: float = 0.95,
                         population: int | None = None, method: str = "wald") -> int:
    """The number of files to review so the interval's half-width is at most `margin`.

    196 for P=0.85, M=0.05; 385 for P=0.5, M=0.05; 278 for P=0.5, M=0.05, N=1000 (Wald, 95%).
    """
    from statsmodels.stats.proportion import samplesize_confint_proportion

    check_expected_rate(expected_rate)
    check_margin(margin)
    check_level(confidence)
    check_population(population)
    check_planning_method(method)
    if method == "wald":
        n0 = float(samplesize_confint_proportion(expected_rate, margin, alpha=1 - confidence, method="normal"))
        size = n0 if population is None else finite_population_size(n0, population)
    else:
        size = _wilson_size(expected_rate, margin, confidence, population)
    n = _round_up(size)
    return n if population is None else min(population, n)


def finite_population_size(n0: float, population: int) -> float:
    """n0 / (1 + (n0 - 1) / N): fewer files are needed when they are a large share of the population."""
    return n0 / (1 + (n0 - 1) / population)


def margin_for_sample_size(expected_rate: float, n: int, confidence: float = 0.95,
                           population: int | None = None, method: str = "wald") -> float:
    """The half-width the interval would have with `n` files, at the expected rate.

    Used for the "with 20, 50 or 100 files the margin would be ..." line of `check plan`.
    """
    check_expected_rate(expected_rate)
    check_level(confidence)
    check_population(population)
    check_planning_method(method)
    check_sample_size(n, population)
    half_width = _half_width(expected_rate, float(n), confidence, method)
    if population is None:
        return half_width
    return half_width * finite_population_factor(n, population)


def finite_population_factor(n: float, population: int) -> float:
    """sqrt((N - n) / (N - 1)): the shrinkage of the standard error when sampling without replacement."""
    if population == 1:
        return 0.0
    return math.sqrt(max(0.0, population - n) / (population - 1))


def _wilson_size(expected_rate: float, margin: float, confidence: float, population: int | None) -> float:
    """The (continuous) n at which the Wilson half-width, with the population factor, equals the margin.

    The half-width decreases as n grows (for any P, and the finite-population
    factor only adds to that), so the root is unique: bracket it, then solve
    with brentq. Solving the whole expression, rather than correcting n0 with
    the Wald formula, keeps `required_sample_size` and
    `margin_for_sample_size` in agreement for Wilson too.
    """
    from scipy.optimize import brentq

    def excess(n: float) -> float:
        width = _half_width(expected_rate, n, confidence, "wilson")
        if population is not None:
            width *= finite_population_factor(n, population)
        return width - margin

    low = 1e-6
    if excess(low) <= 0:
        return low
    high = 1.0
    while excess(high) > 0:
        if population is not None and high >= population:
            return float(population)
        high *= 2
    if population is not None:
        high = min(high, float(population))
    return float(brentq(excess, low, high, xtol=1e-10))


def _half_width(expected_rate: float, n: float, confidence: float, method: str) -> float:
    """Half the interval's width at the expected rate, treated as P x n successes of n."""
    from statsmodels.stats.proportion import proportion_confint

    if method == "wald":
        # Unclipped, as published "+/-" figures are (statsmodels clips the ends to [0, 1]).
        return z_value(confidence) * math.sqrt(expected_rate * (1 - expected_rate) / n)
    low, high = proportion_confint(expected_rate * n, n, alpha=1 - confidence, method=METHODS[method])
    return float(high - low) / 2


def _round_up(size: float) -> int:
    return max(1, math.ceil(size - _ROUNDING_SLACK))


def margin_table(expected_rate: float, sizes: tuple[int, ...], confidence: float = 0.95,
                 population: int | None = None, method: str = "wald") -> list[tuple[int, float]]:
    """(n, margin) for each size that fits in the population, in the order given, without repeats."""
    rows: list[tuple[int, float]] = []
    for n in dict.fromkeys(sizes):
        if population is not None and n > population:
            continue
        rows.append((n, margin_for_sample_size(expected_rate, n, confidence, population, method)))
    return rows
