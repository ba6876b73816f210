"""The bulk path of `--engine sql`: a JSON Lines input checked, evaluated and counted by DuckDB.

Where the batch path (`checker.sql.run.SqlBatch`) still decodes, validates and normalises every record in
Python and writes each result with the per-record engine's code, the bulk path hands DuckDB the records'
text and asks, a batch of `CHUNK` records at a time:

1. which records are certainly valid case files (`checker.sql.screen`: types, required fields, enums,
   formats, timestamps, no field outside the model); the others, and only they, go to the Python
   validator (`check_record`) and, when valid, to the per-record engine, so every rejection keeps its
   location and message and records_read = evaluated + rejected;
2. every rule's outcome on the screened records (the compiled query of `SqlPlan`), its status (manual
   rules take the file's own judgement), its deciding clause and, for findings, its evidence;
3. the counts: one `histogram()` per rule column.

Screening runs beside the rest: a thread reads and screens the next batch on a DuckDB connection of its own
while the caller's thread decides and counts this one (`screened_batches`), so both cores stay busy; at most
two batches are held at once.

Python builds the report from the counts (the same report as the per-record engine's) and writes nothing
per record; the findings (fail, error, manual) go to a DuckDB table on disk and, at the end, to the
`--findings` file (`checker.report.findings_file`). Case ids are checked for duplicates in Python, a
batch at a time (`CaseIds`) in the screening thread, as every engine does.

The bulk path runs when nothing needs each record's full result in Python: no json/csv/xlsx/html
output, no `--case`, `--judgements`, `--waivers`, `--manifest` or `--by` (`bulk_refusal` says why not otherwise,
and the batch path runs instead).
"""

from __future__ import annotations

import gc
import queue
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Callable

import duckdb
import orjson
import sqlglot
from sqlglot import exp

from checker.engine.evaluate import NOT_APPLICABLE_OUTCOME, Evaluator
from checker.inputs.recordmodel import record_model
from checker.inputs.records import CaseIds, CaseRecord, RawRecord, Rejection, check_record
from checker.report.findings_file import FINDING_STATUSES, TABLE_COLUMNS, FindingsSink, finding_rows
from checker.results import ERROR, FAIL, MANUAL, NOT_APPLICABLE, PASS, RecordResult
from checker.sql import calendar as workday_table
from checker.cel.errors import CelSyntaxError
from checker.sql.compile import DIALECT, Unsupported, owned
from checker.sql.run import (ERROR_BASE, EVERY_CLAUSE_CODE, INDEX_COLUMN, NOT_APPLICABLE_CODE, PASS_CODE, PENDING_CODE,
                             SqlPlan, collector_paused)
from checker.sql.screen import Screen
from checker.sql.structure import record_structure
from checker.sql.tables import arrow_table, create_row_table, create_table

CHUNK = 20_000  # records per batch: DuckDB plans the rules' query (~0.25 s) once per batch; memory holds two batches (one screened, one evaluated; 10,000: 21% more CPU)
# DuckDB's settings for a run: its memory bounded (it spills to a temporary folder beyond), two threads (the
# machines this runs on have few cores; Python's share of the work runs beside them).
MEMORY_LIMIT = "500MB"
SCAN_SLICE = 1_024  # records of a batch each DuckDB thread takes at a time
THREADS = 2


BULK_FORMATS = ("jsonl", "parquet", "duckdb")  # inputs read a record's text at a time (a JSON array is decoded whole)


class NotBulk(Exception):
    """The bulk path cannot run these packs (e.g. a rule or an evidence value SQL cannot compute)."""


def bulk_refusal(input_format: str, keep: bool | Callable[[RecordResult], bool], judgements: Any, waivers: Any,
                 manifest: Any, other_sinks: bool, by: str | None = None) -> str | None:
    """Why the bulk path cannot run this run (None: it can)."""
    if by is not None:
        return "--by scores every record within its group"
    if input_format not in BULK_FORMATS:
        return f"the input is {input_format}, not JSON Lines, Parquet or a DuckDB table"
    if keep is not False:
        return "an output needs every record's results (xlsx, html or --case)"
    if other_sinks:
        return "a json or csv output is written record by record"
    if judgements is not None or waivers is not None or manifest is not None:
        return "--judgements, --waivers and --manifest need every record's results"
    return None


@dataclass
class Counted:
    """One record's part in the run, as the report needs it (from Python or from SQL)."""

    read: int
    evaluated: int
    statuses: list[dict[str, int]]  # per rule: status → records
    rejections: list[Rejection]
    unknown_fields: list[tuple[str, ...]]  # per evaluated record with fields outside the model, in input order
    seen_paths: set[str]
    screened: int = 0  # records SQL screened as valid (the others were decided by the Python validator)


