"""The limits of checker.sidefiles, each at its edge (small limits stand in for the real ones, which the
corpus would need gigabytes to reach)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from checker import sidefiles
from checker.sidefiles import SideFileError, check_workbook, read_side_file


def zipped(path: Path, parts: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_workbook_unzipping_beyond_its_limit_is_refused(tmp_path: Path) -> None:
    book = zipped(tmp_path / "b.xlsx", {"a.xml": bytes(range(256)) * 20, "b.xml": bytes(range(256)) * 20})
    check_workbook(book, expanded_limit=10_240)  # exactly at the limit
    with pytest.raises(SideFileError, match="the workbook unzips to 10240 bytes; workbooks that unzip to more "
                                            "than 10239 bytes are refused"):
        check_workbook(book, expanded_limit=10_239)


def test_a_workbook_of_too_many_parts_or_too_large_is_refused(tmp_path: Path, monkeypatch) -> None:
    book = zipped(tmp_path / "b.xlsx", {f"p{n}.xml": b"x" for n in range(5)})
    monkeypatch.setattr(sidefiles, "MAX_WORKBOOK_PARTS", 4)
    with pytest.raises(SideFileError, match="the workbook has 5 parts; workbooks of more than 4 parts are refused"):
        check_workbook(book)
    monkeypatch.setattr(sidefiles, "MAX_WORKBOOK_PARTS", 5)
    check_workbook(book)
    monkeypatch.setattr(sidefiles, "MAX_WORKBOOK_BYTES", book.stat().st_size - 1)
    with pytest.raises(SideFileError, match=f"file is {book.stat().st_size} bytes; workbooks above"):
        check_workbook(book)


def test_one_part_expanding_over_a_hundred_times_is_a_zip_bomb(tmp_path: Path) -> None:
    bomb = zipped(tmp_path / "bomb.xlsx", {"sheet.xml": b" " * (2 << 20)})
    with pytest.raises(SideFileError, match="more than 100 times\\): refused as a likely zip bomb"):
        check_workbook(bomb)
    small = zipped(tmp_path / "small.xlsx", {"sheet.xml": b" " * (1 << 20)})  # highly compressed, but only 1 MB
    check_workbook(small)


def test_a_side_file_is_read_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "side.yaml"
    path.write_bytes(b"x" * 100)
    assert read_side_file(path, 100) == b"x" * 100
    with pytest.raises(SideFileError, match="file is 100 bytes; files above 99 bytes are refused"):
        read_side_file(path, 99)
    with pytest.raises(SideFileError, match="this is a folder, not a file"):
        read_side_file(tmp_path, 100)
    with pytest.raises(SideFileError, match="cannot read the file: No such file or directory"):
        read_side_file(tmp_path / "missing.yaml", 100)
