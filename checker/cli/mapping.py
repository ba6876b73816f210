"""Mapping commands for the `check` app: `check mapping validate MAP`.

A force's CSV or spreadsheet export is read through a YAML field mapping
(`checker.inputs.exports.mapping`). `check mapping validate` checks a mapping file on its own,
as `check validate` checks rule packs: exit 0 with a one-line summary, or exit 1
with every problem located as file:line:column on standard error.

`register(app)` adds the `mapping` group to the integrator's typer app.
"""

from __future__ import annotations

from pathlib import Path

import typer

from checker.cli.common import EXIT_FAILED
from checker.api import FileErrors, load_mapping

mapping_app = typer.Typer(no_args_is_help=True, help="Field mappings for reading a force's CSV or xlsx export.")


def register(app: typer.Typer) -> None:
    """Add the `mapping` command group to `app`."""
    app.add_typer(mapping_app, name="mapping")


@mapping_app.command("validate")
def validate_command(
    mapping: Path = typer.Argument(..., help="A mapping file (YAML), e.g. samples/export/mapping.yaml."),
) -> None:
    """Check a mapping: its keys, case-model paths, types, value maps, date formats and time zones. Exit 1 on any error."""
    try:
        loaded = load_mapping(mapping)
    except FileErrors as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        typer.echo(f"{len(exc.errors)} error(s) in the mapping.", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    typer.echo(loaded.summary())
