"""The reviewer's round trip for the `check` app: `review`, and reading a filled workbook for `run`.

    check review CASES --output review.xlsx [--rules PATH ...] [--set NAME=VALUE ...] [--judgements DONE.xlsx]
    check CASES --judgements review.xlsx

`register(app)` adds `review`. A filled workbook is read by `checker.cli.common.load_judgements`
(also for `run --judgements`); one with errors ends with exit code 2 and every error on stderr.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from checker import api
from checker.api import InputError, read_case_facts, review_rows, write_review_workbook
from checker.cli.common import EXIT_REJECTED, build_settings, fail, load_judgements, load_rule_packs, write_output

def register(app: typer.Typer) -> None:
    """Add `review` to `app`."""
    app.command("review")(review_command)


def review_command(
    cases: Path = typer.Argument(..., help="Case files: a JSON array of case-file records."),
    output: Path = typer.Option(..., "--output", "-o", help="The review workbook to write (.xlsx)."),
    rules: Optional[list[Path]] = typer.Option(None, "--rules", "-r", help="Rule pack file or folder (repeatable); default: rules/."),
    timezone: str = typer.Option("Europe/London", "--timezone", help="Zone of timestamps written without an offset."),
    calendar: str = typer.Option("england-and-wales", "--calendar", help="Working-day calendar: england-and-wales or weekdays-only."),
    set_values: Optional[list[str]] = typer.Option(None, "--set", help="Override a pack setting: NAME=VALUE (repeatable)."),
    judgements_path: Optional[Path] = typer.Option(None, "--judgements", help="A review workbook already filled in: leave its answers out."),
) -> None:
    """Write a workbook of the manual rules' pending judgements for a reviewer to fill in."""
    if output.suffix.lower() != ".xlsx":
        raise fail(f"error: --output {output}: the review workbook must be an .xlsx file")
    packs = load_rule_packs(rules)
    settings = build_settings(packs, "wilson", 0.95, timezone, calendar, set_values or [])
    judgements = load_judgements(judgements_path, cases, packs, timezone) if judgements_path else None
    try:
        report = api.run(cases, packs, settings, judgements=judgements)
        facts = read_case_facts(cases, timezone)
    except InputError as exc:
        raise fail(f"{exc}\nThe case file could not be read: no workbook was written.") from None
    rows = review_rows(report, packs, facts)
    try:
        write_output(output, write_review_workbook(rows, report))
    except OSError as exc:
        raise fail(f"error: cannot write {output}: {exc.strerror or exc}") from None
    per_rule = Counter(row.rule_id for row in rows)
    detail = f" ({', '.join(f'{rule}: {count}' for rule, count in per_rule.items())})" if rows else ""
    typer.echo(f"{len(rows)} judgement(s) pending{detail}: wrote {output}")
    for warning in report.warnings:
        if warning.startswith("judgement"):
            typer.echo(f"warning: {warning}", err=True)
    if report.rejected:
        typer.echo(f"{len(report.rejected)} record(s) rejected and left out of the workbook: run `check {cases}` "
                   "to see why.", err=True)
        raise typer.Exit(EXIT_REJECTED)