@dataclass
class ScreenedBatch:
    """A batch of records as screening leaves it for evaluation (`BulkRunner.screen_batch`)."""

    read: int  # records in the batch
    documents: Any  # an Arrow table of the index, line and text of each record with a text to read (the others
    # carry their problems); the records' own texts are not kept, so that a batch's text is held once
    screened: dict[int, str]  # index → case id of the records SQL screened
    python: dict[int, CaseRecord | Rejection]  # the others, as the Python validator decides them
    duplicates: dict[int, Rejection]  # the records whose case id an earlier record has
    years: set[int]  # the years of the screened records' timestamps (the calendar must cover them)


class BulkRunner:
    """Runs the packs over a JSON Lines input on one DuckDB database (a temporary file: findings spill there)."""

    def __init__(self, evaluator: Evaluator, read_paths: dict[str, list[str]]) -> None:
        self.evaluator = evaluator
        self.read_paths = read_paths
        self.model = evaluator.model
        with collector_paused():
            self.plan = SqlPlan.build(evaluator)
            self.rules = [rule.compiled for rule in self.plan.rules]
            # Rules SQL cannot decide, or whose evidence it cannot compute, are decided by the per-record engine on
            # the screened records (decoded for them): `python_rules`, with the reason of each.
            self.python_rules: dict[int, str] = {position: f"not compiled: {rule.reason}"
                                                 for position, rule in enumerate(self.plan.rules) if rule.code is None}
            self.uncompiled = sorted(self.python_rules)
            self.needs = self._needs()
            self.computed = self._computed_evidence()
            self.python_evidence = sorted(set(self.python_rules) - set(self.uncompiled))
            self.screen = Screen(self.model.schema)
            self.query = self._rules_query()
        self.folder = tempfile.TemporaryDirectory(prefix="bulk-")
        self.db = duckdb.connect(str(Path(self.folder.name) / "bulk.duckdb"))
        self.db.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.db.execute(f"SET threads = {THREADS}")
        self.db.execute(f"SET temp_directory = '{Path(self.folder.name) / 'spill'}'")
        self.db.execute("SET preserve_insertion_order = true")
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute(f"CREATE TABLE findings ({TABLE_COLUMNS})")
        self.calendar_years: tuple[int, int] | None = None
        self.ids = CaseIds()
        self.seen: set[str] = set()  # read paths some record carries

    def close(self) -> None:
        self.db.close()
        self.folder.cleanup()

    # --- compiling -----------------------------------------------------------------------------

    def _needs(self) -> dict[int, exp.Expression]:
        """Rule position → SQL true where the uncompiled rule may apply: its applies_when holds or cannot be
        evaluated (TRUE when applies_when is not compiled either)."""
        compiler = self.plan.compiler
        assert compiler is not None
        needs: dict[int, exp.Expression] = {}
        for position in self.uncompiled:
            compiled = self.rules[position]
            needs[position] = exp.true()
            if compiled.applies_when is not None:
                compiler.pack, compiler.scope = compiled.rule.pack, self.evaluator.scopes[compiled.rule.pack]
                try:
                    holds, error = compiler.condition(compiled.applies_when.tree)
                except (Unsupported, CelSyntaxError):
                    continue
                needs[position] = exp.or_(exp.Paren(this=holds), exp.Paren(this=owned(error)), copy=False)
        return needs

    def _computed_evidence(self) -> dict[tuple[int, int], exp.Expression]:
        """(rule position, item position) → SQL giving the computed evidence value as JSON (`Compiler.evidence_json`)."""
        compiler = self.plan.compiler
        assert compiler is not None
        computed: dict[tuple[int, int], exp.Expression] = {}
        for position, compiled in enumerate(self.rules):
            if self.plan.rules[position].code is None:
                continue  # its results, evidence included, come from the per-record engine
            compiler.pack, compiler.scope = compiled.rule.pack, self.evaluator.scopes[compiled.rule.pack]
            for item, (label, path, expression) in enumerate(compiled.evidence):
                if path is not None or expression is None:
                    continue
                try:
                    computed[(position, item)] = compiler.evidence_json(expression.tree)
                except Unsupported as exc:
                    self.python_rules[position] = f"its evidence {label!r} is not compiled ({exc})"
                    break
        return {key: value for key, value in computed.items() if key[0] not in self.python_rules}

    def _rules_query(self) -> str:
        """The plan's query over the screened records (`documents_ok`), with the computed evidence values."""
        structure = orjson.dumps(record_structure(self.model)).decode()
        reader = sqlglot.parse_one(f"SELECT {INDEX_COLUMN}, UNNEST(JSON_TRANSFORM(document, '{structure}')) "
                                   "FROM documents_ok", read=DIALECT)
        select = self.plan.query(reader=reader)
        for position, need in self.needs.items():
            select = select.select(exp.alias_(need, f"need_{position}", copy=False), copy=False)
        for (position, item), value in self.computed.items():
            select = select.select(exp.alias_(value, f"evidence_{position}_{item}", copy=False), copy=False)
        return select.sql(dialect=DIALECT)

    # --- running -------------------------------------------------------------------------------

    def run(self, records: Iterator[RawRecord], progress: Callable[[int], None] | None = None) -> Counted:
        total = Counted(0, 0, [{} for _ in self.rules], [], [], set())
        # collected once per batch instead (`collector_paused`): a batch makes tens of thousands of objects
        with collector_paused(frozen=True):
            for batch in screened_batches(self, records):
                self._count(total, self.evaluate_batch(batch), progress)
                del batch  # freed before the next batch is taken
                gc.collect()
        return total

    @staticmethod
    def _count(total: Counted, part: Counted, progress: Callable[[int], None] | None) -> None:
        total.read += part.read
        total.evaluated += part.evaluated
        for tally, counts in zip(total.statuses, part.statuses):
            for status, count in counts.items():
                tally[status] = tally.get(status, 0) + count
        total.rejections += part.rejections
        total.unknown_fields += part.unknown_fields
        total.seen_paths |= part.seen_paths
        total.screened += part.screened
        if progress is not None:
            progress(total.read)

    def screen_batch(self, chunk: list[RawRecord], db: duckdb.DuckDBPyConnection) -> "ScreenedBatch":
        """The first half of a batch's work, on a connection of its own (`db`): SQL screens the records
        (`_screen`), Python decides the others (valid, or rejected as always), and case ids are checked for
        duplicates (in input order: batches are screened one after another)."""
        texts = [raw for raw in chunk if raw.text is not None and not raw.problems]
        documents = arrow_table({INDEX_COLUMN: ("BIGINT", [raw.index for raw in texts]),
                                 "line": ("BIGINT", [raw.line for raw in texts]),
                                 "document": ("VARCHAR", [raw.text for raw in texts])}, slice_rows=SCAN_SLICE)
        try:
            screened = self._screen(db, documents, bool(texts))
            years = self._years(db) if screened and self.plan.uses_calendar else set()
        finally:
            self._drop_screen(db)
        python: dict[int, CaseRecord | Rejection] = {
            raw.index: check_record(raw, self.evaluator.settings.timezone, self.model) for raw in chunk if raw.index not in screened}
        ordered = sorted([(raw.index, raw.line, case_id) for raw in texts
                          for case_id in (screened.get(raw.index),) if case_id is not None] +
                         [(item.index, item.line, item.case_id) for item in python.values() if isinstance(item, CaseRecord)])
        duplicates = self.ids.duplicates([(case_id, index, line) for index, line, case_id in ordered])
        return ScreenedBatch(len(chunk), documents, screened, python, duplicates, years)

    def evaluate_batch(self, batch: "ScreenedBatch") -> Counted:
        """The second half of a batch's work, on the runner's connection: every rule decided, counted, and the
        findings stored (in input order: batches are evaluated one after another)."""
        screened, python, duplicates = batch.screened, batch.python, batch.duplicates
        # Registered, not copied: DuckDB scans the Arrow table where it lies (until `_drop_batch`), in slices of
        # SCAN_SLICE records that its threads share (one slice of a whole batch would be read by one thread)
        self.db.register("documents_all", batch.documents)
        create_table(self.db, "screened", {INDEX_COLUMN: ("BIGINT", list(screened)),
                                           "case_id": ("VARCHAR", list(screened.values()))})
        counted = Counted(batch.read, 0, [{} for _ in self.rules], [], [], set(), len(screened))
        rows: list[dict[str, Any]] = []
        for index in sorted(python):
            item = python[index]
            if isinstance(item, CaseRecord) and index in duplicates:
                item = duplicates[index]
            if isinstance(item, Rejection):
                counted.rejections.append(item)
                continue
            counted.evaluated += 1
            results = self.evaluator.evaluate(item)
            for tally, result in zip(counted.statuses, results):
                tally[result.status] = tally.get(result.status, 0) + 1
            if item.unknown_fields:
                counted.unknown_fields.append(item.unknown_fields)
            seen = {path for path in self.read_paths if path not in self.seen and _exported(item.raw, path)}
            self.seen |= seen
            counted.seen_paths |= seen
            rows += finding_rows(RecordResult(item.index, item.line, item.case_id, results))
        for index in sorted(duplicates):
            if index in screened:
                counted.rejections.append(duplicates[index])
        counted.rejections.sort(key=lambda rejection: rejection.index)
        evaluated = [index for index in screened if index not in duplicates]
        if evaluated:
            counted.evaluated += len(evaluated)
            scratch = Counted(0, 0, [{} for _ in self.rules], [], [], set())  # added once every query is done
            try:
                if self.plan.uses_calendar:
                    self._cover_years(batch.years)
                found = self._evaluate(evaluated, len(screened), scratch)
                seen = self._seen_paths()
            except duckdb.Error:
                # A value the query cannot compute (an error in CEL, a stopped query in SQL): the batch's screened
                # records are decided record by record, so the run still gives CEL's outcome for each.
                self.db.execute("DROP TABLE IF EXISTS statuses")
                rows += self._evaluate_in_python(sorted(evaluated), batch.documents, counted)
            else:
                rows += found
                counted.seen_paths |= seen
                for tally, counts in zip(counted.statuses, scratch.statuses):
                    for status, count in counts.items():
                        tally[status] = tally.get(status, 0) + count
        self._store_findings(rows)
        self._drop_batch()
        return counted

    def _drop_batch(self) -> None:
        """Free the batch's tables before the next batch is evaluated (replacing them would hold both batches)."""
        self.db.execute("DROP VIEW IF EXISTS documents_ok")
        self.db.unregister("documents_all")
        for table in ("screened", "evaluated_ids", "statuses"):
            self.db.execute(f"DROP TABLE IF EXISTS {table}")

    def _drop_screen(self, db: duckdb.DuckDBPyConnection) -> None:
        db.unregister("documents_all")
        for table in ["screened"] + [name for table in self.screen.tables() for name in (table, f"{table}_keys")]:
            db.execute(f"DROP TABLE IF EXISTS {table}")

    def _screen(self, db: duckdb.DuckDBPyConnection, documents: Any, any_text: bool) -> dict[int, str]:
        """Record index → id of the records SQL screened (`checker.sql.screen`), from `documents` (every record's
        index, line and text) registered on `db` as `documents_all`; the table `screened` holds the same."""
        db.register("documents_all", documents)
        if not any_text:
            return {}
        for statement in self.screen.read_fields("documents_all"):
            db.execute(statement)
        for table_name in self.screen.tables():
            verdicts = self.screen.key_verdicts(table_name, db.execute(self.screen.distinct_keys(table_name)).fetchall())
            create_table(db, f"{table_name}_keys", {"key_text": ("VARCHAR", [text for text, _ in verdicts]),
                                                    "allowed": ("BOOLEAN", [allowed for _, allowed in verdicts])})
        db.execute(f"CREATE OR REPLACE TEMP TABLE screened AS SELECT {INDEX_COLUMN}, {self.screen.id_text(self.model.kind.id_field, 'documents_all')} "
                   f"AS case_id FROM ({self.screen.screened()}) JOIN top_fields USING ({INDEX_COLUMN}) WHERE screened")
        return dict(db.execute(f"SELECT {INDEX_COLUMN}, case_id FROM screened").fetchall())

    def _years(self, db: duckdb.DuckDBPyConnection) -> set[int]:
        """The years of the timestamps the screened records hold (the working-day calendar must cover them)."""
        texts = ["SELECT unnest(texts) AS text FROM top_fields"] + [
            f"SELECT unnest(texts) AS text FROM {table}" for table in self.screen.tables()[1:]
            if "texts" in self.screen.items[self.screen.tables().index(table) - 1][1].columns]
        row = db.execute("SELECT min(year), max(year) FROM (SELECT TRY_CAST(substr(text, 1, 4) AS INTEGER) AS year "
                         f"FROM ({' UNION ALL '.join(texts)}) WHERE substr(text, 5, 1) = '-')").fetchall()[0]
        return {year for year in (row or ()) if year is not None}

    def _evaluate_in_python(self, indexes: list[int], documents: Any, counted: Counted) -> list[dict[str, Any]]:
        """Screened records decided by the per-record engine: their counts, seen fields and finding rows (the
        partial counts of a failed query are never added: SQL adds them only once its queries are done)."""
        rows: list[dict[str, Any]] = []
        raws = {index: RawRecord(index, line, None, text=text) for index, line, text in zip(
            *(documents.column(name).to_pylist() for name in (INDEX_COLUMN, "line", "document")))}
        for index in indexes:
            item = check_record(raws[index], self.evaluator.settings.timezone, self.model)
            assert isinstance(item, CaseRecord), "a screened record is valid"
            results = self.evaluator.evaluate(item)
            for tally, result in zip(counted.statuses, results):
                tally[result.status] = tally.get(result.status, 0) + 1
            seen = {path for path in self.read_paths if path not in self.seen and _exported(item.raw, path)}
            self.seen |= seen
            counted.seen_paths |= seen
            rows += finding_rows(RecordResult(item.index, item.line, item.case_id, results))
        return rows

    @property
    def sql_rules(self) -> list[int]:
        return [position for position in range(len(self.rules)) if position not in self.uncompiled]

    def _python_rules(self, counted: Counted, evaluated: int) -> list[dict[str, Any]]:
        """The rules SQL cannot decide (on the screened records where their `applies_when` holds or fails, or all
        when it is not compiled either), and the findings of rules whose evidence SQL cannot compute: decided
        by the per-record engine on those records, decoded for them. Their counts, and finding rows."""
        rows: list[dict[str, Any]] = []
        zone = self.evaluator.settings.timezone
        needs = [f"need_{position}" for position in self.uncompiled] + [
            f"status_{position} IN ('{FAIL}', '{ERROR}', '{MANUAL}')" for position in self.python_evidence]
        columns = ", ".join(f"{need} AS need{number}" for number, need in enumerate(needs))
        documents = self.db.execute(f"SELECT {INDEX_COLUMN}, d.document, {columns} FROM statuses "
                                    f"JOIN documents_ok d USING ({INDEX_COLUMN}) WHERE {' OR '.join(needs)} "
                                    f"ORDER BY {INDEX_COLUMN}").fetchall()
        positions = list(self.uncompiled) + list(self.python_evidence)
        decided = {position: 0 for position in self.uncompiled}
        for index, text, *needed in documents:
            item = check_record(RawRecord(index, None, None, text=text), zone, self.model)
            assert isinstance(item, CaseRecord), "a screened record is valid"
            context = self.evaluator.context(item)
            for position, need in sorted(zip(positions, needed)):
                if not need:
                    continue
                compiled = self.rules[position]
                outcome = compiled.decide(context)
                result = (compiled.not_applicable if outcome is NOT_APPLICABLE_OUTCOME
                          else self.evaluator.result(compiled, outcome, item, context))
                if position in decided:
                    decided[position] += 1
                    tally = counted.statuses[position]
                    tally[result.status] = tally.get(result.status, 0) + 1
                if result.status in FINDING_STATUSES:
                    rows.append({"index": index, "line": None, "case_id": item.case_id, "rule_id": result.rule_id,
                                 "status": result.status, "clause": result.clause if result.status != MANUAL else None,
                                 "evidence": [evidence.as_dict() for evidence in result.evidence], "position": position})
        for position, count in decided.items():  # the others: applies_when false in SQL
            if evaluated > count:
                tally = counted.statuses[position]
                tally[NOT_APPLICABLE] = tally.get(NOT_APPLICABLE, 0) + evaluated - count
        return rows

    def _evaluate(self, evaluated: list[int], screened: int, counted: Counted) -> list[dict[str, Any]]:
        """Decide and count the screened records not rejected as duplicates (`evaluated`, in input order): a table
        `statuses` of each record's status and deciding clause per rule, and finding rows of the rules Python
        decides (the SQL rules' findings are written from `statuses` by `_store_findings`)."""
        excluded = ""
        if len(evaluated) < screened:
            create_table(self.db, "evaluated_ids", {INDEX_COLUMN: ("BIGINT", evaluated)})
            excluded = f" SEMI JOIN evaluated_ids USING ({INDEX_COLUMN})"
        self.db.execute(f"CREATE OR REPLACE TEMP VIEW documents_ok AS SELECT d.{INDEX_COLUMN}, d.line, s.case_id, d.document "
                        f"FROM documents_all d JOIN screened s USING ({INDEX_COLUMN}){excluded}")
        rows: list[dict[str, Any]] = []
        columns = [f"o.{INDEX_COLUMN}"]
        for position in self.sql_rules:
            columns.append(f"{self._status(position)} AS status_{position}")
            columns.append(f"{self._clause(position)} AS clause_{position}")
        columns += [f"o.need_{position}" for position in self.needs]
        columns += [f"o.evidence_{position}_{item}" for position, item in self.computed]
        judged = ""
        if self.manual_paths:  # the auditors' judgements of the manual rules, read once per record
            judged = (f" LEFT JOIN (SELECT {INDEX_COLUMN}, json_extract_string(document, "
                      f"[{', '.join(_quote(path) for path in self.manual_paths)}]) AS judged FROM documents_ok) j "
                      f"USING ({INDEX_COLUMN})")
        self.db.execute(f"CREATE OR REPLACE TEMP TABLE statuses AS SELECT {', '.join(columns)} "
                        f"FROM ({self.query}) o{judged}")
        histograms = self.db.execute("SELECT " + ", ".join(f"histogram(status_{position})"
                                                           for position in self.sql_rules) + " FROM statuses").fetchall()[0]
        assert histograms is not None
        for position, histogram in zip(self.sql_rules, histograms):
            tally = counted.statuses[position]
            for status, count in (histogram or {}).items():
                tally[status] = tally.get(status, 0) + count
        if self.python_rules:
            rows += self._python_rules(counted, len(evaluated))
        return rows

    @property
    def manual_paths(self) -> list[str]:
        """The JSON paths of the manual rules' judgements (`audit.judgements.<rule id>`), in rule order."""
        return ['$.audit.judgements."' + self.rules[position].rule.id + '"' for position in self.sql_rules
                if self.rules[position].rule.kind == "manual"]

    def _judged(self, position: int) -> str:
        """SQL giving a manual rule's judgement ('yes', 'no', 'not_applicable' or other text) on a record."""
        path = '$.audit.judgements."' + self.rules[position].rule.id + '"'
        return f"j.judged[{self.manual_paths.index(path) + 1}]"

    def _status(self, position: int) -> str:
        rule = self.plan.rules[position]
        code = f"o.{rule.column}"
        judged = "NULL"
        if rule.compiled.rule.kind == "manual":
            judged = (f"CASE {self._judged(position)} WHEN 'yes' THEN '{PASS}' WHEN 'no' THEN '{FAIL}' "
                      f"WHEN 'not_applicable' THEN '{NOT_APPLICABLE}' ELSE '{MANUAL}' END")
        return (f"(CASE WHEN {code} = {NOT_APPLICABLE_CODE} THEN '{NOT_APPLICABLE}' WHEN {code} = {PASS_CODE} THEN '{PASS}' "
                f"WHEN {code} = {PENDING_CODE} THEN {judged} WHEN {code} >= {ERROR_BASE} THEN '{ERROR}' ELSE '{FAIL}' END)")

    def _clause(self, position: int) -> str:
        rule = self.plan.rules[position]
        code = f"o.{rule.column}"
        names = [clause.name for clause, _ in rule.compiled.clauses]
        listed = "[" + ", ".join(_quote(name) for name in names) + "]" if names else "[]::VARCHAR[]"
        judged = "NULL"
        if rule.compiled.rule.kind == "manual":
            judged = f"CASE WHEN {self._judged(position)} IS NOT NULL THEN 'judgement' END"
        return (f"(CASE WHEN {code} = {PENDING_CODE} THEN {judged} WHEN {code} = {EVERY_CLAUSE_CODE} THEN "
                f"{_quote(', '.join(names))} WHEN {code} = {ERROR_BASE} THEN 'applies_when' "
                f"WHEN {code} > {ERROR_BASE} THEN ({listed})[{code} - {ERROR_BASE}] "
                f"WHEN {code} >= 0 THEN ({listed})[{code} + 1] END)")

    @property
    def evidence_paths(self) -> list[str]:
        """The record fields the SQL rules' findings quote as evidence (JSON paths), each read once per record."""
        paths = {_json_path(path) for position in self.sql_rules if position not in self.python_evidence
                 for _, path, _ in self.rules[position].evidence if path is not None}
        return sorted(paths)

    def _evidence(self, position: int) -> str:
        """The rule's evidence on a record of `found` (its quoted fields in `quoted`), as JSON text (see
        `checker.engine.evaluate.evidence_reader`)."""
        items = []
        for item, (label, path, _) in enumerate(self.rules[position].evidence):
            if path is not None:
                value = f"quoted[{self.evidence_paths.index(_json_path(path)) + 1}]"
            else:
                value = f"evidence_{position}_{item}::JSON"
            items.append(f"{{'path': {_quote(label)}, 'value': {value}}}")
        return f"to_json([{', '.join(items)}])" if items else "'[]'::JSON"

    def _store_findings(self, python_rows: list[dict[str, Any]]) -> None:
        """Add the batch's findings (from SQL and from Python) to the findings table, in input and rule order."""
        parts = []
        has_sql = self.db.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'statuses' "
                                  "AND temporary").fetchall()[0]
        positions = [position for position in self.sql_rules if position not in self.python_evidence]
        if has_sql and has_sql[0] and positions:
            finding = f"IN ('{FAIL}', '{ERROR}', '{MANUAL}')"
            # one row per record with a finding; its quoted fields read once; its findings a list unnested
            items = ", ".join(
                f"CASE WHEN status_{position} {finding} THEN {{'rule_id': {_quote(self.rules[position].rule.id)}, "
                f"'status': status_{position}, 'clause': clause_{position}, 'evidence': {self._evidence(position)}, "
                f"'position': {position}}} END" for position in positions)
            quoted = (f"json_extract(d.document, [{', '.join(_quote(path) for path in self.evidence_paths)}])"
                      if self.evidence_paths else "NULL::JSON[]")
            any_finding = " OR ".join(f"status_{position} {finding}" for position in positions)
            parts.append(
                f"SELECT {INDEX_COLUMN} AS index, line, case_id, item.rule_id, item.status, item.clause, "
                f"item.evidence::JSON AS evidence, item.position FROM (SELECT {INDEX_COLUMN}, line, case_id, "
                f"unnest(list_filter([{items}], lambda finding: finding IS NOT NULL)) AS item FROM "
                f"(SELECT s.*, d.line, d.case_id, {quoted} AS quoted FROM statuses s "
                f"JOIN documents_ok d USING ({INDEX_COLUMN}) WHERE {any_finding}))")
        if python_rows:
            for row in python_rows:
                row["evidence"] = orjson.dumps(row["evidence"]).decode()
            create_table(self.db, "python_findings", {
                name: (sql_type, [row[name] for row in python_rows]) for name, sql_type in (
                    ("index", "BIGINT"), ("line", "BIGINT"), ("case_id", "VARCHAR"), ("rule_id", "VARCHAR"),
                    ("status", "VARCHAR"), ("clause", "VARCHAR"), ("evidence", "VARCHAR"), ("position", "INTEGER"))})
            # rows of SQL-screened records come without their line: the batch's records give it
            parts.append("SELECT p.index, COALESCE(p.line, d.line), p.case_id, p.rule_id, p.status, "
                         "p.clause, p.evidence::JSON AS evidence, p.position FROM python_findings p "
                         f"LEFT JOIN documents_all d ON d.{INDEX_COLUMN} = p.index")
        if parts:
            self.db.execute(f"INSERT INTO findings SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY index, position")
        if python_rows:
            self.db.execute("DROP TABLE python_findings")
        self.db.execute("DROP TABLE IF EXISTS statuses")

    def _seen_paths(self) -> set[str]:
        """The paths rules read that a screened, evaluated record of the batch carries (null counts; a field under
        a null or non-object parent counts, as `_exported` says), among those no earlier record carried."""
        paths = [path for path in self.read_paths if path not in self.seen]
        if not paths:
            return set()
        prefixes = sorted({".".join(path.split(".")[:depth]) for path in paths for depth in range(1, path.count(".") + 2)})
        json_paths = [_json_path(prefix) for prefix in prefixes]
        checks = []
        for path in paths:
            parts = path.split(".")
            condition = "TRUE"
            for depth in range(len(parts), 0, -1):  # innermost first: built from the inside out
                kind = f"kinds[{prefixes.index('.'.join(parts[:depth])) + 1}]"
                if depth == len(parts):
                    condition = f"{kind} IS NOT NULL"
                else:
                    condition = f"({kind} IS NOT NULL AND ({kind} <> 'OBJECT' OR {condition}))"
            checks.append(f"bool_or({condition})")
        row = self.db.execute(f"SELECT {', '.join(checks)} FROM (SELECT json_type(document, "
                              f"[{', '.join(_quote(path) for path in json_paths)}]) AS kinds FROM documents_ok)").fetchall()[0]
        found = {path for path, seen in zip(paths, row or ()) if seen}
        self.seen |= found
        return found

    def _cover_years(self, years: set[int]) -> None:
        """The working-day calendar covers the years of every timestamp of the batch's screened records."""
        span = workday_table.year_span(years)
        if self.calendar_years is not None:
            if self.calendar_years[0] <= span[0] and span[1] <= self.calendar_years[1]:
                return
            span = (min(span[0], self.calendar_years[0]), max(span[1], self.calendar_years[1]))
        first_day, ordinals = workday_table.ordinals(span[0], span[1], self.evaluator.settings.working_days.calendar)
        create_row_table(self.db, "workday_calendar", {"first_day": ("DATE", first_day),
                                                       "ordinals": ("INTEGER[]", ordinals)}, temporary=False)
        self.calendar_years = span


