"""How figures are written for people: "13 of 17", "85.2%", "79.4%–89.7%", "+/- 5.1"."""

from __future__ import annotations

from typing import Any

# The footnote to a rate marked * (RuleScore.reliable is False), in every format that marks one.
SMALL_SAMPLE_NOTE = ("fewer than 30 applicable files, or fewer than 5 passes or failures: the interval is "
                     "unreliable; report the result as \"X of Y\".")


def count_of(passed: int, applicable: int) -> str:
    return f"{passed} of {applicable}"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def interval_text(interval: dict[str, Any] | None) -> str:
    if interval is None:
        return "—"
    text = f"{interval['low'] * 100:.1f}%–{interval['high'] * 100:.1f}%"
    if interval.get("margin") is not None:
        text += f" (±{interval['margin'] * 100:.1f})"
    return text
