"""The `check` command. It parses arguments, calls the library and prints; nothing else.

    check CASES [options]        score a sample of case files (the `run` command)
    check init DIR               start a rules folder that validates and tests as it is
    check validate [PATHS]       check rule packs (CI)
    check test [PATHS]           run rule fixtures (CI)
    check schema TYPE|rules      print a record type's JSON Schema (case-file, stop-search, call) or the rules'
    check review CASES -o F      write a workbook of pending manual judgements
    check mapping validate MAP   check a field mapping for CSV/xlsx exports

Inputs: JSON array, JSON Lines, gzip of either, `-` (standard input), CSV or
XLSX with a field mapping, read the same way by every command (`checker.cli.common`).
Outputs are checked before any work and written atomically (`checker.outputs`);
they stream where the format allows (json, csv).

Exit codes of `check CASES`: 0 scored; 2 could not run (bad rule or waivers
file, unreadable or empty input, an output that cannot or must not be written);
3 ran, but some records were rejected (output still written).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import signal
import sys
from enum import Enum
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, TextIO

import typer

from checker import api
from checker.api import (
    AtomicFile, default_rules_path, render_table, ENGINES, SQL_DIALECTS,
    EXTENSIONS, FORMATS, NEEDS_RECORDS, TOOL_NAME, WRITERS, __version__, CaseNotFound,
    FileErrors, find_fixture_files, format_for_extension, InputError, load_manifest, load_packs, load_waivers,
    RecordResult, render_case, RulePack, rules_schema, run_fixtures, run_rulesets, RunFailed, RunReport, SourceError, Waiver,
    write_junit,
)
from checker.cli.audit import register as register_audit_commands
from checker.cli.common import (
    EXIT_CANNOT_RUN, CALENDAR_OPTION, CASES_ARGUMENT, EXIT_FAILED, EXIT_REJECTED, INPUT_FORMAT_OPTION, MAPPING_OPTION, RECORD_TYPE_OPTION, RULES_OPTION,
    SET_OPTION, TABLE_OPTION, TIMEZONE_OPTION, build_settings, fail, input_failure, judgement_errors, load_judgements,
    load_rule_packs, open_cases, packs_for_input, preflight, write_output,
)
from checker.cli.mapping import register as register_mapping_commands
from checker.cli.review import register as register_review_commands
from checker.cli.progress import terminal_progress
from checker.report.findings_file import FindingsSink, findings_format

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Rules-based compliance checker for police crime case files. "
                       "`check CASES [OPTIONS]` is short for `check run CASES [OPTIONS]`: "
                       "see `check run --help` for its options.")


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
    cases: str = CASES_ARGUMENT,
    rules: Optional[list[Path]] = RULES_OPTION,
    output_format: Optional[str] = typer.Option(None, "--format", "-f", help=f"Output format: {', '.join(FORMATS)} (default: table, or from the --output file's extension)."),
    outputs: Optional[list[Path]] = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output (repeatable; the format is taken from each extension unless --format is given)."),
    input_format: Optional[str] = INPUT_FORMAT_OPTION,
    mapping: Optional[Path] = MAPPING_OPTION,
    record_type: Optional[str] = RECORD_TYPE_OPTION,
    table: Optional[str] = TABLE_OPTION,
    interval: IntervalChoice = typer.Option(IntervalChoice.wilson, "--interval", help="Confidence interval method."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals."),
    timezone: str = TIMEZONE_OPTION,
    calendar: str = CALENDAR_OPTION,
    set_values: Optional[list[str]] = SET_OPTION,
    case_id: Optional[str] = typer.Option(None, "--case", help="Show one case file's results with the values each rule read."),
    grades: Optional[Path] = typer.Option(None, "--grades", help="A force's grade bands (YAML: bands: [{min: 0.9, grade: good}, …, {min: 0, grade: …}])."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", help="Manifest of a stratified draw (check sample): adds population estimates weighted by the strata."),
    judgements: Optional[Path] = typer.Option(None, "--judgements", help="A filled review workbook (check review): its answers decide pending manual rules."),
    evidence: str = typer.Option("all", "--evidence", help="Which results carry their evidence values: all, or findings (fail, error, pending, waived): faster and smaller for very large inputs."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Evaluate on this many processes (results are identical to one)."),
    engine: str = typer.Option("records", "--engine", help="records (one record at a time, the default), sql (rules compiled to SQL, run on DuckDB over many records at once) or auto (sql above 5,000 records); the results are the same."),
    findings: Optional[Path] = typer.Option(None, "--findings", help="Also write every finding (fail, error, manual: case, rule, status, clause, evidence) to this file, .parquet or .jsonl (written by DuckDB; see README: The findings file)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (there is none anyway unless standard error is a terminal)."),
    waivers: Optional[Path] = typer.Option(None, "--waivers", help="Waivers (YAML): documented decisions that a rule does not apply to certain files; their results become 'waived'."),
    by: Optional[str] = typer.Option(None, "--by", help="Also score every rule within each group of records: a field or CEL expression over the record, e.g. search.person.self_defined_ethnicity."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Reference date (YYYY-MM-DD): waivers' expiry dates are compared with it (default: today), and open files' update gaps are measured up to it or their latest entry, whichever is later (default: the latest entry)."),
) -> None:
    """Score a sample of case files against the rule packs (`check CASES` is short for `check run CASES`)."""
    if engine not in ENGINES:
        raise fail(f"error: unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if case_id is not None and outputs:
        raise fail("error: --case prints one case file's explanation to the terminal and writes no file: "
                   "leave out --output (or redirect it: check CASES --case ID > case.txt), or leave out --case "
                   "to write the whole report")
    if case_id is not None and findings is not None:
        raise fail("error: --case prints one case file's explanation and writes no file: leave out --findings")
    try:
        targets = output_targets(output_format, outputs or [])
        if findings is not None:
            findings_format(findings)
    except ValueError as exc:
        raise fail(f"error: {exc}") from None
    mistyped = mistyped_command(cases)
    if mistyped:
        raise fail(mistyped)
    source = open_cases(cases, input_format, mapping, record_type=record_type, table=table)
    preflight([("--output", path) for path, _ in targets if path is not None]
              + ([("--findings", findings)] if findings is not None else []), source,
              [("a rule pack", path) for path in (rules or [default_rules_path()])]
              + [("the manifest", manifest), ("the --judgements workbook", judgements),
                 ("the waivers file", waivers), ("the grade bands", grades)])
    packs = packs_for_input(source, load_rule_packs(rules))
    settings = build_settings(packs, interval.value, confidence, timezone, calendar, set_values or [], grades, as_of,
                              evidence)
    waiver_list = load_waiver_file(waivers, packs) if waivers else None
    if waiver_list is not None:
        settings = settings.with_as_of()  # the date waivers are judged against is a printed setting
    given = load_judgements(judgements, packs) if judgements else None
    header = {"tool": {"name": TOOL_NAME, "version": __version__}, "rulesets": run_rulesets(packs),
              "settings": settings.as_dict()}
    streams = [] if case_id is not None else [
        StreamingOutput(path, WRITERS[name], header) for path, name in targets if name in WRITERS]
    findings_sink = FindingsSink(findings) if findings is not None else None
    keep: bool | Callable[[RecordResult], bool] = any(name in NEEDS_RECORDS for _, name in targets)
    if case_id is not None:
        keep = lambda record: record.case_id == case_id  # noqa: E731
    try:
        with terminal_progress(not quiet) as progress:
            report = api.run(source, packs, settings, manifest=load_manifest(manifest) if manifest else None,
                             judgements=given, waivers=waiver_list, sinks=[stream.writer for stream in streams]
                             + ([findings_sink] if findings_sink is not None else []),
                             keep=keep, jobs=jobs, progress=progress, engine=engine, by=by,
                             notice=lambda text: typer.echo(f"note: {text}", err=True))
    except (ValueError, InputError, RunFailed) as exc:  # a manifest that does not fit; an unreadable input; a worker died
        for stream in streams:
            stream.abandon()
        if findings_sink is not None:
            findings_sink.abandon()
        if isinstance(exc, InputError):
            raise input_failure(exc) from None
        if isinstance(exc, RunFailed):
            fail(f"error: {exc}")
            sys.stdout.flush()
            sys.stderr.flush()
            # A dead worker can leave the process pool's threads blocked on its pipe, and the interpreter
            # would wait for them at exit: end at once (the outputs are already removed).
            os._exit(EXIT_CANNOT_RUN)
        raise fail(f"error: {exc}") from None
    except BaseException:
        for stream in streams:
            stream.abandon()
        if findings_sink is not None:
            findings_sink.abandon()
        raise
    problem = judgement_errors(given, report) if given is not None else None
    if problem is not None:
        for stream in streams:
            stream.abandon()
        if findings_sink is not None:
            findings_sink.abandon()
        raise fail(problem)
    for stream in streams:
        stream.finish(report)
    if findings_sink is not None:
        try:
            findings_sink.finish()
        except OSError as exc:
            raise fail(f"error: cannot write {findings}: {exc.strerror or exc}; any earlier file of that name "
                       "is unchanged") from None
        typer.echo(f"wrote {findings} (findings)", err=True)
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
            content = FORMATS[name](report) if (name, path) != ("table", None) else render_table(report,
                                                                                                 terminal_width())
            if path is None:
                typer.echo(content, nl=False)
            else:
                write_output(path, content)
                typer.echo(f"wrote {path} ({name})", err=True)
    if report.rejected:
        typer.echo(f"{len(report.rejected)} record(s) rejected: see the output for each one's position and reason.",
                   err=True)
        raise typer.Exit(EXIT_REJECTED)


def terminal_width() -> int | None:
    """The terminal's width in characters when printing to one, else None (a file or a pipe takes the table
    whole)."""
    if not sys.stdout.isatty():
        return None
    columns = shutil.get_terminal_size((0, 0)).columns
    return columns if columns > 0 else None


class StreamingOutput:
    """An output written during the run: into a temporary file beside it, renamed when the run ends well."""

    def __init__(self, path: Path | None, writer_class: Any, header: dict[str, Any]) -> None:
        self.path = path
        self.file: AtomicFile | None = None
        if path is None:
            self.handle: TextIO = sys.stdout
        else:
            self.file = AtomicFile(path)
            self.handle = self.file.handle
        self.writer = writer_class(self.handle)
        self.writer.start(header)

    def finish(self, report: RunReport) -> None:
        try:
            self.writer.finish(report)
            self.handle.flush()
            if self.file is not None:
                self.file.commit()
        except OSError as exc:
            self.abandon()
            raise fail(f"error: cannot write {self.path}: {exc.strerror or exc}; any earlier file of that name "
                       "is unchanged") from None

    def abandon(self) -> None:
        """The run failed: leave no half-written file behind (the previous one, if any, is unchanged)."""
        if self.file is not None:
            self.file.abandon()


@app.command("explain-sql")
def explain_sql_command(
    paths: Optional[list[Path]] = typer.Argument(None, help="Rule pack files or folders (default: rules/)."),
    dialect: str = typer.Option("duckdb", "--dialect", help=f"SQL dialect: {', '.join(SQL_DIALECTS)}."),
    timezone: str = typer.Option("Europe/London", "--timezone", help="Zone of timestamps written without an offset."),
    calendar: str = typer.Option("england-and-wales", "--calendar", help="Working-day calendar: england-and-wales or weekdays-only."),
    set_values: Optional[list[str]] = typer.Option(None, "--set", help="Override a pack setting: NAME=VALUE (repeatable)."),
    record_type: str = typer.Option("case-file", "--record-type", help="The records the query reads: the packs for this type are compiled (case-file, stop-search, call)."),
    calendar_years: Optional[str] = typer.Option(
        None, "--calendar-years", metavar="FIRST-LAST",
        help="Also print, before the query, the statements creating the working-day table for these years."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Reference date (YYYY-MM-DD) the query's rules see, as a run's --as-of (open files' update gaps measured up to it or their latest entry, whichever is later); default: none."),
) -> None:
    """Print the rule packs compiled to one SQL query (what --engine sql runs), for a data team's warehouse."""
    if dialect not in SQL_DIALECTS:
        raise fail(f"error: unknown SQL dialect {dialect!r}: expected one of {', '.join(SQL_DIALECTS)}")
    years = parse_year_span(calendar_years) if calendar_years is not None else None
    try:
        packs = api.packs_for(load_rule_packs(paths), api.record_type(record_type))
    except (api.UnknownRecordType, api.NoPackForRecordType) as exc:
        raise fail(f"error: {exc}") from None
    settings = build_settings(packs, "wilson", 0.95, timezone, calendar, set_values or [], as_of=as_of)
    typer.echo(api.compiled_sql(packs, settings, dialect, years), nl=False)


