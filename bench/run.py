"""Benchmark the checker against the plain-Python baseline: throughput and peak memory per input size.

For each size, the input is generated once (`bench/generate.py`, cached in `--data-dir`), then
both programs run on it as separate processes, `--repeat` times, alternating (checker, baseline,
checker, …) so a drift in the machine's speed touches both alike:

- the checker as users run it: `check INPUT --format json --output OUT.json` plus `--check-args`;
- the baseline: `python bench/baseline.py INPUT --output OUT.jsonl` (the 28 rules by hand).

Per size it reports the median wall time, case files per second, peak memory, and the ratio of
the two rates (checker / baseline: 0.05 means the checker does 5% of the baseline's work per
second, i.e. is 20 times slower). It checks that both programs counted the same statuses for
every rule (for sizes up to `--verify-max`: reading the checker's JSON report back is costly).
Results go to a table on standard output and to `--results` (default bench/results.json),
rewritten after each size so an interrupted run keeps what it measured.

    python bench/run.py --sizes 1000,5000 --input-format json --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tabulate import tabulate

from checker import __version__ as checker_version

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_SEED = 7  # the same default as generate.py
TREE_SAMPLE_SECONDS = 0.1
# ru_maxrss is in kibibytes on Linux and in bytes on macOS.
RSS_UNIT_BYTES = 1 if sys.platform == "darwin" else 1024
MIB = 1024 * 1024


class BenchError(Exception):
    """A benchmarked command failed; the message ends with the tail of its output."""


@dataclass(frozen=True)
class Measurement:
    """One run of one command."""

    seconds: float  # wall time, process start to exit
    cpu_seconds: float  # user + system time of the process and the children it waited for
    peak_rss_mib: float  # the largest resident set of any single process of the run (kernel accounting)
    tree_rss_mib: float | None  # the largest sum over the process tree, sampled (Linux only)


@dataclass
class Side:
    """One program's runs at one size, and their medians."""

    runs: list[Measurement] = field(default_factory=list)

    def summary(self, records: int) -> dict[str, Any]:
        seconds = statistics.median(run.seconds for run in self.runs)
        trees = [run.tree_rss_mib for run in self.runs if run.tree_rss_mib is not None]
        return {
            "seconds": round(seconds, 3),
            "records_per_second": round(records / seconds, 1) if records else None,
            "cpu_seconds": round(statistics.median(run.cpu_seconds for run in self.runs), 3),
            "peak_rss_mib": round(statistics.median(run.peak_rss_mib for run in self.runs), 1),
            "tree_rss_mib": round(statistics.median(trees), 1) if trees else None,
            "runs": [asdict(run) for run in self.runs],
        }


# --------------------------------------------------------------------------- measuring one process

class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants until stopped.

    Needed because a checker run with `--jobs N` is several processes at once: its memory is
    their sum, which no single rusage figure gives. Linux only (reads /proc); a full scan of
    /proc costs a few milliseconds, so sampling every 0.1 s takes about 5% of one core.
    Sampling can miss a peak shorter than the interval; the kernel's figure cannot.
    """

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_bytes = 0
        self.root_peak_bytes = 0
        self.stopped = threading.Event()
        self.page_size = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak_bytes = max(self.peak_bytes, self.tree_rss_bytes())
            self.root_peak_bytes = max(self.root_peak_bytes, self.root_high_water_bytes())
            self.stopped.wait(TREE_SAMPLE_SECONDS)

    def root_high_water_bytes(self) -> int:
        """The root process's own peak resident set since it started its program (VmHWM)."""
        for line in _read(f"/proc/{self.root}/status").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def tree_rss_bytes(self) -> int:
        parents: dict[int, int] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                stat = _read(f"/proc/{name}/stat")
                if stat:  # "pid (command) state ppid ...": the command may contain spaces and brackets
                    parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, frontier = {self.root}, [self.root]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
            tree.update(children)
            frontier += children
        return sum(int(statm.split()[1]) * self.page_size for pid in tree if (statm := _read(f"/proc/{pid}/statm")))

    @property
    def peak_mib(self) -> float | None:
        return self.peak_bytes / MIB if self.peak_bytes else None

    @property
    def root_peak_mib(self) -> float | None:
        return self.root_peak_bytes / MIB if self.root_peak_bytes else None


