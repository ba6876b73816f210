"""The errors the checker reports to people: one hierarchy, each with a stable code.

Every error a user can cause is a `CheckerError`. Its `code` is stable (scripts and CI may
match on it; the README lists them) and its message says where and what was expected:

- `SourceError`: one problem located in a file the user wrote (`file:line:column: message`):
  a rule pack, waivers, grade bands, a field mapping, a fixture, a review workbook cell;
- `FileErrors`: every problem found in one file or set of files of one kind, listed together
  so an author fixes them all in one pass (`kind` says which: "rule files", "waivers file",
  "field mapping", "review workbook");
- `InputError`: an input that cannot be read at all (missing, not JSON, not a list of records);
- `RunFailed`: a run that could not finish (a worker process ended unexpectedly).

Problems in single case-file records are not errors: they are rejections, reported with the
run's results (see `checker.inputs.records.Rejection`), and the rest of the run goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class CheckerError(Exception):
    """Base of every error the checker reports to people."""

    code = "error"


@dataclass(frozen=True)
class Location:
    """A position in a file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SourceError(CheckerError):
    """A problem located in a source file; str() is `file:line:column: message`."""

    def __init__(self, location: Location, message: str, code: str = "invalid") -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message
        self.code = code


# The kinds of file FileErrors is raised for: the words the command line uses for them.
RULE_FILES, WAIVERS_FILE, FIELD_MAPPING, REVIEW_WORKBOOK = "rule files", "waivers file", "field mapping", "review workbook"
GRADE_BANDS, RULE_FIXTURES = "grade bands", "rule fixtures"


class FileErrors(CheckerError):
    """Every problem found in files of one kind, one a line (each item's str() says where)."""

    def __init__(self, kind: str, errors: Sequence[Any]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.kind = kind
        self.errors = list(errors)
        self.code = f"{kind.replace(' ', '-')}-errors"


class InputError(CheckerError):
    """The input as a whole cannot be read; str() is `file:line:column: message`."""

    code = "input-unreadable"

    def __init__(self, file: str, message: str, line: int | None = None, column: int | None = None) -> None:
        where = file if line is None else f"{file}:{line}:{column or 1}"
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message


class EmptyInputError(InputError):
    """The input was read to its end and holds no case file (an empty array, an empty JSON Lines file,
    a 0-byte file, an export with a header row only): there is nothing to score."""

    code = "input-empty"

    def __init__(self, file: str, plural: str = "case files") -> None:
        super().__init__(file, f"no {plural} in the input")
        self.message = f"no {plural} in {file}"
        Exception.__init__(self, self.message)


class RunFailed(CheckerError):
    """A run that could not finish, e.g. a worker process killed or out of memory; nothing is scored."""

    code = "run-failed"
