"""Record types: an input holds one type of record, found from --record-type, its mapping or its first
record; a record of another type is rejected, and only the packs for the input's type run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker import api
from checker.inputs.recordmodel import record_model
from checker.inputs.records import CaseRecord, RawRecord, Rejection, check_record
from checker.inputs.recordtypes import RECORD_TYPES, UnknownRecordType, record_type
from tests.conftest import RULES, make_case, run_cli, write_cases


def test_every_record_type_names_its_variable_id_and_schema() -> None:
    assert list(RECORD_TYPES) == ["case-file", "stop-search", "call"]
    assert [(kind.variable, kind.id_field) for kind in RECORD_TYPES.values()] == [
        ("case", "case_id"), ("search", "search_id"), ("call", "call_id")]
    with pytest.raises(UnknownRecordType, match="unknown record type 'stop-serch': expected one of case-file, "
                                                "stop-search, call"):
        record_type("stop-serch")


def test_a_case_file_may_say_it_is_one_and_keeps_no_unknown_field() -> None:
    checked = check_record(RawRecord(0, 1, make_case(record_type="case-file")), "Europe/London")
    assert isinstance(checked, CaseRecord)
    assert checked.unknown_fields == ()


def test_a_record_of_another_type_is_rejected_at_record_type_never_scored() -> None:
    checked = check_record(RawRecord(3, 4, make_case("T-9", record_type="call")), "Europe/London")
    assert isinstance(checked, Rejection)
    assert (checked.index, checked.line, checked.case_id, checked.path) == (3, 4, "T-9", "record_type")
    assert checked.message == ("a 'call' record in an input of case files ('case-file'): an input holds one record "
                               "type, and this record is never scored against the case-file packs; score 'call' "
                               "records as an input of their own")


def test_a_run_rejects_the_stray_record_and_scores_the_rest(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.json", [make_case("A"), make_case("B", record_type="stop-search"),
                                                  make_case("C")])
    report = api.run(cases, api.load_packs([RULES]))
    assert report.summary == {"records_read": 3, "records_evaluated": 2, "records_rejected": 1}
    assert report.input["record_type"] == "case-file"
    assert [(r["case_id"], r["path"]) for r in report.rejected] == [("B", "record_type")]


def test_the_first_record_gives_the_input_its_type_and_is_read_again(tmp_path: Path) -> None:
    path = write_cases(tmp_path / "cases.json", [make_case("A", record_type="case-file"), make_case("B")])
    source = api.open_input(path)
    assert api.find_record_type(source).name == "case-file"
    assert [raw.index for raw in source.records()] == [0, 1]  # the first record is given again


def test_an_unknown_type_in_the_first_record_stops_the_run_with_where(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(make_case("A", record_type="stop-serch")) + "\n")
    result = run_cli(str(path), "--quiet")
    assert result.returncode == 2
    assert (f"{path}:1:1: the first record's record_type is 'stop-serch', which is not a record type the checker "
            "knows: expected one of case-file, stop-search, call") in result.stderr


def test_an_unknown_record_type_option_is_refused() -> None:
    result = run_cli("samples/cases.json", "--record-type", "calls")
    assert result.returncode == 2
    assert "error: --record-type: unknown record type 'calls': expected one of case-file, stop-search, call" \
        in result.stderr


def test_an_input_with_no_pack_for_its_type_is_refused_naming_the_packs(tmp_path: Path) -> None:
    result = run_cli("samples/cases.json", "--record-type", "call", "--rules", "rules/outcomes.yaml")
    assert result.returncode == 2
    assert ("the input holds calls (record type 'call') and none of the rule packs given is for them: "
            "outcomes (case-file). Give a pack whose 'pack.record_type' is 'call'") in result.stderr


def test_schema_prints_each_record_model_and_cases_is_case_file() -> None:
    case_file = run_cli("schema", "case-file")
    assert case_file.returncode == 0
    assert json.loads(case_file.stdout) == record_model("case-file").schema
    assert run_cli("schema", "cases").stdout == case_file.stdout
    assert json.loads(case_file.stdout)["properties"]["record_type"]["enum"] == ["case-file", None]


def test_a_mapping_names_its_id_column_by_the_record_types_id_field(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("record_type: call\ninput: {format: csv}\ncase_id: Ref\nfields:\n  force: Force\n")
    result = run_cli("mapping", "validate", str(mapping))
    assert result.returncode == 1
    assert f"{mapping}:3:1: 'case_id' is the id of another record type; a mapping of calls names its id column " \
           "with 'call_id'" in result.stderr
    mapping.write_text("record_type: calls\ninput: {format: csv}\ncall_id: Ref\nfields:\n  force: Force\n")
    result = run_cli("mapping", "validate", str(mapping))
    assert result.returncode == 1
    assert "record_type: found \"calls\", expected one of: case-file, stop-search, call" in result.stderr