def _read(path: str) -> str:
    """A /proc file's text, or "" when the process has gone."""
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def measure(command: list[str], log_prefix: Path, allowed: tuple[int, ...] = (0,)) -> Measurement:
    """Run `command` to completion; its wall time and peak memory. Raise BenchError if it fails.

    Peak memory (Linux) is the process's VmHWM from /proc, sampled until it exits: its own high-water
    mark since it started its program. Not `os.wait4`'s ru_maxrss: Linux carries the parent's
    high-water mark into a forked child, so a child of this harness, which holds large reports
    while it compares counts, would report the harness's peak (seen: 4 GB for the baseline at 1M
    records, which streams). For a run of several processes at once (`--jobs`), `TreeSampler` also
    gives the sum over the process tree. Elsewhere, ru_maxrss is the fallback.
    """
    with open(f"{log_prefix}.stdout", "wb") as stdout, open(f"{log_prefix}.stderr", "wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=ROOT)
        sampler = TreeSampler(process.pid) if sys.platform.startswith("linux") else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    if sampler:
        sampler.stopped.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    if process.returncode not in allowed:
        tail = Path(f"{log_prefix}.stderr").read_text(encoding="utf-8", errors="replace")[-2000:]
        raise BenchError(f"{shlex.join(command)} exited with {process.returncode}:\n{tail}")
    own_peak = sampler.root_peak_mib if sampler else None
    return Measurement(seconds, usage.ru_utime + usage.ru_stime,
                       own_peak if own_peak is not None else usage.ru_maxrss * RSS_UNIT_BYTES / MIB,
                       sampler.peak_mib if sampler else None)


# --------------------------------------------------------------------------- the two programs

def check_executable() -> str:
    """The `check` installed beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "check"
    found = str(beside) if beside.exists() else shutil.which("check")
    if found is None:
        raise BenchError("cannot find the `check` command: install the project (pip install -e .) first")
    return found


def checker_command(check: str, cases: Path, output: Path, extra: list[str], findings: str | None = None) -> list[str]:
    """`check` writing its JSON report; with `findings` (parquet or jsonl), its summary (markdown) and its findings
    file instead, as a run over a year's crimes would (the SQL engine's bulk path writes nothing else)."""
    if findings is not None:
        return [check, str(cases), "--format", "markdown", "--output", str(output.with_suffix(".md")),
                "--findings", str(output.with_suffix("." + findings)), *extra]
    return [check, str(cases), "--format", "json", "--output", str(output), *extra]


def findings_agree(first: Path, second: Path) -> bool:
    """Whether two findings files hold the same rows (evidence compared as JSON values, not as text)."""
    import duckdb

    def rows(path: Path) -> list[tuple[Any, ...]]:
        reader = "read_parquet" if path.suffix == ".parquet" else "read_json_auto"
        found = duckdb.connect().execute(f"SELECT index, line, case_id, rule_id, status, clause, evidence::VARCHAR "
                                         f"FROM {reader}('{path}')").fetchall()
        return [row[:-1] + (json.loads(row[-1]),) for row in found]
    return rows(first) == rows(second)


def baseline_command(cases: Path, output: Path, input_format: str) -> list[str]:
    return [sys.executable, str(BENCH_DIR / "baseline.py"), str(cases), "--output", str(output),
            "--input-format", input_format]


def ensure_input(data_dir: Path, size: int, seed: int, input_format: str) -> Path:
    """The cached input for (size, seed, format), generated on first use."""
    path = data_dir / f"cases-{size}-seed{seed}.{input_format}"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(BENCH_DIR / "generate.py"), "--count", str(size), "--seed", str(seed),
                        "--output", str(path)], check=True)
    return path


def counts_agree(checker_report: Path, baseline_stdout: Path) -> bool | None:
    """Whether the checker's per-rule status counts equal the baseline's; None if the report has none (an
    empty input writes no report)."""
    if not checker_report.exists():
        return None
    report = json.loads(checker_report.read_text(encoding="utf-8"))
    baseline = json.loads(baseline_stdout.read_text(encoding="utf-8"))["rules"]
    rules = report.get("rules") if isinstance(report, dict) else None
    if not rules:
        return None
    checker = {rule["id"]: {status: count for status, count in rule["counts"].items() if count}
               for rule in rules}
    return checker == {rule_id: {status: count for status, count in counts.items() if count}
                       for rule_id, counts in baseline.items()}


def bench_size(size: int, args: argparse.Namespace, check: str) -> dict[str, Any]:
    """Measure both programs on one size; the row of results."""
    cases = ensure_input(args.data_dir, size, args.seed, args.input_format)
    out = args.data_dir / "out"
    out.mkdir(exist_ok=True)
    checker_out, baseline_out = out / f"checker-{size}.json", out / f"baseline-{size}.jsonl"
    sql_out = out / f"sql-{size}.json"
    checker, baseline = Side(), Side()
    sql = Side() if args.sql_args is not None else None  # check with the SQL engine, in the same run
    for attempt in range(1, args.repeat + 1):
        print(f"size {size}: run {attempt}/{args.repeat} ...", file=sys.stderr, flush=True)
        # An empty input (size 0: start-up alone) is refused by check with exit 2, "no case files".
        empty_ok = (0, 2) if size == 0 else (0,)
        checker.runs.append(measure(checker_command(check, cases, checker_out, args.check_args, args.findings),
                                    out / "checker", empty_ok))
        if sql is not None:
            sql.runs.append(measure(checker_command(check, cases, sql_out, args.sql_args, args.findings), out / "sql",
                                    empty_ok))
        baseline.runs.append(measure(baseline_command(cases, baseline_out, args.input_format), out / "baseline"))
    records = json.loads((out / "baseline.stdout").read_text(encoding="utf-8"))["records"]
    verify = size <= args.verify_max
    agree = counts_agree(checker_out, out / "baseline.stdout") if verify and args.findings is None else None
    if sql is not None and verify and args.findings is not None:
        # no JSON report to count from: the two engines' summaries byte for byte, and their findings row for row
        suffix = "." + args.findings
        agree = (sql_out.with_suffix(".md").read_bytes() == checker_out.with_suffix(".md").read_bytes()
                 and findings_agree(sql_out.with_suffix(suffix), checker_out.with_suffix(suffix)))
    elif sql is not None and verify:
        # the SQL engine's report must be the per-record engine's, byte for byte
        agree = agree and counts_agree(sql_out, out / "baseline.stdout") and sql_out.read_bytes() == checker_out.read_bytes()
    if not args.keep_outputs:
        for path in (checker_out, sql_out):
            for suffix in (".json", ".md", ".parquet", ".jsonl"):
                path.with_suffix(suffix).unlink(missing_ok=True)
        baseline_out.unlink(missing_ok=True)
    row = {"size": size, "records": records, "checker": checker.summary(records),
           "baseline": baseline.summary(records), "counts_agree": agree}
    if sql is not None:
        row["sql"] = sql.summary(records)
        sql_rate, rates_of = row["sql"]["records_per_second"], (row["checker"]["records_per_second"],
                                                                 row["baseline"]["records_per_second"])
        row["sql_ratio_to_checker"] = round(sql_rate / rates_of[0], 4) if sql_rate and rates_of[0] else None
        row["sql_ratio_to_baseline"] = round(sql_rate / rates_of[1], 4) if sql_rate and rates_of[1] else None
    rates = row["checker"]["records_per_second"], row["baseline"]["records_per_second"]
    row["rate_ratio"] = round(rates[0] / rates[1], 4) if all(rates) else None
    # The same ratio by CPU time: steadier than wall time on a busy machine (see bench/README.md).
    cpu = row["checker"]["cpu_seconds"], row["baseline"]["cpu_seconds"]
    row["cpu_ratio"] = round(cpu[1] / cpu[0], 4) if records and all(cpu) else None
    return row


# --------------------------------------------------------------------------- reporting

def git_state() -> dict[str, Any]:
    """The commit measured, and whether the work tree had changes on top of it."""
    def git(*words: str) -> str:
        result = subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""
    return {"commit": git("rev-parse", "HEAD") or None, "branch": git("rev-parse", "--abbrev-ref", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def machine() -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"cpu_count": os.cpu_count(), "usable_cpus": usable, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "machine": platform.machine(), "processor": platform.processor() or None}


def table(rows: list[dict[str, Any]]) -> str:
    headers = ["records", "checker s", "checker files/s", "checker CPU µs/file", "checker peak MiB", "checker tree MiB",
               "baseline s", "baseline files/s", "baseline CPU µs/file", "baseline peak MiB", "rate ratio", "cpu ratio",
               "counts agree"]
    body = [[row["records"], row["checker"]["seconds"], row["checker"]["records_per_second"],
             cpu_per_file(row["checker"], row["records"]), row["checker"]["peak_rss_mib"], row["checker"]["tree_rss_mib"],
             row["baseline"]["seconds"], row["baseline"]["records_per_second"],
             cpu_per_file(row["baseline"], row["records"]), row["baseline"]["peak_rss_mib"], row["rate_ratio"],
             row["cpu_ratio"], {True: "yes", False: "NO", None: "-"}[row["counts_agree"]]] for row in rows]
    if any("sql" in row for row in rows):
        headers += ["sql s", "sql files/s", "sql CPU µs/file", "sql peak MiB", "sql ÷ checker", "sql ÷ baseline"]
        for line, row in zip(body, rows):
            sql = row.get("sql", {})
            line += [sql.get("seconds"), sql.get("records_per_second"), cpu_per_file(sql, row["records"]) if sql else None,
                     sql.get("peak_rss_mib"), row.get("sql_ratio_to_checker"), row.get("sql_ratio_to_baseline")]
    return tabulate(body, headers=headers, missingval="-", floatfmt="g")


def cpu_per_file(side: dict[str, Any], records: int) -> float | None:
    """CPU time (user + system, the process and its children) per record, in microseconds."""
    cpu = side.get("cpu_seconds")
    return round(cpu / records * 1e6, 1) if cpu and records else None


def write_results(path: Path, header: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({**header, "results": rows}, indent=2) + "\n", encoding="utf-8")


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or any(size < 0 for size in sizes):
        raise argparse.ArgumentTypeError("expected sizes such as 10000,100000")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Throughput and peak memory of `check` against the plain-Python baseline, per input size.")
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
                        help="comma-separated record counts (default 10000,100000,1000000); 0 measures start-up alone")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each program per size; the median is reported")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed of the synthetic input (default {DEFAULT_SEED})")
    parser.add_argument("--input-format", choices=("json", "jsonl", "parquet"), default="jsonl",
                        help="input the checker is given: jsonl (one record per line), json (one array) or parquet")
    parser.add_argument("--check-args", type=shlex.split, default=[],
                        help='extra arguments for check, as one string, e.g. "--jobs 2 --quiet"')
    parser.add_argument("--sql-args", type=shlex.split, default=None,
                        help='also measure check with these arguments in the same run, e.g. "--engine sql --quiet" '
                             "(its report must equal the first check's, byte for byte)")
    parser.add_argument("--findings", choices=("parquet", "jsonl"), default=None,
                        help="both engines write their summary (markdown) and a findings file of this format instead of "
                             "the JSON report (the SQL engine's bulk path needs no per-record output); the check is then "
                             "that both engines wrote the same summary and the same findings")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / ".data",
                        help="where inputs are cached and outputs written (default bench/.data)")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "results.json",
                        help="JSON file for the results (default bench/results.json)")
    parser.add_argument("--verify-max", type=int, default=100_000,
                        help="largest size whose status counts are compared between the two (default 100000)")
    parser.add_argument("--keep-outputs", action="store_true", help="keep both programs' outputs in DATA_DIR/out")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.data_dir = args.data_dir.resolve()  # the programs run from the repository root
    args.data_dir.mkdir(parents=True, exist_ok=True)
    header = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git": git_state(), "checker_version": checker_version, "machine": machine(),
        "options": {"sizes": args.sizes, "repeat": args.repeat, "seed": args.seed,
                    "input_format": args.input_format, "check_args": args.check_args,
                    "sql_args": args.sql_args},
    }
    rows: list[dict[str, Any]] = []
    try:
        check = check_executable()
        for size in args.sizes:
            rows.append(bench_size(size, args, check))
            write_results(args.results, header, rows)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(rows))
    print(f"\nwrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
