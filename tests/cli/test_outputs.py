"""An auditor's work is never lost: outputs are checked before any work, never written over a file the
command reads, and written atomically; review workbooks with answers are carried forward."""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from checker import outputs
from checker.outputs import AtomicFile, OutputError, check_outputs, write_output
from tests.conftest import ROOT, RULES, SAMPLES, make_case, run_cli, write_cases

CHECK = [sys.executable, "-m", "checker.cli.main"]
EXPORT = SAMPLES / "export"


def check(*args: object, cwd: Path | None = None, stdin: bytes | None = None) -> Any:
    """`check ARGS` in this process (quick), or as its own process in `cwd` (relative spellings)."""
    if cwd is None:
        return run_cli(*(str(arg) for arg in args), stdin=stdin)
    result = subprocess.run([*CHECK, *(str(arg) for arg in args)], cwd=cwd, capture_output=True, timeout=180,
                            input=stdin)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    target = tmp_path / "cases.json"
    target.write_bytes((SAMPLES / "cases.json").read_bytes())
    return target


def answered_workbook(cases: Path, path: Path, answers: int = 16) -> Path:
    result = check("review", cases, "--output", path)
    assert result.returncode == 0, result.stderr
    workbook = load_workbook(path)
    sheet = workbook["Review"]
    for row in range(2, 2 + answers):
        sheet[f"D{row}"] = "yes"
        sheet[f"E{row}"] = "A. Reviewer"
    workbook.save(path)
    return path


def answers_in(path: Path) -> list[tuple[str, str, str]]:
    sheet = load_workbook(path)["Review"]
    return [(row[0], row[1], row[3]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[3]]


# --- never over a file the command reads ------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["same", "dot", "relative", "symlink", "hardlink"])
def test_check_never_writes_over_its_case_file_whatever_the_spelling(cases: Path, tmp_path: Path,
                                                                      spelling: str) -> None:
    before = cases.read_bytes()
    output = {"same": "cases.json", "dot": "./cases.json", "relative": f"../{tmp_path.name}/cases.json",
              "symlink": "link.json", "hardlink": "hard.json"}[spelling]
    if spelling == "symlink":
        (tmp_path / "link.json").symlink_to(cases)
    if spelling == "hardlink":
        os.link(cases, tmp_path / "hard.json")
    result = check(cases, "-o", output, cwd=tmp_path)
    assert result.returncode == 2
    assert "which this command reads" in result.stderr and "the case file" in result.stderr
    assert cases.read_bytes() == before


def test_check_never_writes_over_the_workbook_it_reads(cases: Path, tmp_path: Path) -> None:
    workbook = answered_workbook(cases, tmp_path / "j.xlsx")
    before = workbook.read_bytes()
    result = check(cases, "--judgements", workbook, "-o", workbook)
    assert result.returncode == 2
    assert "is the --judgements workbook" in result.stderr
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("option", ["--waivers", "--mapping", "--rules"])
def test_check_never_writes_over_its_side_files(tmp_path: Path, option: str) -> None:
    side = {"--waivers": SAMPLES / "waivers.yaml", "--mapping": EXPORT / "mapping.yaml",
            "--rules": RULES / "outcomes.yaml"}[option]
    copy = tmp_path / side.name
    copy.write_bytes(side.read_bytes())
    cases = EXPORT / "cases.csv" if option == "--mapping" else SAMPLES / "cases.json"
    args = [cases, option, copy, "-o", copy, "--format", "json"]
    if option == "--rules":
        args += ["--rules", RULES]
    result = check(*args)
    assert result.returncode == 2, result.stderr
    assert "which this command reads" in result.stderr
    assert copy.read_bytes() == side.read_bytes()


def test_a_file_the_mapping_joins_is_never_overwritten(tmp_path: Path) -> None:
    for name in ("cases.csv", "updates.csv", "mapping.yaml"):
        (tmp_path / name).write_bytes((EXPORT / name).read_bytes())
    result = check(tmp_path / "cases.csv", "--mapping", tmp_path / "mapping.yaml", "-o", tmp_path / "updates.csv")
    assert result.returncode == 2
    assert "a file the mapping joins" in result.stderr
    assert (tmp_path / "updates.csv").read_bytes() == (EXPORT / "updates.csv").read_bytes()


def test_review_never_replaces_the_workbook_it_reads(cases: Path, tmp_path: Path) -> None:
    workbook = answered_workbook(cases, tmp_path / "same.xlsx")
    before = workbook.read_bytes()
    result = check("review", cases, "--output", workbook, "--judgements", workbook)
    assert result.returncode == 2
    assert "leave out --judgements (its answers are carried into the new workbook)" in result.stderr
    assert workbook.read_bytes() == before


def test_sample_never_writes_over_its_population(cases: Path) -> None:
    before = cases.read_bytes()
    result = check("sample", cases, "--size", 3, "--seed", 1, "-o", f"{cases.parent}/./{cases.name}")
    assert result.returncode == 2
    assert "the case file" in result.stderr
    assert cases.read_bytes() == before


# --- output problems found before the run -------------------------------------------------------------


def test_output_problems_are_all_found_before_any_work(cases: Path, tmp_path: Path) -> None:
    (tmp_path / "folder.json").mkdir()
    result = check(cases, "-o", tmp_path / "folder.json", "-o", tmp_path / "missing" / "r.html",
                   "-o", tmp_path / "r.csv", "-o", tmp_path / "r.csv", "--rules", tmp_path / "no-such-rules")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert f"error: --output {tmp_path / 'folder.json'}: is a folder: give a file name" in lines
    assert f"error: --output {tmp_path / 'missing' / 'r.html'}: the folder {tmp_path / 'missing'} does not exist: " \
           "create it first" in lines
    assert any("the same file is given twice" in line for line in lines)
    assert "Rule files" not in result.stderr  # found before the rules were even read


def test_a_read_only_folder_is_refused_before_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*_: object, **__: object) -> None:
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(outputs.tempfile, "mkstemp", read_only)
    with pytest.raises(OutputError) as caught:
        check_outputs([("--output", tmp_path / "r.json")], [])
    assert caught.value.problems == [f"--output {tmp_path / 'r.json'}: cannot write in the folder {tmp_path}: "
                                     "Read-only file system"]


