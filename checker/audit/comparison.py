"""Did compliance change between two audits? Comparing two `check` results rule by rule.

For each rule scored in both results: the two "X of Y" figures, the difference
in rates (after - before) with its confidence interval, a two-sided p-value
and whether the change is significant at the chosen level.

Statistical method (`newcombe-score`, the default): the two audits are
independent samples, so the difference of two independent proportions applies.

- Interval: Newcombe's hybrid score interval
  (`confint_proportions_2indep(..., method="newcomb")`), built from the two
  Wilson intervals, so it behaves like the checker's default Wilson interval:
  it stays sensible for small samples and for rates of 100% or 0%, which are
  common in compliance audits. (statsmodels' "score" interval fails to
  compute when a rate is 0% or 100%; the Wald interval collapses to a point.)
- p-value: the score test for the difference
  (`test_proportions_2indep(..., method="score")`, Miettinen and Nurminen),
  the test statsmodels recommends and the one of the same family as the
  interval. `significant` is `p < 1 - level`. In rare borderline cases (about
  0.3% of random 2x2 tables at 95%) the Newcombe interval and the score test
  disagree on whether 0 is excluded; the p-value decides.
- When both audits are at 100% (or both at 0%) the observed difference is
  0 and the score statistic is 0/0: the p-value is reported as 1 (no
  evidence of a change) with a note.

`method="wald"` (Wald interval and Wald test, i.e. the textbook
normal-approximation arithmetic) is offered for comparison with hand
calculations from published "+/-" figures.

The published examples come out as the inspectorate reported them: 156 of 183
(85.2%) against 208 of 241 (86.3%) is not a significant change (p about 0.76);
84.3% against 93.3% on 1,470 records each is (p far below 0.001).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
# statsmodels is imported where used: with scipy, ~100 MB that only the comparison needs.
from dataclasses import dataclass, field
from typing import Any


from checker.audit.comparability import differences
from checker.scoring.intervals import check_level

# Our method name → (statsmodels interval method, statsmodels test method).
COMPARISON_METHODS: dict[str, tuple[str, str]] = {
    "newcombe-score": ("newcomb", "score"),
    "wald": ("wald", "wald"),
}
DEFAULT_METHOD = "newcombe-score"
COMPARISON_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Figure:
    """One audit's result for one rule."""

    passed: int
    applicable: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.applicable if self.applicable else None

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "applicable": self.applicable, "rate": self.rate}


@dataclass(frozen=True)
class RuleComparison:
    id: str
    before: Figure
    after: Figure
    difference: float | None  # after - before
    low: float | None
    high: float | None
    p_value: float | None
    significant: bool | None  # None when a side has no applicable file
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "before": self.before.as_dict(), "after": self.after.as_dict(),
                "difference": {"value": self.difference, "low": self.low, "high": self.high},
                "p_value": self.p_value, "significant": self.significant, "note": self.note}


@dataclass(frozen=True)
class Comparison:
    level: float
    method: str
    rules: tuple[RuleComparison, ...]
    only_before: tuple[str, ...] = field(default=())
    only_after: tuple[str, ...] = field(default=())
    differences: tuple[str, ...] = field(default=())  # how the audits differ beyond their figures (comparability)

    def as_dict(self) -> dict[str, Any]:
        return {"schema_version": COMPARISON_SCHEMA_VERSION, "level": self.level, "method": self.method,
                "rules": [rule.as_dict() for rule in self.rules],
                "only_before": list(self.only_before), "only_after": list(self.only_after),
                "differences": list(self.differences)}


