"""Audit-design commands for the `check` app: `plan`, `sample` and `compare`.

    check plan --expected-rate P --margin M [--confidence 0.95] [--population N] [--interval wald|wilson] [-o FILE]
    check sample CASES (--size N | --stratify-by PATH --per-stratum K) [--seed S] [--where EXPR] --output FILE
    check compare BEFORE.json AFTER.json [--format table|json] [-o FILE] [--confidence 0.95] [--allow-differences]

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
    MAX_RESULT_BYTES, SideFileError, load_json_side_file,
    COMPARISON_METHODS, COMPARISON_SIZES, DEFAULT_METHOD, DEFAULT_TIMEZONE, compare_results, draw_sample,
    InputError, margin_table, read_figures, read_population, render_comparison_table, required_sample_size,
    SampleError, compare_overlapping, render_plan, comparison_dict, render_paired_table, sample_outputs, shared_case_ids,
    write_sample,
)
from checker.cli.common import (
    CASES_ARGUMENT, INPUT_FORMAT_OPTION, MAPPING_OPTION, RECORD_TYPE_OPTION, TABLE_OPTION, fail, input_failure, open_cases, preflight,
    write_output,
)

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
    output_format: Optional[CompareFormat] = typer.Option(None, "--format", "-f", help="table or json (default: table, "
                                                                                        "or from the --output name)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (.txt: text, .json) "
                                                                       "instead of standard output."),
) -> None:
    """How many case files to review for a wanted margin of error."""
    chosen = _result_format(output_format, output, {".json": "json", ".txt": "table"})
    preflight([("--output", output)] if output else [])
    try:
        size = required_sample_size(expected_rate, margin, confidence, population, interval.value)
        margins = margin_table(expected_rate, COMPARISON_SIZES + (size,), confidence, population, interval.value)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    text = render_plan(size, margins, expected_rate, margin, confidence, population, interval.value, chosen)
    _emit(text, output, chosen)


def sample_command(
    population: str = CASES_ARGUMENT,
    output: Path = typer.Option(..., "--output", "-o", help="Write the sampled records here (manifest beside it): "
                                                             ".json, .jsonl (either may end .gz), or .csv for a CSV "
                                                             "export read through --mapping."),
    size: Optional[int] = typer.Option(None, "--size", help="Files to draw (simple random sample)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the draw; chosen and printed when left out."),
    stratify_by: Optional[str] = typer.Option(None, "--stratify-by", help="Case path of the strata, e.g. outcome.code."),
    per_stratum: Optional[int] = typer.Option(None, "--per-stratum", help="Files to draw from each stratum."),
    where: Optional[str] = typer.Option(None, "--where", help="CEL filter on the record (`case`, `search` or `call`), e.g. 'case.outcome.code == \"16\"'."),
    timezone: str = typer.Option(DEFAULT_TIMEZONE, "--timezone", help="Zone of timestamps written without an offset."),
    input_format: Optional[str] = INPUT_FORMAT_OPTION,
    mapping: Optional[Path] = MAPPING_OPTION,
    record_type: Optional[str] = RECORD_TYPE_OPTION,
    table: Optional[str] = TABLE_OPTION,
) -> None:
    """Draw a repeatable random sample of records, and write a manifest to repeat it."""
    source = open_cases(population, input_format, mapping, "nothing was drawn", record_type, table)
    try:
        outputs = sample_outputs(output, source.input_format, source.mapping)
    except SampleError as exc:
        raise _fail(f"{exc}\nNothing was drawn.") from None
    names = ["--output"] + ["--output's manifest"] + ["--output's joined file"] * (len(outputs) - 2)
    preflight(list(zip(names, outputs)), source)
    try:
        frame = read_population(source, timezone)
        sample = draw_sample(frame.records, size=size, seed=seed, stratify_by=stratify_by,
                             per_stratum=per_stratum, where=where, timezone=timezone, model=frame.model)
        manifest_path = write_sample(sample, frame, output)
    except InputError as exc:
        raise input_failure(exc, "nothing was drawn") from None
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
    for joined in outputs[2:]:
        typer.echo(f"Joined file: {joined}")
    typer.echo(f"Manifest: {manifest_path}")


def compare_command(
    before: Path = typer.Argument(..., help="Earlier result: JSON output of `check --format json`."),
    after: Path = typer.Argument(..., help="Later result: JSON output of `check --format json`."),
    output_format: Optional[CompareFormat] = typer.Option(None, "--format", "-f", help="table or json (default: table, "
                                                                                        "or from the --output name)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (.txt: table, .json) "
                                                                       "instead of standard output."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level (significance at 1 - level)."),
    method: CompareMethod = typer.Option(CompareMethod(DEFAULT_METHOD), "--method",
                                         help="Interval and test for the difference."),
    allow_differences: bool = typer.Option(False, "--allow-differences",
                                           help="Compare audits made with different rule packs or settings anyway "
                                                "(the differences are printed with the comparison)."),
) -> None:
    """Compare two results rule by rule: change in rate, its interval and whether it is significant.

    Audits that share case files are compared paired for the shared files and as independent samples for
    the others. Unless --allow-differences, audits made with different rule packs (versions or texts) or
    settings are refused, saying what differs."""
    chosen = _result_format(output_format, output, {".json": "json", ".txt": "table"})
    preflight([("--output", output)] if output else [], reads=[("the first result", before),
                                                             ("the second result", after)])
    try:
        first, second = _read_result(before), _read_result(after)
        read_figures(first, str(before))  # located messages for a file that is not a result
        read_figures(second, str(after))
        comparison = compare_results(first, second, confidence, method.value)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    shared = shared_case_ids(first, second)
    paired = None
    if shared:
        listed = ", ".join(sorted(shared)[:5]) + (", …" if len(shared) > 5 else "")
        typer.echo(f"note: {before} and {after} share {len(shared)} case file(s) ({listed}): they are not "
                   "independent samples. The shared files are compared paired (file by file); the rules' table "
                   "compares the files in one audit only.", err=True)
        comparison, paired = compare_overlapping(first, second, shared, confidence, method.value)
    if shared is None:
        typer.echo("warning: a result lists no records, so whether the two audits share case files cannot be "
                   "told; the test assumes they do not.", err=True)
    if comparison.differences:
        listed = "\n".join(f"  - {difference}" for difference in comparison.differences)
        if not allow_differences:
            raise _fail(f"{before} and {after} are not comparable: they were made with different rule packs or "
                        f"settings:\n{listed}\nCompare results made with the same packs and settings, or give "
                        "--allow-differences to compare anyway (the differences are printed with the comparison)."
                        "\nNothing was compared.")
        typer.echo(f"WARNING: these audits are not like for like:\n{listed}", err=True)
    if chosen == "json":
        text = json.dumps(comparison_dict(comparison, paired, len(shared or ())), indent=2) + "\n"
    else:
        text = render_comparison_table(comparison)
        if paired is not None:
            text = ("Case files in one audit only: compared as independent samples:\n" + text + "\n"
                    + render_paired_table(paired, len(shared or ()), confidence))
    _emit(text, output, chosen)


def _result_format(given: Any, output: Optional[Path], extensions: dict[str, str]) -> str:
    """The format: --format if given, else the --output name's extension, else the table."""
    if given is not None:
        return given.value
    if output is None:
        return "table"
    name = extensions.get(output.suffix.lower())
    if name is None:
        raise _fail(f"cannot tell the format of {output} from its extension: use one of "
                    f"{', '.join(extensions)} or give --format")
    return name


def _emit(text: str, output: Optional[Path], name: str) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text)
    typer.echo(f"wrote {output} ({name})", err=True)


def _read_result(path: Path) -> Any:
    """A JSON file, or ValueError located by file, line and column."""
    try:
        return load_json_side_file(path, MAX_RESULT_BYTES, "results")
    except SideFileError as exc:
        raise ValueError(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}): expected the output "
                         "of `check --format json`") from None
