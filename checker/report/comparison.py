"""Two audits compared rule by rule (`checker.audit.comparison`), as a terminal table."""

from __future__ import annotations

from tabulate import tabulate

from checker.audit.comparison import Comparison, RuleComparison, Figure


def render_comparison_table(comparison: Comparison) -> str:
    """The comparison as a terminal table, with the rules found in one result only below it."""
    level = f"{comparison.level * 100:g}%"
    rows = [[rule.id, _figure_text(rule.before), _figure_text(rule.after), _points(rule.difference),
             _interval_text(rule), _p_text(rule.p_value), _verdict(rule)] for rule in comparison.rules]
    headers = ["rule", "before", "after", "change", f"{level} interval ({comparison.method})", "p", "significant"]
    lines = [tabulate(rows, headers=headers, tablefmt="simple")]
    if comparison.only_before:
        lines.append(f"Only in the first result (not compared): {', '.join(comparison.only_before)}.")
    if comparison.only_after:
        lines.append(f"Only in the second result (not compared): {', '.join(comparison.only_after)}.")
    lines += [f"{rule.id}: {rule.note}" for rule in comparison.rules if rule.note]
    return "\n".join(lines) + "\n"


def _figure_text(figure: Figure) -> str:
    rate = "—" if figure.rate is None else f"{figure.rate * 100:.1f}%"
    return f"{figure.passed} of {figure.applicable} ({rate})"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} points"


def _interval_text(rule: RuleComparison) -> str:
    if rule.low is None or rule.high is None:
        return "—"
    return f"{rule.low * 100:+.1f} to {rule.high * 100:+.1f}"


def _p_text(p_value: float | None) -> str:
    if p_value is None:
        return "—"
    return "<0.001" if p_value < 0.001 else f"{p_value:.3f}"


def _verdict(rule: RuleComparison) -> str:
    if rule.significant is None:
        return "—"
    return "yes" if rule.significant else "no"
