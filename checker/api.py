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
from checker.audit.comparison import COMPARISON_METHODS, DEFAULT_METHOD, Comparison, compare_results, read_figures
from checker.audit.planning import COMPARISON_SIZES, margin_table, required_sample_size
from checker.audit.sampling import SampleError, draw_sample, load_manifest, read_population, write_sample
from checker.engine.fixtures import FixtureReport, find_fixture_files, run_fixtures, write_junit
from checker.engine.judgements import Judgements
from checker.engine.waivers import Waiver, load_waivers
from checker.errors import CheckerError, FileErrors, InputError, Location, SourceError
from checker.inputs.casemodel import case_schema
from checker.inputs.exports.mapping import FieldMapping, load_mapping
from checker.inputs.sources import INPUT_FORMATS, CaseSource, MemorySource, open_source
from checker.inputs.timestamps import DEFAULT_TIMEZONE
from checker.packs.rules import RulePack, pack_warnings, rules_schema
from checker.packs.rules import load_packs as _load_pack_files
from checker.report import EXTENSIONS, FORMATS, NEEDS_RECORDS, WRITERS, format_for_extension
from checker.report.comparison import render_comparison_table
from checker.report.explain import CaseNotFound, render_case
from checker.results import RecordResult, RunReport
from checker.runner import Progress, ResultSink, run_check, run_rulesets
from checker.scoring.statements import GradeBands, load_grade_bands
from checker.settings import RunSettings, pack_settings, parse_as_of, parse_overrides

__all__ = [
    # the four calls
    "load_packs", "open_input", "run", "score", "render",
    # what they take and give
    "RulePack", "CaseSource", "RunSettings", "RunReport", "RecordResult", "Judgements", "Waiver", "GradeBands",
    "ResultSink", "Progress", "FieldMapping", "FixtureReport", "Comparison",
    # errors
    "CheckerError", "SourceError", "FileErrors", "InputError", "Location", "SampleError", "CaseNotFound",
    # settings, waivers, judgements, grade bands
    "pack_settings", "parse_as_of", "parse_overrides", "load_waivers", "load_grade_bands", "load_manifest",
    "read_judgements", "manual_rule_ids",
    # rule authors: validate and test packs
    "default_rules_path", "find_fixture_files", "run_fixtures", "write_junit", "case_schema", "rules_schema",
    "pack_warnings",
    "load_mapping",
    # outputs
    "FORMATS", "WRITERS", "NEEDS_RECORDS", "EXTENSIONS", "format_for_extension", "render_case", "run_rulesets",
    # audits: plan, sample, compare, review
    "required_sample_size", "margin_table", "COMPARISON_SIZES", "draw_sample", "read_population", "write_sample",
    "compare_results", "read_figures", "render_comparison_table", "COMPARISON_METHODS", "DEFAULT_METHOD",
    "review_rows", "write_review_workbook", "read_case_facts", "case_ids",
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


def open_input(path: Path | str, input_format: str | None = None, mapping: Path | str | None = None) -> CaseSource:
    """An input of case files by name (`-` for standard input); the form comes from the name unless
    `input_format` says otherwise; CSV/xlsx exports are read through a field `mapping`."""
    return open_source(str(path), input_format, Path(mapping) if mapping is not None else None)


def run(source: CaseSource | Path | str, packs: list[RulePack], settings: RunSettings | None = None,
        **options: Any) -> RunReport:
    """Score an input: every record read, checked, evaluated and counted (see `checker.runner.run_check`
    for the options: manifest, judgements, waivers, sinks, keep, jobs, progress)."""
    return run_check(source, packs, settings or RunSettings(), **options)


def score(records: Iterable[dict[str, Any]], packs: list[RulePack], settings: RunSettings | None = None,
          **options: Any) -> RunReport:
    """Score case-file records held in memory (dicts in the case model), as `run` scores a file."""
    source = MemorySource(path="<memory>", input_format="records", items=list(records))
    return run_check(source, packs, settings or RunSettings(), **options)


def render(format_name: str, report: RunReport) -> str | bytes:
    """A finished report in one of `FORMATS` (table, json, csv, markdown, xlsx, html)."""
    return FORMATS[format_name](report)


def read_judgements(path: Path, known_case_ids: Iterable[str], manual_rules: Iterable[str]) -> Judgements:
    """The answers of a filled review workbook (openpyxl is loaded only now)."""
    from checker.report.review_workbook import read_judgements as read

    return read(path, known_case_ids, manual_rules)


def manual_rule_ids(packs: Iterable[RulePack]) -> set[str]:
    return {rule.id for pack in packs for rule in pack.rules if rule.kind == "manual"}


def review_rows(report: RunReport, packs: Iterable[RulePack], facts: dict[str, dict[str, Any]]) -> list[Any]:
    from checker.report.review_workbook import review_rows as rows

    return rows(report, packs, facts)


def write_review_workbook(rows: list[Any], report: RunReport) -> bytes:
    from checker.report.review_workbook import write_review_workbook as write

    return write(rows, report)


def read_case_facts(cases: Path, timezone: str) -> dict[str, dict[str, Any]]:
    from checker.report.review_workbook import read_case_facts as read

    return read(cases, timezone)


def case_ids(cases: Path, timezone: str) -> set[str]:
    from checker.report.review_workbook import case_ids as read

    return read(cases, timezone)
