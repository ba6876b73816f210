"""The benchmark's input generator and harness (bench/generate.py, bench/run.py), at tiny sizes.

The benchmark's sizes themselves (10k to 1M records) are never run here: see bench/README.md.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import main as generate
from bench.sql_ceiling import main as ceiling
from checker.api import load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from checker.sql.run import NOT_APPLICABLE_CODE, PASS_CODE
from checker.inputs.records import CaseRecord, RawRecord, check_record
from synthetic.cases import generate_cases
from tests.conftest import ROOT

COUNT = 25


def records_in(path: Path) -> list[dict]:
    text = (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")).read()
    if ".json" in path.suffixes and ".jsonl" not in path.suffixes:
        return json.loads(text)
    assert text.endswith("\n") and "\n\n" not in text
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("name", ["cases.jsonl", "cases.jsonl.gz", "cases.json"])
def test_generate_writes_n_valid_records_and_the_same_seed_gives_the_same_bytes(tmp_path: Path, name: str) -> None:
    first, second, other = tmp_path / "a" / name, tmp_path / "b" / name, tmp_path / "c" / name
    for path, seed in ((first, 7), (second, 7), (other, 8)):
        path.parent.mkdir()
        assert generate(["--count", str(COUNT), "--seed", str(seed), "--output", str(path)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    records = records_in(first)
    assert records == generate_cases(COUNT, seed=7)  # the checker's own generator, not a second one
    for index, data in enumerate(records):
        assert isinstance(check_record(RawRecord(index, None, data), "Europe/London"), CaseRecord)
    assert not list(tmp_path.rglob("*.partial"))


def run_bench(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    """`bench/run.py` with `options`, its data and results under tmp_path: the finished process and the results."""
    results = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--repeat", "1", *options, "--data-dir", str(tmp_path / "data"),
         "--results", str(results)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return completed, json.loads(results.read_text(encoding="utf-8"))


def test_run_measures_both_programs_and_their_counts_agree(tmp_path: Path) -> None:
    """One tiny size through the whole harness, with today's input format (a JSON array)."""
    completed, report = run_bench(tmp_path, "--sizes", "30", "--input-format", "json")
    assert report["machine"]["cpu_count"] >= 1 and report["git"]["commit"]
    (row,) = report["results"]
    assert row["records"] == 30 and row["counts_agree"] is True
    for side in ("checker", "baseline"):
        assert row[side]["seconds"] > 0 and row[side]["peak_rss_mib"] > 10
    assert row["rate_ratio"] > 0 and row["cpu_ratio"] > 0
    assert "counts agree" in completed.stdout and "checker CPU µs/file" in completed.stdout


def test_run_measures_the_sql_engine_in_the_same_run(tmp_path: Path) -> None:
    completed, report = run_bench(tmp_path, "--sizes", "40", "--sql-args", "--engine sql --quiet")
    (row,) = report["results"]
    assert row["counts_agree"] is True  # the SQL engine's report equals the per-record engine's
    assert row["sql"]["seconds"] > 0 and row["sql_ratio_to_checker"] > 0 and row["sql_ratio_to_baseline"] > 0
    assert "sql files/s" in completed.stdout and "sql CPU µs/file" in completed.stdout


def test_run_measures_start_up_alone_with_findings(tmp_path: Path) -> None:
    """Size 0: both engines start, find no case files and write nothing (exit 2); nothing to compare."""
    _, report = run_bench(tmp_path, "--sizes", "0", "--findings", "parquet", "--sql-args", "--engine sql --quiet")
    (row,) = report["results"]
    assert row["records"] == 0 and row["counts_agree"] is None
    assert row["checker"]["seconds"] > 0 and row["sql"]["seconds"] > 0


def test_run_measures_a_parquet_input(tmp_path: Path) -> None:
    _, report = run_bench(tmp_path, "--sizes", "25", "--input-format", "parquet", "--sql-args", "--engine sql --quiet")
    assert (tmp_path / "data" / "cases-25-seed7.parquet").exists()
    (row,) = report["results"]
    assert row["records"] == 25 and row["counts_agree"] is True


def test_sql_ceiling_runs_the_compiled_rules_and_counts_as_the_engine_does(tmp_path: Path) -> None:
    """`bench/sql_ceiling.py` (DuckDB alone: its JSON reader and the compiled rules' query) on 200 generated files:
    each automatic rule's passes and not-applicable files are the per-record engine's, and the results file holds
    both steps' timings."""
    cases = tmp_path / "cases.jsonl"
    assert generate(["--count", "200", "--seed", "5", "--output", str(cases)]) == 0
    results = tmp_path / "ceiling.json"
    assert ceiling([str(cases), "--results", str(results)]) == 0
    measured = json.loads(results.read_text(encoding="utf-8"))
    assert measured["records"] == 200 and measured["rules"] == 37
    assert set(measured["steps"]) == {"reader", "rules"}
    assert all(step["seconds"] > 0 and step["files_per_second"] > 0 for step in measured["steps"].values())
    packs = [pack for pack in load_packs([ROOT / "rules"]) if pack.record_type == "case-file"]
    report = run_check(cases, packs, RunSettings(packs=pack_settings(packs, {})), keep=False, engine="records")
    automatic = [score for score in report.rules if score.kind == "automatic"]
    assert len(automatic) > 30
    for score in automatic:
        codes = measured["outcome_codes"][score.id]
        assert (codes.get(str(PASS_CODE), 0), codes.get(str(NOT_APPLICABLE_CODE), 0)) == (
            score.counts.get("pass", 0), score.counts.get("not_applicable", 0)), score.id
        assert sum(codes.values()) == 200
