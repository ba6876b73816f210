"""Scoring a stratified sample: per-stratum rates and a population estimate weighted by stratum size.

A stratified sample (say 15 files from each outcome type) over-represents small
strata, so the plain "X of Y" over the whole sample is not an estimate for the
population. The standard stratified estimator (Cochran, *Sampling Techniques*,
ch. 5) weights each stratum's rate by its share of the population:

    p_hat = sum_h W_h p_h
    var   = sum_h W_h^2 (1 - f_h) p_h (1 - p_h) / a_h
    interval: p_hat +/- z * sqrt(var), clipped to [0, 1] (normal approximation)

where p_h = passed_h / a_h is the rate among the a_h applicable files of the
stratum, f_h = n_h / N_h the sampling fraction (finite-population correction)
and W_h the stratum's weight. Choices, and why:

- **Weights.** Without the number of files drawn per stratum, W_h = N_h / N
  (stratum population over population). With it (`sampled`, from the manifest),
  a rule that applies to only some files is weighted by the *estimated number
  of applicable files* in each stratum, N_h x a_h / n_h: a rule that applies
  to half the files of one stratum and a tenth of another's must not give both
  the weight of their whole stratum. That is the usual domain estimate; the
  estimated sizes are treated as fixed in the variance (a slight understatement
  of it). When every file is applicable the two weightings are the same.
- **Sampling fraction.** f_h = n_h / N_h with n_h the files drawn (`sampled`),
  else the applicable count a_h (which then is the stratum's sample).
- **Strata with no applicable file** have no rate: they are left out with a
  note and the remaining weights renormalised to sum to 1, so the estimate is
  for the strata where the rule could be scored. Say so when reporting it.
- **Normal interval.** There is no stratified Wilson interval in statsmodels or
  scipy; the normal interval is what the standard texts give. It is
  unreliable when strata are small or rates sit at 0% or 100% (a stratum at
  100% adds no variance): the estimate carries notes saying so, and each
  stratum should then be reported as "X of Y".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


from checker.scoring.intervals import check_level, z_value

METHOD = "stratified-normal"
SMALL_STRATUM = 30  # applicable files below which a stratum's own interval is not quoted


@dataclass(frozen=True)
class StratumRate:
    stratum: str
    passed: int
    applicable: int
    population: int  # N_h: files in the stratum's population
    sampled: int | None  # n_h: files drawn from it, when known
    weight: float | None  # W_h as used (renormalised); None when left out
    rate: float | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"stratum": self.stratum, "passed": self.passed, "applicable": self.applicable,
                "population": self.population, "sampled": self.sampled, "weight": self.weight,
                "rate": self.rate, "note": self.note}


@dataclass(frozen=True)
class StratifiedEstimate:
    rule_id: str | None
    level: float
    rate: float | None
    standard_error: float | None
    low: float | None
    high: float | None
    strata: tuple[StratumRate, ...]
    notes: tuple[str, ...] = field(default=())
    method: str = METHOD

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "method": self.method, "level": self.level, "rate": self.rate,
                "standard_error": self.standard_error, "low": self.low, "high": self.high,
                "strata": [stratum.as_dict() for stratum in self.strata], "notes": list(self.notes)}


def stratified_estimate(counts: Mapping[str, Mapping[str, int]], population: Mapping[str, int],
                        sampled: Mapping[str, int] | None = None, level: float = 0.95,
                        rule_id: str | None = None) -> StratifiedEstimate:
    """The population estimate of a rule's pass rate from per-stratum counts.

    `counts`: stratum → {"passed": x, "applicable": y}; a stratum of
    `population` (stratum → files in the population) missing from `counts`
    has no applicable file. `sampled`: stratum → files drawn (optional; see
    the module docstring for what it changes).
    """
    check_level(level)
    _check_inputs(counts, population, sampled)
    strata = [_stratum_base(name, counts.get(name, {}), population[name], None if sampled is None else sampled[name])
              for name in population]
    sizes = {s.stratum: _weight_base(s) for s in strata if s.applicable > 0}
    total = sum(sizes.values())
    if total <= 0:
        left_out = [_left_out(s) for s in strata]
        return StratifiedEstimate(rule_id, level, None, None, None, None, tuple(left_out),
                                  ("no applicable files in any stratum: no rate",))
    finished = [_weighted(s, sizes[s.stratum] / total) if s.stratum in sizes else _left_out(s) for s in strata]
    rate = sum(s.weight * s.rate for s in finished if s.weight is not None and s.rate is not None)
    variance = sum(_variance_term(s) for s in finished if s.weight is not None)
    error = math.sqrt(variance)
    margin = z_value(level) * error
    return StratifiedEstimate(rule_id, level, rate, error, max(0.0, rate - margin), min(1.0, rate + margin),
                              tuple(finished), tuple(_notes(finished, error)))


def _check_inputs(counts: Mapping[str, Mapping[str, int]], population: Mapping[str, int],
                  sampled: Mapping[str, int] | None) -> None:
    """ValueError naming the stratum and the figure that does not fit."""
    unknown = sorted(set(counts) - set(population))
    if unknown:
        raise ValueError(f"stratum {unknown[0]!r} has counts but no population size: give the population "
                         "size of every stratum (from the sample manifest)")
    for name, size in population.items():
        if not _is_count(size) or size < 1:
            raise ValueError(f"stratum {name!r}: population size {size!r} must be a whole number of at least 1")
        drawn = None if sampled is None else sampled.get(name)
        if sampled is not None and (not _is_count(drawn) or not 0 <= drawn <= size):  # type: ignore[operator]
            raise ValueError(f"stratum {name!r}: files sampled {drawn!r} must be a whole number "
                             f"from 0 to its population size {size}")
        figures = counts.get(name, {})
        passed, applicable = figures.get("passed", 0), figures.get("applicable", 0)
        if not _is_count(passed) or not _is_count(applicable) or not 0 <= passed <= applicable:
            raise ValueError(f"stratum {name!r}: expected 0 <= passed <= applicable as whole numbers, "
                             f"found passed={passed!r}, applicable={applicable!r}")
        limit = size if drawn is None else drawn
        if applicable > limit:
            what = "files sampled" if drawn is not None else "population size"
            raise ValueError(f"stratum {name!r}: {applicable} applicable files is more than its {what} ({limit})")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _stratum_base(name: str, figures: Mapping[str, int], size: int, drawn: int | None) -> StratumRate:
    passed, applicable = figures.get("passed", 0), figures.get("applicable", 0)
    rate = passed / applicable if applicable else None
    return StratumRate(name, passed, applicable, size, drawn, None, rate)


def _weight_base(stratum: StratumRate) -> float:
    """N_h, or the estimated applicable files N_h x a_h / n_h when the files drawn are known."""
    if stratum.sampled:
        return stratum.population * stratum.applicable / stratum.sampled
    return float(stratum.population)


def _weighted(stratum: StratumRate, weight: float) -> StratumRate:
    note = ""
    if stratum.applicable < SMALL_STRATUM:
        note = f"{stratum.passed} of {stratum.applicable}: too few for this stratum's own interval"
    return StratumRate(stratum.stratum, stratum.passed, stratum.applicable, stratum.population, stratum.sampled,
                       weight, stratum.rate, note)


def _left_out(stratum: StratumRate) -> StratumRate:
    return StratumRate(stratum.stratum, stratum.passed, stratum.applicable, stratum.population, stratum.sampled,
                       None, None, "no applicable files: left out, other strata's weights renormalised")


def _variance_term(stratum: StratumRate) -> float:
    """W_h^2 (1 - f_h) p_h (1 - p_h) / a_h."""
    assert stratum.weight is not None and stratum.rate is not None
    drawn = stratum.sampled if stratum.sampled is not None else stratum.applicable
    correction = 1 - drawn / stratum.population
    return stratum.weight ** 2 * correction * stratum.rate * (1 - stratum.rate) / stratum.applicable


def _notes(strata: list[StratumRate], error: float) -> list[str]:
    notes = []
    left_out = [s.stratum for s in strata if s.weight is None]
    if left_out:
        notes.append(f"no applicable files in stratum(s) {', '.join(left_out)}: left out, and the estimate "
                     "covers only the other strata (weights renormalised)")
    small = [s.stratum for s in strata if s.weight is not None and s.applicable < SMALL_STRATUM]
    if small:
        notes.append(f"fewer than {SMALL_STRATUM} applicable files in stratum(s) {', '.join(small)}: "
                     "report each of them as 'X of Y'")
    if error == 0:
        scored = [s for s in strata if s.weight is not None]
        whole = [s for s in scored if (s.sampled if s.sampled is not None else s.applicable) >= s.population]
        if scored and len(whole) == len(scored):
            notes.append("every stratum was taken whole (a census of it): the estimate has no sampling error, "
                         "so its interval has no width")
        else:
            # The strata drawn from (not whole) have rates of 0% or 100%: no variance, but uncertainty remains.
            notes.append("every stratum's rate is 0% or 100%" + (" (or the stratum was taken whole)" if whole else "")
                         + ": the normal interval has no width and understates the uncertainty; report the counts")
    return notes


# --- from a manifest and a `check` result ---------------------------------------------------------


@dataclass(frozen=True)
class ManifestStrata:
    stratify_by: str
    population: dict[str, int]  # stratum → eligible files in the population
    sampled: dict[str, int]  # stratum → files drawn
    case_strata: dict[str, str]  # sampled case id → stratum


def strata_from_manifest(manifest: Mapping[str, Any]) -> ManifestStrata:
    """The stratum sizes and membership a stratified sample manifest records."""
    if manifest.get("method") != "stratified" or not isinstance(manifest.get("strata"), list):
        raise ValueError("the manifest is not of a stratified sample: a population estimate by strata needs "
                         "one written by `check sample --stratify-by PATH --per-stratum K`")
    population: dict[str, int] = {}
    sampled: dict[str, int] = {}
    case_strata: dict[str, str] = {}
    for entry in manifest["strata"]:
        value = str(entry["value"])
        population[value] = int(entry["population"])
        sampled[value] = len(entry["case_ids"])
        case_strata.update({case_id: value for case_id in entry["case_ids"]})
    return ManifestStrata(str(manifest.get("stratify_by")), population, sampled, case_strata)


def tally_by_stratum(result: Mapping[str, Any], case_strata: Mapping[str, str]) -> dict[str, dict[str, dict[str, int]]]:
    """rule id → stratum → {"passed", "applicable"} from a `check` JSON result (schema_version 1).

    applicable = pass + fail, as in `checker.scoring.counts`. Every scored record must
    belong to the sample the manifest describes.
    """
    strangers = [record["case_id"] for record in result.get("records", []) if record["case_id"] not in case_strata]
    if strangers:
        shown = ", ".join(strangers[:10]) + (" …" if len(strangers) > 10 else "")
        raise ValueError(f"{len(strangers)} scored case(s) are not in the manifest's sample ({shown}): "
                         "score the sample file that the manifest describes")
    tallies: dict[str, dict[str, dict[str, int]]] = {rule["id"]: {} for rule in result.get("rules", [])}
    for record in result.get("records", []):
        stratum = case_strata[record["case_id"]]
        for outcome in record["results"]:
            cell = tallies.setdefault(outcome["rule_id"], {}).setdefault(stratum, {"passed": 0, "applicable": 0})
            if outcome["status"] in ("pass", "fail"):
                cell["applicable"] += 1
                cell["passed"] += outcome["status"] == "pass"
    return tallies


def estimate_result(result: Mapping[str, Any], manifest: Mapping[str, Any],
                    level: float | None = None) -> list[StratifiedEstimate]:
    """A stratified estimate for every rule of a `check` result, at the result's confidence level by default."""
    strata = strata_from_manifest(manifest)
    if level is None:
        level = float(result.get("settings", {}).get("confidence", 0.95))
    tallies = tally_by_stratum(result, strata.case_strata)
    return [stratified_estimate(by_stratum, strata.population, strata.sampled, level, rule_id)
            for rule_id, by_stratum in tallies.items()]
