"""The library's front door: everything the `check` command uses, for people who import the checker too.

The pipeline reads as the package names: `inputs` (case files in any form, checked against the case
model) → `packs` (rule packs, checked before they run) → `engine` (statuses, explanations, judgements,
waivers) → `scoring` (X of Y, rates, intervals, statements) → `report` (every output format), with
`audit` (planning, sampling, strata, comparing two audits) beside it. A run in four calls:

    from checker import api

    packs = api.load_packs()                                  # rules/ by default; FileErrors, located
    source = api.open_input("samples/cases.json")             # JSON, JSON Lines, gzip, stdin, mapped CSV/xlsx
    report = api.run(source, packs, api.RunSettings())        # a RunReport: plain data
    print(api.render("table", report))                        # or "json", "csv", "markdown", "xlsx", "html"

`score(records, packs)` does the same for case-file records already in memory (dicts). Every error
a user can cause is a `CheckerError` with a stable `code` (see `checker.errors`); problems in single
records are rejections in the report, never exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from checker import TOOL_NAME, __version__
from checker.audit.comparability import differences as audit_differences, shared_case_ids
from checker.audit.comparison import COMPARISON_METHODS, DEFAULT_METHOD, Comparison, compare_results, read_figures
from checker.audit.planning import COMPARISON_SIZES, margin_table, required_sample_size
from checker.audit.sampling import (
    SampleError, draw_sample, load_manifest, read_population, sample_outputs, write_sample,
)
from checker.engine.fixtures import FixtureReport, find_fixture_files, run_fixtures, write_junit
from checker.engine.judgements import Judgements
from checker.engine.waivers import Waiver, load_waivers
from checker.errors import CheckerError, EmptyInputError, FileErrors, InputError, Location, RunFailed, SourceError
from checker.inputs.recordmodel import record_model
from checker.inputs.recordtypes import RECORD_TYPES, RecordType, UnknownRecordType, record_type
from checker.inputs.recordtypes import record_type as _record_type  # open_input has a parameter of that name
from checker.inputs.exports.mapping import FieldMapping, load_mapping
from checker.inputs.sources import INPUT_FORMATS, CaseSource, MemorySource, find_record_type, keep_raw_records, open_source
from checker.inputs.timestamps import DEFAULT_TIMEZONE
from checker.packs.rules import NoPackForRecordType, RulePack, pack_warnings, packs_for, rules_schema
from checker.packs.rules import load_packs as _load_pack_files
from checker.report import EXTENSIONS, FORMATS, NEEDS_RECORDS, WRITERS, format_for_extension
from checker.audit.paired import PairedRule, compare_overlapping
from checker.report.comparison import comparison_dict, render_comparison_table, render_paired_table
from checker.report.explain import CaseNotFound, render_case
from checker.report.plan import render_plan
from checker.outputs import AtomicFile, OutputError, check_outputs, write_output
from checker.results import RecordResult, RunReport
from checker.runner import ENGINES, Progress, ResultSink, run_check, run_rulesets
from checker.scoring.statements import GradeBands, load_grade_bands
from checker.settings import RunSettings, pack_settings, parse_as_of, parse_overrides
from checker.sidefiles import MAX_RESULT_BYTES, SideFileError, load_json_side_file

__all__ = [
    # the four calls
    "load_packs", "open_input", "run", "score", "render",
    # what they take and give
    "RulePack", "CaseSource", "RunSettings", "RunReport", "RecordResult", "Judgements", "Waiver", "GradeBands",
    "ResultSink", "Progress", "FieldMapping", "FixtureReport", "Comparison",
    # errors
    "CheckerError", "SourceError", "FileErrors", "InputError", "EmptyInputError", "Location", "SampleError", "CaseNotFound",
    "SideFileError", "load_json_side_file", "MAX_RESULT_BYTES", "RunFailed",
    # settings, waivers, judgements, grade bands
    "pack_settings", "parse_as_of", "parse_overrides", "load_waivers", "load_grade_bands", "load_manifest",
    "read_judgements", "manual_rule_ids",
    # rule authors: validate and test packs
    "default_rules_path", "init_rules_folder", "find_fixture_files", "run_fixtures", "write_junit", "record_schema",
    "rules_schema", "pack_warnings",
    "load_mapping",
    # outputs: checked before any work, written atomically
    "render_table", "check_outputs", "AtomicFile", "write_output", "OutputError", "input_files",
    "FORMATS", "WRITERS", "NEEDS_RECORDS", "EXTENSIONS", "format_for_extension", "render_case", "run_rulesets",
    # audits: plan, sample, compare, review
    "required_sample_size", "margin_table", "render_plan", "COMPARISON_SIZES", "draw_sample", "read_population", "write_sample",
    "sample_outputs",
    "compare_results", "read_figures", "shared_case_ids", "audit_differences", "compare_overlapping",
    "PairedRule", "comparison_dict", "render_paired_table", "render_comparison_table", "COMPARISON_METHODS", "DEFAULT_METHOD",
    "review_rows", "write_review_workbook", "check_judgement_case_ids",
    "given_answers", "carry_forward", "facts_of", "keep_raw_records", "run_case_ids",
    # the SQL engine: the compiled query
    "compiled_sql", "SQL_DIALECTS", "ENGINES",
    # record types: what an input holds, the packs for it
    "RECORD_TYPES", "RecordType", "record_type", "find_record_type", "packs_for", "NoPackForRecordType",
    "UnknownRecordType",
    # constants
    "INPUT_FORMATS", "DEFAULT_TIMEZONE", "TOOL_NAME", "__version__",
]


def default_rules_path() -> Path:
    """`./rules` when it exists, else the `rules/` folder beside the installed package (a checkout)."""
    here = Path("rules")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "rules"


def load_packs(paths: Iterable[Path | str] | None = None) -> list[RulePack]:
    """Load and check the rule packs under `paths` (default: `rules/`); FileErrors lists every problem."""
    return _load_pack_files(list(paths) if paths else [default_rules_path()])


def open_input(path: Path | str, input_format: str | None = None, mapping: Path | str | None = None,
               record_type: str | None = None, table: str | None = None) -> CaseSource:
    """An input of records by name (`-` for standard input); the form comes from the name unless
    `input_format` says otherwise; CSV/xlsx exports are read through a field `mapping`. The type of record it
    holds is `record_type` when given, else the mapping's, else the first record's `record_type`, else case
    files (`find_record_type`). A DuckDB database's records are those of its `table` (default: its only one)."""
    source = open_source(str(path), input_format, Path(mapping) if mapping is not None else None, table)
    if record_type is not None:
        source.record_type = _record_type(record_type).name  # UnknownRecordType for a name not known
    return source


