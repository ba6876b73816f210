"""Hostile and malformed inputs: every one gives a located, readable error or a rejected record, never a
traceback, and the counts still add up."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from checker.packs.expressions import MAX_EXPRESSION_LENGTH
from checker.packs.rules import load_packs
from checker.errors import FileErrors
from checker.yamlsource import MAX_YAML_BYTES
from checker.errors import SourceError
from tests.conftest import ROOT, RULE_TEMPLATE, make_case, run_cli, write_cases, write_pack

BILLION_LAUGHS = """\
pack: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
rules: [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def load_errors(directory: Path) -> list[str]:
    with pytest.raises((FileErrors, SourceError)) as caught:
        load_packs([directory])
    error = caught.value
    return [str(item) for item in error.errors] if isinstance(error, FileErrors) else [str(error)]


def test_an_alias_bomb_is_refused_at_once_with_its_location(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    errors = load_errors(tmp_path)
    assert time.perf_counter() - started < 5  # refused while composing, never expanded
    assert errors[0].startswith(f"{tmp_path / 'bomb.yaml'}:1:7:")  # the first anchor
    assert "anchors and aliases are not allowed" in errors[0]


def test_an_oversized_yaml_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("pack:\n  name: x\n# " + "x" * MAX_YAML_BYTES + "\n", encoding="utf-8")
    (error,) = load_errors(tmp_path)
    assert f"YAML files above {MAX_YAML_BYTES} bytes are refused" in error and str(path) in error


def test_an_object_tag_is_refused_and_nothing_is_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "tag.yaml").write_text(
        f"pack: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    (error,) = load_errors(tmp_path)
    assert "is not allowed" in error
    assert not marker.exists()


def test_an_expression_over_the_size_limit_is_refused_with_its_location(tmp_path: Path) -> None:
    long_expression = " || ".join(['case.victim.kind == "person"'] * (MAX_EXPRESSION_LENGTH // 20))
    write_pack(tmp_path, "rules:\n" + RULE_TEMPLATE.format(id="t-long", title="Long", message="Not done")
               + f"    assert: '{long_expression}'\n")
    (error,) = load_errors(tmp_path)
    assert error.startswith(f"{tmp_path / 'test-pack.yaml'}:13:13: rules[0].assert: text is ")
    assert error.endswith(f"characters long; the limit is {MAX_EXPRESSION_LENGTH}")


def test_rule_text_is_never_evaluated_as_python(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    packs_dir = tmp_path / "packs"
    packs_dir.mkdir()
    write_pack(packs_dir, "rules:\n" + RULE_TEMPLATE.format(id="t-py", title="Python", message="Not done")
               + f"    assert: \"__import__('os').system('touch {marker}') == 0\"\n")
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps([make_case("T-1")]), encoding="utf-8")
    result = run_cli(str(cases), "--rules", str(packs_dir), "--format", "json")
    assert result.returncode == 2
    assert f"{packs_dir / 'test-pack.yaml'}:13:14: rule 't-py': unknown function '__import__'" in result.stderr
    assert not marker.exists()




MALFORMED = {
    "truncated.json": json.dumps([make_case("T-1"), make_case("T-2")])[:-25].encode(),
    "not-utf8.json": '[{"case_id": "Jos\xe9"}]'.encode("latin-1"),
    "binary.json": bytes(range(256)),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_an_unreadable_input_is_a_located_error_not_a_traceback(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    result = run_cli(str(path), "--format", "json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{path}:") and "nothing was scored" in result.stderr


def test_bad_records_are_rejected_and_the_counts_add_up(tmp_path: Path) -> None:
    records = [
        make_case("T-1"),
        make_case("T-1"),  # duplicate id
        make_case("T-2", crime={"reported_at": "2022-03-27T01:30:00", "recorded_at": "2022-03-01T10:00:00+05:30"}),
        make_case("T-3", crime={"reported_at": "not a date", "recorded_at": "2022-03-01T12:00:00Z"}),
        make_case("T-4", victim={"kind": "person", "note": "x" * 1_000_000}),  # a huge string: kept, flagged
        {"case_id": 5},
        {"nested": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
        "a string, not a case file",
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    result = run_cli(str(path), "--format", "json")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["summary"] == {"records_read": 8, "records_evaluated": 3, "records_rejected": 5}
    rejected = {item["line"]: item for item in report["rejected"]}
    assert sorted(rejected) == [2, 4, 6, 7, 8]
    assert rejected[2]["message"].startswith("duplicate case_id 'T-1'")
    assert rejected[4]["path"] == "crime.reported_at"
    assert [record["case_id"] for record in report["records"]] == ["T-1", "T-2", "T-4"]
    assert any("victim.note" in warning for warning in report["warnings"])  # unknown field reported, not dropped


def test_timestamps_at_the_ends_of_the_calendar_are_rejected_or_errors_never_a_crash(tmp_path: Path) -> None:
    """Year 1 east of UTC and year 9999 west of it have no instant Python can hold: such a record is
    rejected at its field, in the workers as in one process; an instant whose local date would fall
    after 9999-12-31 is read, and the rules that need that date report an error for that case."""
    sample = json.loads((ROOT / "samples" / "cases.json").read_text(encoding="utf-8"))[0]

    def at(case_id: str, moment: str) -> dict:
        record = json.loads(json.dumps(sample))
        record["case_id"] = case_id
        record["crime"].update(committed_at=moment, reported_at=moment, recorded_at=moment)
        return record

    path = write_cases(tmp_path / "edges.json", [
        at("E-1", "0001-01-01T00:00:00"), at("E-2", "0001-01-01T00:30:00+01:00"),
        at("E-3", "9999-12-31T23:59:59-05:00"), at("E-4", "9999-12-31T23:30:00Z"), sample,
    ])
    for jobs in ("1", "2"):
        result = run_cli(str(path), "--format", "json", "--timezone", "Europe/Paris", "--jobs", jobs)
        assert "Traceback" not in result.stderr and result.returncode == 3, result.stderr
        report = json.loads(result.stdout)
        assert report["summary"] == {"records_read": 5, "records_evaluated": 2, "records_rejected": 3}
        rejected = {item["case_id"]: item for item in report["rejected"]}
        assert sorted(rejected) == ["E-1", "E-2", "E-3"]
        assert {item["path"] for item in rejected.values()} == {"crime.committed_at"}
        assert rejected["E-1"]["message"] == (
            "'0001-01-01T00:00:00 (Europe/Paris local time)' is outside the range of instants the "
            "checker can read (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)")
        assert rejected["E-3"]["message"].startswith("'9999-12-31T23:59:59-05:00' is outside the range")
        assert len(rejected["E-2"]["errors"]) == 3  # all three timestamps named, not just the first
        edge = next(record for record in report["records"] if record["case_id"] == "E-4")
        errors = [item["message"] for item in edge["results"] if item["status"] == "error"]
        assert errors and all("9999-12-31T23:30:00+00:00 has no date in Europe/Paris" in message
                              or "not recorded" in message for message in errors)


def test_a_record_that_is_not_text_is_rejected_and_the_report_still_written(tmp_path: Path) -> None:
    """An unpaired surrogate escape once stopped the run when the JSON report was written (nothing
    scored, an unlocated error). Now that record is rejected and the others are scored."""
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(make_case("T-1")) + "\n"
                    + json.dumps(make_case("T-\ud800", victim={"kind": "person", "note": "\udbff"})) + "\n"
                    + json.dumps(make_case("T-3")) + "\n", encoding="utf-8")
    result = run_cli(str(path), "--format", "json", "--jobs", "2")
    assert result.returncode == 3 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"] == {"records_read": 3, "records_evaluated": 2, "records_rejected": 1}
    assert [(item["line"], item["case_id"], item["path"]) for item in report["rejected"]] == [(2, None, "case_id")]
    assert [record["case_id"] for record in report["records"]] == ["T-1", "T-3"]
