"""How figures are written for people: "13 of 17", "85.2%", "79.4%–89.7%", "+/- 5.1", a waiver's use."""

from __future__ import annotations

from typing import Any

from checker.inputs.recordtypes import DEFAULT_RECORD_TYPE, RecordType, record_type
from checker.scoring.statements import count_of  # noqa: F401  (the one way to write "13 of 17")

# The footnote to a rate marked * (RuleScore.reliable is False), in every format that marks one.
SMALL_SAMPLE_NOTE = ("fewer than 30 applicable files, or fewer than 5 passes or failures: the interval is "
                     "unreliable; report the result as \"X of Y\".")


def audited_kind(report: Any) -> RecordType:
    """The type of record a run audited (case files, stop-and-search records, calls), for titles."""
    return record_type(report.input.get("record_type", DEFAULT_RECORD_TYPE))


def records_line(report: Any) -> str:
    """ "Records (case files): 20 read, 20 evaluated, 0 rejected." """
    summary = report.summary
    return (f"Records ({audited_kind(report).plural}): {summary['records_read']} read, "
            f"{summary['records_evaluated']} evaluated, {summary['records_rejected']} rejected.")


def for_people(value: Any) -> Any:
    """A value as people read it: numbers that are not whole (hours, days) to one decimal place, inside
    lists and objects too; everything else unchanged. The JSON output keeps full precision."""
    if isinstance(value, float):
        rounded = round(value, 1)
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, list):
        return [for_people(item) for item in value]
    if isinstance(value, dict):
        return {key: for_people(item) for key, item in value.items()}
    return value


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def interval_text(interval: dict[str, Any] | None) -> str:
    if interval is None:
        return "—"
    text = f"{interval['low'] * 100:.1f}%–{interval['high'] * 100:.1f}%"
    if interval.get("margin") is not None:
        text += f" (±{interval['margin'] * 100:.1f})"
    return text


def waiver_line(entry: dict[str, Any]) -> str:
    """One waiver of `RunReport.waivers`: its rule, files, what it did, and its reason, approver and expiry."""
    if entry["cases"] is not None:
        scope = f"{len(entry['cases'])} case(s): {', '.join(entry['cases'])}"
    else:
        scope = f"where {' '.join(entry['where'].split())}"
    if entry["state"] == "expired":
        did = "expired, not applied"
    elif entry["state"] == "unused":
        did = "unused, waived nothing"
    else:
        was = ", ".join(f"{count} {status}" for status, count in entry["waived_from"].items() if count)
        did = f"waived {entry['waived']} ({was})"
    return (f"{entry['rule_id']} [{scope}]: {did}. Reason: {entry['reason']}; approved by {entry['approved_by']}; "
            f"expires {entry['expires']} ({entry['location']})")
