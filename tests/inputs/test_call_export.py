"""The example command-and-control export of calls (samples/export-calls/): read through its mapping,
it scores exactly as samples/calls.json does."""

from __future__ import annotations

from checker import api
from tests.conftest import RULES, SAMPLES

EXPORT = SAMPLES / "export-calls"


def _report(path, mapping=None) -> api.RunReport:
    packs = api.load_packs([RULES])
    source = api.open_input(path, mapping=mapping)
    return api.run(source, packs, api.RunSettings(packs=api.pack_settings(packs, {})))


def test_the_mapping_declares_calls_and_validates() -> None:
    mapping = api.load_mapping(EXPORT / "mapping.yaml")
    assert mapping.record_type == "call"


def test_the_export_scores_as_the_json_sample() -> None:
    from_csv = _report(EXPORT / "calls.csv", EXPORT / "mapping.yaml")
    from_json = _report(SAMPLES / "calls.json")
    assert from_csv.summary == from_json.summary == {"records_read": 74, "records_evaluated": 74,
                                                     "records_rejected": 0}
    assert [score.as_dict() for score in from_csv.rules] == [score.as_dict() for score in from_json.rules]
    statuses = [[(record.case_id, result.rule_id, result.status, result.clause) for result in record.results]
                for record in from_csv.records]
    assert statuses == [[(record.case_id, result.rule_id, result.status, result.clause) for result in record.results]
                        for record in from_json.records]
    assert {score.pack for score in from_csv.rules} == {"calls"}
    counted = {status for record in statuses for _, _, status, _ in record}
    assert {"pass", "fail", "not_applicable"} <= counted
