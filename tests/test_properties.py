"""Property-based tests: random and mutated case files never crash the run, every record is accounted
for, and the results do not depend on the input's form (JSON array, JSON Lines) or on --jobs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from checker.results import STATUSES
from checker.rules import load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from checker.synthetic import generate_cases
from tests.conftest import RULES

PACKS = load_packs([RULES])
SETTINGS = RunSettings(packs=pack_settings(PACKS, {}))
SEEDS = generate_cases(12, seed=99)

HOSTILE = st.sampled_from(["", "<script>alert(1)</script>", "=1+1", "x" * 10_000, "\u0000\ud7ff", "2022-13-45",
                           "2022-03-27T01:30:00", "2022-10-30T01:30:00", "NaN", "null", "💥"])
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                   HOSTILE, st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.none(), max_size=2))


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += paths_of(item, prefix + (position,))
    return found


@st.composite
def mutated_record(draw: st.DrawFn) -> Any:
    record = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    if draw(st.integers(0, 20)) == 0:
        return draw(VALUES)  # not even an object
    for _ in range(draw(st.integers(0, 4))):
        paths = paths_of(record)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = record
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "unknown"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent["unexpected_" + str(path[-1])] = draw(VALUES)
    return record


def statuses(report: Any) -> list[tuple[str, list[str]]]:
    return [(record.case_id, [result.status for result in record.results]) for record in report.records]


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(records=st.lists(mutated_record(), min_size=1, max_size=8))
def test_mutated_records_are_all_accounted_for_whatever_the_form_or_jobs(tmp_path_factory: Any,
                                                                         records: list[Any]) -> None:
    folder = Path(tmp_path_factory.mktemp("prop"))
    array = folder / "cases.json"
    array.write_text(json.dumps(records), encoding="utf-8")
    lines = folder / "cases.jsonl"
    lines.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")

    one = run_check(array, PACKS, SETTINGS)
    summary = one.summary
    assert summary["records_read"] == len(records)
    assert summary["records_read"] == summary["records_evaluated"] + summary["records_rejected"]
    assert len(one.records) == summary["records_evaluated"]
    for rejection in one.rejected:
        assert rejection["message"]  # every rejection says why
    for score in one.rules:
        assert sum(score.counts[status] for status in STATUSES) == summary["records_evaluated"]

    by_lines = run_check(lines, PACKS, SETTINGS)
    parallel = run_check(lines, PACKS, SETTINGS, jobs=2)
    assert statuses(by_lines) == statuses(one) == statuses(parallel)
    assert [score.counts for score in by_lines.rules] == [score.counts for score in one.rules]
    # Lines differ between the forms (an array on one line, one record per line), so compare the rest.
    assert [(r["index"], r["case_id"], r["path"]) for r in by_lines.rejected] == \
        [(r["index"], r["case_id"], r["path"]) for r in one.rejected]
    assert parallel.records == by_lines.records and parallel.rejected == by_lines.rejected
