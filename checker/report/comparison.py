"""Two audits compared rule by rule (`checker.audit.comparison`), as a terminal table."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from checker.audit.comparison import Comparison, RuleComparison, Figure
from checker.audit.paired import PairedRule
from checker.report.safetext import terminal_text


def render_comparison_table(comparison: Comparison) -> str:
    """The comparison as a terminal table, with the rules found in one result only below it."""
    level = f"{comparison.level * 100:g}%"
    rows = [[rule.id, _figure_text(rule.before), _figure_text(rule.after), _points(rule.difference),
             _interval_text(rule), _p_text(rule.p_value), _verdict(rule)] for rule in comparison.rules]
    headers = ["rule", "before", "after", "change", f"{level} interval ({comparison.method})", "p", "significant"]
    lines = []
    if comparison.differences:
        lines.append("WARNING: these audits are not like for like; the changes below mix in these differences:")
        lines += [f"  - {difference}" for difference in comparison.differences]
        lines.append("")
    lines.append(tabulate(rows, headers=headers, tablefmt="simple"))
    if comparison.only_before:
        lines.append(f"Only in the first result (not compared): {', '.join(comparison.only_before)}.")
    if comparison.only_after:
        lines.append(f"Only in the second result (not compared): {', '.join(comparison.only_after)}.")
    lines += [f"{rule.id}: {rule.note}" for rule in comparison.rules if rule.note]
    return terminal_text("\n".join(lines)) + "\n"  # rule ids come from the compared files: shown, never run


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


def render_paired_table(paired: list[PairedRule], shared: int, level: float) -> str:
    """The shared files' paired comparison as a terminal table (below the independent one)."""
    head = (f"Case files in both audits ({shared}): compared paired, file by file (exact McNemar test; "
            f"{level * 100:g}% Wald interval of a paired difference):")
    rows = [[rule.id, rule.pairs, rule.both_passed, rule.passed_then_failed, rule.failed_then_passed,
             rule.both_failed, _points(rule.difference),
             "—" if rule.low is None or rule.high is None else f"{rule.low * 100:+.1f} to {rule.high * 100:+.1f}",
             _p_text(rule.p_value), "—" if rule.significant is None else ("yes" if rule.significant else "no")]
            for rule in paired]
    headers = ["rule", "pairs", "pass both", "pass→fail", "fail→pass", "fail both", "change", "interval", "p",
               "significant"]
    lines = [head, tabulate(rows, headers=headers, tablefmt="simple")]
    lines += [f"{rule.id}: {rule.note}" for rule in paired if rule.note]
    return "\n".join(lines) + "\n"


def comparison_dict(comparison: Comparison, paired: list[PairedRule] | None = None, shared: int = 0) -> dict[str, Any]:
    """The comparison as JSON data; with shared files, `rules` compares the files in one audit only and
    `paired` the shared ones."""
    data = comparison.as_dict()
    data["shared_case_files"] = shared
    data["paired"] = [rule.as_dict() for rule in paired or []]
    return data
