"""Streaming the rows of a CSV file or a spreadsheet, each with the line or row it starts on.

Forces export case data as CSV or .xlsx. Both are read row by row (the csv
module; openpyxl in read-only mode), so a large export is never held in
memory. Every row carries its position, the physical line of a CSV file where
the row starts (a quoted cell may span lines) or the spreadsheet row number,
because every problem found in a cell must say where it is.

A file that cannot be read at all raises `InputError` (from `checker.inputs.records`)
naming the file and, where known, the line.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.sidefiles import SideFileError, check_workbook, workbook_problem
from checker.schemaerrors import suggestion

CSV, XLSX = "csv", "xlsx"
TABLE_FORMATS = (CSV, XLSX)
DEFAULT_DELIMITER = ","
DEFAULT_ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark spreadsheet programs write

Row = tuple[int, Sequence[Any]]  # (line or row number from 1, cells)


@dataclass(frozen=True)
class TableSource:
    """How to read one table: its format, and the sheet (xlsx) or delimiter and encoding (csv)."""

    format: str
    sheet: str | None = None
    delimiter: str = DEFAULT_DELIMITER
    encoding: str = DEFAULT_ENCODING


def is_empty(cell: Any) -> bool:
    """A cell with nothing in it: None, or only spaces."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_rows(path: Path, source: TableSource) -> Iterator[Row]:
    """Every row of the table, the header included, with its position; rows are streamed."""
    if source.format == XLSX:
        return _xlsx_rows(path, source.sheet)
    return _csv_rows(path, source.delimiter, source.encoding)


def header_names(row: Sequence[Any]) -> list[str]:
    """Column names of a header row, without surrounding spaces."""
    return ["" if cell is None else str(cell).strip() for cell in row]


def check_text_encoding(encoding: str) -> None:
    """LookupError for an unknown encoding; ValueError for one that cannot read a CSV file as text (a
    codec between bytes and bytes such as 'hex' or 'zlib', or one that decodes nothing such as 'undefined')."""
    info = codecs.lookup(encoding)
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError("it is not a text encoding")
    sample = "Crime Ref,Date Reported\r\nLC-1,01/02/2022\n"
    try:
        with io.TextIOWrapper(io.BytesIO(sample.encode(encoding)), encoding=encoding, newline="") as handle:
            read = handle.read()
    except (UnicodeError, ValueError, TypeError, LookupError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    if read != sample:
        raise ValueError("it does not read back the text it writes")


def _csv_rows(path: Path, delimiter: str, encoding: str) -> Iterator[Row]:
    name = str(path)
    try:
        handle = path.open("r", encoding=encoding, newline="")
    except OSError as exc:
        raise InputError(name, f"cannot read the file: {exc.strerror or exc}") from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        ended = 0  # the last line of the previous row
        try:
            for cells in reader:
                yield ended + 1, cells
                ended = reader.line_num
        except UnicodeError as exc:
            raise InputError(name, f"not {encoding} text ({getattr(exc, 'reason', exc)}): export the file as UTF-8 or set "
                                   "input.encoding in the mapping", _undecodable_line(path, encoding)) from None
        except csv.Error as exc:
            raise InputError(name, f"cannot read this CSV row: {exc}", ended + 1) from None


def _undecodable_line(path: Path, encoding: str) -> int | None:
    """The line of the first byte that is not `encoding` text. Text is decoded in blocks ahead of the
    rows, so the row being read when decoding fails is not where the bad byte is."""
    raw = path.read_bytes()
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        return raw[: exc.start].count(b"\n") + 1
    except (UnicodeError, LookupError):
        return None
    return None


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[Row]:
    from openpyxl import load_workbook  # imported here: only spreadsheet inputs need it
    from openpyxl.utils.exceptions import InvalidFileException

    name = str(path)
    try:
        check_workbook(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except SideFileError as exc:
        raise InputError(name, str(exc)) from None
    except OSError as exc:
        raise InputError(name, f"cannot read the file: {exc.strerror or exc}") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, SyntaxError) as exc:
        # SyntaxError: the XML parser's ParseError (malformed XML); ValueError: defusedxml refusing entities
        raise InputError(name, f"not an .xlsx workbook ({workbook_problem(exc)}): save it as Excel Workbook (.xlsx)") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputError(name, f"no sheet {sheet!r}{suggestion(sheet, workbook.sheetnames)}; "
                                   f"the workbook has: {', '.join(workbook.sheetnames)}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        worksheet.reset_dimensions()  # some writers record wrong dimensions; read what is there
        number = 0
        try:
            for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, cells
        except (SyntaxError, ValueError, KeyError) as exc:  # the sheet's XML is parsed as it is read
            raise InputError(name, f"the workbook's sheet cannot be read after row {number} ({workbook_problem(exc)}): "
                                   "save it again as Excel Workbook (.xlsx)") from None
    finally:
        workbook.close()