def parse_year_span(text: str) -> tuple[int, int]:
    """`--calendar-years FIRST-LAST` (e.g. 2019-2025), or an exit 2 saying what is expected."""
    first, _, last = text.partition("-")
    if not (first.isdigit() and last.isdigit() and 1 <= int(first) <= int(last) <= 9999):
        raise fail(f"error: --calendar-years {text!r}: expected FIRST-LAST, two years from 1 to 9999 in order, "
                   "e.g. 2019-2025")
    return int(first), int(last)


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
    if junit:
        preflight([("--junit", junit)], reads=[("the rules folder", path) for path in paths])
    packs = load_rule_packs(paths)
    fixture_files = find_fixture_files(paths)
    if not fixture_files:
        typer.echo(f"no fixture files (*.test.yaml) under {', '.join(map(str, paths))}: every rule needs fixtures "
                   "that pass, fail and (with applies_when) are not applicable, merged onto a base record "
                   "(tests/base-case.json); `check init DIR` writes an example to start from", err=True)
    report = run_fixtures(packs, fixture_files)
    for outcome in report.failures:
        typer.echo(f"FAIL {outcome.detail}", err=True)
    if junit:
        write_junit(report, junit)
    typer.echo(report.summary_line())
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command("init")
def init_command(
    folder: Path = typer.Argument(..., help="A new (or empty) folder for the rules."),
) -> None:
    """Start a rules folder: an example pack, its fixtures, a base record and a README; it validates and
    tests as it is (`check validate DIR`, `check test DIR`)."""
    try:
        written = api.init_rules_folder(folder)
    except ValueError as exc:
        raise fail(f"error: {exc}") from None
    except OSError as exc:
        raise fail(f"error: cannot write {folder}: {exc.strerror or exc}") from None
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"Next: check validate {folder} && check test {folder}")


