"""How fast DuckDB alone runs the compiled rules on this machine: the ceiling of any SQL path.

The bulk path (`check --engine sql`) validates every record, keeps every rejection located, writes the findings
with their evidence and counts the statuses. This measures the two parts no SQL path can do without, with
nothing else around them, on a JSON Lines input:

1. `reader`: DuckDB's own JSON Lines reader (`read_ndjson`, several threads) reading every record into the case
   model's typed columns;
2. `rules`: the compiled query of the case-file packs (`SqlPlan`, as `check explain-sql` prints it) over that
   reader, each rule's statuses counted with one `histogram()`; no validation, no evidence, no findings.

Records the reader cannot type stop the query (DuckDB's reader has no located rejections): use inputs from
`bench/generate.py`. Both steps' timings are printed; `--results` also gets each rule's outcome codes counted,
so a run can be checked against the engines' counts.

    python bench/sql_ceiling.py bench/.data/cases-1000000-seed7.jsonl --results bench/results-sql-ceiling.json
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from checker.api import load_packs
from checker.engine.evaluate import Evaluator
from checker.inputs.recordmodel import record_model
from checker.outputs import write_output
from checker.settings import RunSettings, pack_settings
from checker.sql import calendar as workday_table
from checker.sql.bulk import MEMORY_LIMIT, THREADS
from checker.sql.compile import DIALECT
from checker.sql.run import SqlPlan
from checker.sql.structure import record_structure
from checker.sql.tables import create_row_table

ROOT = Path(__file__).resolve().parent.parent


def duckdb_type(kind: Any) -> str:
    """A `record_structure` entry as DuckDB's type name (what read_ndjson's `columns` takes)."""
    if isinstance(kind, dict):
        return "STRUCT(" + ", ".join(f'"{name}" {duckdb_type(child)}' for name, child in kind.items()) + ")"
    if isinstance(kind, list):
        return duckdb_type(kind[0]) + "[]"
    return str(kind)


def measure(path: Path) -> dict[str, Any]:
    packs = [pack for pack in load_packs([ROOT / "rules"]) if pack.record_type == "case-file"]
    evaluator = Evaluator(packs, RunSettings(packs=pack_settings(packs, {})), model=record_model("case-file"))
    plan = SqlPlan.build(evaluator)
    columns = "{" + ", ".join(f"'{name}': '{duckdb_type(kind)}'"
                              for name, kind in record_structure(evaluator.model).items()) + "}"
    literal = "'" + str(path).replace("'", "''") + "'"
    source = f"read_ndjson({literal}, columns={columns})"
    db = duckdb.connect()
    for setting in (f"memory_limit = '{MEMORY_LIMIT}'", f"threads = {THREADS}", "TimeZone = 'UTC'"):
        db.execute(f"SET {setting}")
    first_day, ordinals = workday_table.ordinals(2000, 2040, evaluator.settings.working_days.calendar)
    create_row_table(db, "workday_calendar", {"first_day": ("DATE", first_day), "ordinals": ("INTEGER[]", ordinals)})
    reader = sqlglot.parse_one(f"SELECT 0 AS record_index, * FROM {source}", read=DIALECT)
    query = plan.query(reader=reader).sql(dialect=DIALECT)
    compiled = [rule for rule in plan.rules if rule.code is not None]

    def timed(sql: str) -> tuple[float, float, Any]:
        wall, cpu = time.perf_counter(), time.process_time()
        row = db.execute(sql).fetchone()
        return time.perf_counter() - wall, time.process_time() - cpu, row

    records = db.execute(f"SELECT count(*) FROM read_csv({literal}, columns={{'line': 'VARCHAR'}}, "
                         "delim = '\\x01', quote = '', escape = '', header = false, auto_detect = false)").fetchone()[0]
    steps: dict[str, dict[str, float]] = {}
    # every column read (a max over each), so the reader types every field of every record
    wall, cpu, _ = timed("SELECT " + ", ".join(f"max(length(CAST(\"{name}\" AS VARCHAR)))"
                                               for name in record_structure(evaluator.model)) + f" FROM {source}")
    steps["reader"] = {"seconds": wall, "cpu_seconds": cpu}
    wall, cpu, row = timed("SELECT " + ", ".join(f"histogram({rule.column})" for rule in compiled) + f" FROM ({query})")
    steps["rules"] = {"seconds": wall, "cpu_seconds": cpu}
    for step in steps.values():
        step["files_per_second"] = records / step["seconds"] if step["seconds"] else 0.0
        step["cpu_us_per_file"] = 1e6 * step["cpu_seconds"] / records if records else 0.0
    counts = {rule.compiled.rule.id: {str(code): count for code, count in sorted((histogram or {}).items())}
              for rule, histogram in zip(compiled, row or ())}
    return {"records": records, "rules": len(compiled), "steps": steps, "outcome_codes": counts}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/sql_ceiling.py", description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="a JSON Lines file of case files (bench/generate.py)")
    parser.add_argument("--results", type=Path, help="also write the results (JSON) here")
    options = parser.parse_args(argv)
    result = measure(options.input)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "git": commit,
              "machine": {"system": platform.system(), "machine": platform.machine(), "python": platform.python_version(),
                          "duckdb": duckdb.__version__}, "input": str(options.input), **result}
    for name, step in result["steps"].items():
        print(f"{name:8s} {step['seconds']:8.2f} s  {step['files_per_second']:10,.0f} files/s  "
              f"{step['cpu_us_per_file']:6.1f} CPU µs/file")
    if options.results is not None:
        write_output(options.results, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
