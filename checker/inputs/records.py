"""Checking case-file records: decode, validate, normalise, account for every one.

`check_record` turns each `RawRecord` of an input (see `checker.inputs.sources`) into
either a `CaseRecord` (valid: it will be evaluated) or a `Rejection` (invalid:
reported with its position, its case_id when it has one, the path of the bad
field and what was expected); `CaseIds` rejects a second record with the same
case_id. Nothing is dropped: read = evaluated + rejected.

An input that cannot be read at all (missing, not JSON, not a list of records)
raises `InputError`, located by file, line and column.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from checker.inputs.recordmodel import RecordModel, record_model
from checker.inputs.recordtypes import RECORD_TYPE_FIELD
from checker.schemaerrors import describe, dotted, error_path, sorted_errors
from checker.inputs.timestamps import TimestampError


@dataclass(frozen=True)
class RawRecord:
    index: int  # position in the input, from 0
    line: int | None  # line (or spreadsheet row) where the record starts, from 1
    data: Any
    # Problems found before validation, e.g. a mapped CSV cell that is not a date: (case path, message).
    # A record with problems is rejected with all of them.
    problems: tuple[tuple[str, str], ...] = ()
    text: str | None = None  # undecoded JSON (a JSON Lines line, an array's record), decoded by `check_record`

    def value(self) -> Any:
        """The record as decoded: `data`, or `text` decoded (None if it is not JSON)."""
        return self.data if self.text is None else _decode(self.text)[0]


@dataclass(frozen=True)
class CaseRecord:
    index: int
    line: int | None
    case_id: str
    raw: dict[str, Any]  # as written, for evidence
    normalised: dict[str, Any]  # as rules read it (see recordmodel.RecordModel.normalise)
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


def check_record(raw: RawRecord, zone_name: str, model: RecordModel | None = None) -> CaseRecord | Rejection:
    """Decode (if need be), validate and normalise one record of `model`'s type (default: a case file).
    Duplicate ids are `CaseIds`' business."""
    try:
        return _check_record(raw, zone_name, model or record_model())
    except RecursionError:  # decoded (orjson reads 1,024 levels), but too deep to validate or to word
        return Rejection(raw.index, raw.line, None, "", NESTED_TOO_DEEPLY)


def _check_record(raw: RawRecord, zone_name: str, model: RecordModel) -> CaseRecord | Rejection:
    problems, data = raw.problems, raw.data
    if raw.text is not None and not problems:
        data, problem = _decode(raw.text)
        problems = (problem,) if problem else ()
    kind = model.kind
    case_id = data.get(kind.id_field) if isinstance(data, dict) else None
    case_id = case_id if isinstance(case_id, str) else None
    if problems:
        if case_id is not None and unpaired_surrogate(case_id):
            case_id = None  # not text: the rejection could not be written with it
        path, message = problems[0]
        return Rejection(raw.index, raw.line, case_id, path, message,
                         tuple(f"{where or '(record)'}: {problem}" for where, problem in problems))
    if not isinstance(data, dict):
        return Rejection(raw.index, raw.line, None, "", f"expected a {kind.noun} (a JSON object), "
                         f"found {type(_as_written(raw, data)).__name__}")
    written_type = data.get(RECORD_TYPE_FIELD)
    if written_type is not None and written_type != kind.name and isinstance(written_type, str):
        return Rejection(raw.index, raw.line, case_id, RECORD_TYPE_FIELD,
                         f"a {written_type!r} record in an input of {kind.plural} ({kind.name!r}): an input holds "
                         f"one record type, and this record is never scored against the {kind.name} packs; "
                         f"score {written_type!r} records as an input of their own")
    normalised: dict[str, Any] | None = None
    unknown: set[str] = set()
    if model.fast_validator.is_valid(data):
        try:
            normalised = model.normalise(data, zone_name, unknown)
        except TimestampError:
            pass  # a pattern-valid but impossible date: let the full validator word it
    if normalised is None:
        errors = sorted_errors(model.validator(zone_name).iter_errors(_as_written(raw, data)))
        if not errors:  # the two validators disagree: should not happen, but never drop the record
            return Rejection(raw.index, raw.line, case_id, "", f"the record could not be read as a {kind.noun}")
        problems_found = tuple(f"{dotted(error_path(e)) or '(record)'}: {describe(e)}" for e in errors)
        first = errors[0]
        return Rejection(raw.index, raw.line, case_id, dotted(error_path(first)), describe(first), problems_found)
    assert case_id is not None  # required by the schema
    return CaseRecord(raw.index, raw.line, case_id, data, normalised, tuple(sorted(unknown)) if unknown else ())


