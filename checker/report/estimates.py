"""The population estimates of a stratified sample (`checker.audit.strata`) as a terminal table."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from checker.audit.strata import METHOD


def render_estimates_table(estimates: list[dict[str, Any]]) -> str:
    """One row per rule (estimates in their `as_dict()` form): the weighted estimate and its interval, notes below."""
    rows = []
    for estimate in estimates:
        if estimate["rate"] is None or estimate["low"] is None or estimate["high"] is None:
            rows.append([estimate["rule_id"], "—", "—"])
            continue
        rows.append([estimate["rule_id"], f"{estimate['rate'] * 100:.1f}%",
                     f"{estimate['low'] * 100:.1f}%–{estimate['high'] * 100:.1f}%"])
    level = f"{estimates[0]['level'] * 100:g}%" if estimates else "95%"
    lines = [tabulate(rows, headers=["rule", "population estimate", f"{level} interval ({METHOD})"])]
    for estimate in estimates:
        lines += [f"{estimate['rule_id']}: {note}" for note in estimate["notes"]]
    return "\n".join(lines) + "\n"
