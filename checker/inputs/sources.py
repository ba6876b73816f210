"""Reading the records of an input, whatever its form, one at a time.

Forms: a JSON array (`.json`), JSON Lines (`.jsonl`, `.ndjson`), either of them
gzip-compressed (`.gz`, recognised by its first bytes), standard input (`-`),
CSV or XLSX exports read through a field mapping (`checker.inputs.exports.mapping`), and tables:
a Parquet file or a DuckDB database's table (`checker.inputs.tables`).
The form comes from the file name unless `input_format` says otherwise.

Everything streams: a JSON array is decoded in chunks and JSON Lines line by
line, so memory does not grow with the input. Each record comes out as a
`RawRecord` with its position and the line it starts on; the file's SHA-256 is
computed on the bytes as they are read (`CaseSource.sha256` once read).

A fault that stops reading altogether (no such file, not UTF-8, a JSON array
cut short) raises `InputError` located by file, line and column. A fault
confined to one JSON Lines record (invalid JSON, a record too large) becomes a
problem of that record, which is then rejected; reading goes on.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator
from itertools import chain
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from checker.errors import InputError
from checker.inputs.records import (
    CaseIds, CaseRecord, RawRecord, Rejection, check_record, duplicate_key, file_sha256, unpaired_surrogate,
)
from checker.inputs.recordtypes import DEFAULT_RECORD_TYPE, RECORD_TYPE_FIELD, RECORD_TYPES, RecordType, record_type
from checker.inputs.timestamps import DEFAULT_TIMEZONE

INPUT_FORMATS = ("json", "jsonl", "parquet", "duckdb", "csv", "xlsx")
_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv",
               ".xlsx": "xlsx", ".duckdb": "duckdb"}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # characters read at a time from a JSON array
_READ_SIZE = 1 << 20  # bytes read from the file at a time: fewer, larger reads (and hash updates)
MAX_RECORD_CHARS = 16 << 20  # a case file is a few KB; anything near this is not one


def format_from_name(name: str) -> str | None:
    """The input format a file name implies (`.gz` looked through), or None."""
    path = Path(name.lower())
    if path.suffix == ".gz":
        path = path.with_suffix("")
    return _EXTENSIONS.get(path.suffix)


@dataclass
class CaseSource:
    """One input: where it is, its format, and (once read) its size and SHA-256."""

    path: str  # "-" is standard input
    input_format: str
    mapping: Any = None  # a checker.inputs.exports.mapping.FieldMapping, for CSV and XLSX exports
    sha256: str | None = None
    bytes_read: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. rows of a joined file that match no case
    sniff_content: bool = False  # standard input, gzip-compressed: the form is told once decompressed
    # The type of record the input holds (checker.inputs.recordtypes): given (--record-type, the mapping's),
    # or read from the first record by `find_record_type`.
    record_type: str | None = None
    table: str | None = None  # the table of a DuckDB database input (None: its only table)

    @property
    def size(self) -> int | None:
        """Size in bytes for a regular file (for progress), else None."""
        if self.path == "-":
            return None
        try:
            return Path(self.path).stat().st_size
        except OSError:
            return None

    def records(self) -> Iterator[RawRecord]:
        """The input's records in order; sets `sha256` when the input has been read to its end."""
        if self.input_format in ("csv", "xlsx"):
            yield from self._mapped_records()
            return
        if self.input_format in ("parquet", "duckdb"):  # rows of a table, read by DuckDB
            from checker.inputs.tables import database_rows, parquet_rows

            yield from (parquet_rows(self.path) if self.input_format == "parquet" else database_rows(self.path, self.table))
            self.sha256 = file_sha256(Path(self.path))
            return
        with self._open_binary() as binary:
            hashing = _HashingReader(binary, self)
            content = _LineCountingReader(_maybe_gunzip(hashing, self.path), _READ_SIZE)
            if self.sniff_content:  # gzip on standard input: array or lines, told by its content
                self.input_format = _json_form(content)
            text = io.TextIOWrapper(content, encoding="utf-8-sig", newline="")  # a byte-order mark is tolerated
            reader = _json_array_records if self.input_format == "json" else _json_lines_records
            yield from _decoding_errors_located(reader(text, self.path), self.path, content)
            self.sha256 = hashing.hexdigest()

    def _open_binary(self) -> IO[bytes]:
        if self.path == "-":
            return _NotClosing(sys.stdin.buffer)
        try:
            return open(self.path, "rb")  # noqa: SIM115 - closed by the caller's with-block
        except OSError as exc:
            raise InputError(self.path, f"cannot read the file: {exc.strerror or exc}") from None

    def _mapped_records(self) -> Iterator[RawRecord]:
        from checker.inputs.exports.mapping import read_mapped  # only CSV/XLSX inputs need it

        records = read_mapped(Path(self.path), self.mapping)
        yield from records
        self.notes.extend(records.warnings())  # e.g. rows of a joined file that belong to no case
        self.sha256 = file_sha256(Path(self.path))