class SchemaName(str, Enum):
    case_file = "case-file"
    stop_search = "stop-search"
    call = "call"
    cases = "cases"  # case-file's name before there were other record types
    rules = "rules"


@app.command("schema")
def schema_command(
    name: SchemaName = typer.Argument(..., help="A record model (case-file, stop-search, call; `cases` is case-file) or rules (rule packs)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the schema to this .json file."),
) -> None:
    """Print a JSON Schema, for editors and other validators."""
    if output is not None:
        if output.suffix.lower() != ".json":
            raise fail(f"error: --output {output}: a JSON Schema is written to a .json file")
        preflight([("--output", output)])
    if name is SchemaName.rules:
        schema = rules_schema()
    else:
        schema = api.record_schema(SchemaName.case_file.value if name is SchemaName.cases else name.value)
    text = json.dumps(schema, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_output(output, text)
        typer.echo(f"wrote {output} (json)", err=True)


register_audit_commands(app)
register_review_commands(app)
register_mapping_commands(app)

COMMANDS = {"run", "init", "explain-sql", "validate", "test", "schema", "plan", "sample", "compare", "review", "mapping"}


def mistyped_command(word: str) -> str | None:
    """The error for a first argument that is neither a command nor a case file but looks like a mistyped
    command (`check smaple`), with a did-you-mean; None otherwise."""
    if word == "-" or word.startswith("-") or "." in word or "/" in word or Path(word).exists():
        return None
    close = difflib.get_close_matches(word, sorted(COMMANDS), n=1, cutoff=0.6)
    if not close:
        return None
    return (f"error: no command or case file {word!r}: did you mean `check {close[0]}`? "
            f"(commands: {', '.join(sorted(COMMANDS))}; `check CASES` scores a case file)")


def command_line(args: list[str]) -> list[str]:
    """The arguments as the app reads them: `check CASES …` is short for `check run CASES …`.
    A mistyped command (`check smaple …`) is run as `check run smaple`, which refuses it with a did-you-mean
    before reading anything."""
    if args and args[0] not in COMMANDS and args[0] not in ("--help", "-h", "--version"):
        if mistyped_command(args[0]):
            return ["run", args[0]]  # its other arguments belong to the intended command, not to run
        return ["run", *args]
    return args


def _stop_on_terminate() -> None:
    """SIGTERM (a CI timeout, `kill`) ends the command as Ctrl-C does: by an exception, so outputs being
    written are abandoned and their temporary files removed. Worker processes forked later keep the
    default: they end at once."""
    main_process = os.getpid()

    def terminated(signal_number: int, _: Any) -> None:
        if os.getpid() != main_process:
            signal.signal(signal_number, signal.SIG_DFL)
            os.kill(os.getpid(), signal_number)
            return
        raise SystemExit(128 + signal_number)

    signal.signal(signal.SIGTERM, terminated)


def main() -> None:
    """Entry point of the `check` command."""
    _stop_on_terminate()
    args = sys.argv[1:]
    if args and args[0] == "--version":
        print(f"check {__version__}")
        return
    app(args=command_line(args), prog_name="check")


if __name__ == "__main__":
    main()
