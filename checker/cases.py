"""Reading case files: parse, validate each record, normalise, account for every one.

`read_cases` yields, for every record of the input in order, either a
`CaseRecord` (valid: it will be evaluated) or a `Rejection` (invalid: it is
reported with its position, its case_id when it has one, the path of the bad
field and what was expected). Nothing is dropped: read = evaluated + rejected.

A file that cannot be read at all (missing, not JSON, not a list of records)
raises `InputError`, located by file, line and column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.casemodel import normalise, validator
from checker.schemaerrors import describe, dotted, error_path, sorted_errors
from checker.timestamps import DEFAULT_TIMEZONE, TimestampError


class InputError(Exception):
    """The input as a whole cannot be read; str() is `file:line:column: message`."""

    def __init__(self, file: str, message: str, line: int | None = None, column: int | None = None) -> None:
        where = file if line is None else f"{file}:{line}:{column or 1}"
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message


@dataclass(frozen=True)
class RawRecord:
    index: int  # position in the input, from 0
    line: int | None  # line (or spreadsheet row) where the record starts, from 1
    data: Any
    # Problems found before validation, e.g. a mapped CSV cell that is not a date: (case path, message).
    # A record with problems is rejected with all of them.
    problems: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CaseRecord:
    index: int
    line: int | None
    case_id: str
    raw: dict[str, Any]  # as written, for evidence
    normalised: dict[str, Any]  # as rules read it (see casemodel.normalise)
    unknown_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejection:
    index: int
    line: int | None
    case_id: str | None
    path: str
    message: str
    errors: tuple[str, ...] = field(default=())  # every problem found, "path: message"

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "line": self.line, "case_id": self.case_id, "path": self.path,
                "message": self.message, "errors": list(self.errors)}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json_array(path: Path) -> Iterator[RawRecord]:
    """The elements of a JSON array file with the line each starts on."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is tolerated
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(name, f"not UTF-8 text (byte {exc.start}): export the file as UTF-8", line) from None
    decoder = json.JSONDecoder()
    lines = _LineCounter(text)
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise InputError(name, "expected a JSON array of case files ('[' … ']')", *lines.at(position))
    position = _skip_space(text, position + 1)
    index = 0
    if position < len(text) and text[position] == "]":
        return
    while True:
        line, _ = lines.at(position)
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            problem = exc.msg
            if exc.pos >= len(text.rstrip()):
                problem = "the file ends in the middle of this record (is it truncated?)"
            raise InputError(name, f"invalid JSON in record {index + 1}: {problem}", *lines.at(exc.pos)) from None
        yield RawRecord(index=index, line=line, data=value)
        index += 1
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
            continue
        if position >= len(text):
            raise InputError(name, "the file ends before the closing ']' (is it truncated?)", *lines.at(position))
        if text[position] == "]":
            trailing = _skip_space(text, position + 1)
            if trailing < len(text):
                raise InputError(name, "unexpected text after the end of the JSON array", *lines.at(trailing))
            return
        raise InputError(name, "expected ',' or ']' after a record (is the file truncated?)", *lines.at(position))


class _LineCounter:
    """Line and column of positions in `text`, counted incrementally (positions mostly increase)."""

    def __init__(self, text: str) -> None:
        self.text, self.position, self.line = text, 0, 1

    def at(self, position: int) -> tuple[int, int]:
        if position < self.position:
            self.position, self.line = 0, 1
        self.line += self.text.count("\n", self.position, position)
        self.position = position
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        return self.line, column


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def check_record(raw: RawRecord, zone_name: str, first_seen: dict[str, RawRecord]) -> CaseRecord | Rejection:
    """Validate and normalise one record; `first_seen` tracks case ids across the input."""
    data = raw.data
    case_id = data.get("case_id") if isinstance(data, dict) else None
    case_id = case_id if isinstance(case_id, str) else None
    if not isinstance(data, dict):
        return Rejection(raw.index, raw.line, None, "", "expected a case file (a JSON object), "
                         f"found {type(data).__name__}")
    if raw.problems:
        path, message = raw.problems[0]
        return Rejection(raw.index, raw.line, case_id, path, message,
                         tuple(f"{where or '(record)'}: {problem}" for where, problem in raw.problems))
    errors = sorted_errors(validator().iter_errors(data))
    if errors:
        problems = tuple(f"{dotted(error_path(e)) or '(record)'}: {describe(e)}" for e in errors)
        first = errors[0]
        return Rejection(raw.index, raw.line, case_id, dotted(error_path(first)), describe(first), problems)
    assert case_id is not None  # required by the schema
    if case_id in first_seen:
        earlier = first_seen[case_id]
        where = f"record {earlier.index + 1}" + (f" (line {earlier.line})" if earlier.line else "")
        return Rejection(raw.index, raw.line, case_id, "case_id",
                         f"duplicate case_id {case_id!r}: first seen at {where}; case ids must be unique")
    first_seen[case_id] = raw
    unknown: set[str] = set()
    try:
        normalised = normalise(data, zone_name, unknown)
    except TimestampError as exc:  # schema checks formats, so this is a safety net
        return Rejection(raw.index, raw.line, case_id, "", str(exc))
    return CaseRecord(raw.index, raw.line, case_id, data, normalised, tuple(sorted(unknown)))


def read_cases(path: Path, zone_name: str = DEFAULT_TIMEZONE) -> Iterator[CaseRecord | Rejection]:
    """Every record of a JSON case-file array, checked, in input order."""
    first_seen: dict[str, RawRecord] = {}
    for raw in read_json_array(path):
        yield check_record(raw, zone_name, first_seen)
