"""JSON output, contract `schema_version: 1` (see README: JSON output)."""

from __future__ import annotations

import json

from checker.results import RunReport


def render(report: RunReport) -> str:
    return json.dumps(report.as_dict(), indent=1, ensure_ascii=False) + "\n"
