"""What the `check` commands share: exit codes, the error exit, and loading rule packs, run
settings and a filled review workbook with their errors worded for the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from checker.api import (
    FileErrors, InputError, Judgements, RulePack, RunSettings, SourceError, case_ids, load_grade_bands, load_packs,
    manual_rule_ids, pack_settings, parse_as_of, parse_overrides, read_judgements,
)

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN, EXIT_REJECTED = 0, 1, 2, 3


def fail(message: str, code: int = EXIT_CANNOT_RUN) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


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


def write_output(path: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def load_judgements(path: Path, cases: Path, packs: list[RulePack], timezone: str) -> Judgements:
    """The filled workbook's answers, or exit 2 listing every error in it."""
    try:
        known = case_ids(cases, timezone)
    except InputError as exc:
        raise fail(f"{exc}\nThe case file could not be read: nothing was scored.") from None
    try:
        return read_judgements(path, known, manual_rule_ids(packs))
    except FileErrors as exc:
        raise fail(f"{exc}\n{len(exc.errors)} error(s) in the review workbook: nothing was scored.") from None
