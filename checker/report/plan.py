"""A sample-size plan (`check plan`) for people (text) and for programs (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence


def render_plan(size: int, margins: Sequence[tuple[int, float]], expected_rate: float, margin: float,
                confidence: float, population: int | None, interval: str, format_name: str = "table") -> str:
    """The files needed and the margins other sample sizes give, as text (`table`) or `json`."""
    if format_name == "json":
        return json.dumps({"files_needed": size, "expected_rate": expected_rate, "margin": margin,
                           "confidence": confidence, "population": population, "interval": interval,
                           "margins": [{"files": n, "margin": m} for n, m in margins]}, indent=2) + "\n"
    frame = f", population of {population} files" if population is not None else ""
    return (f"Files needed: {size} (expected rate {expected_rate * 100:g}%, margin +/- {margin * 100:g} points, "
            f"{confidence * 100:g}% confidence, {interval} interval{frame})\n"
            + "Margin with " + "; ".join(f"{n} files: +/- {m * 100:.1f} points" for n, m in margins) + "\n")
