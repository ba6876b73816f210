"""What keeps the SQL engine's start-up short, checked for behaviour (no timings): the compiled query's trees
built without needless copies, the plan left as built, tables made without pandas, the records' structure
known without pyarrow, and no pandas loaded by a run of `--engine sql` (nor pyarrow by its batch path)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from sqlglot import exp

from checker.api import load_packs
from checker.engine.evaluate import Evaluator
from checker.inputs.recordmodel import record_model
from checker.settings import RunSettings, pack_settings
from checker.sql.compile import FALSE, TRUE, owned, sql
from checker.sql.run import SqlBatch, SqlPlan, collector_paused, json_structure, records_schema
from checker.sql.structure import record_structure
from checker.sql.tables import arrow_table, create_row_table, create_table

ROOT = Path(__file__).resolve().parent.parent.parent
RECORD_TYPES = ("case-file", "stop-search", "call")


# --- building trees ---------------------------------------------------------------------------------


def test_owned_takes_a_free_node_and_copies_one_in_a_tree() -> None:
    free = exp.column("a", table="r")
    assert owned(free) is free
    exp.Paren(this=free)  # now in a tree
    copied = owned(free)
    assert copied is not free and copied == free and copied.parent is None


def test_owned_never_hands_out_the_shared_true_and_false() -> None:
    for constant in (TRUE, FALSE):
        taken = owned(constant)
        assert taken is not constant and taken == constant
    sql(":a AND :b", a=TRUE, b=FALSE)
    assert TRUE.parent is None and FALSE.parent is None


def test_a_part_put_in_a_second_fragment_is_copied_and_the_first_keeps_it() -> None:
    part = sql("COALESCE(:v, 0)", v=exp.column("x", table="r"))
    once = sql("CASE WHEN :p > 1 THEN :p ELSE -:p END", p=part)  # taken as it is: it was in no tree
    assert part.parent is not None and part.root() is once
    text = once.sql()
    again = sql("(:p + :q)", p=part, q=once)  # part is in a tree now: copied; once is free: taken
    assert again.sql() == ("(COALESCE(r.x, 0) + CASE WHEN COALESCE(r.x, 0) > 1 THEN COALESCE(r.x, 0) "
                           "ELSE -COALESCE(r.x, 0) END)")
    assert once.sql() == text and part.root() is again  # the first fragment still holds its part, unchanged
    assert again.find(exp.Add).this is not part and again.find(exp.Add).this == part


@pytest.fixture(scope="module")
def plan() -> SqlPlan:
    packs = [pack for pack in load_packs([ROOT / "rules"]) if pack.record_type == "case-file"]
    return SqlPlan.build(Evaluator(packs, RunSettings(packs=pack_settings(packs, {}))))


def test_building_the_query_leaves_the_plan_as_it_was_and_again_gives_the_same_sql(plan: SqlPlan) -> None:
    codes = [rule.code.sql() for rule in plan.rules if rule.code is not None]
    values = [definition.compiled.value.sql() for definition in plan.compiler.definitions.values()]
    text = plan.query().sql(dialect="duckdb")
    assert text.count(" AS rule_") == len(codes)
    for _ in range(2):
        assert plan.query().sql(dialect="duckdb") == text
        assert [rule.code.sql() for rule in plan.rules if rule.code is not None] == codes
        assert [definition.compiled.value.sql() for definition in plan.compiler.definitions.values()] == values
    assert plan.text() == plan.text()
    assert SqlBatch(plan).query == SqlBatch(plan).query


def test_the_bulk_runner_leaves_its_plan_as_built() -> None:
    from checker.runner import _paths_read
    from checker.sql.bulk import BulkRunner

    packs = [pack for pack in load_packs([ROOT / "rules"]) if pack.record_type == "case-file"]
    evaluator = Evaluator(packs, RunSettings(packs=pack_settings(packs, {})))
    runner = BulkRunner(evaluator, _paths_read(evaluator))
    try:
        assert runner.query.count(" AS rule_") == sum(1 for rule in runner.plan.rules if rule.code is not None)
        # the plan's expressions are unchanged by building and generating the runner's query (from a copy: sqlglot's
        # generator changes the tree it is given): built again, it is the same
        assert runner._rules_query() == runner.query
    finally:
        runner.close()


def test_the_collector_is_paused_while_building_and_then_as_it_was() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with collector_paused():
            assert not gc.isenabled()
            raise ValueError("a failure while building")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


# --- the records' structure, tables -------------------------------------------------------------------


@pytest.mark.parametrize("kind", RECORD_TYPES)
def test_the_records_structure_is_the_arrow_schemas_field_for_field(kind: str) -> None:
    model = record_model(kind)
    assert orjson.dumps(record_structure(model)) == orjson.dumps(json_structure(records_schema(model)))


def test_a_table_from_python_values_holds_them_in_order_with_their_types() -> None:
    db = duckdb.connect()
    create_table(db, "t", {"i": ("BIGINT", range(3)), "text": ("VARCHAR", ["a", None, "c'"]),
                           "ok": ("BOOLEAN", [True, False, None])})
    assert db.execute("SELECT * FROM t").fetchall() == [(0, "a", True), (1, None, False), (2, "c'", None)]
    assert [row[1] for row in db.execute("DESCRIBE t").fetchall()] == ["BIGINT", "VARCHAR", "BOOLEAN"]
    create_table(db, "t", {"i": ("BIGINT", [])})  # replaced; empty keeps its type
    assert db.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    assert db.execute("DESCRIBE t").fetchall()[0][1] == "BIGINT"
    with pytest.raises(ValueError, match="different lengths"):
        create_table(db, "u", {"a": ("BIGINT", [1]), "b": ("BIGINT", [1, 2])})


def test_a_one_row_table_holds_a_date_and_a_list() -> None:
    db = duckdb.connect()
    create_row_table(db, "calendar", {"first_day": ("DATE", date(2020, 1, 1)), "ordinals": ("INTEGER[]", [0, 1, 1])},
                     temporary=False)
    assert db.execute("SELECT * FROM calendar").fetchall() == [(date(2020, 1, 1), [0, 1, 1])]
    assert db.execute("SELECT temporary FROM duckdb_tables() WHERE table_name = 'calendar'").fetchall() == [(False,)]


# --- what a run loads ----------------------------------------------------------------------------------


def loaded_by_check(*args: str) -> dict[str, Any]:
    """Run `check ARGS` in a fresh interpreter; whether it loaded pandas and pyarrow, and its exit code."""
    program = (
        "import sys\n"
        "from checker.cli.main import main\n"
        f"sys.argv = ['check', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "    code = 0\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('RESULT', {'pandas': 'pandas' in sys.modules, 'pyarrow': 'pyarrow' in sys.modules, 'code': code})\n")
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=300)
    line = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert line, done.stdout + done.stderr
    return eval(line[0][len("RESULT "):])  # a dict literal printed by the program above


def test_the_sql_engine_loads_no_pandas_and_its_batch_path_no_pyarrow(tmp_path: Path) -> None:
    records = json.loads((ROOT / "samples" / "cases.json").read_text(encoding="utf-8"))[:20]
    jsonl = tmp_path / "cases.jsonl"
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    bulk = loaded_by_check(str(jsonl), "--engine", "sql", "--quiet", "--format", "markdown",
                           "--output", str(tmp_path / "bulk.md"), "--findings", str(tmp_path / "findings.parquet"))
    # the bulk path hands DuckDB each batch's text as an Arrow table (arrow_table), built without pandas
    assert bulk["pandas"] is False and bulk["code"] in (0, 1)
    assert (tmp_path / "findings.parquet").exists()
    batch = loaded_by_check(str(ROOT / "samples" / "cases.json"), "--engine", "sql", "--quiet", "--format", "markdown",
                            "--output", str(tmp_path / "batch.md"))
    assert batch == {"pandas": False, "pyarrow": False, "code": batch["code"]} and batch["code"] in (0, 1)
    assert (tmp_path / "batch.md").read_text(encoding="utf-8").startswith("#")


def test_an_arrow_table_from_python_values_holds_them_with_nulls_and_loads_no_pandas() -> None:
    program = (
        "import sys, duckdb\n"
        "from checker.sql.tables import arrow_table\n"
        "table = arrow_table({'i': ('BIGINT', [1, None, 3, 2 ** 62]), 's': ('VARCHAR', ['a', 'b\u00e9', None, ''])})\n"
        "empty = arrow_table({'i': ('BIGINT', []), 's': ('VARCHAR', [])})\n"
        "db = duckdb.connect()\n"
        "db.register('t', table)\n"
        "db.register('e', empty)\n"
        "print(db.execute('SELECT i, s, typeof(i), typeof(s) FROM t').fetchall())\n"
        "print(db.execute('SELECT count(*) FROM e').fetchall())\n"
        "print('pandas' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "[(1, 'a', 'BIGINT', 'VARCHAR'), (None, 'bé', 'BIGINT', 'VARCHAR'), (3, None, 'BIGINT', 'VARCHAR'), "
        f"({2 ** 62}, '', 'BIGINT', 'VARCHAR')]",
        "[(0,)]",
        "False"]
    with pytest.raises(ValueError, match="DOUBLE"):
        arrow_table({"x": ("DOUBLE", [1.0])})


def test_an_arrow_table_in_slices_holds_the_same_rows_in_order() -> None:
    """The bulk path hands DuckDB a batch in slices its threads share: the same rows, in the same order."""
    values = {"i": ("BIGINT", list(range(2_500))), "s": ("VARCHAR", [f"r{n}" if n % 7 else None for n in range(2_500)])}
    sliced = arrow_table(values, slice_rows=1_024)
    assert [batch.num_rows for batch in sliced.to_batches()] == [1_024, 1_024, 452]
    assert sliced.equals(arrow_table(values))
    db = duckdb.connect()
    db.register("t", sliced)
    assert db.execute("SELECT i, s FROM t").fetchall() == [(n, f"r{n}" if n % 7 else None) for n in range(2_500)]
