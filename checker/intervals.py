"""Confidence intervals for a proportion ("X of Y applicable files passed").

Thin layer over `statsmodels.stats.proportion.proportion_confint` so that every
part of the checker names the methods the same way and reports the same fields.

- `wilson` is the default: it behaves well for small samples and rates near 100%.
- `wald` is the normal approximation; the inspectorate's published "+/-" figures
  use it (156 of 183 = 85.2% +/- 5.1 points), so it is offered for comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# scipy and statsmodels are imported where used: together they are ~100 MB of memory that a run
# needs only when it scores, after the records (and any worker processes) are done.

# Our public method names → statsmodels' names.
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
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, trials, alpha=1 - level, method=METHODS[method])
    margin = None
    if method == "wald":
        # The unclipped half-width: what "+/- 5.1 percent" reports.
        rate = successes / trials
        margin = z_value(level) * math.sqrt(rate * (1 - rate) / trials)
    return Interval(method=method, level=level, low=float(low), high=float(high), margin=margin)


def z_value(level: float) -> float:
    """Two-sided critical value of the normal distribution (1.96 at 95%)."""
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - level) / 2))