@dataclass
class MemorySource(CaseSource):
    """Case-file records already in memory (decoded JSON), read as a file's records are (`checker.api.score`)."""

    items: list[Any] = field(default_factory=list)

    def records(self) -> Iterator[RawRecord]:
        for index, data in enumerate(self.items):
            yield RawRecord(index, None, data)


def find_record_type(source: CaseSource) -> RecordType:
    """The type of record `source` holds: as given (`--record-type`), else as its mapping says, else as its first
    record's `record_type` says, else a case file. Reading the first record does not consume it: the source
    gives it again (standard input cannot be read twice). UnknownRecordType for a name not in the registry."""
    if source.record_type is None and source.mapping is not None:
        source.record_type = source.mapping.record_type
    if source.record_type is None:
        records = source.records()
        first = next(records, None)
        written = first.value() if first is not None else None
        written = written.get(RECORD_TYPE_FIELD) if isinstance(written, dict) else None
        source.record_type = written if isinstance(written, str) else DEFAULT_RECORD_TYPE
        if isinstance(written, str) and written not in RECORD_TYPES:
            raise InputError(source.path, f"the first record's record_type is {written!r}, which is not a record "
                             f"type the checker knows: expected one of {', '.join(RECORD_TYPES)}",
                             first.line if first is not None else None)
        replay = chain([first], records) if first is not None else iter(())
        source.records = lambda: replay  # type: ignore[method-assign]
    return record_type(source.record_type)


def keep_raw_records(source: CaseSource) -> list[RawRecord]:
    """Make `source` keep every raw record it yields, in a list returned now and filled as it is read: for
    commands that need the records again after a run (a review's key facts, a sample), without reading the
    input twice (standard input cannot be). Samples only: the records are held in memory."""
    kept: list[RawRecord] = []
    read = source.records

    def records() -> Iterator[RawRecord]:
        for raw in read():
            kept.append(raw)
            yield raw

    source.records = records  # type: ignore[method-assign]
    return kept


def open_source(path: str | Path, input_format: str | None = None, mapping_path: Path | None = None,
                table: str | None = None) -> CaseSource:
    """The input at `path` ("-" for standard input); its format is `input_format`, else the name's, else the
    mapping's, else (standard input) sniffed from the first character.

    Raises InputError for an unusable choice, and `checker.inputs.exports.mapping.FileErrors` for a bad mapping.
    """
    name = str(path)
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise InputError(name, f"unknown input format {input_format!r}: expected one of {', '.join(INPUT_FORMATS)}")
    mapping = None
    if mapping_path is not None:
        from checker.inputs.exports.mapping import load_mapping

        mapping = load_mapping(mapping_path)
    named = None if name == "-" else format_from_name(name)
    sniffed = _sniff_stdin() if name == "-" and not (input_format or named or mapping) else "json"
    chosen = input_format or named or (mapping.input.format if mapping is not None else None) or (
        sniffed or "jsonl")  # a JSON array, whatever the name; gzip on standard input: told when read
    if chosen in ("csv", "xlsx"):
        if name == "-":
            raise InputError(name, f"a {chosen.upper()} export cannot be read from standard input: "
                             "give the export's file name")
        if mapping is None:
            raise InputError(name, f"a {chosen.upper()} export needs a field mapping: add --mapping MAP.yaml "
                             "(example: samples/export/mapping.yaml)")
        if mapping.input.format != chosen:
            from dataclasses import replace

            mapping = replace(mapping, input=replace(mapping.input, format=chosen))
    elif mapping is not None:
        raise InputError(name, f"--mapping is for CSV and XLSX exports; this input is read as {chosen}")
    if table is not None and chosen != "duckdb":
        raise InputError(name, f"--table names a table of a DuckDB database (.duckdb); this input is read as {chosen}")
    return CaseSource(name, chosen, mapping, sniff_content=sniffed is None, table=table)


