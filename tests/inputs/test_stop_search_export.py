"""The example stop-and-search export (samples/export-stop-search/): the generator's CSV, read through its
mapping, scores exactly as samples/stop-search.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import api
from synthetic.export import write_csv
from synthetic.stop_search import audit_sample_2021
from synthetic.stop_search_export import SEARCHES_FILE, export_table
from tests.conftest import RULES, SAMPLES

EXPORT = SAMPLES / "export-stop-search"


def test_shipped_export_is_what_the_generator_writes(tmp_path: Path) -> None:
    written = tmp_path / SEARCHES_FILE
    write_csv(export_table(audit_sample_2021()), written)
    assert (EXPORT / SEARCHES_FILE).read_text(encoding="utf-8") == written.read_text(encoding="utf-8"), (
        "samples/export-stop-search/searches.csv drifted: regenerate with "
        "python -m synthetic.stop_search_export --output-dir samples/export-stop-search")


def test_the_export_speaks_as_a_force_system_does() -> None:
    table = export_table(audit_sample_2021())
    first = dict(zip(table.header, table.rows[0]))
    assert first["Search Ref"] == "SYN-SS-2021-0001" and first["Date/Time"] == "03/06/2021 12:44"
    assert first["Power"] == "Misuse of Drugs Act s23" and first["Told Grounds (Y/N)"] == "Y"
    assert {row[table.header.index("Self-Defined Ethnicity")] for row in table.rows} >= {
        "White", "Asian or Asian British", "Not stated", None}


@pytest.fixture(scope="module")
def packs() -> list[api.RulePack]:
    return api.load_packs([RULES])


def test_mapping_validates_and_declares_the_record_type() -> None:
    mapping = api.load_mapping(EXPORT / "mapping.yaml")
    assert mapping.record_type == "stop-search"


def test_mapped_export_scores_as_the_json_sample(packs) -> None:
    settings = api.RunSettings(interval="wald", packs=api.pack_settings(packs, {}))
    mapped = api.run(api.open_input(EXPORT / SEARCHES_FILE, mapping=EXPORT / "mapping.yaml"), packs, settings)
    from_json = api.run(SAMPLES / "stop-search.json", packs, settings)
    assert mapped.summary == from_json.summary == {"records_read": 183, "records_evaluated": 183,
                                                   "records_rejected": 0}
    def statuses(report: api.RunReport) -> list[tuple[str, list[tuple[str, str]]]]:
        return [(record.case_id, [(result.rule_id, result.status) for result in record.results])
                for record in report.records]
    assert len(mapped.records) == 183 and statuses(mapped) == statuses(from_json)
    assert [(s.id, s.counts, s.statement) for s in mapped.rules] == [(s.id, s.counts, s.statement)
                                                                      for s in from_json.rules]
    grounds = next(score for score in mapped.rules if score.id == "ss-reasonable-grounds")
    assert (grounds.counts["pass"], grounds.applicable) == (156, 183)
