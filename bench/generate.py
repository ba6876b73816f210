"""Write the benchmark's input: N synthetic case files, seeded, streamed to disk.

The records come from `synthetic.cases.iter_cases` (realistic files, a mix of compliant and
faulty ones; the same seed gives the same files on any machine) and are written with its own
writers, one record at a time, so a million records take no more memory than ten. This module
adds only what a benchmark needs on top: the format taken from the file name (`.jsonl` one
record per line, `.json` one array, as `check` reads today), optional gzip (`.gz`, written with
a zero timestamp so the same seed gives the same bytes), and an atomic write (a `.partial` file
renamed at the end), so an interrupted run never leaves a truncated input for `run.py` to reuse.

    python bench/generate.py --count 100000 --seed 7 --output /tmp/cases-100k.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

# Run as a script (`python bench/generate.py`): the test-data generators live at the repository's top
# level, beside bench/, and are not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from synthetic.cases import iter_cases, write_json_array, write_jsonl  # noqa: E402

DEFAULT_SEED = 7
FORMATS = ("json", "jsonl", "parquet")


def format_of(path: Path) -> str:
    """json for `x.json` / `x.json.gz`, parquet for `x.parquet`, jsonl for anything else (`x.jsonl`, `x.ndjson`)."""
    name = path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name
    return "json" if name.endswith(".json") else "parquet" if name.endswith(".parquet") else "jsonl"


@contextmanager
def atomic_text_output(path: Path) -> Iterator[TextIO]:
    """A text stream that becomes `path` only when the block ends without an exception; gzip for `.gz`."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as raw:
            binary = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if path.suffix == ".gz" else raw
            with io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as stream:
                yield stream
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_cases(output: Path, count: int, seed: int = DEFAULT_SEED, output_format: str | None = None) -> None:
    """Write `count` synthetic records to `output`, streaming; the format defaults to the file name's."""
    chosen = output_format or format_of(output)
    if chosen == "parquet":  # the case model's columns, small row groups (checker.inputs.parquet)
        from checker.inputs.parquet import write_parquet

        write_parquet(iter_cases(count, seed), output)
        return
    writer = write_json_array if chosen == "json" else write_jsonl
    with atomic_text_output(output) as stream:
        writer(iter_cases(count, seed), stream)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/generate.py",
        description="Write N synthetic case files (no real data) for the benchmark, streaming.")
    parser.add_argument("--count", type=int, required=True, help="number of records")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--output", "-o", type=Path, required=True,
                        help="file to write: .jsonl (one record per line), .json (one array; add .gz to compress either) or .parquet")
    parser.add_argument("--format", choices=FORMATS, dest="output_format",
                        help="override the format taken from the file name")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be 0 or more")
    write_cases(args.output, args.count, args.seed, args.output_format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
