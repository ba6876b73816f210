"""The reviewer's round trip for the `check` app: `review`, and reading a filled workbook for `run`.

    check review CASES --output review.xlsx [--rules PATH ...] [--set NAME=VALUE ...] [--judgements DONE.xlsx]
    check CASES --judgements review.xlsx

`register(app)` adds `review`. It reads case files as `check` does (every form, `--mapping`,
`--input-format`). A workbook that already holds a reviewer's answers is never replaced silently:
its answers are carried into the new one (and the command says so), or the command refuses.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from checker import api
from checker.api import (
    FileErrors, InputError, carry_forward, default_rules_path, facts_of, given_answers, keep_raw_records, review_rows,
    write_review_workbook,
)
from checker.cli.common import (
    CALENDAR_OPTION, CASES_ARGUMENT, EXIT_REJECTED, INPUT_FORMAT_OPTION, MAPPING_OPTION, RECORD_TYPE_OPTION, TABLE_OPTION, RULES_OPTION, SET_OPTION,
    TIMEZONE_OPTION, build_settings, fail, input_failure, judgement_errors, load_judgements, load_rule_packs,
    open_cases, packs_for_input, preflight, write_output,
)

NOTHING = "no workbook was written"


def register(app: typer.Typer) -> None:
    """Add `review` to `app`."""
    app.command("review")(review_command)


def review_command(
    cases: str = CASES_ARGUMENT,
    output: Path = typer.Option(..., "--output", "-o", help="The review workbook to write (.xlsx). If it exists and "
                                                             "holds answers, they are carried into the new one."),
    rules: Optional[list[Path]] = RULES_OPTION,
    input_format: Optional[str] = INPUT_FORMAT_OPTION,
    mapping: Optional[Path] = MAPPING_OPTION,
    record_type: Optional[str] = RECORD_TYPE_OPTION,
    table: Optional[str] = TABLE_OPTION,
    timezone: str = TIMEZONE_OPTION,
    calendar: str = CALENDAR_OPTION,
    set_values: Optional[list[str]] = SET_OPTION,
    judgements_path: Optional[Path] = typer.Option(None, "--judgements", help="A review workbook already filled in: leave its answers out."),
) -> None:
    """Write a workbook of the manual rules' pending judgements for a reviewer to fill in."""
    if output.suffix.lower() != ".xlsx":
        raise fail(f"error: --output {output}: the review workbook must be an .xlsx file")
    if judgements_path is not None and os.path.realpath(judgements_path) == os.path.realpath(output):
        raise fail(f"error: --output {output} is the workbook --judgements reads: writing it would destroy its "
                   f"answers. To refresh it in place, leave out --judgements (its answers are carried into the new "
                   f"workbook); or give the new workbook another name.\n{NOTHING[0].upper()}{NOTHING[1:]}.")
    source = open_cases(cases, input_format, mapping, NOTHING, record_type, table)
    preflight([("--output", output)], source,
              [("a rule pack", path) for path in (rules or [default_rules_path()])]
              + [("the --judgements workbook", judgements_path)])
    earlier = _answers_in(output)
    packs = packs_for_input(source, load_rule_packs(rules), NOTHING)
    settings = build_settings(packs, "wilson", 0.95, timezone, calendar, set_values or [])
    judgements = load_judgements(judgements_path, packs) if judgements_path else None
    raws = keep_raw_records(source)  # the key facts come from the records this run reads: read once
    try:
        report = api.run(source, packs, settings, judgements=judgements)
    except InputError as exc:
        raise input_failure(exc, NOTHING) from None
    problem = judgement_errors(judgements, report) if judgements is not None else None
    if problem is not None:
        raise fail(problem.replace("nothing was scored", NOTHING))
    rows = review_rows(report, packs, facts_of(raws, timezone, report.input["record_type"]))
    rows, left = carry_forward(rows, earlier)
    # An answer the --judgements workbook also gives is not lost: that workbook keeps it.
    kept_elsewhere = [answer for answer in left
                      if judgements is not None and (answer.case_id, answer.rule_id) in judgements.items]
    left = [answer for answer in left if answer not in kept_elsewhere]
    if left:
        listed = "\n".join(f"  {answer.cell}: {answer.case_id} {answer.rule_id} = {answer.answer!r}" for answer in left)
        raise fail(f"error: {output} holds {len(left)} answer(s) for judgements that are no longer pending in "
                   f"{cases}, which the new workbook could not carry:\n{listed}\nScore them first "
                   f"(check {cases} --judgements {output}), or give the new workbook another name. {NOTHING.capitalize()}.")
    write_output(output, write_review_workbook(rows, report))
    per_rule = Counter(row.rule_id for row in rows if not row.answer)
    pending = sum(per_rule.values())
    detail = f" ({', '.join(f'{rule}: {count}' for rule, count in per_rule.items())})" if pending else ""
    typer.echo(f"{pending} judgement(s) pending{detail}: wrote {output}")
    if earlier:
        carried = len(earlier) - len(kept_elsewhere)
        typer.echo(f"carried forward {carried} answer(s) already written in {output} into the new workbook"
                   + (f"; {len(kept_elsewhere)} more are answered in {judgements_path} (--judgements), which keeps "
                      "them" if kept_elsewhere else ""), err=True)
    for warning in report.warnings:
        if warning.startswith("judgement"):
            typer.echo(f"warning: {warning}", err=True)
    if report.rejected:
        typer.echo(f"{len(report.rejected)} record(s) rejected and left out of the workbook: run `check {cases}` "
                   "to see why.", err=True)
        raise typer.Exit(EXIT_REJECTED)


def _answers_in(output: Path) -> list:
    """What a reviewer already wrote in the workbook about to be replaced (none when it does not exist); a
    file there that is not a review workbook is refused rather than replaced."""
    if not output.exists():
        return []
    try:
        return given_answers(output)
    except FileErrors as exc:
        raise fail(f"{exc}\nerror: --output {output} exists and is not a review workbook this command can read: "
                   f"it is not replaced. Give another name, or move it away. {NOTHING.capitalize()}.") from None
