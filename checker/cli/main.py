"""The `check` command. It parses arguments, calls the library and prints; nothing else.

    check CASES [options]        score a sample of case files (the `run` command)
    check validate [PATHS]       check rule packs (CI)
    check test [PATHS]           run rule fixtures (CI)
    check schema cases|rules     print a JSON Schema
    check review CASES -o F      write a workbook of pending manual judgements
    check mapping validate MAP   check a field mapping for CSV/xlsx exports

Inputs: JSON array, JSON Lines, gzip of either, `-` (standard input), CSV or
XLSX with a field mapping. Outputs stream where the format allows (json, csv).

Exit codes of `check CASES`: 0 scored; 2 could not run (bad rule or waivers
file, unreadable input); 3 ran, but some records were rejected (output still written).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, TextIO

import typer

from checker import api
from checker.api import (
    default_rules_path,
    EXTENSIONS, FORMATS, INPUT_FORMATS, NEEDS_RECORDS, TOOL_NAME, WRITERS, __version__, case_schema, CaseNotFound,
    FileErrors, find_fixture_files, format_for_extension, InputError, load_manifest, load_packs, load_waivers,
    RecordResult, render_case, RulePack, rules_schema, run_fixtures, run_rulesets, RunReport, SourceError, Waiver,
    write_junit,
)
from checker.cli.audit import register as register_audit_commands
from checker.cli.common import (
    EXIT_FAILED, EXIT_REJECTED, build_settings, fail, load_judgements, load_rule_packs, write_output,
)
from checker.cli.mapping import register as register_mapping_commands
from checker.cli.review import register as register_review_commands
from checker.cli.progress import terminal_progress

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Rules-based compliance checker for police crime case files.")


@app.callback()
def _group() -> None:
    """Rules-based compliance checker for police crime case files. `check CASES` scores a sample."""


class IntervalChoice(str, Enum):
    wilson = "wilson"
    wald = "wald"
    exact = "exact"
    jeffreys = "jeffreys"
    agresti_coull = "agresti-coull"


def load_waiver_file(path: Path, packs: list[RulePack]) -> list[Waiver]:
    try:
        return load_waivers(path, packs)
    except FileErrors as exc:
        raise fail(f"{exc}\nThe waivers file has errors: nothing was scored.") from None


def output_targets(output_format: str | None, outputs: list[Path]) -> list[tuple[Path | None, str]]:
    """(file or None for standard output, format) pairs; ValueError for an unknown or ambiguous format."""
    if output_format is not None and output_format not in FORMATS:
        raise ValueError(f"unknown format {output_format!r}: expected one of {', '.join(FORMATS)}")
    if not outputs:
        return [(None, output_format or "table")]
    if output_format is not None and len(outputs) == 1:
        return [(outputs[0], output_format)]
    targets = []
    for path in outputs:
        name = format_for_extension(path)
        if name is None:
            raise ValueError(f"cannot tell the format of {path} from its extension: use one of "
                             f"{', '.join(EXTENSIONS)} or give --format with a single --output")
        targets.append((path, name))
    return targets


@app.command("run")
def run_command(
    cases: str = typer.Argument(..., help="Case files: a JSON array (.json), JSON Lines (.jsonl), either gzipped (.gz), "
                                          "'-' for standard input, or a CSV/XLSX export with --mapping."),
    rules: Optional[list[Path]] = typer.Option(None, "--rules", "-r", help="Rule pack file or folder (repeatable); default: rules/."),
    output_format: Optional[str] = typer.Option(None, "--format", "-f", help=f"Output format: {', '.join(FORMATS)} (default: table, or from the --output file's extension)."),
    outputs: Optional[list[Path]] = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output (repeatable; the format is taken from each extension unless --format is given)."),
    input_format: Optional[str] = typer.Option(None, "--input-format", help=f"Input format: {', '.join(INPUT_FORMATS)} (default: from the file name)."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="Field mapping (YAML) for a CSV or XLSX export: columns → case-model paths."),
    interval: IntervalChoice = typer.Option(IntervalChoice.wilson, "--interval", help="Confidence interval method."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals."),
    timezone: str = typer.Option("Europe/London", "--timezone", help="Zone of timestamps written without an offset."),
    calendar: str = typer.Option("england-and-wales", "--calendar", help="Working-day calendar: england-and-wales or weekdays-only."),
    set_values: Optional[list[str]] = typer.Option(None, "--set", help="Override a pack setting: NAME=VALUE (repeatable)."),
    case_id: Optional[str] = typer.Option(None, "--case", help="Show one case file's results with the values each rule read."),
    grades: Optional[Path] = typer.Option(None, "--grades", help="A force's grade bands (YAML: bands: [{min: 0.9, grade: good}, …, {min: 0, grade: …}])."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", help="Manifest of a stratified draw (check sample): adds population estimates weighted by the strata."),
    judgements: Optional[Path] = typer.Option(None, "--judgements", help="A filled review workbook (check review): its answers decide pending manual rules."),
    evidence: str = typer.Option("all", "--evidence", help="Which results carry their evidence values: all, or findings (fail, error, pending, waived): faster and smaller for very large inputs."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Evaluate on this many processes (results are identical to one)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (there is none anyway unless standard error is a terminal)."),
    waivers: Optional[Path] = typer.Option(None, "--waivers", help="Waivers (YAML): documented decisions that a rule does not apply to certain files; their results become 'waived'."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Reference date (YYYY-MM-DD) that waivers' expiry dates are compared with; default: today."),
) -> None:
    """Score a sample of case files against the rule packs."""
    try:
        targets = output_targets(output_format, outputs or [])
        source = api.open_input(cases, input_format, mapping)
    except ValueError as exc:
        raise fail(f"error: {exc}") from None
    except InputError as exc:
        raise fail(f"{exc}\nThe case file could not be read: nothing was scored.") from None
    except FileErrors as exc:
        raise fail(f"{exc}\nThe field mapping has errors: nothing was scored.") from None
    packs = load_rule_packs(rules)
    settings = build_settings(packs, interval.value, confidence, timezone, calendar, set_values or [], grades, as_of,
                              evidence)
    waiver_list = load_waiver_file(waivers, packs) if waivers else None
    if waiver_list is not None:
        settings = settings.with_as_of()  # the date waivers are judged against is a printed setting
    if judgements and cases == "-":
        raise fail("error: --judgements needs the case file by name (its case ids are checked first), "
                   "not standard input")
    given = load_judgements(judgements, Path(cases), packs, timezone) if judgements else None
    header = {"tool": {"name": TOOL_NAME, "version": __version__}, "rulesets": run_rulesets(packs),
              "settings": settings.as_dict()}
    streams = [] if case_id is not None else [
        StreamingOutput(path, WRITERS[name], header) for path, name in targets if name in WRITERS]
    keep: bool | Callable[[RecordResult], bool] = any(name in NEEDS_RECORDS for _, name in targets)
    if case_id is not None:
        keep = lambda record: record.case_id == case_id  # noqa: E731
    try:
        with terminal_progress(not quiet) as progress:
            report = api.run(source, packs, settings, manifest=load_manifest(manifest) if manifest else None,
                               judgements=given, waivers=waiver_list, sinks=[stream.writer for stream in streams], keep=keep,
                               jobs=jobs, progress=progress)
    except (ValueError, InputError) as exc:  # a manifest that does not fit the sample; an unreadable input
        for stream in streams:
            stream.abandon()
        if isinstance(exc, InputError):
            raise fail(f"{exc}\nThe case file could not be read: nothing was scored.") from None
        raise fail(f"error: {exc}") from None
    for stream in streams:
        stream.finish(report)
    if case_id is not None:
        try:
            typer.echo(render_case(report, case_id), nl=False)
        except CaseNotFound as exc:
            raise fail(f"error: {exc}") from None
    else:
        for path, name in targets:
            if name in WRITERS:
                if path is not None:
                    typer.echo(f"wrote {path} ({name})", err=True)
                continue
            content = FORMATS[name](report)
            if path is None:
                typer.echo(content, nl=False)
            else:
                write_output(path, content)
                typer.echo(f"wrote {path} ({name})", err=True)
    if report.rejected:
        typer.echo(f"{len(report.rejected)} record(s) rejected: see the output for each one's position and reason.",
                   err=True)
        raise typer.Exit(EXIT_REJECTED)


class StreamingOutput:
    """An output written during the run: into `FILE.partial`, renamed when the run ends well."""

    def __init__(self, path: Path | None, writer_class: Any, header: dict[str, Any]) -> None:
        self.path = path
        if path is None:
            self.handle: TextIO = sys.stdout
        else:
            self.partial = path.with_name(path.name + ".partial")
            self.handle = self.partial.open("w", encoding="utf-8", newline="")
        self.writer = writer_class(self.handle)
        self.writer.start(header)

    def finish(self, report: RunReport) -> None:
        self.writer.finish(report)
        self.handle.flush()
        if self.path is not None:
            self.handle.close()
            self.partial.replace(self.path)

    def abandon(self) -> None:
        """The run failed: leave no half-written file behind."""
        if self.path is not None:
            self.handle.close()
            self.partial.unlink(missing_ok=True)


@app.command("validate")
def validate_command(
    paths: Optional[list[Path]] = typer.Argument(None, help="Rule pack files or folders; default: rules/."),
) -> None:
    """Check rule packs: schema, expressions, case paths, ids and settings. Exit 1 on any error."""
    try:
        packs = load_packs(paths or [default_rules_path()])
    except (FileErrors, SourceError) as exc:
        errors = exc.errors if isinstance(exc, FileErrors) else [exc]
        for error in errors:
            typer.echo(str(error), err=True)
        raise fail(f"{len(errors)} error(s) in rule files.", EXIT_FAILED) from None
    warnings = api.pack_warnings(packs)
    for warning in warnings:
        typer.echo(f"{warning.location}: warning: {warning.message}", err=True)
    count = sum(len(pack.rules) for pack in packs)
    noted = f", {len(warnings)} warning(s)" if warnings else ""
    typer.echo(f"{len(packs)} pack(s), {count} rule(s): no errors{noted}.")


@app.command("test")
def test_command(
    paths: Optional[list[Path]] = typer.Argument(None, help="Folders with packs and *.test.yaml fixtures; default: rules/."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Also write a JUnit XML report to this file."),
) -> None:
    """Run rule fixtures: every expected status must match, and every rule must be tested."""
    paths = paths or [default_rules_path()]
    packs = load_rule_packs(paths)
    report = run_fixtures(packs, find_fixture_files(paths))
    for outcome in report.failures:
        typer.echo(f"FAIL {outcome.detail}", err=True)
    if junit:
        write_junit(report, junit)
    typer.echo(report.summary_line())
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


class SchemaName(str, Enum):
    cases = "cases"
    rules = "rules"


@app.command("schema")
def schema_command(name: SchemaName = typer.Argument(..., help="cases (the case-file model) or rules (rule packs).")) -> None:
    """Print a JSON Schema, for editors and other validators."""
    schema = case_schema() if name is SchemaName.cases else rules_schema()
    typer.echo(json.dumps(schema, indent=2))


register_audit_commands(app)
register_review_commands(app)
register_mapping_commands(app)

COMMANDS = {"run", "validate", "test", "schema", "plan", "sample", "compare", "review", "mapping"}


def command_line(args: list[str]) -> list[str]:
    """The arguments as the app reads them: `check CASES …` is short for `check run CASES …`."""
    if args and args[0] not in COMMANDS and args[0] not in ("--help", "-h", "--version"):
        return ["run", *args]
    return args


def main() -> None:
    """Entry point of the `check` command."""
    args = sys.argv[1:]
    if args and args[0] == "--version":
        print(f"check {__version__}")
        return
    app(args=command_line(args), prog_name="check")


if __name__ == "__main__":
    main()