def _json_path(path: str) -> str:
    return "$" + "".join(f'."{part}"' for part in path.split("."))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _exported(raw: dict[str, Any], path: str) -> bool:
    """Whether the record carries the field at all (as `checker.runner` decides it)."""
    value: Any = raw
    for part in path.split("."):
        if not isinstance(value, dict):
            return True
        if part not in value:
            return False
        value = value[part]
    return True


class _Failed:
    """An exception raised while screening, carried to the thread evaluating the batches."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def screened_batches(runner: BulkRunner, records: Iterator[RawRecord]) -> Iterator[ScreenedBatch]:
    """The input's batches of `CHUNK` records, screened, in input order. A thread reads and screens the next
    batch (on a connection of its own) while the caller evaluates this one, so that Python's reading and
    DuckDB's work keep both cores busy; at most two batches are held at once. An exception raised while
    reading or screening is raised here; when the caller stops early, the thread stops too."""
    handoff: queue.Queue[ScreenedBatch | _Failed | None] = queue.Queue()
    slots = threading.Semaphore(2)  # batches held: one being evaluated, one being screened
    stop = threading.Event()

    def wait_for_slot() -> bool:
        while not stop.is_set():
            if slots.acquire(timeout=0.1):
                return True
        return False

    def screen_all() -> None:
        db = runner.db.cursor()
        try:
            while wait_for_slot():
                chunk = list(islice(records, CHUNK))
                if not chunk:
                    break
                batch = runner.screen_batch(chunk, db)
                del chunk  # its texts are in the batch's table now; nothing here holds a batch while waiting
                handoff.put(batch)
                del batch
            handoff.put(None)
        except BaseException as exc:  # raised again in the caller's thread
            handoff.put(_Failed(exc))
        finally:
            db.close()

    screening = threading.Thread(target=screen_all, name="bulk-screen", daemon=True)
    screening.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
            del item  # the batch is freed before the next one is waited for
            slots.release()
    finally:
        stop.set()
        screening.join()


def run_bulk(runner: BulkRunner, records: Iterator[RawRecord], findings: FindingsSink | None,
             progress: Callable[[int], None] | None = None) -> Counted:
    """Run, then write the findings file (when asked for); the runner's database is closed either way."""
    try:
        counted = runner.run(records, progress)
        if findings is not None:
            findings.write_from(runner.db, "findings")
        return counted
    finally:
        runner.close()


