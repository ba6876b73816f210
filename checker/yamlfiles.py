"""The one loader of the YAML files people write: rules, waivers, mappings, grade bands, fixtures.

Parsing is safe and located (`checker.yamlsource`); the file's shape is checked against its JSON Schema
with errors sorted and misspelling echoes dropped (`checker.schemaerrors`); each loader then words and
locates its own errors, so one pass reports every problem in a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from checker.errors import FileErrors, Location, SourceError
from checker.schemaerrors import sorted_errors, without_misspelling_echoes
from checker.yamlsource import Locations, load_yaml


@dataclass(frozen=True)
class CheckedYaml:
    """A YAML file of one kind, parsed safely, with its schema errors (sorted, misspelling echoes dropped)."""

    data: dict[str, Any]
    locations: Locations
    schema_errors: list[Any]  # jsonschema ValidationErrors: each loader words and locates its own


def load_checked_yaml(path: Path | str, kind: str, shape: str, schema: dict[str, Any] | None = None) -> CheckedYaml:
    """The one loader of the YAML files people write (rules, waivers, mappings, grade bands, fixtures).

    Raises FileErrors(kind) when the file cannot be read or parsed safely, or is not a mapping (`shape` says
    what one of its kind looks like); otherwise returns the data with the schema's errors for the caller to
    word, so that one pass can report every problem in the file."""
    try:
        data, locations = load_yaml(path)
    except SourceError as exc:
        raise FileErrors(kind, [exc]) from None
    if not isinstance(data, dict):
        raise FileErrors(kind, [SourceError(Location(str(path), 1, 1), shape)])
    errors = []
    if schema is not None:
        errors = without_misspelling_echoes(sorted_errors(Draft202012Validator(schema).iter_errors(data)))
    return CheckedYaml(data, locations, errors)