def record_schema(name: str = "case-file") -> dict[str, Any]:
    """The JSON Schema of a record type (`check schema case-file|stop-search|call`)."""
    return record_model(name).schema


def input_files(source: CaseSource) -> list[tuple[str, Path]]:
    """(what, path) of every file reading `source` opens: the case file and the files its mapping joins
    (outputs must never be one of them)."""
    if source.path == "-":
        return []
    files = [("the case file", Path(source.path))]
    if source.mapping is not None:
        files.append(("the field mapping", Path(source.mapping.file)))
        files += [("a file the mapping joins", Path(source.path).parent / spec.join.file)
                  for spec in source.mapping.lists if spec.join is not None]
    return files


def run(source: CaseSource | Path | str, packs: list[RulePack], settings: RunSettings | None = None,
        **options: Any) -> RunReport:
    """Score an input: every record read, checked, evaluated and counted (see `checker.runner.run_check`
    for the options: manifest, judgements, waivers, sinks, keep, jobs, progress).

    An input holding no case file raises EmptyInputError: an empty run is never reported as scored."""
    report = run_check(source, packs, settings or RunSettings(), **options)
    if report.summary["records_read"] == 0:
        raise EmptyInputError(report.input["path"], record_type(report.input["record_type"]).plural)
    return report


SQL_DIALECTS = ("duckdb", "postgres", "spark", "bigquery")


