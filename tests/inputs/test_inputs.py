"""Inputs in every form, streamed: JSON array, JSON Lines, gzip, standard input; malformed inputs located."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.inputs.records import CaseRecord, Rejection

from checker.errors import InputError
from checker.inputs.sources import CaseSource, format_from_name, open_source, read_cases
from tests.conftest import CliResult, ROOT, make_case, write_cases
from tests.conftest import run_cli as run_shared


def jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def outcomes(path: Path | str, **options: object) -> list[tuple[str, str | None, int | None]]:
    """(kind, case_id, line) for every record, in input order."""
    return [("rejected" if isinstance(item, Rejection) else "valid", item.case_id, item.line)
            for item in read_cases(path, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "expected"), [
    ("cases.json", "json"), ("cases.JSONL", "jsonl"), ("cases.ndjson", "jsonl"), ("cases.jsonl.gz", "jsonl"),
    ("cases.json.gz", "json"), ("export.csv", "csv"), ("export.xlsx", "xlsx"), ("cases.txt", None),
])
def test_format_comes_from_the_name_looking_through_gz(name: str, expected: str | None) -> None:
    assert format_from_name(name) == expected


def test_json_lines_give_the_same_records_as_a_json_array(tmp_path: Path) -> None:
    records = [make_case(f"T-{n}") for n in range(5)]
    array = outcomes(write_cases(tmp_path / "a.json", records))
    lines = outcomes(jsonl(tmp_path / "a.jsonl", records))
    assert [kind for kind, _, _ in array] == [kind for kind, _, _ in lines] == ["valid"] * 5
    assert [case for _, case, _ in lines] == [f"T-{n}" for n in range(5)]
    assert [line for _, _, line in lines] == [1, 2, 3, 4, 5]


def test_gzip_is_recognised_by_its_bytes_and_hashed_as_written(tmp_path: Path) -> None:
    plain = jsonl(tmp_path / "a.jsonl", [make_case("T-1"), make_case("T-2")])
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    source = open_source(packed)
    assert [raw.line for raw in source.records()] == [1, 2]
    import hashlib
    assert source.sha256 == hashlib.sha256(packed.read_bytes()).hexdigest()


def test_a_bad_json_line_is_one_rejected_record_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(make_case("T-1")) + "\n{\"case_id\": \"T-2\", oops}\n\n"
                    + json.dumps(make_case("T-3")) + "\n[1, 2]\n" + json.dumps(make_case("T-4"))[:40], encoding="utf-8")
    items = list(read_cases(path))
    assert [type(item).__name__ for item in items] == ["CaseRecord", "Rejection", "CaseRecord", "Rejection", "Rejection"]
    bad_json, not_object, truncated = items[1], items[3], items[4]
    assert (bad_json.line, bad_json.message) == (2, "invalid JSON at column 20: Expecting property name enclosed in double quotes")
    assert not_object.line == 5 and "expected a case file (a JSON object), found list" in not_object.message
    assert truncated.line == 6 and "ends in the middle of a record (is it truncated?)" in truncated.message
    assert [item.index for item in items] == [0, 1, 2, 3, 4]  # a blank line is not a record


def test_a_json_array_is_read_in_chunks_with_lines_right_across_chunk_edges(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("checker.inputs.sources._CHUNK", 64)  # many chunk edges inside records
    records = [make_case(f"T-{n}", victim={"kind": "person", "age_at_offence": 20 + n}) for n in range(30)]
    path = write_cases(tmp_path / "a.json", records)
    expected_lines = [number for number, text in enumerate(path.read_text().splitlines(), 1) if text == " {"]
    got = outcomes(path)
    assert [kind for kind, _, _ in got] == ["valid"] * 30
    assert [line for _, _, line in got] == expected_lines
    values = [item.raw["victim"]["age_at_offence"] for item in read_cases(path)]
    assert values == [20 + n for n in range(30)]


LAYOUTS = {
    "a record a line": lambda records: "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n",
    "pretty, indent 1": lambda records: json.dumps(records, indent=1),
    "pretty, indent 4": lambda records: json.dumps(records, indent=4),
    "compact": lambda records: json.dumps(records),
    # nested braces on a record's first line, and a record whose closing brace is not where its layout says
    "irregular": lambda records: "[" + json.dumps(records[0]).replace(", ", ",\n", 3) + ",\n  "
                                 + ",\n".join(json.dumps(r, indent=2) for r in records[1:]) + "]",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("chunk", [64, 1 << 20])
def test_a_json_array_in_any_layout_reads_as_its_json_lines(tmp_path: Path, monkeypatch, layout: str,
                                                             chunk: int) -> None:
    """Records of an array are found by their layout and decoded in the workers (as JSON Lines are),
    or decoded whole where the layout does not tell: the records, their lines and rejections are the same."""
    monkeypatch.setattr("checker.inputs.sources._CHUNK", chunk)
    records = [make_case(f"T-{n}", victim={"kind": "person", "age_at_offence": 20 + n, "note": "} {\n }"})
               for n in range(12)]
    records[3]["victim"]["age_at_offence"] = 10**30  # a number orjson reads otherwise: rejected alike
    records[5]["victim"]["note"] = "\ud800"  # not text: rejected alike
    records[7] = {"case_id": "T-7", "crime": {"reported_at": float("nan")}}  # NaN: only the standard library reads it
    path = tmp_path / "a.json"
    path.write_text(LAYOUTS[layout](records), encoding="utf-8")
    as_array = list(read_cases(path))
    as_lines = list(read_cases(jsonl(tmp_path / "a.jsonl", records)))

    def seen(item: CaseRecord | Rejection) -> tuple[object, ...]:
        if isinstance(item, Rejection):
            return ("rejected", item.index, item.case_id, item.path, item.message)
        return ("valid", item.index, item.case_id, item.raw, item.normalised)

    assert [seen(item) for item in as_array] == [seen(item) for item in as_lines]
    assert [item.case_id for item in as_array if isinstance(item, Rejection)] == ["T-3", "T-5", "T-7"]
    text = path.read_text(encoding="utf-8")
    starts = [text.index(json.dumps(f"T-{n}")) for n in range(12)]
    assert [item.line for item in as_array] == [text.count("\n", 0, text.rfind("{", 0, at)) + 1 for at in starts]
    if chunk > 64:  # the layouts exports use are found without decoding in the main process
        found = [raw.text is not None for raw in open_source(path).records()]
        regular = [n not in (5, 7) for n in range(12)]  # orjson refuses the surrogate and NaN: decoded whole
        assert found == {"compact": [False] * 12, "irregular": [False, False] + regular[2:]}.get(layout, regular)


def test_a_number_split_at_a_chunk_edge_is_read_whole(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("checker.inputs.sources._CHUNK", 4)
    path = tmp_path / "n.json"
    path.write_text("[12345678, 9]", encoding="utf-8")
    assert [raw.data for raw in open_source(path).records()] == [12345678, 9]


@pytest.mark.parametrize(("content", "message", "line"), [
    (b'[{"case_id": "T-1"},\n{"case_id": "T-2"', "the file ends in the middle of this record (is it truncated?)", 2),
    (b'[{"case_id": "T-1"},\n', "the file ends before the closing ']' (is it truncated?)", 2),
    (b'[', "the file ends in the middle of this record (is it truncated?)", 1),
    (b'[\n  ', "the file ends in the middle of this record (is it truncated?)", 2),
    (b'{"case_id": "T-1"}', "expected a JSON array of case files", 1),
    (b'[1]\n[2]', "unexpected text after the end of the JSON array", 2),
])
def test_a_json_array_that_cannot_be_read_is_located(tmp_path: Path, content: bytes, message: str, line: int) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        list(read_cases(path))
    assert message in caught.value.message
    assert caught.value.line == line


def test_wrong_encoding_is_an_input_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(make_case("T-1")).encode() + b"\n" + '{"case_id": "Jos\xe9"}\n'.encode("latin-1"))
    with pytest.raises(InputError) as caught:
        list(read_cases(path))
    assert str(caught.value) == f"{path}:2:1: not UTF-8 text (byte value 0xe9): export the file as UTF-8"


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(make_case("T-1")).encode() + b"\n")
    assert outcomes(path) == [("valid", "T-1", 1)]


def test_an_oversized_line_is_rejected_without_reading_it_whole(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("checker.inputs.sources.MAX_RECORD_CHARS", 1000)
    path = tmp_path / "big.jsonl"
    huge = make_case("T-2", crime={"reported_at": "2022-03-01", "recorded_at": "2022-03-01", "summary": "x" * 5000})
    path.write_text("\n".join(json.dumps(r) for r in (make_case("T-1"), huge, make_case("T-3"))) + "\n",
                    encoding="utf-8")
    items = list(read_cases(path))
    assert [(type(item).__name__, item.line) for item in items] == [("CaseRecord", 1), ("Rejection", 2),
                                                                      ("CaseRecord", 3)]
    assert "longer than" in items[1].message


def test_duplicate_ids_are_rejected_across_the_stream(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "d.jsonl", [make_case("T-1"), make_case("T-2"), make_case("T-1")])
    items = list(read_cases(path))
    assert isinstance(items[2], Rejection)
    assert items[2].message == "duplicate case_id 'T-1': first seen at record 1 (line 1); case ids must be unique"


def test_an_unknown_input_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown input format 'yaml': expected one of json, jsonl, parquet, duckdb, csv, xlsx"):
        open_source(tmp_path / "a.json", "yaml")


def run_cli(*args: str, stdin: bytes | None = None) -> CliResult | subprocess.CompletedProcess[bytes]:
    """In-process; with standard input, as a process of its own (the reader peeks at the real stdin)."""
    if stdin is None:
        return run_shared(*args, binary=True)
    return subprocess.run([sys.executable, "-m", "checker.cli.main", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=300)


def test_standard_input_and_every_file_form_score_identically(tmp_path: Path) -> None:
    records = json.loads((ROOT / "samples" / "cases.json").read_text(encoding="utf-8"))[:25]
    plain = jsonl(tmp_path / "s.jsonl", records)
    packed = tmp_path / "s.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    array = write_cases(tmp_path / "s.json", records)
    reports = {}
    for label, args, stdin in [("jsonl", [str(plain)], None), ("gz", [str(packed)], None),
                               ("array", [str(array)], None), ("stdin", ["-"], plain.read_bytes()),
                               ("stdin-gz", ["-", "--input-format", "jsonl"], packed.read_bytes()),
                               ("jobs", [str(plain), "--jobs", "2"], None)]:
        result = run_cli(*args, "--format", "json", stdin=stdin)
        assert result.returncode == 0, result.stderr.decode()
        reports[label] = json.loads(result.stdout)
    statuses = {label: [[r["status"] for r in rec["results"]] for rec in report["records"]]
                for label, report in reports.items()}
    assert all(value == statuses["jsonl"] for value in statuses.values())
    assert all(report["rules"] == reports["jsonl"]["rules"] for report in reports.values())
    assert reports["stdin"]["input"]["path"] == "-" and reports["gz"]["input"]["format"] == "jsonl"
    assert reports["stdin"]["input"]["sha256"] == reports["jsonl"]["input"]["sha256"]
    assert reports["jobs"]["records"] == reports["jsonl"]["records"]


def test_json_output_streams_one_record_per_line_and_keeps_the_contract(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "s.jsonl", [make_case(f"T-{n}") for n in range(3)] + ["not a case"])
    out = tmp_path / "report.json"
    result = run_cli(str(path), "--output", str(out))
    assert result.returncode == 3  # one record rejected, output still written
    text = out.read_text(encoding="utf-8")
    record_lines = [line for line in text.splitlines() if line.startswith('  {"case_id"')]
    assert len(record_lines) == 3
    report = json.loads(text)
    assert report["schema_version"] == 1 and [r["case_id"] for r in report["records"]] == ["T-0", "T-1", "T-2"]
    assert report["summary"] == {"records_read": 4, "records_evaluated": 3, "records_rejected": 1}
    assert report["rejected"][0]["line"] == 4
    assert not (tmp_path / "report.json.partial").exists()


def test_a_failed_run_leaves_no_half_written_output(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps([make_case("T-1"), make_case("T-2")])[:-30], encoding="utf-8")
    out = tmp_path / "report.json"
    result = run_cli(str(path), "--output", str(out), "--output", str(tmp_path / "f.csv"))
    assert result.returncode == 2
    assert "is it truncated?" in result.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.json"]


def test_no_progress_bar_when_standard_error_is_not_a_terminal(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "s.jsonl", [make_case(f"T-{n}") for n in range(3)])
    result = run_cli(str(path), "--format", "json", "--output", str(tmp_path / "r.json"))
    assert result.stderr.decode() == f"wrote {tmp_path / 'r.json'} (json)\n"


def test_the_progress_callback_counts_records_and_bytes(tmp_path: Path) -> None:
    from checker.packs.rules import load_packs
    from checker.runner import run_check
    from checker.settings import RunSettings, pack_settings

    path = jsonl(tmp_path / "s.jsonl", [make_case(f"T-{n}") for n in range(7)])
    packs = load_packs([ROOT / "rules"])
    calls: list[tuple[int, int, int | None]] = []
    run_check(path, packs, RunSettings(packs=pack_settings(packs, {})),
              progress=lambda records, source: calls.append((records, source.bytes_read, source.size)))
    assert calls[-1] == (7, path.stat().st_size, path.stat().st_size)


def test_stdin_is_sniffed_as_array_or_lines(monkeypatch) -> None:
    class Stdin:
        def __init__(self, data: bytes) -> None:
            self.buffer = io.BufferedReader(io.BytesIO(data))

    monkeypatch.setattr(sys, "stdin", Stdin(b'  [{"case_id": "A"}]'))
    assert open_source("-").input_format == "json"
    monkeypatch.setattr(sys, "stdin", Stdin(b'{"case_id": "A"}\n'))
    source = open_source("-")
    assert isinstance(source, CaseSource) and source.input_format == "jsonl"


def test_a_mapped_csv_export_scores_like_its_json_through_the_command(tmp_path: Path) -> None:
    exported = run_cli(str(ROOT / "samples/export/cases.csv"), "--mapping", str(ROOT / "samples/export/mapping.yaml"),
                       "--format", "json")
    original = run_cli(str(ROOT / "samples/cases.json"), "--format", "json")
    assert exported.returncode == original.returncode == 0, exported.stderr
    mapped, plain = json.loads(exported.stdout), json.loads(original.stdout)
    assert mapped["input"]["format"] == "csv" and mapped["summary"] == plain["summary"]
    assert [rule["counts"] for rule in mapped["rules"]] == [rule["counts"] for rule in plain["rules"]]
    assert [[r["status"] for r in rec["results"]] for rec in mapped["records"]] == \
        [[r["status"] for r in rec["results"]] for rec in plain["records"]]


def test_mapping_mistakes_are_refused_before_scoring(tmp_path: Path) -> None:
    csv_file = tmp_path / "export.csv"
    csv_file.write_text("Crime Ref\nX\n", encoding="utf-8")
    no_mapping = run_cli(str(csv_file))
    assert no_mapping.returncode == 2 and "needs a field mapping: add --mapping MAP.yaml" in no_mapping.stderr.decode()
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: {format: csv}\ncase_id: Crime Ref\nfields:\n  victim.kindd: Victim Type\n", encoding="utf-8")
    refused = run_cli(str(csv_file), "--mapping", str(bad))
    assert refused.returncode == 2
    assert f"{bad}:" in refused.stderr.decode() and "The field mapping has errors" in refused.stderr.decode()
    json_with_mapping = run_cli(str(ROOT / "samples/cases.json"), "--mapping", str(ROOT / "samples/export/mapping.yaml"))
    assert json_with_mapping.returncode == 2
    assert "--mapping is for CSV and XLSX exports" in json_with_mapping.stderr.decode()


def test_damaged_gzip_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(json.dumps(make_case(f"T-{n}")).encode() + b"\n" for n in range(50)))[:-40])
    with pytest.raises(InputError) as caught:
        list(read_cases(path))
    assert str(caught.value).startswith(f"{path}: the gzip data is damaged or cut short")


def test_duplicate_ids_are_found_across_the_move_of_the_id_index_to_disk(tmp_path: Path, monkeypatch) -> None:
    from checker.inputs.records import CaseIds

    monkeypatch.setattr(CaseIds, "IN_MEMORY", 3)
    ids = [f"T-{n}" for n in range(8)] + ["T-1", "T-6", "T-8", "T-8"]
    path = jsonl(tmp_path / "d.jsonl", [make_case(case_id) for case_id in ids])
    items = list(read_cases(path))
    rejected = [(item.line, item.message) for item in items if isinstance(item, Rejection)]
    assert rejected == [
        (9, "duplicate case_id 'T-1': first seen at record 2 (line 2); case ids must be unique"),
        (10, "duplicate case_id 'T-6': first seen at record 7 (line 7); case ids must be unique"),
        (12, "duplicate case_id 'T-8': first seen at record 11 (line 11); case ids must be unique"),
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_drops_duplicates_from_counts_and_output_within_and_across_chunks(
        tmp_path: Path, monkeypatch, jobs: int) -> None:
    """Workers count and render whole chunks; the main process finds duplicate ids (batched, also after the
    index has moved to disk) and takes those records back out of the counts and the JSON output."""
    from checker import runner
    from checker.inputs.records import CaseIds
    from checker.report.json_report import JsonReportWriter
    from checker.packs.rules import load_packs
    from checker.settings import RunSettings, pack_settings

    monkeypatch.setattr(runner, "CHUNK_SIZE", 4)
    monkeypatch.setattr(CaseIds, "IN_MEMORY", 5)
    unique = [make_case(f"T-{n}", victim={"kind": "business"} if n % 3 == 0 else {}) for n in range(12)]
    copies = [unique[1], unique[2], unique[9], unique[9]]  # within a chunk, across chunks, after the spill
    records = unique[:3] + [copies[0], copies[1]] + unique[3:10] + [copies[2]] + unique[10:] + [copies[3]]
    packs = load_packs([ROOT / "rules"])
    settings = RunSettings(packs=pack_settings(packs, {}))

    def run(path: Path, jobs: int) -> tuple[dict, dict]:
        with (tmp_path / "out.json").open("w", encoding="utf-8") as stream:
            writer = JsonReportWriter(stream)
            writer.start({})
            report = runner.run_check(path, packs, settings, sinks=[writer], keep=False, jobs=jobs)
            writer.finish(report)
        return report.as_dict(include_records=False), json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))

    with_copies, written = run(jsonl(tmp_path / "dups.jsonl", records), jobs)
    clean, clean_written = run(jsonl(tmp_path / "clean.jsonl", unique), 1)
    assert with_copies["summary"] == {"records_read": 16, "records_evaluated": 12, "records_rejected": 4}
    assert [(r["line"], r["message"]) for r in with_copies["rejected"]] == [
        (4, "duplicate case_id 'T-1': first seen at record 2 (line 2); case ids must be unique"),
        (5, "duplicate case_id 'T-2': first seen at record 3 (line 3); case ids must be unique"),
        (13, "duplicate case_id 'T-9': first seen at record 12 (line 12); case ids must be unique"),
        (16, "duplicate case_id 'T-9': first seen at record 12 (line 12); case ids must be unique"),
    ]
    assert [rule["counts"] for rule in with_copies["rules"]] == [rule["counts"] for rule in clean["rules"]]
    assert sum(rule["counts"]["not_applicable"] for rule in clean["rules"]) > 0
    assert [r["case_id"] for r in written["records"]] == [f"T-{n}" for n in range(12)]
    assert [r["results"] for r in written["records"]] == [r["results"] for r in clean_written["records"]]


def _rejections_by_case(items: list[CaseRecord | Rejection]) -> list[tuple[str | None, str, str]]:
    return [(item.case_id, item.path, item.message) for item in items if isinstance(item, Rejection)]


def test_an_unpaired_surrogate_escape_is_a_rejection_at_its_field_in_both_json_forms(tmp_path: Path) -> None:
    """JSON allows "\\ud800" but it is not text: no report could write it (a run used to stop at the
    output). The record is rejected at the field, whether orjson (JSON Lines) or the standard
    library (JSON array) read it; a surrogate pair (an emoji written escaped) is text and kept."""
    records = [make_case("T-1", victim={"kind": "person", "note": "\ud800"}),
               make_case("T-\udc00"),
               make_case("T-3", victim={"kind": "person", "note": "\U0001f600 kept"}),
               make_case("T-4", crime={"reported_at": "2022-03-01T10:00:00Z", "recorded_at": "2022-03-01T12:00:00Z",
                                       "flags": {"x\udfff": True}})]
    texts = [json.dumps(record) for record in records]  # ASCII, with \\u escapes
    array = tmp_path / "a.json"
    array.write_text("[\n" + ",\n".join(texts) + "\n]\n", encoding="utf-8")
    lines = tmp_path / "a.jsonl"
    lines.write_text("\n".join(texts) + "\n", encoding="utf-8")
    problem = "an unpaired surrogate escape (\\u{}) is not text: expected characters encoded as UTF-8, or a surrogate pair"
    expected = [("T-1", "victim.note", problem.format("d800")), (None, "case_id", problem.format("dc00")),
                ("T-4", "crime.flags", "a field name holds an unpaired surrogate escape: it is not text")]
    for path in (array, lines):
        items = list(read_cases(path))
        assert _rejections_by_case(items) == expected, path.name
        assert [item.case_id for item in items if isinstance(item, CaseRecord)] == ["T-3"]


def test_integers_beyond_64_bits_are_worded_alike_from_json_lines_and_a_json_array(tmp_path: Path) -> None:
    """orjson reads 10**30 as the float 1e+30; the rejection is worded on the number as written."""
    records = [make_case("T-1", victim={"kind": "person", "age_at_offence": 10**30}),
               make_case("T-2", victim={"kind": "person", "contact_agreement": {"interval_days": 2**64 + 1}}),
               make_case("T-3", force=12345678901234567890123)]
    from_array = _rejections_by_case(list(read_cases(write_cases(tmp_path / "a.json", records))))
    from_lines = _rejections_by_case(list(read_cases(jsonl(tmp_path / "a.jsonl", records))))
    assert from_lines == from_array == [
        ("T-1", "victim.age_at_offence", "found 1000000000000000000000000000000, expected maximum 130"),
        ("T-2", "victim.contact_agreement.interval_days", "found 18446744073709551617, expected maximum 3660"),
        ("T-3", "force", "found 12345678901234567890123, expected a string or null"),
    ]
