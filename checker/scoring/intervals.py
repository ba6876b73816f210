"""Confidence intervals for a proportion ("X of Y applicable files passed").

The formulas of `statsmodels.stats.proportion.proportion_confint` (tests check
the two agree on a grid of counts, levels and methods), written out so that a
run does not import statsmodels, scipy.stats and pandas (about a second of
start-up) to score: the normal quantile comes from the standard library, the
beta quantiles of the exact and Jeffreys intervals from `scipy.special`. Every
part of the checker names the methods the same way and reports the same fields.

- `wilson` is the default: it behaves well for small samples and rates near 100%.
- `wald` is the normal approximation; the inspectorate's published "+/-" figures
  use it (156 of 183 = 85.2% +/- 5.1 points), so it is offered for comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

# Our public method names → statsmodels' names (for comparison with statsmodels, and in the docs).
METHODS: dict[str, str] = {
    "wilson": "wilson",
    "wald": "normal",
    "exact": "beta",  # Clopper–Pearson
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
}


@dataclass(frozen=True)
class Interval:
    method: str
    level: float
    low: float
    high: float
    # Half-width of the symmetric Wald interval; None for the asymmetric methods.
    margin: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "level": self.level,
            "low": self.low,
            "high": self.high,
            "margin": self.margin,
        }


def check_method(method: str) -> str:
    """Return `method` if known, else raise ValueError listing the choices."""
    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}: expected one of {', '.join(METHODS)}")
    return method


def check_level(level: float) -> float:
    if not 0.5 <= level < 1:
        raise ValueError(f"confidence level {level!r} out of range: expected a value such as 0.95 (0.5 <= level < 1)")
    return level


def proportion_interval(successes: int, trials: int, method: str = "wilson", level: float = 0.95) -> Interval | None:
    """The interval for `successes` of `trials`, or None when there are no trials."""
    check_method(method)
    check_level(level)
    if trials <= 0:
        return None
    low, high = _BOUNDS[method](successes, trials, 1 - level)
    margin = None
    if method == "wald":
        # The unclipped half-width: what "+/- 5.1 percent" reports.
        rate = successes / trials
        margin = z_value(level) * math.sqrt(rate * (1 - rate) / trials)
    return Interval(method=method, level=level, low=float(low), high=float(high), margin=margin)


def z_value(level: float) -> float:
    """Two-sided critical value of the normal distribution (1.96 at 95%)."""
    return -NormalDist().inv_cdf((1 - level) / 2)


Bounds = tuple[float, float]


def _clipped(low: float, high: float) -> Bounds:
    return min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)


def _wald(count: int, trials: int, alpha: float) -> Bounds:
    rate = count / trials
    margin = -NormalDist().inv_cdf(alpha / 2) * math.sqrt(rate * (1 - rate) / trials)
    return _clipped(rate - margin, rate + margin)


def _wilson(count: int, trials: int, alpha: float) -> Bounds:
    rate, z = count / trials, -NormalDist().inv_cdf(alpha / 2)
    denominator = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    margin = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    return _clipped(centre - margin, centre + margin)


def _agresti_coull(count: int, trials: int, alpha: float) -> Bounds:
    z = -NormalDist().inv_cdf(alpha / 2)
    adjusted_trials = trials + z * z
    rate = (count + z * z / 2) / adjusted_trials
    margin = z * math.sqrt(rate * (1 - rate) / adjusted_trials)
    return _clipped(rate - margin, rate + margin)


def _exact(count: int, trials: int, alpha: float) -> Bounds:
    """Clopper–Pearson: beta quantiles; 0 and 1 where a bound's distribution is degenerate."""
    from scipy.special import betaincinv, betainccinv

    low = 0.0 if count == 0 else float(betaincinv(count, trials - count + 1, alpha / 2))
    high = 1.0 if count == trials else float(betainccinv(count + 1, trials - count, alpha / 2))
    return low, high


def _jeffreys(count: int, trials: int, alpha: float) -> Bounds:
    from scipy.special import betaincinv, betainccinv

    a, b = count + 0.5, trials - count + 0.5
    return float(betaincinv(a, b, alpha / 2)), float(betainccinv(a, b, alpha / 2))


_BOUNDS = {"wilson": _wilson, "wald": _wald, "exact": _exact, "jeffreys": _jeffreys, "agresti-coull": _agresti_coull}