def _as_written(raw: RawRecord, data: Any) -> Any:
    """The record as the standard library reads it, to word a rejection.

    orjson reads integers beyond 64 bits as floats (10**30 as 1e+30): a rejected JSON Lines record is
    decoded again so that its errors name the number as written, as the JSON array reader's do."""
    if raw.text is None:
        return data
    try:
        return json.loads(raw.text)
    except (ValueError, RecursionError):  # orjson read what the standard library cannot: keep its reading
        return data


def _decode(text: str) -> tuple[Any, tuple[str, str] | None]:
    """A JSON Lines record's value, or the problem that stops it being decoded.

    orjson decodes the well-formed majority fast; anything it refuses goes to the standard library,
    which decides (it accepts a little more, e.g. integers beyond 64 bits) and words the problem."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    else:
        return value, duplicate_key(text, value)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.endswith("\n") or exc.pos >= len(text.rstrip()):  # the file's last line, cut short
            return None, ("", "the line ends in the middle of a record (is it truncated?)")
        return None, ("", f"invalid JSON at column {exc.colno}: {exc.msg}")
    except RecursionError:
        return None, ("", NESTED_TOO_DEEPLY)
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        return None, ("", huge_number(text))
    # orjson refuses unpaired surrogates and integers beyond 64 bits; the standard library lets them through
    return value, unpaired_surrogate(value) or duplicate_key(text, value)


NESTED_TOO_DEEPLY = "the record is nested too deeply to be a case file (the reader allows about 1,000 levels)"
_LONG_NUMBER = re.compile(r"[0-9]{1000,}")


def huge_number(text: str) -> str:
    """The problem of a record holding an integer too long to read, with the column where it starts."""
    found = _LONG_NUMBER.search(text)
    where = f" at column {found.start() + 1 - (text.rfind(chr(10), 0, found.start()) + 1)}" if found else ""
    digits = f" of {len(found.group()):,} digits" if found else ""
    return f"a number{digits}{where} is too long to be a case-file value"


def duplicate_key(text: str, value: Any) -> tuple[str, str] | None:
    """(path, problem) when the record's text names a field twice in one object, else None.

    A decoder keeps the last of duplicate keys silently; `case_id` written three times would be
    scored as one of them. Every key is followed by a colon, and orjson writes no colon escaped, so
    the record's text has more colons than the decoded record written back when a key was dropped
    (~6 µs a record). Only then, or when the text escapes a colon (which could hide one), is the
    record decoded again keeping every pair, to name the object and key."""
    try:
        if text.count(":") == orjson.dumps(value).count(b":") and not ("\\" in text and "\\u003" in text):
            return None
    except orjson.JSONEncodeError:  # beyond what orjson writes (64-bit integers, 255 levels): decide below
        pass
    try:
        pairs = json.loads(text, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), pairs)]
    while stack:  # iterative: the record may be nested up to the decoder's limit
        path, item = stack.pop(0)
        if isinstance(item, _Pairs):
            counts: dict[str, int] = {}
            for key, _ in item:
                counts[key] = counts.get(key, 0) + 1
            for key, count in counts.items():
                if count > 1:
                    return dotted(path + (key,)), (f"the key {key!r} appears {count} times in one object: "
                                                   "each field must be written once")
            stack.extend((path + (key,), child) for key, child in item)
        elif isinstance(item, list):
            stack.extend((path + (position,), child) for position, child in enumerate(item))
    return None


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object as the list of its (key, value) pairs, duplicates kept."""


