"""Audit-design commands for the `check` app: `plan`, `sample` and `compare`.

    check plan --expected-rate P --margin M [--confidence 0.95] [--population N] [--interval wald|wilson]
    check sample POPULATION (--size N | --stratify-by PATH --per-stratum K) [--seed S] [--where EXPR] --output FILE
    check compare BEFORE.json AFTER.json [--format table|json] [--confidence 0.95]

`register(app)` adds them to the integrator's typer app. Each command parses,
calls the library (`planning`, `sampling`, `comparison`) and prints; bad input
ends with exit code 2 and a message saying what was expected.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from checker.api import (
    COMPARISON_METHODS, COMPARISON_SIZES, DEFAULT_METHOD, DEFAULT_TIMEZONE, compare_results, draw_sample,
    InputError, margin_table, read_figures, read_population, render_comparison_table, required_sample_size,
    SampleError, write_sample,
)
from checker.cli.common import fail

class PlanInterval(str, Enum):
    wald = "wald"
    wilson = "wilson"


class CompareFormat(str, Enum):
    table = "table"
    json = "json"


class CompareMethod(str, Enum):  # the names of checker.audit.comparison.COMPARISON_METHODS
    newcombe_score = "newcombe-score"
    wald = "wald"


def _fail(message: str) -> typer.Exit:
    return fail(f"error: {message}")


def register(app: typer.Typer) -> None:
    """Add `plan`, `sample` and `compare` to `app`."""
    assert {choice.value for choice in CompareMethod} == set(COMPARISON_METHODS)
    app.command("plan")(plan_command)
    app.command("sample")(sample_command)
    app.command("compare")(compare_command)


def plan_command(
    expected_rate: float = typer.Option(..., "--expected-rate", help="Rate you expect, as a proportion (0.85); 0.5 if unknown."),
    margin: float = typer.Option(..., "--margin", help="Wanted half-width of the interval, as a proportion (0.05 = +/- 5 points)."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level."),
    population: Optional[int] = typer.Option(None, "--population", help="Files in the population (finite-population correction)."),
    interval: PlanInterval = typer.Option(PlanInterval.wald, "--interval", help="Interval the margin refers to."),
) -> None:
    """How many case files to review for a wanted margin of error."""
    try:
        size = required_sample_size(expected_rate, margin, confidence, population, interval.value)
        margins = margin_table(expected_rate, COMPARISON_SIZES + (size,), confidence, population, interval.value)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    frame = f", population of {population} files" if population is not None else ""
    typer.echo(f"Files needed: {size} (expected rate {expected_rate * 100:g}%, margin +/- {margin * 100:g} points, "
               f"{confidence * 100:g}% confidence, {interval.value} interval{frame})")
    typer.echo("Margin with " + "; ".join(f"{n} files: +/- {m * 100:.1f} points" for n, m in margins))


def sample_command(
    population: Path = typer.Argument(..., help="Population: a JSON array of case-file records."),
    output: Path = typer.Option(..., "--output", "-o", help="Write the sampled records here (manifest beside it)."),
    size: Optional[int] = typer.Option(None, "--size", help="Files to draw (simple random sample)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the draw; chosen and printed when left out."),
    stratify_by: Optional[str] = typer.Option(None, "--stratify-by", help="Case path of the strata, e.g. outcome.code."),
    per_stratum: Optional[int] = typer.Option(None, "--per-stratum", help="Files to draw from each stratum."),
    where: Optional[str] = typer.Option(None, "--where", help="CEL filter on `case`, e.g. 'case.outcome.code == \"16\"'."),
    timezone: str = typer.Option(DEFAULT_TIMEZONE, "--timezone", help="Zone of timestamps written without an offset."),
) -> None:
    """Draw a repeatable random sample of case files, and write a manifest to repeat it."""
    try:
        frame = read_population(population, timezone)
        sample = draw_sample(frame.records, size=size, seed=seed, stratify_by=stratify_by,
                             per_stratum=per_stratum, where=where, timezone=timezone)
        manifest_path = write_sample(sample, frame, output)
    except InputError as exc:
        raise _fail(f"{exc}\nThe population file could not be read: nothing was drawn.") from None
    except (SampleError, ValueError) as exc:
        raise _fail(f"{exc}\nNothing was drawn.") from None
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None
    if frame.excluded:
        typer.echo(f"warning: {len(frame.excluded)} invalid record(s) of {frame.records_read} excluded from the "
                   f"population (listed in the manifest); run `check {population}` to see why.", err=True)
    kind = "simple random sample" if sample.method == "simple" else f"stratified by {sample.stratify_by}"
    filtered = f" ({sample.filtered_out} left out by --where)" if where else ""
    typer.echo(f"Drew {len(sample.records)} of {sample.eligible} eligible record(s){filtered}: {kind}.")
    for stratum in sample.strata:
        typer.echo(f"  {stratum.value}: {len(stratum.case_ids)} of {stratum.population}")
    typer.echo(f"Seed: {sample.seed} (use --seed {sample.seed} to draw the same sample again)")
    typer.echo(f"Sample: {output}")
    typer.echo(f"Manifest: {manifest_path}")


def compare_command(
    before: Path = typer.Argument(..., help="Earlier result: JSON output of `check --format json`."),
    after: Path = typer.Argument(..., help="Later result: JSON output of `check --format json`."),
    output_format: CompareFormat = typer.Option(CompareFormat.table, "--format", "-f", help="table or json."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level (significance at 1 - level)."),
    method: CompareMethod = typer.Option(CompareMethod(DEFAULT_METHOD), "--method",
                                         help="Interval and test for the difference."),
) -> None:
    """Compare two results rule by rule: change in rate, its interval and whether it is significant."""
    try:
        first, second = _read_result(before), _read_result(after)
        read_figures(first, str(before))  # located messages for a file that is not a result
        read_figures(second, str(after))
        comparison = compare_results(first, second, confidence, method.value)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if output_format is CompareFormat.json:
        typer.echo(json.dumps(comparison.as_dict(), indent=2))
    else:
        typer.echo(render_comparison_table(comparison), nl=False)


def _read_result(path: Path) -> Any:
    """A JSON file, or ValueError located by file, line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}): expected the output "
                         "of `check --format json`") from None
