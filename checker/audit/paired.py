"""Two audits that share case files: the shared files compared paired, the others as independent samples.

When the same file is scored in both audits its two results are not independent (a file that passed
before tends to pass after), so the test for two independent samples would overstate the evidence.
`compare_overlapping` splits each rule's results by case file:

- files in one audit only: the two independent samples' rates, compared as `compare_figures` does;
- files in both: a paired comparison of the files applicable in both audits. Of n such files, b passed
  before and failed after, c failed before and passed after. The change is (c - b) / n; the p-value is
  the exact McNemar test (the discordant pairs as a binomial with p = 1/2, statsmodels' `mcnemar`); the
  interval is the Wald interval of a paired difference, (c - b)/n ± z·sqrt((b + c)/n − ((c − b)/n)²)/√n
  (Agresti, Categorical Data Analysis, 10.1), which is narrow for few discordant pairs: quote X of Y.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any

from checker.audit.comparison import Comparison, Figure, compare_figures, compare_results

APPLICABLE = ("pass", "fail")


@dataclass(frozen=True)
class PairedRule:
    """One rule on the files both audits scored, applicable in both."""

    id: str
    pairs: int
    both_passed: int
    passed_then_failed: int  # b
    failed_then_passed: int  # c
    both_failed: int
    difference: float | None  # (c - b) / pairs
    low: float | None
    high: float | None
    p_value: float | None
    significant: bool | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "pairs": self.pairs, "both_passed": self.both_passed,
                "passed_then_failed": self.passed_then_failed, "failed_then_passed": self.failed_then_passed,
                "both_failed": self.both_failed,
                "difference": {"value": self.difference, "low": self.low, "high": self.high},
                "p_value": self.p_value, "significant": self.significant, "note": self.note}


def statuses(result: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """case id → rule id → status, from a result's records."""
    found: dict[str, dict[str, str]] = {}
    for record in result.get("records") or []:
        if isinstance(record, Mapping) and isinstance(record.get("case_id"), str):
            found[record["case_id"]] = {entry.get("rule_id"): entry.get("status")
                                        for entry in record.get("results") or [] if isinstance(entry, Mapping)}
    return found


def compare_overlapping(before: Mapping[str, Any], after: Mapping[str, Any], shared: set[str],
                        level: float = 0.95, method: str = "newcombe-score") -> tuple[Comparison, list[PairedRule]]:
    """The comparison of the files in one audit only (independent samples), and the paired comparison of
    the `shared` files, rule by rule."""
    whole = compare_results(before, after, level, method)  # checks both results and the method
    first, second = statuses(before), statuses(after)
    rules = []
    for rule in whole.rules:
        only_before = _figure(first, rule.id, shared)
        only_after = _figure(second, rule.id, shared)
        rules.append(compare_figures(rule.id, only_before, only_after, level, method))
    paired = [paired_rule(rule.id, first, second, shared, level) for rule in whole.rules]
    return replace(whole, rules=tuple(rules)), paired


def _figure(by_case: dict[str, dict[str, str]], rule_id: str, shared: set[str]) -> Figure:
    found = [by_case[case_id].get(rule_id) for case_id in by_case if case_id not in shared]
    return Figure(sum(1 for status in found if status == "pass"), sum(1 for status in found if status in APPLICABLE))


def paired_rule(rule_id: str, first: dict[str, dict[str, str]], second: dict[str, dict[str, str]],
                shared: set[str], level: float = 0.95) -> PairedRule:
    cells = {(a, b): 0 for a in APPLICABLE for b in APPLICABLE}
    for case_id in shared:
        pair = (first.get(case_id, {}).get(rule_id), second.get(case_id, {}).get(rule_id))
        if pair in cells:
            cells[pair] += 1  # type: ignore[index]
    n = sum(cells.values())
    kept, b, c, lost = cells[("pass", "pass")], cells[("pass", "fail")], cells[("fail", "pass")], cells[("fail", "fail")]
    if n == 0:
        return PairedRule(rule_id, 0, 0, 0, 0, 0, None, None, None, None, None,
                          "no shared file is applicable in both audits: nothing to pair")
    difference = (c - b) / n
    z = NormalDist().inv_cdf(0.5 + level / 2)
    spread = z * math.sqrt(max((b + c) / n - difference ** 2, 0.0) / n)
    if b + c == 0:
        return PairedRule(rule_id, n, kept, b, c, lost, 0.0, 0.0, 0.0, 1.0, False,
                          "no shared file changed status: no change observed (p-value reported as 1)")
    from statsmodels.stats.contingency_tables import mcnemar

    p_value = float(mcnemar([[kept, b], [c, lost]], exact=True).pvalue)
    return PairedRule(rule_id, n, kept, b, c, lost, difference, max(-1.0, difference - spread),
                      min(1.0, difference + spread), p_value, p_value < 1 - level)