def test_a_device_is_not_an_output(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is not a regular file"):
        check_outputs([("--output", Path("/dev/null"))], [])


# --- atomic writes -----------------------------------------------------------------------------------


def test_atomic_file_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("previous")
    with pytest.raises(RuntimeError):
        with AtomicFile(target) as output:
            output.handle.write("half a rep")
            raise RuntimeError("killed")
    assert target.read_text() == "previous"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html"]
    write_output(target, "new")
    assert target.read_text() == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html"]


@pytest.mark.parametrize("name", ["report.html", "report.xlsx", "report.md", "report.txt", "report.json",
                                  "report.csv"])
def test_a_full_disk_leaves_the_previous_report_in_every_format(tmp_path: Path, name: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cases = write_cases(tmp_path / "cases.json", [make_case("A-1"), make_case("A-2")])
    target = tmp_path / name
    target.write_bytes(b"the previous report")

    def full(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs.os, "fsync", full)
    result = check(cases, "--rules", RULES, "-o", target)
    assert result.returncode == 2
    assert f"cannot write {target}: No space left on device" in result.stderr
    assert target.read_bytes() == b"the previous report"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["cases.json", name])


def start_a_long_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`check` on 40,000 files writing over an earlier report.json, as a process of its own (to be stopped)."""
    record = json.dumps(make_case("K-0"))
    big = tmp_path / "big.jsonl"
    big.write_text("".join(record.replace("K-0", f"K-{i}") + "\n" for i in range(40000)))
    report = tmp_path / "report.json"
    report.write_text("the previous report")
    process = subprocess.Popen([*CHECK, str(big), "-o", str(report), "--quiet"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, report


def test_a_killed_run_leaves_the_previous_report(tmp_path: Path) -> None:
    process, report = start_a_long_run(tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not [path for path in tmp_path.iterdir() if path.name.startswith(".report.json.")
                   and path.stat().st_size > 0]:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert report.read_text() == "the previous report"


def test_existing_temporary_looking_paths_are_never_followed(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.json", [make_case("A-1")])
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "report.json.partial").symlink_to(victim)
    (tmp_path / ".report.html.partial").mkdir()
    result = check(cases, "--rules", RULES, "-o", tmp_path / "report.json", "-o", tmp_path / "report.html")
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "keep me"
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["records_read"] == 1
    assert (tmp_path / ".report.html.partial").is_dir()


# --- review workbooks with answers ----------------------------------------------------------------------


def test_a_new_review_over_an_answered_workbook_carries_its_answers_forward(cases: Path, tmp_path: Path) -> None:
    workbook = answered_workbook(cases, tmp_path / "review.xlsx")
    answered = answers_in(workbook)
    assert len(answered) == 16
    result = check("review", cases, "--output", workbook)
    assert result.returncode == 0, result.stderr
    assert f"carried forward 16 answer(s) already written in {workbook}" in result.stderr
    assert answers_in(workbook) == answered
    assert result.stdout.startswith(f"{pending_judgements(cases) - 16} judgement(s) pending")
    scored = check(cases, "--judgements", workbook, "-f", "json")
    assert json.loads(scored.stdout)["input"]["judgements"]["answers"] == 16


def test_a_file_that_is_not_a_review_workbook_is_not_replaced(cases: Path, tmp_path: Path) -> None:
    other = tmp_path / "budget.xlsx"
    workbook = Workbook()
    workbook.active.append(["line", "amount"])
    workbook.save(other)
    before = other.read_bytes()
    result = check("review", cases, "--output", other)
    assert result.returncode == 2
    assert "exists and is not a review workbook" in result.stderr
    assert other.read_bytes() == before


def test_answers_the_new_workbook_cannot_hold_are_not_dropped(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.json", json.loads((SAMPLES / "cases.json").read_text()))
    workbook = answered_workbook(cases, tmp_path / "review.xlsx", answers=2)
    first_case = answers_in(workbook)[0][0]
    records = [record for record in json.loads(cases.read_text()) if record["case_id"] != first_case]
    write_cases(cases, records)
    before = workbook.read_bytes()
    result = check("review", cases, "--output", workbook)
    assert result.returncode == 2
    assert "answer(s) for judgements that are no longer pending" in result.stderr and first_case in result.stderr
    assert workbook.read_bytes() == before


# --- one way to read cases ----------------------------------------------------------------------------


def test_sample_and_review_read_a_mapped_export(tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    drawn = check("sample", EXPORT / "cases.csv", "--mapping", EXPORT / "mapping.yaml", "--size", 12,
                  "--seed", 7, "-o", sample)
    assert drawn.returncode == 0, drawn.stderr
    assert (tmp_path / "updates.csv").exists()
    header = (EXPORT / "cases.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert sample.read_text(encoding="utf-8-sig").splitlines()[0] == header
    scored = check(sample, "--mapping", EXPORT / "mapping.yaml", "-f", "json")
    assert scored.returncode in (0, 3), scored.stderr
    result = json.loads(scored.stdout)
    manifest = json.loads((tmp_path / "sample.csv.manifest.json").read_text())
    assert result["summary"]["records_read"] == 12
    assert sorted(record["case_id"] for record in result["records"]) == manifest["sample"]["case_ids"]
    review = check("review", sample, "--mapping", EXPORT / "mapping.yaml", "-o", tmp_path / "review.xlsx")
    assert review.returncode == 0, review.stderr
    assert "judgement(s) pending" in review.stdout


@pytest.mark.parametrize("name", ["s.json", "s.jsonl", "s.jsonl.gz"])
def test_sample_writes_the_form_its_name_says_and_scores_as_written(cases: Path, tmp_path: Path, name: str) -> None:
    output = tmp_path / name
    assert check("sample", cases, "--size", 5, "--seed", 3, "-o", output).returncode == 0
    data = output.read_bytes()
    text = gzip.decompress(data).decode() if name.endswith(".gz") else data.decode()
    if name == "s.json":
        assert len(json.loads(text)) == 5
    else:
        assert [json.loads(line)["case_id"] for line in text.splitlines()] == \
               [json.loads(line)["case_id"] for line in text.splitlines() if line]
        assert len(text.splitlines()) == 5
    scored = json.loads(check(output, "-f", "json").stdout)
    assert scored["summary"]["records_read"] == 5


@pytest.mark.parametrize("name", ["sample.txt", "sample.csv", "sample"])
def test_sample_refuses_a_name_it_cannot_write_as_said(cases: Path, tmp_path: Path, name: str) -> None:
    result = check("sample", cases, "--size", 5, "--seed", 3, "-o", tmp_path / name)
    assert result.returncode == 2
    assert "give a .json or .jsonl name" in result.stderr or "cannot tell what to write" in result.stderr
    assert not (tmp_path / name).exists()


def pending_judgements(cases: Path) -> int:
    """How many manual judgements the sample leaves pending, as the run itself counts them."""
    report = json.loads(check(cases, "-f", "json").stdout)
    return sum(rule["counts"]["manual"] for rule in report["rules"])


def test_review_and_judgements_read_standard_input(cases: Path, tmp_path: Path) -> None:
    workbook = tmp_path / "review.xlsx"
    result = check("review", "-", "-o", workbook, stdin=cases.read_bytes())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{pending_judgements(cases)} judgement(s) pending")
    sheet = load_workbook(workbook)["Review"]
    sheet["D2"] = "yes"
    sheet.parent.save(workbook)
    scored = check("-", "--judgements", workbook, "-f", "json", stdin=cases.read_bytes())
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["input"]["judgements"]["answers"] == 1


def test_judgements_with_a_mapped_export_check_case_ids_from_the_run(tmp_path: Path) -> None:
    workbook = tmp_path / "review.xlsx"
    mapped = [EXPORT / "cases.csv", "--mapping", EXPORT / "mapping.yaml"]
    assert check("review", *mapped, "-o", workbook).returncode == 0
    sheet = load_workbook(workbook)["Review"]
    sheet["D2"] = "no"
    sheet.parent.save(workbook)
    scored = check(*mapped, "--judgements", workbook, "-f", "json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["input"]["judgements"]["answers"] == 1


# --- empty input -------------------------------------------------------------------------------------


EMPTY_FORMS = {"array.json": b"[]\n", "zero.json": b"", "lines.jsonl": b"", "blank.jsonl": b"\n\n",
               "array.json.gz": gzip.compress(b"[]"), "zero.jsonl.gz": gzip.compress(b"")}


@pytest.mark.parametrize("command", ["run", "review", "sample"])
@pytest.mark.parametrize("form", [*EMPTY_FORMS, "-"])
def test_empty_input_is_no_case_files_with_exit_2_in_every_form(tmp_path: Path, command: str, form: str) -> None:
    args: list[object] = {"run": [], "review": ["-o", tmp_path / "r.xlsx"],
                          "sample": ["--size", 1, "-o", tmp_path / "s.json"]}[command]
    if form == "-":
        result = check(command, "-", *args, stdin=b"")
    else:
        path = tmp_path / form
        path.write_bytes(EMPTY_FORMS[form])
        result = check(command, path, *args)
    assert result.returncode == 2
    assert f"no case files in {form if form == '-' else tmp_path / form}" in result.stderr
    assert "scored" not in result.stdout
    assert not (tmp_path / "r.xlsx").exists() and not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("content", ["", "header only"])
def test_an_empty_export_is_no_case_files_too(tmp_path: Path, content: str) -> None:
    for name in ("updates.csv", "mapping.yaml"):
        (tmp_path / name).write_bytes((EXPORT / name).read_bytes())
    export = tmp_path / "cases.csv"
    header = (EXPORT / "cases.csv").read_text(encoding="utf-8-sig").splitlines()[0] + "\n"
    export.write_text(header if content else "", encoding="utf-8")
    for command in (["run"], ["sample", "--size", "1", "-o", str(tmp_path / "s.json")]):
        result = check(*command, export, "--mapping", tmp_path / "mapping.yaml")
        assert result.returncode == 2
        assert f"no case files in {export}" in result.stderr


def test_answers_also_in_the_judgements_workbook_are_not_lost_nor_refused(cases: Path, tmp_path: Path) -> None:
    done = answered_workbook(cases, tmp_path / "round1.xlsx", answers=2)
    again = tmp_path / "round2.xlsx"
    again.write_bytes(done.read_bytes())  # the same answers in the workbook about to be refreshed
    result = check("review", cases, "--output", again, "--judgements", done)
    assert result.returncode == 0, result.stderr
    assert f"2 more are answered in {done} (--judgements), which keeps them" in result.stderr
    assert result.stdout.startswith(f"{pending_judgements(cases) - 2} judgement(s) pending")
    assert answers_in(done) and answers_in(again) == []


def test_a_terminated_run_removes_its_temporary_files_and_keeps_the_previous_report(tmp_path: Path) -> None:
    process, report = start_a_long_run(tmp_path)
    deadline = time.monotonic() + 120
    while not [path for path in tmp_path.iterdir() if path.name.startswith(".report.json.")]:
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert report.read_text() == "the previous report"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["big.jsonl", "report.json"]
