"""Sample-size planning: the inspectorate's published sizes, agreement with the margin, input checks, `check plan`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from checker.cli.main import app
from checker.audit.planning import margin_for_sample_size, margin_table, required_sample_size


@pytest.mark.parametrize(("rate", "margin", "population", "expected"), [
    (0.85, 0.05, None, 196),  # "about 196 at an expected 85%"
    (0.5, 0.05, None, 385),  # "385 in the worst case"
    (0.5, 0.05, 1000, 278),  # finite-population correction of the unrounded 384.15
])
def test_published_wald_sizes(rate: float, margin: float, population: int | None, expected: int) -> None:
    assert required_sample_size(rate, margin, population=population) == expected


def test_population_smaller_than_the_sample_caps_the_size() -> None:
    assert required_sample_size(0.5, 0.05, population=40) <= 40
    assert required_sample_size(0.5, 0.01, population=1) == 1


def test_wilson_size_is_the_smallest_that_meets_the_margin() -> None:
    n = required_sample_size(0.95, 0.05, method="wilson")
    assert n == 83  # Wilson needs more than Wald (73) near 100%
    assert margin_for_sample_size(0.95, n, method="wilson") <= 0.05
    assert margin_for_sample_size(0.95, n - 1, method="wilson") > 0.05


@pytest.mark.parametrize("method", ["wald", "wilson"])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.85, 0.97])
@pytest.mark.parametrize("population", [None, 60, 1000])
def test_size_and_margin_agree(method: str, rate: float, population: int | None) -> None:
    n = required_sample_size(rate, 0.05, population=population, method=method)
    assert margin_for_sample_size(rate, n, population=population, method=method) <= 0.05
    if n > 1:
        assert margin_for_sample_size(rate, n - 1, population=population, method=method) > 0.05


def test_margin_for_small_samples() -> None:
    # 1.96 * sqrt(0.85 * 0.15 / n), unclipped
    assert margin_for_sample_size(0.85, 20) == pytest.approx(0.15649, abs=1e-5)
    assert margin_for_sample_size(0.85, 100) == pytest.approx(0.06998, abs=1e-5)
    assert margin_for_sample_size(0.5, 1000, population=1000) == 0.0


def test_margin_table_skips_sizes_above_the_population_and_repeats() -> None:
    rows = margin_table(0.5, (20, 50, 100, 50), population=60)
    assert [n for n, _ in rows] == [20, 50]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"expected_rate": 1.0, "margin": 0.05}, "strictly between 0 and 1"),
    ({"expected_rate": 0.0, "margin": 0.05}, "expected rate"),
    ({"expected_rate": 0.5, "margin": 0.0}, "margin"),
    ({"expected_rate": 0.5, "margin": 5}, r"0\.05 for \+/- 5"),
    ({"expected_rate": 0.5, "margin": 0.05, "population": 0}, "at least 1"),
    ({"expected_rate": 0.5, "margin": 0.05, "confidence": 95}, "confidence level"),
    ({"expected_rate": 0.5, "margin": 0.05, "method": "exact"}, "wald, wilson"),
])
def test_bad_inputs_say_what_is_expected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        required_sample_size(**kwargs)


def test_margin_for_more_files_than_the_population_is_refused() -> None:
    with pytest.raises(ValueError, match="larger than the population"):
        margin_for_sample_size(0.5, 101, population=100)


@pytest.mark.parametrize(("args", "size"), [
    (["--expected-rate", "0.85", "--margin", "0.05"], 196),
    (["--expected-rate", "0.5", "--margin", "0.05"], 385),
    (["--expected-rate", "0.5", "--margin", "0.05", "--population", "1000"], 278),
])
def test_plan_command_prints_the_size(args: list[str], size: int) -> None:
    result = CliRunner().invoke(app, ["plan", *args])
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()[:2]
    assert first.startswith(f"Files needed: {size} ")
    assert "20 files: +/- " in second and "50 files:" in second and "100 files:" in second
    assert f"{size} files: +/- 5.0 points" in second


def test_plan_command_margins_for_small_samples() -> None:
    result = CliRunner().invoke(app, ["plan", "--expected-rate", "0.85", "--margin", "0.05"])
    assert "20 files: +/- 15.6 points; 50 files: +/- 9.9 points; 100 files: +/- 7.0 points" in result.output


def test_plan_command_wilson() -> None:
    result = CliRunner().invoke(app, ["plan", "--expected-rate", "0.95", "--margin", "0.05",
                                              "--interval", "wilson"])
    assert result.exit_code == 0
    assert result.output.startswith("Files needed: 83 ")


def test_plan_command_bad_input_exits_2() -> None:
    result = CliRunner().invoke(app, ["plan", "--expected-rate", "85", "--margin", "0.05"])
    assert result.exit_code == 2
    assert "expected rate 85.0 out of range" in result.output
