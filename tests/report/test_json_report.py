"""The JSON report's records: ready-made text for bare results, and the fallback for what orjson cannot write."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings, strategies as st

from checker.report.json_report import JsonReportWriter
from checker.results import STATUSES, Evidence, RecordResult, RuleResult

render_record = JsonReportWriter.render_record


def reference_render(record: RecordResult) -> str:
    """The record's text as `as_dict` and orjson give it (json for what orjson cannot write)."""
    document = record.as_dict()
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        return json.dumps(document, ensure_ascii=False)


def test_a_bare_result_is_written_like_any_other() -> None:
    record = RecordResult(3, 4, "C-1", (RuleResult("r-1", "not_applicable"), RuleResult("r-1", "pass"),
                                        RuleResult("r-1", "pass", evidence=(Evidence("a.b", 1),))))
    assert render_record(record) == (
        '{"case_id":"C-1","index":3,"line":4,"results":['
        '{"rule_id":"r-1","status":"not_applicable","message":"","clause":null,"explanation":[],"evidence":[]},'
        '{"rule_id":"r-1","status":"pass","message":"","clause":null,"explanation":[],"evidence":[]},'
        '{"rule_id":"r-1","status":"pass","message":"","clause":null,"explanation":[],'
        '"evidence":[{"path":"a.b","value":1}]}]}')


def test_results_with_the_same_rule_and_status_but_other_content_are_not_confused() -> None:
    bare = RuleResult("r-2", "fail")
    told = RuleResult("r-2", "fail", message="late", clause="in_time", explanation=("x = 1",))
    waived = RuleResult("r-2", "waived", message="waived (was fail): ok", waived_from="fail")
    text = render_record(RecordResult(0, None, "C-2", (bare, told, waived, bare)))
    results = json.loads(text)["results"]
    assert results[0] == results[3] == {"rule_id": "r-2", "status": "fail", "message": "", "clause": None,
                                        "explanation": [], "evidence": []}
    assert results[1]["message"] == "late" and results[1]["explanation"] == ["x = 1"]
    assert results[2]["waived_from"] == "fail" and "waived_from" not in results[0]


def test_an_integer_beyond_64_bits_falls_back_to_json_for_the_whole_record() -> None:
    record = RecordResult(0, 1, "C-3", (RuleResult("r-3", "not_applicable"),
                                        RuleResult("r-3", "pass", evidence=(Evidence("n", 2 ** 70),))))
    assert render_record(record) == (
        '{"case_id": "C-3", "index": 0, "line": 1, "results": ['
        '{"rule_id": "r-3", "status": "not_applicable", "message": "", "clause": null, "explanation": [], '
        '"evidence": []}, '
        '{"rule_id": "r-3", "status": "pass", "message": "", "clause": null, "explanation": [], '
        '"evidence": [{"path": "n", "value": 1180591620717411303424}]}]}')


def test_unicode_is_written_as_is() -> None:
    record = RecordResult(0, 1, "C-é", (RuleResult("r-é\u2028", "manual", message="awaiting \U0001F600 \"q\""),
                                        RuleResult("r-é\u2028", "not_applicable")))
    text = render_record(record)
    assert text == reference_render(record)
    assert '"rule_id":"r-é\u2028","status":"not_applicable"' in text and "\U0001F600 \\\"q\\\"" in text


# Values a record or a computed evidence item may hold, including what orjson refuses (big integers,
# lone surrogates) and what it writes differently from json (NaN).
TEXT = st.text(st.characters(), max_size=8)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | TEXT
           | st.sampled_from([2 ** 63 - 1, 2 ** 63, -(2 ** 63), 2 ** 64, "\ud800", "caf\u00e9 \U0001F600"]))
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3)
                      | st.dictionaries(TEXT, children, max_size=3), max_leaves=6)
RULE_IDS = st.sampled_from(["r-1", "r-2", "vc-référé", "r-\u2028"]) | TEXT
RESULTS = st.builds(
    RuleResult,
    rule_id=RULE_IDS,
    status=st.sampled_from(STATUSES),
    message=st.sampled_from([""]) | TEXT,
    evidence=st.lists(st.builds(Evidence, path=TEXT, value=VALUES), max_size=3).map(tuple) | st.just(()),
    clause=st.none() | TEXT,
    explanation=st.lists(TEXT, max_size=2).map(tuple) | st.just(()),
    waived_from=st.none() | st.sampled_from(STATUSES),
)
RECORDS = st.builds(RecordResult, index=st.integers(0, 10 ** 6), line=st.none() | st.integers(1, 10 ** 6),
                    case_id=TEXT, results=st.lists(RESULTS, max_size=6).map(tuple))


@settings(max_examples=400, deadline=None)
@given(RECORDS)
def test_the_text_is_that_of_as_dict(record: RecordResult) -> None:
    assert render_record(record) == reference_render(record)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(RULE_IDS, st.sampled_from(STATUSES)), min_size=1, max_size=8))
def test_records_of_bare_results_only(pairs: list[tuple[str, str]]) -> None:
    record = RecordResult(1, 2, "C", tuple(RuleResult(rule_id, status) for rule_id, status in pairs))
    expected: Any = reference_render(record)
    assert render_record(record) == expected
    assert render_record(record) == expected  # the second time from the ready-made text


def test_shipped_rules_on_the_samples_in_both_evidence_modes() -> None:
    from checker.inputs.records import CaseRecord
    from checker.engine.evaluate import Evaluator
    from checker.inputs.sources import read_cases
    from checker.packs.rules import load_packs
    from checker.settings import RunSettings
    from tests.conftest import RULES, SAMPLES

    packs = [pack for pack in load_packs([RULES]) if pack.record_type == "case-file"]
    records = [item for item in read_cases(SAMPLES / "cases.json") if isinstance(item, CaseRecord)]
    bare_texts = 0
    for evidence in ("all", "findings"):
        evaluator = Evaluator(packs, RunSettings(evidence=evidence))
        for record in records:
            result = RecordResult(record.index, record.line, record.case_id, evaluator.evaluate(record))
            text = render_record(result)
            assert text == reference_render(result)
            bare_texts += text.count('"message":"","clause":null,"explanation":[],"evidence":[]}')
            passes = [item for item in json.loads(text)["results"] if item["status"] == "pass"]
            assert all(bool(item["evidence"]) == (evidence == "all") for item in passes)
    assert bare_texts > len(records) * 10
