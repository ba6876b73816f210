"""Writing a subset of a CSV export (a sample) in the export's own columns, so the same mapping reads it.

The rows are copied as the export has them (header first, then the chosen rows in file order), and each
file the mapping joins (e.g. `updates.csv`) gets, beside the new file, the rows that belong to the chosen
cases: the sample then reads through the same mapping, joins included, and scores as the population did.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from checker.inputs.exports.cells import cell_text
from checker.inputs.exports.mapping import FieldMapping
from checker.inputs.exports.tables import CSV, read_rows
from checker.outputs import AtomicFile


def joined_outputs(mapping: FieldMapping, output: Path) -> list[Path]:
    """The joined files a CSV subset written to `output` also writes (beside it, under their own names)."""
    return [output.parent / spec.join.file for spec in mapping.lists if spec.join is not None]


def write_csv_subset(export: Path, mapping: FieldMapping, lines: Iterable[int], output: Path) -> list[Path]:
    """Copy the header and the rows starting on `lines` of a CSV export to `output` (atomically), and the
    matching rows of each joined file beside it; returns every file written."""
    assert mapping.input.format == CSV
    chosen = set(lines)
    keys: dict[str, set[str]] = {spec.join.case_column: set() for spec in mapping.lists if spec.join is not None}
    with AtomicFile(output, encoding=mapping.input.encoding) as target:
        writer = csv.writer(target.handle, delimiter=mapping.input.delimiter, lineterminator="\r\n")
        positions: dict[str, int] = {}
        for number, (line, cells) in enumerate(read_rows(export, mapping.input)):
            if number == 0:
                names = [str(cell).strip() for cell in cells]
                positions = {column: names.index(column) for column in keys if column in names}
                writer.writerow(cells)
            elif line in chosen:
                writer.writerow(cells)
                for column, position in positions.items():
                    key = cell_text(cells[position]) if position < len(cells) else None
                    if key is not None:
                        keys[column].add(key)
    written = [output]
    for spec in mapping.lists:
        join = spec.join
        if join is None:
            continue
        path = output.parent / join.file
        with AtomicFile(path, encoding=join.source.encoding) as target:
            writer = csv.writer(target.handle, delimiter=join.source.delimiter, lineterminator="\r\n")
            key_position = -1
            for number, (_, cells) in enumerate(read_rows(export.parent / join.file, join.source)):
                if number == 0:
                    names = [str(cell).strip() for cell in cells]
                    key_position = names.index(join.key_column) if join.key_column in names else -1
                    writer.writerow(cells)
                elif 0 <= key_position < len(cells) and cell_text(cells[key_position]) in keys[join.case_column]:
                    writer.writerow(cells)
        written.append(path)
    return written