def compiled_sql(packs: list[RulePack], settings: RunSettings | None = None, dialect: str = "duckdb",
                 calendar_years: tuple[int, int] | None = None) -> str:
    """The packs compiled to one SQL query in `dialect` (see `checker.sql`), with comments saying what it
    reads and which rules are left to the per-record engine (DuckDB and sqlglot are loaded only now);
    preceded by the statements creating the working-day table for `calendar_years` (first, last) if given."""
    from checker.engine.evaluate import Evaluator
    from checker.sql.run import DIALECTS, SqlPlan, explain_sql
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}: expected one of {', '.join(DIALECTS)}")
    settings = settings or RunSettings(packs=pack_settings(packs, {}))
    return explain_sql(SqlPlan.build(Evaluator(packs, settings), dialect), dialect, calendar_years)


def score(records: Iterable[dict[str, Any]], packs: list[RulePack], settings: RunSettings | None = None,
          **options: Any) -> RunReport:
    """Score case-file records held in memory (dicts in the case model), as `run` scores a file."""
    source = MemorySource(path="<memory>", input_format="records", items=list(records))
    return run_check(source, packs, settings or RunSettings(), **options)


def render(format_name: str, report: RunReport) -> str | bytes:
    """A finished report in one of `FORMATS` (table, json, csv, markdown, xlsx, html)."""
    return FORMATS[format_name](report)


def init_rules_folder(folder: Path | str) -> list[Path]:
    """Write an example rules folder (a pack, its fixtures, a base record, a README) that validates and
    tests as it is; ValueError when the folder exists and is not empty."""
    from checker.engine.scaffold import scaffold

    return scaffold(Path(folder))


def render_table(report: RunReport, width: int | None = None) -> str:
    """The terminal table, fitted to `width` characters when given (titles clipped or left out, or two
    lines a rule, with a note saying so)."""
    from checker.report.table import render as table

    return table(report, width)


def read_judgements(path: Path, known_case_ids: Iterable[str] | None, manual_rules: Iterable[str]) -> Judgements:
    """The answers of a filled review workbook (openpyxl is loaded only now); with `known_case_ids` None,
    check its case ids after the run with `check_judgement_case_ids`."""
    from checker.report.review_workbook import read_judgements as read

    return read(path, known_case_ids, manual_rules)


def run_case_ids(report: RunReport) -> set[str]:
    """Every case id a run read: its evaluated records' (kept) and its rejected records' that had one."""
    return {record.case_id for record in report.records} | {
        rejection["case_id"] for rejection in report.rejected if rejection.get("case_id") is not None}


def check_judgement_case_ids(judgements: Judgements, case_ids: Iterable[str]) -> None:
    """FileErrors naming each workbook row whose case id is not among `case_ids` (those the run read)."""
    from checker.report.review_workbook import check_case_ids

    check_case_ids(judgements, case_ids)


def given_answers(path: Path) -> list[Any]:
    """What reviewers wrote in an existing review workbook (FileErrors when it is not one)."""
    from checker.report.review_workbook import given_answers as read

    return read(path)


def carry_forward(rows: list[Any], answers: list[Any]) -> tuple[list[Any], list[Any]]:
    from checker.report.review_workbook import carry_forward as carry

    return carry(rows, answers)


def facts_of(raws: Iterable[Any], timezone: str, record_type: str = "case-file") -> dict[str, dict[str, Any]]:
    from checker.report.review_workbook import facts_of as facts

    return facts(raws, timezone, record_type)


def manual_rule_ids(packs: Iterable[RulePack]) -> set[str]:
    return {rule.id for pack in packs for rule in pack.rules if rule.kind == "manual"}


def review_rows(report: RunReport, packs: Iterable[RulePack], facts: dict[str, dict[str, Any]]) -> list[Any]:
    from checker.report.review_workbook import review_rows as rows

    return rows(report, packs, facts)


def write_review_workbook(rows: list[Any], report: RunReport) -> bytes:
    from checker.report.review_workbook import write_review_workbook as write

    return write(rows, report)

