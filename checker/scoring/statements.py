"""Writing results the way inspection reports do, and saying when a figure should not be quoted as a rate.

- `inspectorate_sentence`: "85.2 percent (with a confidence interval of +/- 5.1
  percent)" for a Wald interval (the published form, which only the Wald
  interval reproduces); "85.2 percent (95 percent confidence interval 79.4 to
  89.7 percent, Wilson)" for the others, naming the method; and plain "13 of
  17" when the sample is too small for an interval to mean much.
- `reliability`: the rule of thumb for the normal approximation. A result is
  unreliable as a rate when fewer than 30 files are applicable, or when fewer
  than 5 passed or fewer than 5 failed (the "expected successes and failures
  at least 5" condition, with the observed counts standing in for the
  expected ones). Inspection reports then give the count, "13 of 17".
- Grade bands: a force may map rates to words ("good", "requires
  improvement"). No bands ship with the checker, because the inspectorate
  publishes no such thresholds for case-file rates: grades are a force's own
  convention, read from the force's YAML file, and reported as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.scoring.intervals import Interval
from checker.yamlfiles import load_checked_yaml
from checker.yamlsource import Locations
from checker.errors import GRADE_BANDS, FileErrors, SourceError

MIN_APPLICABLE = 30  # applicable files below which an interval is not quoted
MIN_EACH_OUTCOME = 5  # passes and failures each need at least this many

METHOD_NAMES: dict[str, str] = {
    "wilson": "Wilson",
    "wald": "Wald",
    "exact": "Clopper-Pearson exact",
    "jeffreys": "Jeffreys",
    "agresti-coull": "Agresti-Coull",
}


def count_of(passed: int, applicable: int) -> str:
    """A count as inspection reports write it: "13 of 17"."""
    return f"{passed} of {applicable}"


def percent_number(value: float) -> str:
    """85.2 (one decimal place, as the reports print rates)."""
    return f"{value * 100:.1f}"


def level_text(level: float) -> str:
    """95 for 0.95; 99.5 for 0.995."""
    return f"{level * 100:g}"


def reliability(passed: int, applicable: int) -> tuple[bool, str]:
    """Whether `passed` of `applicable` can be quoted as a rate with an interval, and why not."""
    _check_counts(passed, applicable)
    failed = applicable - passed
    reasons = []
    if applicable < MIN_APPLICABLE:
        reasons.append(f"only {applicable} applicable files (fewer than {MIN_APPLICABLE})")
    if passed < MIN_EACH_OUTCOME:
        reasons.append(f"only {passed} passed (fewer than {MIN_EACH_OUTCOME})")
    if failed < MIN_EACH_OUTCOME:
        reasons.append(f"only {failed} failed (fewer than {MIN_EACH_OUTCOME})")
    if not reasons:
        return True, (f"{count_of(passed, applicable)}: enough applicable files, passes and failures "
                      "for a rate with a confidence interval")
    return False, (f"{count_of(passed, applicable)}: {'; '.join(reasons)}. The confidence interval is "
                   f"unreliable: report the result as \"{count_of(passed, applicable)}\".")


def _check_counts(passed: int, applicable: int) -> None:
    for name, value in (("passed", passed), ("applicable", applicable)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} {value!r} must be a whole number of files, 0 or more")
    if passed > applicable:
        raise ValueError(f"passed ({passed}) cannot be more than applicable ({applicable})")


def inspectorate_sentence(passed: int, applicable: int, interval: Interval | None) -> str:
    """The result as an inspection report would print it (see the module docstring)."""
    _check_counts(passed, applicable)
    if applicable == 0:
        return "no applicable files"
    reliable, _ = reliability(passed, applicable)
    if not reliable or interval is None:
        return count_of(passed, applicable)
    rate = percent_number(passed / applicable)
    if interval.method == "wald" and interval.margin is not None:
        # The reports leave the 95% level unsaid; any other level is named.
        level = "" if math.isclose(interval.level, 0.95) else f"{level_text(interval.level)} percent "
        return f"{rate} percent (with a {level}confidence interval of +/- {percent_number(interval.margin)} percent)"
    name = METHOD_NAMES.get(interval.method, interval.method)
    return (f"{rate} percent ({level_text(interval.level)} percent confidence interval "
            f"{percent_number(interval.low)} to {percent_number(interval.high)} percent, {name})")


# --- grade bands (force-defined) ----------------------------------------------------------------


@dataclass(frozen=True)
class GradeBand:
    minimum: float  # the lowest rate that earns the grade
    grade: str


@dataclass(frozen=True)
class GradeBands:
    bands: tuple[GradeBand, ...]  # highest minimum first
    source: str  # the file the force's bands came from

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "bands": [{"min": band.minimum, "grade": band.grade} for band in self.bands]}


def load_grade_bands(path: Path | str) -> GradeBands:
    """Read a force's grade bands: `bands: [{min: 0.95, grade: outstanding}, ..., {min: 0, grade: ...}]`.

    Raises FileErrors (file:line:column: what is expected) on any problem.
    The lowest band must start at 0 so that every rate gets a grade.
    """
    try:
        return _read_grade_bands(path)
    except SourceError as exc:
        raise FileErrors(GRADE_BANDS, [exc]) from None


def _read_grade_bands(path: Path | str) -> GradeBands:
    example = "bands:\n  - {min: 0.9, grade: good}\n  - {min: 0, grade: inadequate}"
    loaded = load_checked_yaml(path, GRADE_BANDS, f"expected a mapping with a 'bands' list, e.g.\n{example}")
    data, locations = loaded.data, loaded.locations
    if "bands" not in data:
        raise SourceError(locations.at(()), f"expected a mapping with a 'bands' list, e.g.\n{example}")
    unknown = sorted(set(data) - {"bands", "description"})
    if unknown:
        raise SourceError(locations.key_at((unknown[0],)), f"unknown key {unknown[0]!r}: expected 'bands' "
                                                           "(and optionally 'description')")
    items = data["bands"]
    if not isinstance(items, list) or not items:
        raise SourceError(locations.at(("bands",)), "'bands' must be a non-empty list of {min, grade} entries")
    bands = [_read_band(item, index, locations) for index, item in enumerate(items)]
    _check_band_set(bands, locations)
    return GradeBands(tuple(sorted(bands, key=lambda band: band.minimum, reverse=True)), str(path))


def _read_band(item: Any, index: int, locations: Locations) -> GradeBand:
    where = ("bands", index)
    if not isinstance(item, dict) or set(item) != {"min", "grade"}:
        raise SourceError(locations.at(where), f"bands[{index}]: expected exactly the keys 'min' and 'grade', "
                                               "e.g. {min: 0.9, grade: good}")
    minimum, grade = item["min"], item["grade"]
    if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or not 0 <= minimum <= 1:
        raise SourceError(locations.at(where + ("min",)), f"bands[{index}].min: expected a rate from 0 to 1 "
                                                          f"(0.9 for 90%), found {minimum!r}")
    if not isinstance(grade, str) or not grade.strip():
        raise SourceError(locations.at(where + ("grade",)), f"bands[{index}].grade: expected the grade's name "
                                                            f"as text, found {grade!r}")
    return GradeBand(float(minimum), grade.strip())


def _check_band_set(bands: list[GradeBand], locations: Locations) -> None:
    seen_minimums: dict[float, int] = {}
    seen_grades: dict[str, int] = {}
    for index, band in enumerate(bands):
        if band.minimum in seen_minimums:
            raise SourceError(locations.at(("bands", index, "min")),
                              f"bands[{index}].min {band.minimum:g} repeats bands[{seen_minimums[band.minimum]}]: "
                              "each band needs its own minimum")
        if band.grade in seen_grades:
            raise SourceError(locations.at(("bands", index, "grade")),
                              f"bands[{index}].grade {band.grade!r} repeats bands[{seen_grades[band.grade]}]")
        seen_minimums[band.minimum] = index
        seen_grades[band.grade] = index
    if 0.0 not in seen_minimums:
        raise SourceError(locations.at(("bands",)), "no band starts at min: 0, so low rates would have no grade: "
                                                    "add one, e.g. {min: 0, grade: inadequate}")


def grade_for(rate: float, bands: GradeBands) -> str:
    """The grade of the highest band whose minimum the rate reaches."""
    if isinstance(rate, bool) or not 0 <= rate <= 1:
        raise ValueError(f"rate {rate!r} out of range: expected a proportion from 0 to 1")
    for band in bands.bands:
        if rate >= band.minimum:
            return band.grade
    raise AssertionError("unreachable: load_grade_bands requires a band at 0")
