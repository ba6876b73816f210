"""Field mappings: a force's CSV or xlsx export read as case files, checked, and scored like the JSON."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from checker.inputs.records import CaseIds, CaseRecord, RawRecord, Rejection, check_record

from checker.errors import InputError
from checker.inputs.sources import read_cases
from checker.cli.main import app
from checker.engine.evaluate import Evaluator
from checker.inputs.exports.mapping import FieldMapping, MappedRecords, UnmatchedRow, load_mapping, read_mapped
from checker.errors import FileErrors
from checker.results import RecordResult
from checker.packs.rules import load_packs
from checker.scoring.counts import finish_score, new_score, tally
from checker.settings import RunSettings, pack_settings
from synthetic.cases import generate_cases
from synthetic.export import export_tables, write_export
from checker.inputs.timestamps import parse_timestamp
from tests.conftest import RULES, SAMPLES

EXPORT = SAMPLES / "export"
ZONE = "Europe/London"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def mapping_errors(path: Path) -> list[str]:
    with pytest.raises(FileErrors) as caught:
        load_mapping(path)
    return [str(error) for error in caught.value.errors]


def read_all(path: Path, mapping: FieldMapping) -> tuple[list[RawRecord], MappedRecords]:
    reader = read_mapped(path, mapping)
    return list(reader), reader


def checked(raws: list[RawRecord]) -> list[CaseRecord | Rejection]:
    ids = CaseIds()
    checked = (check_record(raw, ZONE) for raw in raws)
    return [ids.check(item) if isinstance(item, CaseRecord) else item for item in checked]


# A small export and its mapping, used by most tests below.
SMALL_MAPPING = """\
    input: {format: csv}
    case_id: Ref
    timezone: Europe/London
    date_format: ["%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M %z"]
    fields:
      force: {value: Test Constabulary}
      crime.reported_at: Date Reported
      victim.kind: {column: Victim Type, values: {Individual: person, Business: business}}
      victim.vulnerable: Vulnerable (Y/N)
      victim.age_at_offence: Age
      victim.referral.made_at: Referral Date
      victim.referral.service: Referral Service
      outcome.code: {column: Outcome, values: {"Charged": "1", "Victim does not support": "16"}}
      audit.reviewer: Reviewer
      audit.judgements.vc-engagement-good: {column: Engagement, values: {"Yes": "yes", "No": "no"}}
      investigation.supervisor_reviews:
        items: {at: "Review {n} Date", rank: {column: "Review {n} Rank", values: {PS: sergeant, Insp: inspector}}}
      key_events:
        groups:
          - {type: {value: suspect_arrested}, at: Arrest Date, victim_informed_at: Victim Told of Arrest}
          - {type: {value: suspect_charged}, at: Charge Date}
      victim.updates:
        join: {file: updates.csv, key_column: Crime Ref, case_column: Crime Ref}
        items:
          at: Contact Date
          method: {column: Method, values: {Telephone: phone, Email: email}}
          automated: {column: Kind, values: {Auto: true, Manual: false}}
    """
SMALL_HEADER = ("Ref,Crime Ref,Date Reported,Victim Type,Vulnerable (Y/N),Age,Referral Date,Referral Service,"
                "Outcome,Reviewer,Engagement,Review 1 Date,Review 1 Rank,Review 2 Date,Review 2 Rank,"
                "Arrest Date,Victim Told of Arrest,Charge Date\n")
UPDATES = """\
    Crime Ref,Contact Date,Method,Kind
    CR-2,05/07/2022 09:00,Email,Auto
    CR-1,02/03/2022 11:00,Telephone,Manual
    CR-9,03/03/2022 11:00,Telephone,Manual
    CR-2,06/07/2022 10:30,telephone,manual
    CR-1,04/03/2022 12:00,Email,Auto
    ,07/07/2022 10:00,Email,Auto
    """


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, FieldMapping]:
    """A two-case export: A-1 in winter, A-2 in summer; updates.csv is a contact log by time."""
    mapping = load_mapping(write(tmp_path / "mapping.yaml", SMALL_MAPPING))
    write(tmp_path / "updates.csv", UPDATES)
    cases = tmp_path / "cases.csv"
    cases.write_text(
        SMALL_HEADER
        + "A-1,CR-1,01/03/2022 10:15,Individual,Y,34,,,Charged,Reviewer 01,Yes,"
          "02/03/2022 09:00,PS,,,01/03/2022 12:00,01/03/2022 18:00,\n"
        + "A-2, CR-2 ,01/07/2022 10:15,business ,n,,02/07/2022,Victim Support,,,,,,03/07/2022 08:00,Insp,,,"
          "04/07/2022 16:00\n",
        encoding="utf-8")
    return cases, mapping


# --------------------------------------------------------------------------- validating a mapping

def test_mapping_errors_are_located_collected_and_suggest_the_intended_name(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", """\
        input: {format: csv, delimitr: ";"}
        case_id: Ref
        timezone: Europe/Lundon
        fields:
          crime.reported_at: {colum: Date Reported}
          victim.recored_at: Date
          crime.recorded_at: {column: Date Recorded, type: integer, date_format: "%d/%m/%Q"}
          victim.kind: {column: Victim Type, values: {Individual: persn}}
          victim.age_at_offence: {column: Age, date_format: "%d/%m/%Y"}
          audit.judgements.vc-engagement-good: {column: J, values: {Y: yes}}
          victim.referral: Referral
          victim.updates:
            items: {at: Update Date, methd: Method}
          key_events:
            items: {at: "Event {n} Date"}
          force: {value: 5}
        """)
    assert mapping_errors(path) == [
        f"{path}:1:22: input: unknown key 'delimitr' (did you mean 'delimiter'?); "
        "allowed keys: format, sheet, delimiter, encoding",
        f"{path}:3:11: timezone: unknown time zone 'Europe/Lundon': expected an IANA name such as "
        "'Europe/London' (did you mean 'Europe/London'?)",
        f"{path}:5:23: field 'crime.reported_at': unknown key 'colum' (did you mean 'column'?); "
        "allowed keys: column, value, type, date_format, timezone, values",
        f"{path}:6:3: field 'victim.recored_at': 'victim.recored_at' is not a field of the case model "
        "(did you mean 'crime.recorded_at'?)",
        f"{path}:7:52: field 'crime.recorded_at' type: type 'integer' does not agree with the case model: "
        "'crime.recorded_at' is a timestamp (type 'timestamp')",
        f"{path}:7:74: field 'crime.recorded_at' date_format: date format '%d/%m/%Q' uses unknown directive(s) "
        "%Q; see Python's strptime codes, e.g. '%d/%m/%Y %H:%M'",
        f"{path}:8:59: field 'victim.kind' values.Individual: found \"persn\", expected one of: person, business, "
        "organisation, null (did you mean 'person'?)",
        f"{path}:9:40: field 'victim.age_at_offence' date_format: date_format is for timestamps; "
        "'victim.age_at_offence' is a whole number",
        f"{path}:10:64: field 'audit.judgements.vc-engagement-good' values.Y: found true, expected one of: yes, no, "
        "not_applicable (YAML reads yes, no, on and off as true or false: quote it, e.g. 'yes')",
        f"{path}:11:3: field 'victim.referral': 'victim.referral' is an object: map its fields "
        "('victim.referral.made_at', 'victim.referral.service', 'victim.referral.declined_at', …)",
        f"{path}:13:17: field 'victim.updates' items.at: column 'Update Date' has no '{{n}}': items from numbered "
        "columns say where the number goes, e.g. 'Review {n} Date' (or read the items from a second file with "
        "'join', or list them with 'groups')",
        f"{path}:13:30: field 'victim.updates' items.methd: 'victim.updates' items have no field 'methd' "
        "(did you mean 'method'?); they have: at, method, automated",
        f"{path}:15:5: field 'key_events' items: the case model requires 'type' in every item of 'key_events': map it",
        f"{path}:16:18: field 'force' value: found 5, expected a string or null",
    ]


@pytest.mark.parametrize(("fields", "message"), [
    ('crime.reported_at: {column: D, value: "2022-01-01"}', "give a 'column' or a constant 'value', not both"),
    ("crime.reported_at: {type: timestamp}", "give the 'column' to read (or a constant 'value')"),
    ("crime.reported_at: {column: D, date_format: '%d/%m'}",
     "date format '%d/%m' does not read a whole date: it needs a day (%d), a month (%m) and a year (%Y)"),
    ("crime.reported_at: {column: D, date_format: '%I:%M %d/%m/%Y'}",
     "reads a 12-hour clock (%I) without AM/PM (%p): use %H for a 24-hour clock"),
    ("crime.reported_at: {column: D, date_format: '%d/%m/%Y %Z'}", "use %z for an offset such as +0100"),
    ("crime.reported_at: {column: D, timezone: Mars/Olympus}", "unknown time zone 'Mars/Olympus'"),
    ("crime.reported_at: D\n  victim.vulnerable: {column: V, type: string}",
     "type 'string' does not agree with the case model: 'victim.vulnerable' is true or false (yes or no)"),
    ("crime.reported_at: D\n  outcome.finalised_at: F", "the case model requires 'outcome.code': map it to a column"),
    ("crime.reported_at: D\n  case_id: X", "the record id comes from the top-level 'case_id' key, not from 'fields'"),
    ("crime.reported_at: D\n  audit.judgements.Not_Kebab: J", "expected a rule id in lower-case kebab case"),
    ("crime.reported_at: D\n  victim.updates.at: U", "'victim.updates' is a list: map it as a whole"),
    ("crime.reported_at: D\n  victim.updates: {items: {at: 'U {n}'}, groups: [{at: U}]}",
     "give 'items' or 'groups', not both"),
    ("crime.reported_at: D\n  victim.updates: {join: {file: u.csv, key_column: K}, groups: [{at: U}]}",
     "a 'join' reads the 'items' of each row of the second file: give 'items'"),
    ("crime.reported_at: D\n  victim.updates: {items: {automated: {value: true}}}", "an item needs at least one column"),
    ("crime.reported_at: D\n  victim.kind: {column: K, values: {P: person, ' p ': person}}", "are the same label"),
])
def test_each_kind_of_mapping_error_is_explained(tmp_path: Path, fields: str, message: str) -> None:
    path = write(tmp_path / "m.yaml", f"input: {{format: csv}}\ncase_id: Ref\nfields:\n  {fields}\n")
    errors = mapping_errors(path)
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith(f"{path}:"), errors


def test_mapping_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = write(tmp_path / "m.yaml", """\
        input: {format: csv}
        case_id: &id Ref
        fields: {crime.reported_at: *id}
        """)
    (error,) = mapping_errors(path)
    assert error == f"{path}:2:10: YAML anchors and aliases are not allowed in this file"


# --------------------------------------------------------------------------- reading cells

def test_cells_become_case_model_values(small: tuple[Path, FieldMapping]) -> None:
    (first, second), reader = read_all(*small)
    assert (first.index, first.line, first.problems) == (0, 2, ())
    assert first.data == {
        "case_id": "A-1",
        "force": "Test Constabulary",  # a constant
        "crime": {"reported_at": "2022-03-01T10:15:00+00:00"},  # winter: GMT
        "victim": {"kind": "person", "vulnerable": True, "age_at_offence": 34, "referral": None,  # no cell: null
                   "updates": [{"at": "2022-03-02T11:00:00+00:00", "method": "phone", "automated": False},
                               {"at": "2022-03-04T12:00:00+00:00", "method": "email", "automated": True}]},
        "outcome": {"code": "1"},
        "audit": {"reviewer": "Reviewer 01", "judgements": {"vc-engagement-good": "yes"}},
        "investigation": {"supervisor_reviews": [{"at": "2022-03-02T09:00:00+00:00", "rank": "sergeant"}]},
        "key_events": [{"type": "suspect_arrested", "at": "2022-03-01T12:00:00+00:00",
                        "victim_informed_at": "2022-03-01T18:00:00+00:00"}],
    }
    assert second.data == {
        "case_id": "A-2",
        "force": "Test Constabulary",
        "crime": {"reported_at": "2022-07-01T10:15:00+01:00"},  # summer time
        "victim": {"kind": "business",  # value maps ignore case and surrounding spaces
                   "vulnerable": False, "age_at_offence": None,  # an empty cell is null
                   "referral": {"made_at": "2022-07-02", "service": "Victim Support"},  # a date alone stays one
                   "updates": [{"at": "2022-07-05T09:00:00+01:00", "method": "email", "automated": True},
                               {"at": "2022-07-06T10:30:00+01:00", "method": "phone", "automated": False}]},
        "outcome": None,  # open case: no outcome cell has a value
        "audit": None,
        "investigation": {"supervisor_reviews": [{"at": "2022-07-03T08:00:00+01:00", "rank": "inspector"}]},
        "key_events": [{"type": "suspect_charged", "at": "2022-07-04T16:00:00+01:00"}],
    }
    assert all(isinstance(record, CaseRecord) for record in checked([first, second]))


@pytest.mark.parametrize(("cell", "zone", "expected"), [
    ("01/03/2022 10:15", "Europe/London", "2022-03-01T10:15:00+00:00"),
    ("01/07/2022 10:15", "Europe/London", "2022-07-01T10:15:00+01:00"),
    ("26/03/2022 23:30", "Europe/London", "2022-03-26T23:30:00+00:00"),  # the night the clocks go forward
    ("27/03/2022 03:00", "Europe/London", "2022-03-27T03:00:00+01:00"),
    ("27/03/2022 01:30", "Europe/London", "2022-03-27T02:30:00+01:00"),  # a time that does not exist
    ("30/10/2022 01:30", "Europe/London", "2022-10-30T01:30:00+01:00"),  # repeated hour: the first reading
    ("30/10/2022 01:30 +0000", "Europe/London", "2022-10-30T01:30:00+00:00"),  # the second, with its offset
    ("01/07/2022 10:15", "America/New_York", "2022-07-01T10:15:00-04:00"),
    ("01/07/2022", "Europe/London", "2022-07-01"),
])
def test_local_times_are_read_in_the_mapping_zone(tmp_path: Path, cell: str, zone: str, expected: str) -> None:
    mapping = load_mapping(write(tmp_path / "m.yaml", f"""\
        input: {{format: csv}}
        case_id: Ref
        timezone: {zone}
        fields:
          crime.reported_at: {{column: Reported, date_format: ["%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M %z"]}}
          crime.recorded_at: Recorded
        """))
    cases = write(tmp_path / "c.csv", f"Ref,Reported,Recorded\nA,{cell},{expected}\n")
    ((record,), _) = read_all(cases, mapping)
    assert record.data["crime"] == {"reported_at": expected, "recorded_at": expected} and not record.problems


def test_without_a_zone_local_times_stay_local_for_the_run_to_read(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path / "m.yaml", """\
        input: {format: csv, delimiter: ";"}
        case_id: Ref
        fields:
          crime.reported_at: {column: Reported, date_format: "%d.%m.%Y %H:%M"}
        """))
    ((record,), _) = read_all(write(tmp_path / "c.csv", "Ref;Reported\nA;01.07.2022 10:15\n"), mapping)
    assert record.data["crime"]["reported_at"] == "2022-07-01T10:15:00"
    (case,) = checked([record])
    assert isinstance(case, CaseRecord)
    assert case.normalised["crime"]["reported_at"] == parse_timestamp("2022-07-01T09:15:00Z")


@pytest.mark.parametrize(("cell", "zone", "message"), [
    ("01/01/0001 00:00", "Asia/Tokyo",
     "'0001-01-01T00:00:00 (Asia/Tokyo local time)' is outside the range of instants the checker can read "
     "(0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"),
    ("31/12/9999 23:59 -0500", "Europe/London",
     "'9999-12-31T23:59:00-05:00' is outside the range of instants the checker can read "
     "(0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"),
    ("9999-12-31T23:30:00Z", "Asia/Tokyo",
     "9999-12-31T23:30:00+00:00 is beyond the calendar's end (9999-12-31) in Asia/Tokyo"),
])
def test_a_time_beyond_the_calendar_in_the_mapping_zone_rejects_its_record(
        tmp_path: Path, cell: str, zone: str, message: str) -> None:
    """Such a cell used to stop the whole run with an unlocated error."""
    mapping = load_mapping(write(tmp_path / "m.yaml", f"""\
        input: {{format: csv}}
        case_id: Ref
        timezone: {zone}
        fields:
          crime.reported_at: {{column: Reported, date_format: ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M %z"]}}
          crime.recorded_at: {{column: Recorded, date_format: "%d/%m/%Y %H:%M"}}
        """))
    if "T" in cell:  # ISO 8601 text is read without a date_format
        mapping = load_mapping(write(tmp_path / "m.yaml", f"""\
            input: {{format: csv}}
            case_id: Ref
            timezone: {zone}
            fields:
              crime.reported_at: Reported
              crime.recorded_at: {{column: Recorded, date_format: "%d/%m/%Y %H:%M"}}
            """))
    raws, _ = read_all(write(tmp_path / "c.csv", f"Ref,Reported,Recorded\nA,{cell},01/03/2022 10:00\n"), mapping)
    (rejection,) = checked(raws)
    assert isinstance(rejection, Rejection)
    assert (rejection.line, rejection.case_id, rejection.path) == (2, "A", "crime.reported_at")
    assert rejection.message == f"column 'Reported' row 2: {message}"


def test_a_bad_cell_rejects_its_record_with_column_row_value_and_expectation(
        small: tuple[Path, FieldMapping]) -> None:
    cases, mapping = small
    with cases.open("a", encoding="utf-8") as handle:
        handle.write("A-3,CR-3,31/13/2022,Company,maybe,old,,,Withdrawn,,,,,,,,,\n")
        handle.write("\n,,,,,,,,,,,,,,,,,\n")  # rows with nothing in them are not records
        handle.write("A-4,CR-4,,Individual,N,40,,,,,,,,,,,,\n")
        handle.write(",CR-5,02/03/2022,Individual,N,40,,,,,,,,,,,,\n")
    raws, _ = read_all(cases, mapping)
    results = checked(raws)
    assert [type(r).__name__ for r in results] == ["CaseRecord", "CaseRecord", "Rejection", "Rejection", "Rejection"]
    assert len(results) == sum(isinstance(r, CaseRecord) for r in results) + sum(
        isinstance(r, Rejection) for r in results)  # read = evaluated + rejected
    bad, empty_required, no_id = results[2:]
    assert isinstance(bad, Rejection) and (bad.index, bad.line, bad.case_id) == (2, 4, "A-3")
    assert (bad.path, bad.message) == (
        "crime.reported_at",
        "column 'Date Reported' row 4: '31/13/2022' is not a date in the format %d/%m/%Y %H:%M or %d/%m/%Y "
        "or %d/%m/%Y %H:%M %z")
    assert bad.errors[1:] == (
        "victim.kind: column 'Victim Type' row 4: 'Company' is not one of the values the mapping knows for "
        "this column: 'Individual', 'Business'",
        "victim.vulnerable: column 'Vulnerable (Y/N)' row 4: 'maybe' is not yes or no: expected Y, N, Yes, No, "
        "True, False, 1 or 0 (or give the field a 'values' map)",
        "victim.age_at_offence: column 'Age' row 4: 'old' is not a whole number",
        "outcome.code: column 'Outcome' row 4: 'Withdrawn' is not one of the values the mapping knows for this "
        "column: 'Charged', 'Victim does not support'",
    )
    assert isinstance(empty_required, Rejection) and (empty_required.line, empty_required.path) == (7, "crime.reported_at")
    assert empty_required.message == "column 'Date Reported' row 7: empty, but the case model requires a value here"
    assert isinstance(no_id, Rejection) and (no_id.case_id, no_id.path, no_id.line) == (None, "case_id", 8)


def test_a_bad_cell_in_the_joined_file_names_that_file(small: tuple[Path, FieldMapping]) -> None:
    cases, mapping = small
    with (cases.parent / "updates.csv").open("a", encoding="utf-8") as handle:
        handle.write("CR-1,yesterday,Email,Auto\n")
    (first, second), _ = read_all(cases, mapping)
    assert first.problems == (("victim.updates[2].at",
                               "updates.csv column 'Contact Date' row 8: 'yesterday' is not a date in the format "
                               "%d/%m/%Y %H:%M or %d/%m/%Y or %d/%m/%Y %H:%M %z"),)
    assert second.problems == ()


def test_joined_rows_that_match_no_case_are_reported(small: tuple[Path, FieldMapping]) -> None:
    reader = read_mapped(*small)
    next(reader)
    with pytest.raises(RuntimeError, match="read every record"):
        reader.warnings()
    list(reader)
    assert reader.unmatched == [UnmatchedRow("updates.csv", 4, "CR-9"), UnmatchedRow("updates.csv", 7, None)]
    assert reader.warnings() == [
        "updates.csv: 2 row(s) match no case in cases.csv and were not read: row 4 ('CR-9'), row 7 (no key)"]


def test_a_row_with_more_cells_than_the_header_is_a_problem(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path / "m.yaml", "input: {format: csv}\ncase_id: Ref\n"
                                                      "fields: {crime.reported_at: Reported}\n"))
    cases = write(tmp_path / "c.csv", 'Ref,Reported\nA,"2022-03-01\n10:00",x\nB,2022-03-02,\nC,2022-03-03,surplus\n')
    raws, _ = read_all(cases, mapping)
    assert [raw.line for raw in raws] == [2, 4, 5]  # the line where a row starts, though a cell spans two
    assert raws[0].problems == (
        ("", "row 2 has 3 cells but the header has 2 columns: is a delimiter inside a value that is not quoted?"),
        ("crime.reported_at", "column 'Reported' row 2: found \"2022-03-01\\n10:00\", expected an ISO 8601 "
                              "timestamp such as '2022-03-01T10:15:00Z', '2022-03-01T10:15:00' (local time) or "
                              "'2022-03-01'"))
    assert raws[1].problems == () and raws[2].problems[0][0] == ""


def test_missing_columns_are_named_with_suggestions(small: tuple[Path, FieldMapping]) -> None:
    cases, mapping = small
    cases.write_text(cases.read_text().replace("Date Reported", "Date Reportd").replace("Review 1 Rank", "Rank"))
    with pytest.raises(InputError) as caught:
        list(read_mapped(cases, mapping))
    assert caught.value.line == 1 and str(caught.value) == (
        f"{cases}:1:1: missing column(s) that the mapping reads: 'Date Reported' (did you mean 'Date Reportd'?) "
        f"(mapped at {mapping.file}:7:22); 'Review 1 Rank' (did you mean 'Review 2 Rank'?) "
        f"(mapped at {mapping.file}:17:51)")


def test_missing_columns_of_the_joined_file_and_a_duplicated_column(small: tuple[Path, FieldMapping]) -> None:
    cases, mapping = small
    updates = cases.parent / "updates.csv"
    updates.write_text(updates.read_text().replace("Contact Date", "Date"))
    with pytest.raises(InputError, match=r"updates.csv:1:1: missing column\(s\) that the mapping reads: 'Contact Date'"):
        list(read_mapped(cases, mapping))
    cases.write_text(cases.read_text().replace("Arrest Date", "Age"))
    with pytest.raises(InputError, match=r"column 'Age' appears 2 times in the header \(columns 6 and 16\)"):
        list(read_mapped(cases, mapping))
    (cases.parent / "empty.csv").write_text("")
    with pytest.raises(InputError, match="no case files in .*empty.csv"):  # as an empty array is
        list(read_mapped(cases.parent / "empty.csv", mapping))


def test_csv_encoding_and_byte_order_mark(tmp_path: Path) -> None:
    text = "input: {format: csv, encoding: cp1252}\ncase_id: Réf\nfields: {crime.reported_at: Reported, force: Force}\n"
    mapping = load_mapping(write(tmp_path / "m.yaml", text))
    (tmp_path / "c.csv").write_bytes("Réf,Reported,Force\nA,2022-03-01,Sûreté\n".encode("cp1252"))
    ((record,), _) = read_all(tmp_path / "c.csv", mapping)
    assert record.data == {"case_id": "A", "crime": {"reported_at": "2022-03-01"}, "force": "Sûreté"}
    default = load_mapping(write(tmp_path / "m2.yaml", text.replace(", encoding: cp1252", "")))
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + "Réf,Reported,Force\nB,2022-03-02,\n".encode("utf-8"))
    ((record,), _) = read_all(tmp_path / "bom.csv", default)
    assert record.data == {"case_id": "B", "crime": {"reported_at": "2022-03-02"}, "force": None}
    rows = "".join(f"C{n},2022-03-02,Force\n" for n in range(3000)).encode("utf-8")
    (tmp_path / "late.csv").write_bytes(b"R\xc3\xa9f,Reported,Force\n" + rows + "Z,2022-03-03,Sûreté\n".encode("cp1252"))
    reader = read_mapped(tmp_path / "late.csv", default)
    with pytest.raises(InputError) as caught:
        list(reader)
    assert str(caught.value) == (f"{tmp_path / 'late.csv'}:3002:1: not utf-8-sig text (invalid start byte): export "
                                 "the file as UTF-8 or set input.encoding in the mapping")


def test_the_wrong_file_is_refused_in_a_few_words(tmp_path: Path) -> None:
    mapping = load_mapping(EXPORT / "mapping.yaml")
    with pytest.raises(InputError) as caught:
        list(read_mapped(SAMPLES / "cases.json", mapping))
    message = str(caught.value)
    assert message.count("(mapped at") == 10 and "; and 74 more. Is this the export the mapping describes" in message
    assert message.endswith("The first row has: '['")
    text = (EXPORT / "mapping.yaml").read_text(encoding="utf-8").replace("  format: csv ", "  format: xlsx\n ")
    as_xlsx = load_mapping(write(tmp_path / "mapping.yaml", text))
    with pytest.raises(InputError, match="cases.csv: not an .xlsx workbook"):
        list(read_mapped(EXPORT / "cases.csv", as_xlsx))


# --------------------------------------------------------------------------- spreadsheets

def test_xlsx_cells_keep_their_types_and_rows_their_numbers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Crimes"
    sheet.append(["Ref", "Code", "Reported", "Age", "Vulnerable"])
    sheet.append([1001, 49, datetime(2022, 7, 1, 10, 15), 34.0, True])
    sheet.append([])
    sheet.append(["1003", "8N", "01/03/2022 10:15", "", "N"])
    workbook.save(tmp_path / "crimes.xlsx")
    mapping = load_mapping(write(tmp_path / "m.yaml", """\
        input: {format: xlsx, sheet: Crimes}
        case_id: Ref
        timezone: Europe/London
        date_format: "%d/%m/%Y %H:%M"
        fields:
          crime.offence.code: Code
          crime.reported_at: Reported
          victim.age_at_offence: Age
          victim.vulnerable: Vulnerable
        """))
    (first, second), _ = read_all(tmp_path / "crimes.xlsx", mapping)
    assert (first.line, second.line) == (2, 4)
    assert first.data == {"case_id": "1001", "crime": {"offence": {"code": "49"}, "reported_at": "2022-07-01T10:15:00+01:00"},
                          "victim": {"age_at_offence": 34, "vulnerable": True}}
    assert second.data == {"case_id": "1003", "crime": {"offence": {"code": "8N"}, "reported_at": "2022-03-01T10:15:00+00:00"},
                           "victim": {"age_at_offence": None, "vulnerable": False}}
    wrong_sheet = load_mapping(write(tmp_path / "m2.yaml", (tmp_path / "m.yaml").read_text().replace("Crimes", "Crime")))
    with pytest.raises(InputError, match="no sheet 'Crime' \\(did you mean 'Crimes'\\?\\); the workbook has: Crimes"):
        list(read_mapped(tmp_path / "crimes.xlsx", wrong_sheet))


# --------------------------------------------------------------------------- the shipped export

def test_shipped_export_is_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_export(generate_cases(80, seed=2022), tmp_path)
    for path in written:
        assert (EXPORT / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"samples/export/{path.name} drifted: regenerate with "
            "python -m synthetic.export --count 80 --seed 2022 --output-dir samples/export")


def test_the_export_is_a_realistic_force_export() -> None:
    export = export_tables(generate_cases(80, seed=2022))
    assert {"Crime Ref", "Date Reported", "Outcome", "VNA Completed", "Victim Signed (Y/N)",
            "Key Event 5 Date", "Supervisor Review 12 Rank"} <= set(export.cases.header)
    first = dict(zip(export.cases.header, export.cases.rows[0]))
    assert first["Date Reported"] == "18/02/2022 07:43" and first["Victim Type"] == "Individual"
    assert first["Outcome"] == "10 - Formal action not in the public interest (police decision)"
    times = [datetime.strptime(row[1], "%d/%m/%Y %H:%M") for row in export.updates.rows]
    references = [row[0] for row in export.updates.rows]
    assert len(export.updates.rows) == 341 and references != sorted(references)  # a log by time, not by case
    assert times[:5] == sorted(times[:5])


def normalised_json(records: list[CaseRecord | Rejection]) -> list[Any]:
    """Normalised records, where a CSV cannot say more than the JSON does: an empty cell is null, so
    "" (audit.notes) and an empty map of judgements read as null."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()} or None
        if isinstance(value, list):
            return [plain(item) for item in value]
        return None if value == "" else value
    return [plain(record.normalised) if isinstance(record, CaseRecord) else record for record in records]


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?")


def comparable(value: Any) -> Any:
    """Results with every timestamp written as its UTC instant (the export writes instants in UK local
    time, the JSON in three styles: Z, offset, local) and "" as null (an empty cell is null)."""
    if value == "":
        return None
    if isinstance(value, str):
        return _TIMESTAMP.sub(lambda m: parse_timestamp(m.group(0), ZONE).isoformat(), value)
    if isinstance(value, (list, tuple)):
        return [comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def shipped() -> tuple[list[CaseRecord | Rejection], list[CaseRecord | Rejection], MappedRecords]:
    reader = read_mapped(EXPORT / "cases.csv", load_mapping(EXPORT / "mapping.yaml"))
    mapped = checked(list(reader))
    return mapped, list(read_cases(SAMPLES / "cases.json", ZONE)), reader


def test_mapped_export_reads_as_the_json_sample(shipped) -> None:
    mapped, from_json, reader = shipped
    assert len(mapped) == len(from_json) == 80
    assert all(isinstance(record, CaseRecord) for record in mapped)
    assert [r.case_id for r in mapped] == [r.case_id for r in from_json]
    assert [r.line for r in mapped] == list(range(2, 82))
    assert normalised_json(mapped) == normalised_json(from_json)
    assert reader.unmatched == [] and reader.warnings() == []


def test_mapped_export_scores_identically_to_the_json_sample(shipped) -> None:
    mapped, from_json, _ = shipped
    packs = load_packs([RULES])
    settings = RunSettings(packs=pack_settings(packs, {}))
    evaluator = Evaluator(packs, settings)
    scores = []
    for records in (mapped, from_json):
        results = [RecordResult(r.index, r.line, r.case_id, evaluator.evaluate(r)) for r in records]
        score = {compiled.rule.id: new_score(compiled.rule) for compiled in evaluator.rules}
        for result in results:
            tally(score, result)
        scores.append(([(result.case_id, comparable(result.as_dict()["results"])) for result in results],
                       [finish_score(s, settings.interval, settings.confidence, None).as_dict()
                        for s in score.values()]))
    (mapped_results, mapped_scores), (json_results, json_scores) = scores
    assert mapped_scores == json_scores
    assert mapped_results == json_results
    statuses = {result["status"] for _, record in mapped_results for result in record}
    assert {"pass", "fail", "not_applicable", "manual"} <= statuses


def test_xlsx_export_reads_as_the_csv_export(tmp_path: Path, shipped) -> None:
    mapped, _, _ = shipped
    write_export(generate_cases(80, seed=2022), tmp_path, xlsx=True)
    text = (EXPORT / "mapping.yaml").read_text(encoding="utf-8")
    text = text.replace("  format: csv ", "  format: xlsx\n  sheet: Cases\n ").replace(
        "join: {file: updates.csv,", "join: {file: cases.xlsx, sheet: Updates,")
    mapping = load_mapping(write(tmp_path / "mapping-xlsx.yaml", text))
    assert mapping.input.format == "xlsx" and mapping.lists[0].join is not None
    from_xlsx = checked(list(read_mapped(tmp_path / "cases.xlsx", mapping)))
    assert [r.line for r in from_xlsx] == list(range(2, 82))
    assert normalised_json(from_xlsx) == normalised_json(mapped)


# --------------------------------------------------------------------------- check mapping validate

def test_check_mapping_validate_prints_one_ok_line() -> None:
    path = EXPORT / "mapping.yaml"
    result = CliRunner().invoke(app, ["mapping", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{path}: OK: csv input of case files, case_id from column 'Occurrence ID', 79 field(s) and 3 list(s) "
                             "mapped; joins updates.csv.\n")


def test_check_mapping_validate_prints_every_located_error_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path / "m.yaml", """\
        input: {format: tsv}
        case_id: Ref
        fields:
          crime.reported_at: Date Reported
          victim.kind: {column: Victim Type, values: {Individual: individual}}
        """)
    result = CliRunner().invoke(app, ["mapping", "validate", str(path)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:1:17: input.format: found \"tsv\", expected one of: csv, xlsx",
        f"{path}:5:59: field 'victim.kind' values.Individual: found \"individual\", expected one of: person, "
        "business, organisation, null",
        "2 error(s) in the mapping.",
    ]


def test_the_readme_mapping_example_is_valid(tmp_path: Path) -> None:
    text = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Reading a force's CSV or spreadsheet export"):]
    example = section[section.index("```yaml\n") + len("```yaml\n"):section.index("```\n", section.index("```yaml"))]
    mapping = load_mapping(write(tmp_path / "readme.yaml", example))
    assert [spec.path for spec in mapping.lists] == ["key_events", "victim.updates"]