def unpaired_surrogate(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str, str] | None:
    """(path, problem) where a decoded record holds an unpaired UTF-16 surrogate, or None.

    JSON allows the escape ("\\ud800") but it is not text: no report could write it, so the record
    is rejected at its field. Called only when a record's text has such an escape (rare), so it walks."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return dotted(path), (f"an unpaired surrogate escape (\\u{ord(value[exc.start]):04x}) is not text: "
                                  "expected characters encoded as UTF-8, or a surrogate pair")
        return None
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and unpaired_surrogate(key):
            return dotted(path), "a field name holds an unpaired surrogate escape: it is not text"
        problem = unpaired_surrogate(item, path + (key,))
        if problem:
            return problem
    return None


class CaseIds:
    """Where each case id was first seen: a second record with the same id is rejected.

    The one thing a run keeps per record. Up to `IN_MEMORY` ids are held in a dict (about 140
    bytes each, so at most ~30 MB); beyond that they move to a temporary SQLite file, so memory
    stays flat however large the input (a national extract of millions of crimes), at about 12 µs
    a record in the main process, which is otherwise mostly waiting for the workers."""

    IN_MEMORY = 200_000

    def __init__(self) -> None:
        self.first_seen: dict[str, int] = {}  # id → index << 32 | line (0: no line)
        self.spilled: _IdFile | None = None

    def duplicate(self, case_id: str, index: int, line: int | None) -> Rejection | None:
        """The rejection of record `index` when an earlier record has the same case id, else None."""
        return self.duplicates([(case_id, index, line)]).get(index)

    def duplicates(self, records: list[tuple[str, int, int | None]]) -> dict[int, Rejection]:
        """Record index → rejection, for each of `records` (case id, index, line; in input order) whose
        case id an earlier record has. Taken a chunk at a time: one database round trip once spilled."""
        positions = [(case_id, index << 32 | (line or 0)) for case_id, index, line in records]
        if self.spilled is not None:
            first = self.spilled.first_positions(positions)
        else:
            setdefault = self.first_seen.setdefault
            first = [setdefault(case_id, position) for case_id, position in positions]
            if len(self.first_seen) > self.IN_MEMORY:
                self.spilled = _IdFile(self.first_seen)
                self.first_seen = {}
        found: dict[int, Rejection] = {}
        for (case_id, index, line), (_, position), packed in zip(records, positions, first):
            if packed != position:
                earlier_index, earlier_line = packed >> 32, packed & 0xFFFFFFFF
                where = f"record {earlier_index + 1}" + (f" (line {earlier_line})" if earlier_line else "")
                found[index] = Rejection(index, line, case_id, "case_id", f"duplicate case_id {case_id!r}: "
                                         f"first seen at {where}; case ids must be unique")
        return found

    def check(self, record: CaseRecord) -> CaseRecord | Rejection:
        return self.duplicate(record.case_id, record.index, record.line) or record


class _IdFile:
    """Case ids and where each was first seen, in a temporary SQLite database (deleted when closed)."""

    def __init__(self, first_seen: dict[str, int]) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="case-ids-")
        # used by one thread at a time, but not always the one that made it (the SQL engine's bulk path checks ids
        # in its screening thread, and the file is closed wherever the last reference goes)
        self.db = sqlite3.connect(Path(self.folder.name) / "ids.sqlite", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = OFF")  # a scratch index: nothing to recover after a crash
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE ids (case_id TEXT PRIMARY KEY, position INTEGER) WITHOUT ROWID")
        self.db.executemany("INSERT INTO ids VALUES (?, ?)", first_seen.items())

    def first_positions(self, positions: list[tuple[str, int]]) -> list[int]:
        """The position stored for each (case id, position), storing those whose id is new (the first
        of several in the list wins)."""
        self.db.executemany("INSERT OR IGNORE INTO ids VALUES (?, ?)", positions)
        stored: dict[str, int] = {}
        ids = list({case_id: None for case_id, _ in positions})
        for start in range(0, len(ids), 500):  # below SQLite's oldest limit of 999 parameters
            batch = ids[start:start + 500]
            stored.update(self.db.execute(
                f"SELECT case_id, position FROM ids WHERE case_id IN ({','.join('?' * len(batch))})", batch))
        return [stored[case_id] for case_id, _ in positions]

    def __del__(self) -> None:
        self.db.close()
        self.folder.cleanup()