def compare_results(before: Mapping[str, Any], after: Mapping[str, Any], level: float = 0.95,
                    method: str = DEFAULT_METHOD) -> Comparison:
    """Compare two `check` JSON results (schema_version 1), rule by rule, in the order of `after`."""
    check_level(level)
    if method not in COMPARISON_METHODS:
        raise ValueError(f"unknown comparison method {method!r}: expected one of {', '.join(COMPARISON_METHODS)}")
    first, second = read_figures(before, "before"), read_figures(after, "after")
    rules = tuple(compare_figures(rule_id, first[rule_id], second[rule_id], level, method)
                  for rule_id in second if rule_id in first)
    return Comparison(level=level, method=method, rules=rules,
                      only_before=tuple(rule_id for rule_id in first if rule_id not in second),
                      only_after=tuple(rule_id for rule_id in second if rule_id not in first),
                      differences=tuple(differences(before, after)))


def read_figures(result: Mapping[str, Any], label: str) -> dict[str, Figure]:
    """rule id → (passed, applicable) from a result; ValueError saying what is wrong with it."""
    if not isinstance(result, Mapping) or result.get("schema_version") != 1:
        found = result.get("schema_version") if isinstance(result, Mapping) else type(result).__name__
        raise ValueError(f"{label}: expected the JSON output of `check --format json` (schema_version 1), "
                         f"found schema_version {found!r}")
    rules = result.get("rules")
    if not isinstance(rules, list):
        raise ValueError(f"{label}: expected a 'rules' list in the result")
    figures: dict[str, Figure] = {}
    for position, rule in enumerate(rules, start=1):
        rule_id = _rule_id(rule, label, position)
        if rule_id in figures:
            raise ValueError(f"{label}: rule {rule_id!r} appears twice (rules[{position}]): rule ids must be unique")
        figures[rule_id] = _figure(rule, label, position)
    return figures


def _rule_id(rule: Any, label: str, position: int) -> str:
    if not isinstance(rule, Mapping) or not isinstance(rule.get("id"), str):
        raise ValueError(f"{label}: rules[{position}] has no 'id': expected an object with id, counts and applicable")
    return rule["id"]


def _figure(rule: Mapping[str, Any], label: str, position: int) -> Figure:
    counts = rule.get("counts")
    passed = counts.get("pass") if isinstance(counts, Mapping) else None
    applicable = rule.get("applicable")
    if not (_is_count(passed) and _is_count(applicable) and passed <= applicable):  # type: ignore[operator]
        raise ValueError(f"{label}: rule {rule['id']!r} (rules[{position}]): expected counts.pass and applicable "
                         f"as whole numbers with pass <= applicable, found pass={passed!r}, applicable={applicable!r}")
    return Figure(passed, applicable)  # type: ignore[arg-type]


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def compare_figures(rule_id: str, before: Figure, after: Figure, level: float = 0.95,
                    method: str = DEFAULT_METHOD) -> RuleComparison:
    """The difference after - before, its interval and the two-sided test of no difference."""
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    if not before.applicable or not after.applicable:
        side = "before" if not before.applicable else "after"
        return RuleComparison(rule_id, before, after, None, None, None, None, None,
                              f"no applicable files {side}: nothing to compare")
    interval_method, test_method = COMPARISON_METHODS[method]
    difference = after.passed / after.applicable - before.passed / before.applicable
    with warnings.catch_warnings():
        # statsmodels also computes an odds ratio, which divides by zero at 0% or 100%; it is not used.
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(after.passed, after.applicable, before.passed, before.applicable,
                                               method=interval_method, compare="diff", alpha=1 - level)
        test = test_proportions_2indep(after.passed, after.applicable, before.passed, before.applicable,
                                       method=test_method, compare="diff", alternative="two-sided")
    note = _degenerate_note(before, after)
    p_value = 1.0 if note else float(test.pvalue)
    return RuleComparison(rule_id, before, after, difference, float(low), float(high), p_value,
                          p_value < 1 - level, note)


def _degenerate_note(before: Figure, after: Figure) -> str:
    """Both audits at 0% or both at 100%: the test statistic is 0/0, and there is no change to test."""
    if before.passed == before.applicable and after.passed == after.applicable:
        return "100% in both audits: no change observed (p-value reported as 1)"
    if before.passed == 0 and after.passed == 0:
        return "0% in both audits: no change observed (p-value reported as 1)"
    return ""
