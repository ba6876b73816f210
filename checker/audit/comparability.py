"""Are two audits comparable? What differs between two `check` results beyond their figures.

A change in a rate means something only when both audits measured the same thing the same way: the
same rule packs (version and text), the same settings (deadlines, calendar, time zone, interval
method and level, reference date), and independent samples. `differences` lists, in words, every way
two results differ; `shared_case_ids` the case files both audits scored (then the samples are not
independent and the test for two independent proportions does not apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Settings that cannot change a rate or its interval: only how results are shown or stored.
PRESENTATION_SETTINGS = ("evidence", "grade_bands")


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Every difference between the records audited, the rule packs and the settings of two results, one
    sentence each (a result written before record types is of case files)."""
    kinds = [(result.get("input") or {}).get("record_type", "case-file") if isinstance(result.get("input"), Mapping)
             else "case-file" for result in (before, after)]
    found = [f"record type: {kinds[0]} before, {kinds[1]} after"] if kinds[0] != kinds[1] else []
    found += _pack_differences(before.get("rulesets") or [], after.get("rulesets") or [])
    found += _setting_differences(before.get("settings") or {}, after.get("settings") or {})
    return found


def _pack_differences(first: list[Any], second: list[Any]) -> list[str]:
    packs_before = {pack.get("name"): pack for pack in first if isinstance(pack, Mapping)}
    packs_after = {pack.get("name"): pack for pack in second if isinstance(pack, Mapping)}
    found = [f"rule pack {name!r} is in the first result only" for name in packs_before if name not in packs_after]
    found += [f"rule pack {name!r} is in the second result only" for name in packs_after if name not in packs_before]
    for name in packs_before:
        if name not in packs_after:
            continue
        a, b = packs_before[name], packs_after[name]
        for key, what in (("version", "version"), ("code_version", "code version")):
            if a.get(key) != b.get(key):
                found.append(f"rule pack {name!r}: {what} {a.get(key)} before, {b.get(key)} after")
        if a.get("version") == b.get("version") and a.get("sha256") and b.get("sha256") \
                and a.get("sha256") != b.get("sha256"):
            found.append(f"rule pack {name!r}: the rule texts differ although both say version {a.get('version')} "
                         f"(file sha256 {str(a['sha256'])[:12]}… before, {str(b['sha256'])[:12]}… after)")
    return found


def _setting_differences(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    found = []
    for key in sorted(set(first) | set(second)):
        if key in PRESENTATION_SETTINGS or key == "packs":
            continue
        if first.get(key) != second.get(key):
            label = {"interval": "interval method", "confidence": "confidence level", "as_of": "reference date "
                     "(as-of)"}.get(key, key.replace("_", " "))
            found.append(f"setting {label}: {_shown(first.get(key))} before, {_shown(second.get(key))} after")
    packs_a, packs_b = first.get("packs") or {}, second.get("packs") or {}
    for pack in sorted(set(packs_a) | set(packs_b), key=str):
        values_a, values_b = packs_a.get(pack) or {}, packs_b.get(pack) or {}
        for name in sorted(set(values_a) | set(values_b), key=str):
            if values_a.get(name) != values_b.get(name):
                found.append(f"setting {pack}.{name}: {_shown(values_a.get(name))} before, "
                             f"{_shown(values_b.get(name))} after")
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def shared_case_ids(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str] | None:
    """Case ids scored in both results; None when a result lists no records to tell by (same input
    file, by its sha256, counts as sharing every file)."""
    ids = []
    for result in (before, after):
        records = result.get("records")
        if not isinstance(records, list):
            return None
        ids.append({record.get("case_id") for record in records if isinstance(record, Mapping)
                    and isinstance(record.get("case_id"), str)})
    return ids[0] & ids[1]
