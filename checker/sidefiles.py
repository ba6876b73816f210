"""Reading the files a user gives beside the case files, bounded.

Rule packs, waivers, grade bands, field mappings, fixtures, sample manifests, the results `check compare`
reads, xlsx exports and review workbooks are read whole (or, for workbooks, unzipped), so each is
checked first: it must be a regular file (a named pipe would wait for ever, a device such as `/dev/zero`
never ends), no larger than its kind's limit, and a workbook must not expand beyond its limits when
unzipped. Every refusal is a `SideFileError` whose message says what was found and what is allowed;
callers word it in their own error type, located at the file.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import zipfile
from pathlib import Path
from typing import Any

from checker.errors import CheckerError

MAX_MANIFEST_BYTES = 64 << 20  # a manifest lists the sampled case ids: a few MB for the largest samples
MAX_RESULT_BYTES = 1 << 30  # a `check --format json` result holds every record's results
MAX_WORKBOOK_BYTES = 100 << 20  # an .xlsx file as stored (zipped)
MAX_WORKBOOK_EXPANDED_BYTES = 1 << 30  # all its parts unzipped, for an export (read a row at a time)
MAX_REVIEW_WORKBOOK_EXPANDED_BYTES = 100 << 20  # a review workbook is read whole: ~100,000 judgements
MAX_WORKBOOK_RATIO = 100  # unzipped ÷ zipped size of any one part (cell XML compresses ~10-20×)
MAX_WORKBOOK_PARTS = 10_000


class SideFileError(CheckerError):
    """A side file that is refused before it is parsed; str() is the reason, without the file name."""

    code = "side-file-refused"


def read_side_file(path: Path | str, limit: int, kind: str = "files") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; SideFileError otherwise.

    `kind` names the files in the message ("YAML files above 2097152 bytes are refused")."""
    try:
        # O_NONBLOCK: opening a named pipe with no writer returns at once (to be refused) instead of waiting.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SideFileError(f"cannot read the file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(descriptor)
        _require_regular(info)
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as handle:
        if info.st_size > limit:
            raise SideFileError(f"file is {info.st_size} bytes; {kind} above {limit} bytes are refused")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise SideFileError(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > limit:  # it grew while being read
        raise SideFileError(f"file is over {limit} bytes; {kind} above {limit} bytes are refused")
    return data


def require_regular_file(path: Path | str) -> None:
    """SideFileError unless `path` is a regular file (checked without opening it: a pipe would block)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SideFileError(f"cannot read the file: {exc.strerror or exc}") from None
    _require_regular(info)


def _require_regular(info: os.stat_result) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    raise SideFileError(f"this is {kind}, not a file: give the path of a regular file")


def load_json_side_file(path: Path | str, limit: int, kind: str) -> Any:
    """A JSON side file decoded; SideFileError for a refused file, and for JSON nested too deeply or
    holding a number too long to read. Invalid JSON raises json.JSONDecodeError (the caller locates it)."""
    data = read_side_file(path, limit, kind)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SideFileError(f"not UTF-8 text at line {line} (byte value 0x{data[exc.start]:02x})") from None
    except RecursionError:
        raise SideFileError("the JSON is nested too deeply (the reader allows about 1,000 levels)") from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer beyond Python's digit limit
        raise SideFileError("the JSON holds a number too long to read (the reader allows "
                            f"{sys.get_int_max_str_digits():,} digits)") from None


def check_workbook(path: Path | str, expanded_limit: int = MAX_WORKBOOK_EXPANDED_BYTES) -> None:
    """SideFileError unless `path` is an .xlsx (zip) file within the size, part-count and expansion limits:
    a small workbook can unzip to gigabytes (a "zip bomb"), which would exhaust memory while it is read.
    A file that is not a zip archive passes: the workbook reader says what is wrong with it."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SideFileError(f"cannot read the file: {exc.strerror or exc}") from None
    _require_regular(info)
    if info.st_size > MAX_WORKBOOK_BYTES:
        raise SideFileError(f"file is {info.st_size} bytes; workbooks above {MAX_WORKBOOK_BYTES} bytes are refused")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if len(parts) > MAX_WORKBOOK_PARTS:
        raise SideFileError(f"the workbook has {len(parts)} parts; workbooks of more than {MAX_WORKBOOK_PARTS} "
                            "parts are refused")
    expanded = sum(part.file_size for part in parts)
    if expanded > expanded_limit:
        raise SideFileError(f"the workbook unzips to {expanded} bytes; workbooks that unzip to more than "
                            f"{expanded_limit} bytes are refused")
    for part in parts:
        if part.file_size > 1 << 20 and part.file_size > MAX_WORKBOOK_RATIO * max(part.compress_size, 1):
            raise SideFileError(f"the workbook part {part.filename!r} unzips from {part.compress_size} to "
                                f"{part.file_size} bytes (more than {MAX_WORKBOOK_RATIO} times): refused as a "
                                "likely zip bomb")


def workbook_problem(error: BaseException) -> str:
    """What is wrong with a workbook the reader refused, in words: the XML parser's or defusedxml's
    error when one is behind it (openpyxl rewraps them as "Unable to read workbook")."""
    seen: BaseException | None = error
    while seen is not None:
        kind = type(seen).__name__
        if kind in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden", "NotSupportedError"):
            return ("its XML declares entities or a document type, which workbooks do not need "
                    "(refused: the route of entity expansion attacks)")
        if kind == "ParseError":
            return f"its XML is malformed ({seen})"
        seen = seen.__cause__ or seen.__context__
    return str(error).split("\n")[0]
