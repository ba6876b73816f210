"""What the `check` commands share: exit codes, the error exit, the options and opening of case files
(one way to read cases in every command), checking outputs before any work, and loading rule packs,
run settings and a filled review workbook with their errors worded for the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from checker.api import (
    INPUT_FORMATS, RECORD_TYPES, CaseSource, NoPackForRecordType, UnknownRecordType, find_record_type, packs_for, EmptyInputError, FileErrors, InputError, Judgements, OutputError, RulePack, RunReport,
    RunSettings, SourceError, check_judgement_case_ids, check_outputs, input_files, load_grade_bands, load_packs,
    manual_rule_ids, open_input, pack_settings, parse_as_of, parse_overrides, read_judgements, run_case_ids,
)
from checker.api import write_output as _write_output

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN, EXIT_REJECTED = 0, 1, 2, 3

# The case-file options, declared once and shared by every command that reads case files.
CASES_ARGUMENT = typer.Argument(..., help="Case files: a JSON array (.json), JSON Lines (.jsonl), either gzipped "
                                          "(.gz), '-' for standard input, or a CSV/XLSX export with --mapping.")
INPUT_FORMAT_OPTION = typer.Option(None, "--input-format",
                                   help=f"Input format: {', '.join(INPUT_FORMATS)} (default: from the file name).")
MAPPING_OPTION = typer.Option(None, "--mapping",
                              help="Field mapping (YAML) for a CSV or XLSX export: columns → case-model paths.")
TABLE_OPTION = typer.Option(None, "--table", help="The table holding the records, when the input is a DuckDB "
                                                     "database (.duckdb) of several tables.")
RECORD_TYPE_OPTION = typer.Option(None, "--record-type",
                                  help=f"The records the input holds: {', '.join(RECORD_TYPES)} (default: the "
                                       "mapping's, else the first record's record_type, else case-file).")
# The options of a run that every command scoring case files shares.
RULES_OPTION = typer.Option(None, "--rules", "-r", help="Rule pack file or folder (repeatable); default: rules/.")
TIMEZONE_OPTION = typer.Option("Europe/London", "--timezone", help="Zone of timestamps written without an offset.")
CALENDAR_OPTION = typer.Option("england-and-wales", "--calendar",
                               help="Working-day calendar: england-and-wales or weekdays-only.")
SET_OPTION = typer.Option(None, "--set", help="Override a pack setting: NAME=VALUE or PACK.NAME=VALUE, as the "
                                              "reports print it (repeatable).")


def fail(message: str, code: int = EXIT_CANNOT_RUN) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def open_cases(cases: str, input_format: str | None, mapping: Path | None, nothing: str = "nothing was scored",
               record_type: str | None = None, table: str | None = None) -> CaseSource:
    """The input in any form, or exit 2 saying what is wrong (`nothing` says what was not done)."""
    try:
        return open_input(cases, input_format, mapping, record_type, table)
    except InputError as exc:
        raise fail(f"{exc}\nThe case file could not be read: {nothing}.") from None
    except FileErrors as exc:
        raise fail(f"{exc}\nThe field mapping has errors: {nothing}.") from None
    except UnknownRecordType as exc:
        raise fail(f"error: --record-type: {exc}: {nothing}.") from None


def packs_for_input(source: CaseSource, packs: list[RulePack], nothing: str = "nothing was scored") -> list[RulePack]:
    """The packs for the type of record `source` holds (its first record is read, and given again), or exit 2."""
    try:
        return packs_for(packs, find_record_type(source))
    except InputError as exc:
        raise input_failure(exc, nothing) from None
    except NoPackForRecordType as exc:
        raise fail(f"error: {exc}: {nothing}.") from None


def input_failure(exc: InputError, nothing: str = "nothing was scored") -> typer.Exit:
    """The exit for an input that could not be read, or held no case file (the same in every form)."""
    if isinstance(exc, EmptyInputError):
        return fail(f"error: {exc.message}: {nothing}.")
    return fail(f"{exc}\nThe case file could not be read: {nothing}.")


def preflight(outputs: list[tuple[str, Path]], source: CaseSource | None = None,
              reads: list[tuple[str, Path | str | None]] | None = None) -> None:
    """Check every output before any work: none may be a file the command reads (the case file, the files its
    mapping joins, and `reads`), and each must be writable. Exit 2 listing every problem."""
    read_files: list[tuple[str, Path | str | None]] = list(input_files(source)) if source is not None else []
    read_files += reads or []
    try:
        check_outputs(outputs, read_files)
    except OutputError as exc:
        raise fail("\n".join(f"error: {problem}" for problem in exc.problems) + "\nNothing was done.") from None


def write_output(path: Path, content: str | bytes) -> None:
    """Write atomically, or exit 2 saying why not (the previous file, if any, is left as it was)."""
    try:
        _write_output(path, content)
    except OSError as exc:
        raise fail(f"error: cannot write {path}: {exc.strerror or exc}; any earlier file of that name is "
                   "unchanged") from None


def load_rule_packs(paths: list[Path] | None) -> list[RulePack]:
    try:
        return load_packs(paths)
    except (FileErrors, SourceError) as exc:
        raise fail(f"{exc}\nRule files have errors: nothing was scored.") from None


def build_settings(packs: list[RulePack], interval: str, confidence: float, timezone: str, calendar: str,
                   overrides: list[str], grades: Path | None = None, as_of: str | None = None,
                   evidence: str = "all") -> RunSettings:
    try:
        return RunSettings(interval=interval, confidence=confidence, timezone=timezone, calendar=calendar,
                           packs=pack_settings(packs, parse_overrides(overrides)),
                           grade_bands=load_grade_bands(grades) if grades else None,
                           as_of=parse_as_of(as_of) if as_of is not None else None, evidence=evidence)
    except (ValueError, SourceError, FileErrors) as exc:
        raise fail(f"error: {exc}") from None


def load_judgements(path: Path, packs: list[RulePack]) -> Judgements:
    """The filled workbook's answers, or exit 2 listing every error in it. Its case ids are checked against
    the case ids the run itself reads (`check_judgements_against`), so the case file is read once."""
    try:
        return read_judgements(path, None, manual_rule_ids(packs))
    except FileErrors as exc:
        raise fail(f"{exc}\n{len(exc.errors)} error(s) in the review workbook: nothing was scored.") from None


def judgement_errors(judgements: Judgements, report: RunReport) -> str | None:
    """The workbook rows naming case ids the run did not read, as the message to exit with; None if all fit."""
    try:
        check_judgement_case_ids(judgements, run_case_ids(report))
    except FileErrors as exc:
        return f"{exc}\n{len(exc.errors)} error(s) in the review workbook: nothing was scored."
    return None
