"""The results by group of a run with `--by` (`RunReport.breakdown`) as a table: each rule's "X of Y", rate
and interval within each group, as the inspectorate reports a subgroup ("21 of 27 for people from ethnic
minorities")."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from checker.report.wording import count_of, interval_text, percent


def breakdown_rows(breakdown: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(headers, rows): a row per rule and group, rules in the report's order, groups in sorted order; a group
    where the rule applied to no record shows "0 of 0" and no rate."""
    headers = ["rule", "group", "records", "passed", "rate", "interval", "fail", "error", "pending"]
    rows: list[list[Any]] = []
    groups = breakdown["groups"]
    for position in range(len(groups[0]["rules"]) if groups else 0):
        for group in groups:
            score = group["rules"][position]
            rows.append([score["id"], group["value"], group["records"],
                         count_of(score["counts"]["pass"], score["applicable"]),
                         percent(score["rate"]) + ("*" if score["reliable"] is False else ""),
                         interval_text(score["interval"]), score["counts"]["fail"], score["counts"]["error"],
                         score["counts"]["manual"]])
    return headers, rows


def render_breakdown_table(breakdown: dict[str, Any], tablefmt: str = "simple") -> str:
    headers, rows = breakdown_rows(breakdown)
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def breakdown_heading(breakdown: dict[str, Any]) -> str:
    return f"Results by {breakdown['by']} (each group scored as a sample of its own):"
