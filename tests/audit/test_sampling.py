"""Drawing samples: repeatable, independent of export order, stratified counts, filters, manifest, `check sample`."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from checker.cli.main import app
from checker.audit.sampling import (
    ALGORITHM, NOT_RECORDED, SEED_LIMIT, SampleError, draw_sample, load_manifest, manifest_path_for, read_population,
    verify_manifest, write_sample,
)

OUTCOMES = ["16", "1", "14", "2A"]


def case(number: int, outcome: str | None = "16", offence: str = "8N") -> dict[str, Any]:
    """A minimal valid synthetic case record (no real data)."""
    record: dict[str, Any] = {"case_id": f"T-{number:03d}",
                              "crime": {"reported_at": "2022-01-01T10:00:00Z", "offence": {"code": offence}}}
    record["outcome"] = None if outcome is None else {"code": outcome, "finalised_at": "2022-02-01"}
    return record


def population_records(count: int = 60) -> list[dict[str, Any]]:
    """Outcomes cycle 16, 1, 14, 2A; every tenth case is still open (outcome null)."""
    return [case(i, None if i % 10 == 0 else OUTCOMES[i % 4]) for i in range(1, count + 1)]


def write_population(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(records, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def population_file(tmp_path: Path) -> Path:
    return write_population(tmp_path / "population.json", population_records())


# --- the draw ----------------------------------------------------------------------------------


def test_same_seed_gives_the_same_sample(population_file: Path) -> None:
    records = read_population(population_file).records
    first = draw_sample(records, size=10, seed=2025)
    second = draw_sample(records, size=10, seed=2025)
    assert first.case_ids == second.case_ids
    assert len(first.case_ids) == len(set(first.case_ids)) == 10  # without replacement
    assert draw_sample(records, size=10, seed=2026).case_ids != first.case_ids


def test_the_draw_is_pinned_for_a_seed(population_file: Path) -> None:
    """Guards repeatability across machines and Python versions: this exact draw must never change."""
    sample = draw_sample(read_population(population_file).records, size=5, seed=42)
    assert sample.case_ids == PINNED_SEED_42


PINNED_SEED_42 = ["T-002", "T-010", "T-013", "T-020", "T-042"]


def test_export_order_does_not_change_the_draw(tmp_path: Path) -> None:
    records = population_records()
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    in_order = read_population(write_population(tmp_path / "a.json", records)).records
    reordered = read_population(write_population(tmp_path / "b.json", shuffled)).records
    assert draw_sample(in_order, size=12, seed=99).case_ids == draw_sample(reordered, size=12, seed=99).case_ids


def test_sampled_records_keep_input_order(population_file: Path) -> None:
    sample = draw_sample(read_population(population_file).records, size=8, seed=5)
    positions = [record.index for record in sample.records]
    assert positions == sorted(positions)


def test_without_a_seed_one_is_chosen_and_repeats_the_draw(population_file: Path) -> None:
    records = read_population(population_file).records
    sample = draw_sample(records, size=6)
    assert 0 <= sample.seed < SEED_LIMIT
    assert draw_sample(records, size=6, seed=sample.seed).case_ids == sample.case_ids


def test_stratified_draw_takes_per_stratum_files_from_each(tmp_path: Path) -> None:
    records = population_records(60) + [case(61, "3A"), case(62, "3A")]  # a stratum smaller than K
    population = read_population(write_population(tmp_path / "p.json", records))
    sample = draw_sample(population.records, seed=11, stratify_by="outcome.code", per_stratum=5)
    counts = {s.value: (len(s.case_ids), s.population) for s in sample.strata}
    # 60 cases: every tenth open; the others' outcome by i % 4 (1 and 3 never meet a multiple of 10).
    assert counts == {NOT_RECORDED: (5, 6), "1": (5, 15), "14": (5, 12), "16": (5, 12), "2A": (5, 15),
                      "3A": (2, 2)}
    assert [s.value for s in sample.strata] == sorted(counts)
    by_id = {record.case_id: record for record in population.records}
    for stratum in sample.strata:
        for case_id in stratum.case_ids:
            outcome = by_id[case_id].raw["outcome"]
            assert (outcome["code"] if outcome else NOT_RECORDED) == stratum.value
    assert len(sample.records) == 27


def test_stratify_by_a_nested_path(population_file: Path) -> None:
    records = read_population(population_file).records
    sample = draw_sample(records, seed=1, stratify_by="crime.offence.code", per_stratum=3)
    assert [(s.value, len(s.case_ids), s.population) for s in sample.strata] == [("8N", 3, 60)]


def test_where_filters_the_population(population_file: Path) -> None:
    records = read_population(population_file).records
    sample = draw_sample(records, size=4, seed=3, where='case.outcome != null && case.outcome.code == "16"')
    assert sample.eligible == 12 and sample.filtered_out == 48
    assert all(record.raw["outcome"]["code"] == "16" for record in sample.records)


def test_where_that_cannot_be_evaluated_names_the_records(population_file: Path) -> None:
    records = read_population(population_file).records
    with pytest.raises(SampleError) as caught:
        draw_sample(records, size=4, seed=3, where='case.outcome.code == "16"')
    message = str(caught.value)
    assert "6 record(s)" in message
    assert "record 10 (line" in message and "case T-010" in message
    assert "outcome is not recorded (null)" in message


def test_where_with_an_unknown_field_suggests_one(population_file: Path) -> None:
    with pytest.raises(SampleError, match="did you mean 'outcome.code'"):
        draw_sample(read_population(population_file).records, size=2, seed=1, where='case.outcome.cod == "1"')


def test_where_that_does_not_compile(population_file: Path) -> None:
    with pytest.raises(SampleError, match="does not compile"):
        draw_sample(read_population(population_file).records, size=2, seed=1, where="case.outcome ==")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give --size N"),
    ({"size": 0}, "at least 1"),
    ({"size": 61}, "only 60 eligible"),
    ({"size": 5, "stratify_by": "outcome.code", "per_stratum": 2}, "give one or the other"),
    ({"stratify_by": "outcome.code"}, "needs both"),
    ({"stratify_by": "outcome", "per_stratum": 2}, "is an object"),
    ({"stratify_by": "key_events", "per_stratum": 2}, "is a list"),
    ({"stratify_by": "outcome.cod", "per_stratum": 2}, "did you mean 'outcome.code'"),
    ({"size": 5, "seed": -1}, "seed -1 is not valid"),
])
def test_bad_designs_say_what_is_expected(population_file: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(SampleError, match=message):
        draw_sample(read_population(population_file).records, **kwargs)


def test_invalid_records_are_excluded_and_counted(tmp_path: Path) -> None:
    records = population_records(20) + [{"case_id": "T-BAD", "crime": {}}, case(1)]  # no reported_at; duplicate
    population = read_population(write_population(tmp_path / "p.json", records))
    assert population.records_read == 22
    assert [(r.case_id, r.index) for r in population.excluded] == [("T-BAD", 20), ("T-001", 21)]
    sample = draw_sample(population.records, size=20, seed=1)
    assert "T-BAD" not in sample.case_ids


# --- files and the manifest ---------------------------------------------------------------------


def test_sample_file_and_manifest_contents(population_file: Path, tmp_path: Path) -> None:
    population = read_population(population_file)
    sample = draw_sample(population.records, seed=8, stratify_by="outcome.code", per_stratum=2,
                         where='case.crime.offence.code == "8N"')
    output = tmp_path / "sample.json"
    manifest_path = write_sample(sample, population, output)
    assert manifest_path == tmp_path / "sample.json.manifest.json" == manifest_path_for(output)

    written = json.loads(output.read_text(encoding="utf-8"))
    originals = {record["case_id"]: record for record in population_records()}
    assert [record["case_id"] for record in written] == [record.case_id for record in sample.records]
    assert all(record == originals[record["case_id"]] for record in written)  # unchanged, as written

    manifest = load_manifest(manifest_path)
    assert manifest["algorithm"] == ALGORITHM
    assert manifest["seed"] == 8
    assert manifest["method"] == "stratified"
    assert (manifest["stratify_by"], manifest["per_stratum"]) == ("outcome.code", 2)
    assert manifest["where"] == 'case.crime.offence.code == "8N"'
    assert manifest["tool"]["version"]
    assert manifest["population"]["path"] == str(population_file)
    assert manifest["population"]["sha256"] == population.sha256
    assert manifest["population"]["size"] == 60
    assert manifest["sample"]["size"] == 10
    assert sorted(manifest["sample"]["case_ids"]) == sorted(r["case_id"] for r in written)
    assert [(s["value"], s["population"], s["sample"]) for s in manifest["strata"]] == [
        (NOT_RECORDED, 6, 2), ("1", 15, 2), ("14", 12, 2), ("16", 12, 2), ("2A", 15, 2)]
    assert sorted(sum((s["case_ids"] for s in manifest["strata"]), [])) == manifest["sample"]["case_ids"]


def test_manifest_lets_the_draw_be_repeated(population_file: Path, tmp_path: Path) -> None:
    population = read_population(population_file)
    output = tmp_path / "sample.json"
    manifest_path = write_sample(draw_sample(population.records, size=10, seed=314), population, output)
    manifest = load_manifest(manifest_path)
    assert verify_manifest(manifest, population_file, output) == []


def test_verify_finds_a_changed_population(population_file: Path, tmp_path: Path) -> None:
    population = read_population(population_file)
    manifest_path = write_sample(draw_sample(population.records, size=10, seed=314), population,
                                 tmp_path / "sample.json")
    manifest = load_manifest(manifest_path)
    write_population(population_file, population_records(59))  # one case removed
    problems = verify_manifest(manifest, population_file)
    assert any("has changed since the draw" in problem for problem in problems)
    assert any("population size differs: 59" in problem for problem in problems)


def test_verify_finds_a_different_draw(population_file: Path, tmp_path: Path) -> None:
    population = read_population(population_file)
    manifest_path = write_sample(draw_sample(population.records, seed=2, stratify_by="outcome.code",
                                             per_stratum=3), population, tmp_path / "sample.json")
    manifest = load_manifest(manifest_path)
    manifest["seed"] = 3
    problems = verify_manifest(manifest, population_file)
    assert problems and all("case ids differ" in problem for problem in problems)


def test_verify_finds_an_edited_sample_file(population_file: Path, tmp_path: Path) -> None:
    population = read_population(population_file)
    output = tmp_path / "sample.json"
    manifest = load_manifest(write_sample(draw_sample(population.records, size=3, seed=1), population, output))
    records = json.loads(output.read_text(encoding="utf-8"))
    records[0]["outcome"] = None
    output.write_text(json.dumps(records, indent=2), encoding="utf-8")
    problems = verify_manifest(manifest, population_file, output)
    assert problems == [f"sample file record 1 (line 2) case {records[0]['case_id']}: "
                        "differs from the population's record"]


def test_verify_reports_an_incomplete_manifest(population_file: Path) -> None:
    assert verify_manifest({"seed": 1}, population_file)[0].startswith("the manifest lacks manifest_version")


def test_sample_cannot_overwrite_the_population(population_file: Path) -> None:
    population = read_population(population_file)
    with pytest.raises(SampleError, match="is the population file"):
        write_sample(draw_sample(population.records, size=1, seed=1), population, population_file)


# --- the command --------------------------------------------------------------------------------


def test_sample_command(population_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["sample", str(population_file), "--size", "5", "--seed", "42",
                                              "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Drew 5 of 60 eligible record(s): simple random sample." in result.output
    assert "Seed: 42 " in result.output
    assert f"Manifest: {output}.manifest.json" in result.output
    assert sorted(r["case_id"] for r in json.loads(output.read_text(encoding="utf-8"))) == PINNED_SEED_42


def test_sample_command_stratified_prints_each_stratum(population_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sample", str(population_file), "--stratify-by", "outcome.code",
                                              "--per-stratum", "15", "--output", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert "  16: 12 of 12\n" in result.output and "  1: 15 of 15\n" in result.output
    assert "Seed: " in result.output


def test_sample_command_reports_a_bad_file_with_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"case_id": "T-1"},\n  oops\n]', encoding="utf-8")
    result = CliRunner().invoke(app, ["sample", str(bad), "--size", "1", "--output", str(tmp_path / "o.json")])
    assert result.exit_code == 2
    assert f"{bad}:3:3: invalid JSON in record 2" in result.output
    assert not (tmp_path / "o.json").exists()


def test_sample_command_refuses_a_bad_design(population_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sample", str(population_file), "--stratify-by", "outcome.code",
                                              "--output", str(tmp_path / "o.json")])
    assert result.exit_code == 2
    assert "needs both --stratify-by PATH" in result.output


def test_sample_command_warns_about_excluded_records(tmp_path: Path) -> None:
    population = write_population(tmp_path / "p.json", population_records(10) + [{"case_id": "T-BAD", "crime": {}}])
    result = CliRunner().invoke(app, ["sample", str(population), "--size", "2", "--seed", "1",
                                              "--output", str(tmp_path / "o.json")])
    assert result.exit_code == 0
    assert "1 invalid record(s) of 11 excluded" in result.output
    manifest = load_manifest(tmp_path / "o.json.manifest.json")
    assert manifest["population"]["excluded_invalid"] == 1
    assert manifest["population"]["excluded_records"][0]["case_id"] == "T-BAD"