def bulk_report(source: Any, kind: Any, packs: list[Any], settings: Any, records: Iterator[RawRecord], sinks: Sequence[Any],
                progress: Callable[[int, Any], None] | None, *, keep: bool | Callable[[RecordResult], bool],
                notice: Callable[[str], None] | None, judgements: Any, waivers: Any, manifest: Any,
                by: str | None = None) -> Any:
    """The run's report (`checker.results.RunReport`) from the bulk path: the same report the per-record engine
    gives (it keeps no record: the bulk path runs only when no output needs them), the findings written to a
    `FindingsSink` among `sinks`. None, having told `notice` why, when the bulk path cannot run (nothing read)."""
    from checker import TOOL_NAME, __version__
    from checker.results import RunReport
    from checker.runner import UnknownFields, _paths_read, _warnings, run_rulesets
    from checker.scoring.counts import finish_score, new_score

    findings = [sink for sink in sinks if isinstance(sink, FindingsSink)]
    refusal = bulk_refusal(source.input_format, keep, judgements, waivers, manifest, len(findings) < len(sinks), by)
    evaluator = Evaluator(packs, settings, model=record_model(kind.name))
    read_paths = _paths_read(evaluator)
    try:
        runner = BulkRunner(evaluator, read_paths) if refusal is None else None
    except NotBulk as exc:
        refusal, runner = str(exc), None
    if runner is None:
        if notice is not None:
            notice(f"the SQL engine's bulk path is not used ({refusal}): records are read and results written "
                   "in Python, batch by batch")
        return None
    counted = run_bulk(runner, records, findings[0] if findings else None,
                       None if progress is None else lambda read: progress(read, source))
    if progress is not None and counted.read == 0:
        progress(0, source)
    scores = [new_score(compiled.rule) for compiled in evaluator.rules]
    for score, counts in zip(scores, counted.statuses):
        for status, count in counts.items():
            score.counts[status] += count
    rejected = [rejection.as_dict() for rejection in counted.rejections]
    for rejection in rejected:
        for sink in sinks:
            sink.rejected(rejection)
    unknown = UnknownFields(kind.model)
    for fields in counted.unknown_fields:
        unknown.add(fields)
    unseen = set(read_paths) - counted.seen_paths
    return RunReport(
        tool={"name": TOOL_NAME, "version": __version__},
        input={"path": source.path, "format": source.input_format, "sha256": source.sha256, "record_type": kind.name},
        rulesets=run_rulesets(packs),
        settings=settings.as_dict(),
        summary={"records_read": counted.read, "records_evaluated": counted.evaluated,
                 "records_rejected": len(rejected)},
        rules=[finish_score(score, settings.interval, settings.confidence, settings.grade_bands) for score in scores],
        records=[],
        rejected=rejected,
        warnings=source.notes + unknown.warnings() + _warnings(unseen if counted.evaluated else set(), read_paths),
    )
