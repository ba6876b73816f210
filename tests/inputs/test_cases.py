"""Reading case files: every record is evaluated or rejected with its position and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.inputs.records import CaseRecord, Rejection

from checker.errors import InputError
from checker.inputs.sources import read_cases
from tests.conftest import make_case, write_cases


def read_all(path: Path) -> list[CaseRecord | Rejection]:
    return list(read_cases(path))


def test_invalid_records_are_rejected_alone_with_position_case_id_path_and_reason(tmp_path: Path) -> None:
    records = [
        make_case("A-1"),
        {"crime": {"reported_at": "2022-03-01T10:00:00Z"}},  # no case_id
        make_case("A-3", crime={"reported_at": "31/02/2022"}),  # unparseable timestamp
        make_case("A-4", victim={"age_at_offence": "thirty"}),  # wrong type
        make_case("A-1"),  # duplicate id
        make_case("A-6"),
    ]
    results = read_all(write_cases(tmp_path / "cases.json", records))
    assert [type(r).__name__ for r in results] == [
        "CaseRecord", "Rejection", "Rejection", "Rejection", "Rejection", "CaseRecord"]
    missing, timestamp, wrong_type, duplicate = results[1:5]
    assert (missing.index, missing.case_id, missing.path) == (1, None, "case_id")
    assert missing.message == "missing required key 'case_id'"
    assert (timestamp.case_id, timestamp.path) == ("A-3", "crime.reported_at")
    assert "expected an ISO 8601 timestamp" in timestamp.message or "expected ISO 8601" in timestamp.message
    assert (wrong_type.path, wrong_type.message) == (
        "victim.age_at_offence", 'found "thirty", expected a whole number or null')
    assert duplicate.path == "case_id" and "first seen at record 1" in duplicate.message
    assert all(r.line is not None and r.line > 1 for r in results[1:])


def test_record_lines_point_at_the_record_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text('[\n{"case_id": "A", "crime": {"reported_at": "2022-01-01"}},\n\n  {"case_id": 5}\n]\n')
    first, second = read_all(path)
    assert isinstance(first, CaseRecord) and first.line == 2
    assert isinstance(second, Rejection) and second.line == 4 and second.path == "case_id"


def test_a_record_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    (rejection,) = read_all(write_cases(tmp_path / "c.json", [["not", "a", "record"]]))
    assert isinstance(rejection, Rejection) and "expected a case file (a JSON object)" in rejection.message


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('[\n{"case_id": "A"},\n{"case_id": "B"', "ends in the middle of this record (is it truncated?)", 3),
        ('[\n{"case_id": "A"},\n{"case_id": "B"}\n', "ends before the closing ']'", 4),
        ('[\n{"case_id": "A"} {"case_id": "B"}]', "expected ',' or ']' after a record", 2),
        ('{"case_id": "A"}', "expected a JSON array", 1),
        ('[\n{"case_id": "A",,}\n]', "invalid JSON in record 1", 2),
    ],
)
def test_unreadable_files_raise_a_located_input_error(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_all(path)
    assert message in str(caught.value) and caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}:")


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'[{"case_id": "A", "crime": {"reported_at": "2022-01-01"}}]')
    (record,) = read_all(path)
    assert isinstance(record, CaseRecord)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        read_all(tmp_path / "nope.json")


def test_normalised_record_has_every_model_field_and_utc_timestamps(tmp_path: Path) -> None:
    (record,) = read_all(write_cases(tmp_path / "c.json", [make_case("A", recored_at="x")]))
    assert isinstance(record, CaseRecord)
    assert record.normalised["outcome"] is None
    assert record.normalised["victim"]["updates"] == []
    assert record.normalised["victim"]["needs_assessment"] is None
    assert record.normalised["crime"]["flags"]["domestic_abuse"] is None
    assert record.normalised["crime"]["reported_at"].isoformat() == "2022-03-01T10:00:00+00:00"
    assert "recored_at" not in record.normalised and record.unknown_fields == ("recored_at",)