def read_cases(path: str | Path, zone_name: str = DEFAULT_TIMEZONE, input_format: str | None = None,
               mapping_path: Path | None = None) -> Iterator[CaseRecord | Rejection]:
    """Every record of an input, checked, in input order (duplicate case ids rejected)."""
    ids = CaseIds()
    for raw in open_source(path, input_format, mapping_path).records():
        item = check_record(raw, zone_name)
        yield ids.check(item) if isinstance(item, CaseRecord) else item


def _sniff_stdin() -> str | None:
    """JSON array or JSON Lines, from the first character on standard input; None for gzip, whose
    content is looked at once decompressed (`CaseSource.records`)."""
    buffered = sys.stdin.buffer
    if not hasattr(buffered, "peek"):
        return "json"
    if buffered.peek(2)[:2] == _GZIP_MAGIC:
        return None
    return _json_form(buffered)


def _json_form(buffered: Any) -> str:
    """"json" when the first character after spaces (and a byte-order mark) is '[', else "jsonl"."""
    start = buffered.peek(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if start == b"[" else "jsonl"


class _ByteStream(io.RawIOBase):
    """A readable raw stream defined by `read_bytes`; the wrappers below each add one thing."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read_bytes(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read_bytes(self, size: int) -> bytes:
        raise NotImplementedError


class _HashingReader(_ByteStream):
    """Passes bytes through, hashing and counting them (the input's identity, and progress)."""

    def __init__(self, inner: IO[bytes], source: CaseSource) -> None:
        self.inner, self.source, self.digest = inner, source, hashlib.sha256()

    def read_bytes(self, size: int) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        self.source.bytes_read += len(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class _NotClosing(_ByteStream):
    """Standard input for a with-block that must not close it."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner

    def read_bytes(self, size: int) -> bytes:
        return self.inner.read(size)


def _maybe_gunzip(raw: io.RawIOBase, name: str) -> io.RawIOBase:
    """The stream itself, or its decompressed content when it starts with the gzip magic bytes."""
    buffered = io.BufferedReader(raw, _READ_SIZE)
    if buffered.peek(2)[:2] == _GZIP_MAGIC:
        return _GzipErrorsLocated(gzip.GzipFile(fileobj=buffered, mode="rb"), name)
    return buffered  # type: ignore[return-value]


class _GzipErrorsLocated(_ByteStream):
    """A gzip stream whose corruption is reported as an InputError, not a traceback."""

    def __init__(self, inner: gzip.GzipFile, name: str) -> None:
        self.inner, self.file_name = inner, name

    def read_bytes(self, size: int) -> bytes:
        try:
            return self.inner.read(size)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(self.file_name, f"the gzip data is damaged or cut short ({exc})") from None


def _decoding_errors_located(records: Iterator[RawRecord], name: str,
                             content: _LineCountingReader) -> Iterator[RawRecord]:
    """Turn a UnicodeDecodeError raised mid-stream into an InputError at the line of the bad byte."""
    try:
        yield from records
    except UnicodeDecodeError as exc:
        line = content.line_of(exc.object, exc.start)
        raise InputError(name, f"not UTF-8 text (byte value 0x{exc.object[exc.start]:02x}): "
                         "export the file as UTF-8", line) from None


class _LineCountingReader(io.BufferedReader):
    """The buffered bytes the text decoder reads, counting the line breaks handed to it, so a byte that
    is not UTF-8 is located on its line: the decoder's error holds the bytes it was decoding, which are
    the last ones handed out (with any incomplete character carried over)."""

    def __init__(self, raw: Any, size: int) -> None:
        super().__init__(raw, size)
        self.newlines = 0

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        self.newlines += data.count(b"\n")
        return data

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.newlines += data.count(b"\n")
        return data

    def line_of(self, decoding: bytes, position: int) -> int:
        return self.newlines - decoding[position:].count(b"\n") + 1


class _TextWindow:
    """A sliding window over a text stream, with the line number of any position in it."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.text, self.eof = stream, "", False
        self.base_line = 1  # line number at text[0]
        self.counted, self.counted_line = 0, 1  # line number at text[counted]

    def more(self) -> bool:
        """Read another chunk; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.text += chunk
        return True

    def skip_space(self, position: int) -> int:
        while True:
            while position < len(self.text) and self.text[position] in " \t\r\n":
                position += 1
            if position < len(self.text) or not self.more():
                return position

    def line_at(self, position: int) -> tuple[int, int]:
        if position < self.counted:
            self.counted, self.counted_line = 0, self.base_line
        self.counted_line += self.text.count("\n", self.counted, position)
        self.counted = position
        return self.counted_line, position - (self.text.rfind("\n", 0, position) + 1) + 1

    def drop_before(self, position: int) -> int:
        """Forget text before `position` (already decoded); returns the new position (0)."""
        if position < _CHUNK:
            return position
        self.line_at(position)
        self.base_line, self.counted = self.counted_line, 0
        self.text = self.text[position:]
        return 0


# A \uD800–\uDFFF escape: only a record whose text has one can hold an unpaired surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _json_array_records(stream: IO[str], name: str) -> Iterator[RawRecord]:
    """The elements of a JSON array with the line each starts on, decoded chunk by chunk."""
    window = _TextWindow(stream)
    decoder = json.JSONDecoder()
    position = window.skip_space(0)
    if position >= len(window.text):
        return  # an empty (or blank) file holds no case files, as an empty array does
    if window.text[position] != "[":
        raise InputError(name, "expected a JSON array of case files ('[' … ']')", *window.line_at(position))
    position = window.skip_space(position + 1)
    if position < len(window.text) and window.text[position] == "]":
        _expect_end(window, position + 1, name)
        return
    index = 0
    while True:
        line, _ = window.line_at(position)
        found = _record_text(window.text, position)
        if found is not None:  # decoded in a worker, as a JSON Lines record is
            text, position = found
            yield RawRecord(index=index, line=line, data=None, text=text)
        else:
            start = position
            decoded = _decode_one(window, decoder, position, index, name)
            if decoded is None:  # a record confined fault (too deep, a huge number, too large): reject it alone
                record, position = _undecodable_record(window, start, index, line, name)
                yield record
            else:
                value, position = decoded
                problem = unpaired_surrogate(value) if _SURROGATE_ESCAPE.search(window.text, start, position) else None
                problem = problem or duplicate_key(window.text[start:position], value)
                yield RawRecord(index=index, line=line, data=value, problems=(problem,) if problem else ())
        index += 1
        position = window.skip_space(position)
        if position < len(window.text) and window.text[position] == ",":
            position = window.drop_before(window.skip_space(position + 1))
            if position >= len(window.text):
                raise InputError(name, "the file ends before the closing ']' (is it truncated?)",
                                 *window.line_at(position))
            continue
        if position >= len(window.text):
            raise InputError(name, "the file ends before the closing ']' (is it truncated?)", *window.line_at(position))
        if window.text[position] == "]":
            _expect_end(window, position + 1, name)
            return
        raise InputError(name, "expected ',' or ']' after a record (is the file truncated?)", *window.line_at(position))


def _record_text(text: str, position: int) -> tuple[str, int] | None:
    """The text of the record at `position` and the position after it, found without decoding it, or
    None: the caller then decodes it with the standard library, which finds the end itself.

    Decoding a record here, in the main process, and sending the objects to the workers costs several
    times what the workers' own decoding of its text does. Exports and `json.dump` lay arrays out in
    one of two ways: a record a line, or pretty-printed with the record's closing brace at its opening
    brace's indentation. The end that layout suggests is confirmed by orjson: a complete JSON object is
    never the beginning of a longer one, so text that parses whole is exactly the record."""
    if position >= len(text) or text[position] != "{":  # the end of the input, or not an object
        return None
    line_end = text.find("\n", position)
    if line_end < 0:
        return None  # the rest of the record is not read yet
    end = text.rfind("}", position, line_end) + 1
    if end <= position:  # the record goes on past its first line: find its closing brace's line
        indent = text[text.rfind("\n", 0, position) + 1:position]
        closing = text.find("\n" + indent + "}", line_end)
        if closing < 0:
            return None
        end = closing + len(indent) + 2
    if end - position > MAX_RECORD_CHARS:
        return None
    record = text[position:end]
    try:
        orjson.loads(record)
    except orjson.JSONDecodeError:
        return None
    return record, end


def _decode_one(window: _TextWindow, decoder: json.JSONDecoder, position: int, index: int,
                name: str) -> tuple[Any, int] | None:
    """Decode the value at `position`, reading more text while it may be incomplete; None when the value
    is complete but cannot be a case file (nested too deeply, a number too long, larger than the limit)."""
    while True:
        try:
            value, end = decoder.raw_decode(window.text, position)
        except json.JSONDecodeError as exc:
            if len(window.text) - position <= MAX_RECORD_CHARS and window.more():
                continue
            if len(window.text) - position > MAX_RECORD_CHARS:
                return None  # too large to decode: found by its brackets instead
            problem = exc.msg
            if exc.pos >= len(window.text.rstrip()):
                problem = "the file ends in the middle of this record (is it truncated?)"
            raise InputError(name, f"invalid JSON in record {index + 1}: {problem}", *window.line_at(exc.pos)) from None
        except (RecursionError, ValueError):  # too deep; an integer beyond Python's digit limit
            return None
        # A number or literal may continue past the window's end; an object or string cannot.
        if end >= len(window.text) and window.more():
            continue
        if end - position > MAX_RECORD_CHARS:
            return None
        return value, end


# Inside a string only a quote ends it and a backslash escapes; outside, brackets nest and a comma or
# the array's ']' ends a scalar.
_IN_STRING = re.compile(r'["\\]')
_OUTSIDE_STRING = re.compile(r'["{}\[\],]')


def _undecodable_record(window: _TextWindow, position: int, index: int, line: int,
                        name: str) -> tuple[RawRecord, int]:
    """The array element at `position` as a record to reject, and the position after it.

    Found by its brackets and quotes alone (no decoding), so a record nested a million deep or holding
    a number of a million digits is passed over; text beyond `MAX_RECORD_CHARS` is dropped as it is
    scanned, so memory stays bounded whatever the element's size. Raises InputError when the file ends
    inside it."""
    depth, in_string, scanned, oversize = 0, False, 0, False
    start = at = position
    while True:
        text = window.text
        found = (_IN_STRING if in_string else _OUTSIDE_STRING).search(text, at)
        if found is None:
            at = len(text)
        elif in_string:
            if found.group() == "\\":
                if found.end() < len(text):
                    at = found.end() + 1
                    continue
                at = found.start()  # the escaped character is not read yet
            else:
                in_string, at = False, found.end()
                if depth == 0:
                    break
                continue
        else:
            char = found.group()
            if char == '"':
                in_string, at = True, found.end()
                continue
            if char in "{[":
                depth, at = depth + 1, found.end()
                continue
            if char in "}]" and depth > 0:
                depth, at = depth - 1, found.end()
                if depth == 0:
                    break
                continue
            if depth > 0:  # a ',' inside the record
                at = found.end()
                continue
            at = found.start()  # a ',' or the array's ']' after a scalar
            break
        if scanned + at - start > MAX_RECORD_CHARS:
            oversize = True
        if not window.more():
            raise InputError(name, f"the file ends in the middle of record {index + 1} (is it truncated?)",
                             *window.line_at(len(window.text)))
        if oversize:  # forget what was scanned: the record is rejected for its size alone
            dropped = window.drop_before(at)
            if dropped != at:
                scanned += at - start
                start, at = 0, 0
    size = scanned + at - start
    if oversize or size > MAX_RECORD_CHARS:
        problem = ("", f"the record is larger than {MAX_RECORD_CHARS >> 20} MB ({size:,} characters): not a case file")
        return RawRecord(index, line, None, (problem,)), at
    return RawRecord(index, line, None, text=window.text[start:at]), at  # decoded (and refused) as a line is


def _expect_end(window: _TextWindow, position: int, name: str) -> None:
    trailing = window.skip_space(position)
    if trailing < len(window.text):
        raise InputError(name, "unexpected text after the end of the JSON array", *window.line_at(trailing))


def _json_lines_records(stream: IO[str], name: str) -> Iterator[RawRecord]:
    """One record per non-blank line; a line that is not JSON becomes a record with a problem."""
    index = 0
    line_number = 0
    while True:
        line = stream.readline(MAX_RECORD_CHARS + 1)
        if not line:
            return
        line_number += 1
        if len(line) > MAX_RECORD_CHARS and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # skip the rest of the oversized line
                line = stream.readline(MAX_RECORD_CHARS)
            yield RawRecord(index, line_number, None,
                            (("", f"the record is larger than {MAX_RECORD_CHARS >> 20} MB (the line is longer than "
                                  f"{MAX_RECORD_CHARS:,} characters): not a case file"),))
            index += 1
            continue
        if not line.strip():
            continue
        yield RawRecord(index, line_number, None, text=line)
        index += 1
