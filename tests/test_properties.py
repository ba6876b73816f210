"""Property-based tests: random and mutated case files never crash the run, every record is accounted
for, and the results do not depend on the input's form (JSON array, JSON Lines) or on --jobs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from checker.inputs.recordmodel import record_model, schema_types
from checker.results import STATUSES
from checker.packs.rules import load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from synthetic.cases import generate_cases
from tests.conftest import ROOT, RULES, mutate_once, paths_of

PACKS = load_packs([RULES])
SETTINGS = RunSettings(packs=pack_settings(PACKS, {}))
SEEDS = generate_cases(12, seed=99)

HOSTILE = st.sampled_from(["", "<script>alert(1)</script>", "=1+1", "x" * 10_000, "\u0000\ud7ff", "2022-13-45",
                           "2022-03-27T01:30:00", "2022-10-30T01:30:00", "NaN", "null", "💥",
                           "\ud800", "x\udfff", "0001-01-01T00:00:00", "0001-01-01T00:30:00+01:00",
                           "9999-12-31T23:59:59-05:00", "9999-12-31T23:30:00Z"])
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                   st.integers(2**63, 2**90), st.integers(-2**90, -2**63 - 1),  # beyond 64 bits
                   HOSTILE, st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.none(), max_size=2))


@st.composite
def mutated_record(draw: st.DrawFn) -> Any:
    record = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    if draw(st.integers(0, 20)) == 0:
        return draw(VALUES)  # not even an object
    for _ in range(draw(st.integers(0, 4))):
        mutate_once(draw, record, VALUES)
    return record


def statuses(report: Any) -> list[tuple[str, list[str]]]:
    return [(record.case_id, [result.status for result in record.results]) for record in report.records]


def without_lines(rejection: dict[str, Any]) -> tuple[Any, ...]:
    """A rejection without the line numbers it names (a duplicate's message names its first line)."""
    message = re.sub(r"\(line \d+\)", "(line …)", rejection["message"])
    return rejection["index"], rejection["case_id"], rejection["path"], message


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
    assert [without_lines(rejection) for rejection in by_lines.rejected] == \
        [without_lines(rejection) for rejection in one.rejected]
    assert parallel.records == by_lines.records and parallel.rejected == by_lines.rejected


EXPORT_POOL = generate_cases(30, seed=2024)
MAPPING = ROOT / "samples" / "export" / "mapping.yaml"


# The example export joins its updates file on the crime reference: a case without one has no
# updates in a CSV export (the unmatched rows are reported), so that field is not taken away.
JOIN_KEY = ("crime", "reference")


def nullable_leaves(record: dict[str, Any]) -> list[tuple[str, ...]]:
    """Paths of recorded scalar fields (outside lists) that the case model allows to be null."""
    found = []
    for path in paths_of(record):
        if any(isinstance(step, int) for step in path) or isinstance(_at(record, path), (dict, list)):
            continue
        if path == JOIN_KEY:
            continue
        schema = record_model().schema_at(".".join(path))
        if schema is not None and "null" in schema_types(schema) and _at(record, path) is not None:
            found.append(path)
    return found


def _at(record: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        record = record[step]
    return record


@st.composite
def exportable_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Synthetic case files with random recorded fields taken away: data a CSV export can carry."""
    chosen = draw(st.lists(st.sampled_from(range(len(EXPORT_POOL))), min_size=1, max_size=6, unique=True))
    records = []
    for position in chosen:
        record = copy.deepcopy(EXPORT_POOL[position])
        leaves = nullable_leaves(record)
        for path in draw(st.lists(st.sampled_from(leaves), max_size=5, unique=True)) if leaves else []:
            parent = _at(record, path[:-1])
            parent[path[-1]] = None
        records.append(record)
    return records


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(records=exportable_records())
def test_a_mapped_csv_export_scores_as_its_json(tmp_path_factory: Any, records: list[dict[str, Any]]) -> None:
    from checker.inputs.sources import open_source
    from synthetic.export import write_export

    folder = Path(tmp_path_factory.mktemp("export"))
    array = folder / "cases.json"
    array.write_text(json.dumps(records), encoding="utf-8")
    cases_csv = write_export(records, folder)[0]
    as_json = run_check(array, PACKS, SETTINGS)
    as_csv = run_check(open_source(cases_csv, mapping_path=MAPPING), PACKS, SETTINGS)
    assert as_csv.summary == as_json.summary == {"records_read": len(records), "records_evaluated": len(records),
                                                 "records_rejected": 0}
    assert statuses(as_csv) == statuses(as_json)
    assert [score.counts for score in as_csv.rules] == [score.counts for score in as_json.rules]
