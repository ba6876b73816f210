"""Report wording: the inspectorate's published sentences, the reliability rule and force-defined grade bands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from checker.scoring.intervals import proportion_interval
from checker.scoring.statements import grade_for, inspectorate_sentence, load_grade_bands, reliability
from checker.errors import FileErrors


def test_published_wald_figure_2023() -> None:
    interval = proportion_interval(156, 183, "wald")
    assert inspectorate_sentence(156, 183, interval) == "85.2 percent (with a confidence interval of +/- 5.1 percent)"


def test_published_wald_figure_2019() -> None:
    interval = proportion_interval(208, 241, "wald")
    assert inspectorate_sentence(208, 241, interval) == "86.3 percent (with a confidence interval of +/- 4.3 percent)"


def test_wilson_names_the_level_the_bounds_and_the_method() -> None:
    interval = proportion_interval(156, 183, "wilson")
    assert inspectorate_sentence(156, 183, interval) == \
        "85.2 percent (95 percent confidence interval 79.4 to 89.7 percent, Wilson)"


def test_other_levels_are_named() -> None:
    assert inspectorate_sentence(156, 183, proportion_interval(156, 183, "wald", 0.9)) == \
        "85.2 percent (with a 90 percent confidence interval of +/- 4.3 percent)"
    assert inspectorate_sentence(156, 183, proportion_interval(156, 183, "exact", 0.99)).startswith(
        "85.2 percent (99 percent confidence interval ")


@pytest.mark.parametrize(("passed", "applicable"), [(13, 17), (19, 20), (298, 300), (3, 100)])
def test_small_or_lopsided_samples_are_given_as_counts(passed: int, applicable: int) -> None:
    interval = proportion_interval(passed, applicable, "wilson")
    assert inspectorate_sentence(passed, applicable, interval) == f"{passed} of {applicable}"


def test_no_applicable_files() -> None:
    assert inspectorate_sentence(0, 0, None) == "no applicable files"


def test_reliability_rule() -> None:
    assert reliability(156, 183)[0] is True
    assert reliability(25, 30)[0] is True  # exactly 30 applicable, 5 failures
    ok, message = reliability(13, 17)
    assert ok is False
    assert "only 17 applicable files (fewer than 30)" in message and "only 4 failed" in message
    assert 'report the result as "13 of 17"' in message and "unreliable" in message
    ok, message = reliability(296, 300)
    assert ok is False and "only 4 failed (fewer than 5)" in message
    assert reliability(4, 300)[1].startswith("4 of 300: only 4 passed")


def test_reliability_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="cannot be more than applicable"):
        reliability(5, 4)


# --- grade bands ------------------------------------------------------------------------------


BANDS = """\
description: Example force's internal convention (not the inspectorate's)
bands:
  - {min: 0.95, grade: outstanding}
  - {min: 0.85, grade: good}
  - {min: 0.70, grade: adequate}
  - {min: 0.5, grade: requires improvement}
  - {min: 0, grade: inadequate}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bands.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_grades_from_force_bands(tmp_path: Path) -> None:
    bands = load_grade_bands(write(tmp_path, BANDS))
    assert grade_for(1.0, bands) == "outstanding"
    assert grade_for(19 / 20, bands) == "outstanding"  # the minimum is inclusive
    assert grade_for(156 / 183, bands) == "good"
    assert grade_for(0.8499, bands) == "adequate"
    assert grade_for(0.5, bands) == "requires improvement"
    assert grade_for(0.0, bands) == "inadequate"
    assert bands.as_dict()["bands"][0] == {"min": 0.95, "grade": "outstanding"}


def test_band_order_in_the_file_does_not_matter(tmp_path: Path) -> None:
    bands = load_grade_bands(write(tmp_path, "bands:\n  - {min: 0, grade: low}\n  - {min: 0.9, grade: high}\n"))
    assert [band.grade for band in bands.bands] == ["high", "low"]
    assert grade_for(0.95, bands) == "high"


@pytest.mark.parametrize(("text", "where", "message"), [
    ("- {min: 0, grade: x}\n", ":1:1:", "expected a mapping with a 'bands' list"),
    ("bands: []\n", ":1:8:", "non-empty list"),
    ("bands:\n  - {min: 0, grade: a}\n  - {min: high, grade: b}\n", ":3:11:", r"bands\[1\]\.min: expected a rate"),
    ("bands:\n  - {min: 0, grade: a}\n  - {min: 90, grade: b}\n", ":3:11:", "0.9 for 90%"),
    ("bands:\n  - {min: 0, grade: a}\n  - {min: 0.5}\n", ":3:5:", "exactly the keys 'min' and 'grade'"),
    ("bands:\n  - {min: 0, grade: a}\n  - {min: 0.5, grade: a}\n", ":3:23:", "repeats bands"),
    ("bands:\n  - {min: 0.5, grade: a}\n", ":2:3:", "no band starts at min: 0"),
    ("bands:\n  - {min: 0, grade: a}\ngrades: 1\n", ":3:1:", "unknown key 'grades'"),
])
def test_bad_band_files_are_located(tmp_path: Path, text: str, where: str, message: str) -> None:
    with pytest.raises(FileErrors, match=message) as caught:
        load_grade_bands(write(tmp_path, text))
    assert where in str(caught.value)


def test_grade_for_refuses_a_percentage(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="proportion from 0 to 1"):
        grade_for(85.2, load_grade_bands(write(tmp_path, BANDS)))


def test_no_bands_ship_with_the_checker() -> None:
    package = ROOT / "checker"
    assert not [path for path in package.rglob("*") if "grade" in path.name.lower() and path.suffix in
                (".yaml", ".yml", ".json")]
