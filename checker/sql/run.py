"""Rule packs as one SQL query, run on DuckDB over many records at once.

`SqlPlan` compiles every rule of an `Evaluator` (settings as literals, each pack variable once, as a
column of its own) into one SELECT that gives, per record and rule, an outcome code: not applicable,
pass, pending (a manual rule that applies: judgements decide), fail at clause k, or an error at
`applies_when` or clause k. The codes become the per-record engine's `Outcome`s, and the results
(message, deciding clause, explanation, evidence) are built by the same code that builds them
for the per-record engine (`Evaluator.result`), so every report is the same whichever engine
ran. A rule that cannot be compiled (`compile.Unsupported`) is decided by the per-record engine
for the records of the batch (`SqlPlan.fallback` says which and why).

Records reach DuckDB as their JSON text, read into the case model's columns by `JSON_TRANSFORM`
(`checker.sql.structure`), with timestamps as the text the file holds (read in the run's zone by the
query); the working-day calendar is a one-row table of ordinals joined to the query.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import orjson
import sqlglot
from sqlglot import exp

from checker.cel.errors import CelSyntaxError
from checker.inputs.recordmodel import RecordModel
from checker.inputs.records import CaseRecord
from checker.engine.evaluate import (APPLIES_WHEN, EVERY_CLAUSE_FAILED, JUDGED_OUTCOME, NOT_APPLICABLE_OUTCOME, PASS_OUTCOME,
                            CompiledRule, Evaluator, Outcome)
from checker.results import ERROR, FAIL, RuleResult
from checker.sql import calendar as workday_table
from checker.sql.compile import (CALENDAR, DIALECT, LOCAL_DAYS_STEP, RECORDS, Compiler, DuckDbTarget, Unsupported,
                                 local_date, local_day_column, owned, sql)
from checker.sql.structure import record_structure
from checker.sql.tables import create_row_table, create_table

if TYPE_CHECKING:
    import pyarrow as pa  # only records_schema and json_structure, which load it themselves

# Outcome codes in the query's result (a fail at clause k is k; an error at clause k is ERROR_BASE + 1 + k).
NOT_APPLICABLE_CODE, PASS_CODE, PENDING_CODE, EVERY_CLAUSE_CODE = -1, -2, -3, -4
ERROR_BASE = 1000  # an error at applies_when
INDEX_COLUMN = "record_index"
DIALECTS = ("duckdb", "postgres", "spark", "bigquery")


@contextmanager
def collector_paused(frozen: bool = False) -> Iterator[None]:
    """Python's cycle collector paused while a query is built. Its sqlglot trees (nodes pointing at their parents)
    are tens of thousands of objects, which the collector, run every few hundred allocations, would scan again
    and again: about half the time of building the shipped packs' query. The garbage made meanwhile (a few MB)
    is collected once the collector runs again.

    `frozen`: what exists already (the plan, the evaluator, the loaded modules) is left out of the collector's
    scans meanwhile, so that a caller collecting now and then (the bulk path, once per batch) scans only what
    it has made since."""
    enabled = gc.isenabled()
    gc.disable()
    if frozen:
        gc.freeze()
    try:
        yield
    finally:
        if frozen:
            gc.unfreeze()
        if enabled:
            gc.enable()


@dataclass
class RulePlan:
    compiled: CompiledRule
    code: exp.Expression | None  # the outcome code's SQL; None: decided by the per-record engine
    reason: str = ""  # why the rule could not be compiled

    @property
    def column(self) -> str:
        return "rule_" + self.compiled.rule.id.replace("-", "_")


@dataclass
class SqlPlan:
    """Every rule of an evaluator compiled for the run's zone and calendar."""

    evaluator: Evaluator
    rules: list[RulePlan] = field(default_factory=list)
    uses_calendar: bool = False

    compiler: Compiler | None = None

    @classmethod
    def build(cls, evaluator: Evaluator, dialect: str = DIALECT) -> "SqlPlan":
        """The plan whose SQL runs on `dialect`: PostgreSQL has a target of its own (`checker.sql.postgres`);
        the others are DuckDB's SQL transpiled by sqlglot."""
        with collector_paused():
            return cls._build(evaluator, dialect)

    @classmethod
    def _build(cls, evaluator: Evaluator, dialect: str) -> "SqlPlan":
        compiler = Compiler(evaluator.settings.timezone, evaluator.model, target=target_for(dialect),
                            as_of=evaluator.functions["as_of"]())  # the instant the per-record engine's as_of() gives
        plan = cls(evaluator, compiler=compiler)
        for compiled in evaluator.rules:
            for expression in [compiled.applies_when] + [expression for _, expression in compiled.clauses]:
                if expression is not None:
                    compiler.count_groups(expression.tree)
        for compiled in evaluator.rules:
            compiler.pack, compiler.scope = compiled.rule.pack, evaluator.scopes[compiled.rule.pack]
            try:
                code: exp.Expression | None = outcome_code(compiler, compiled)
                reason = ""
            except (Unsupported, CelSyntaxError) as exc:
                code, reason = None, str(exc)
            plan.rules.append(RulePlan(compiled, code, reason))
        plan.uses_calendar = compiler.uses_calendar
        return plan

    @property
    def fallback(self) -> dict[str, str]:
        """Rule id → why it runs on the per-record engine."""
        return {rule.compiled.rule.id: rule.reason for rule in self.rules if rule.code is None}

    def query(self, records_table: str = "records", calendar_table: str = "workday_calendar",
              reader: exp.Select | None = None) -> exp.Select:
        """The SELECT giving each record's index and every compiled rule's outcome code.

        Steps (common table expressions): `typed` reads the records' timestamps in the run's zone, once;
        `local_days` adds the local date of each timestamp whose date rules read (working days), once; `shared_N` adds the pack variables that several rules read, each computed once per record; the
        last step decides every rule."""
        assert self.compiler is not None
        # Built with copy=False throughout (sqlglot's builders copy the whole query at each step otherwise). The
        # plan's own expressions go in through `owned`: as they are the first time, as copies at a later call.
        # Its SQL is generated from a copy (sqlglot's default): the generator changes the tree it is given.
        used = {path[:depth] for path in self.compiler.paths for depth in range(len(path) + 1)}
        columns = [exp.column(INDEX_COLUMN, table=records_table)] + self.compiler.target.record_columns(
            records_table, self.compiler.model.schema, self.compiler.zone_name, used)
        typed = exp.select(*columns, copy=False).from_(records_table, copy=False)
        steps: list[tuple[str, exp.Select]] = [("typed", typed)]
        if self.compiler.local_days:  # each timestamp's local date, converted once
            days = [exp.alias_(local_date(value, self.compiler.zone_name), local_day_column(path), copy=False)
                    for path, value in sorted(self.compiler.local_days.items())]
            steps.append((LOCAL_DAYS_STEP, exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(RECORDS)), *days,
                                                      copy=False)
                          .from_(exp.alias_(exp.to_table("typed"), RECORDS, table=True, copy=False), copy=False)))
        for number, definitions in enumerate(self.compiler.layers(), start=1):
            # the previous step's columns (not the calendar's, which each step joins again)
            columns: list[exp.Expression] = [exp.Column(this=exp.Star(), table=exp.to_identifier(RECORDS))]
            for definition in definitions:
                columns.append(exp.alias_(owned(definition.compiled.value), f"{definition.name}_value", copy=False))
                if definition.compiled.error is not None:
                    columns.append(exp.alias_(sql("COALESCE(:e, FALSE)", e=definition.compiled.error),
                                              f"{definition.name}_error", copy=False))
            steps.append((f"shared_{number}", exp.select(*columns, copy=False).from_(
                exp.alias_(exp.to_table(steps[-1][0]), RECORDS, table=True, copy=False), copy=False)))
        columns = [exp.column(INDEX_COLUMN, table=RECORDS)] + [
            exp.alias_(owned(rule.code), rule.column, copy=False) for rule in self.rules if rule.code is not None]
        select = exp.select(*columns, copy=False).from_(
            exp.alias_(exp.to_table(steps[-1][0]), RECORDS, table=True, copy=False), copy=False)
        if self.uses_calendar:
            select = select.join(self._calendar(calendar_table), join_type="cross", copy=False)
            # the shared steps may read the calendar too
            steps = [(name, step if name in ("typed", LOCAL_DAYS_STEP) else step.join(
                self._calendar(calendar_table), join_type="cross", copy=False)) for name, step in steps]
        if reader is not None:  # the records table as a step of its own (e.g. read from JSON text)
            steps.insert(0, (records_table, reader))
        # Each step computed once (PostgreSQL would otherwise substitute a step's expressions into every later
        # expression that reads them, multiplying the query's size step by step).
        materialized = True if self.compiler.target.materialize_steps else None
        for name, step in steps:
            select = select.with_(name, as_=step, materialized=materialized, copy=False)
        return select

    @staticmethod
    def _calendar(calendar_table: str) -> exp.Expression:
        return exp.alias_(exp.to_table(calendar_table), CALENDAR, table=True, copy=False)

    def text(self, dialect: str = DIALECT, pretty: bool = True) -> str:
        with collector_paused():
            return self.query().sql(dialect=dialect, pretty=pretty)


def outcome_code(compiler: Compiler, compiled: CompiledRule) -> exp.Expression:
    """A rule's outcome code on a record, as the per-record engine decides it (`checker.engine.decider`)."""
    whens: list[tuple[exp.Expression, int]] = []
    if compiled.applies_when is not None:
        holds, error = compiler.condition(compiled.applies_when.tree)
        whens += [(error, ERROR_BASE), (exp.Not(this=holds), NOT_APPLICABLE_CODE)]
    if compiled.rule.kind == "manual":
        return _case(whens, PENDING_CODE)
    clauses = [compiler.condition(expression.tree) for _, expression in compiled.clauses]
    if compiled.rule.combine == "all":
        for index, (holds, error) in enumerate(clauses):
            whens += [(error, ERROR_BASE + 1 + index), (exp.Not(this=holds), index)]
        return _case(whens, PASS_CODE)
    # any: a true clause passes; else the first error; else a fail naming every clause
    any_holds = exp.or_(*[holds for holds, _ in clauses], copy=False) if len(clauses) > 1 else clauses[0][0]
    whens.append((exp.Paren(this=any_holds), PASS_CODE))
    whens += [(error, ERROR_BASE + 1 + index) for index, (_, error) in enumerate(clauses)]
    return _case(whens, EVERY_CLAUSE_CODE)


def _case(whens: list[tuple[exp.Expression, int]], default: int) -> exp.Expression:
    # built node by node: sqlglot's `Case.when` copies the whole CASE at each WHEN
    ifs = [exp.If(this=owned(condition), true=_number(code)) for condition, code in whens if condition != exp.false()]
    return exp.Case(ifs=ifs, default=_number(default)) if ifs else _number(default)


def _number(value: int) -> exp.Expression:
    return exp.Literal.number(value) if value >= 0 else exp.Neg(this=exp.Literal.number(-value))


def outcome_of(code: int) -> Outcome:
    """The per-record engine's Outcome for a code (errors carry no reason: see `SqlBatch.results`)."""
    if code == NOT_APPLICABLE_CODE:
        return NOT_APPLICABLE_OUTCOME
    if code == PASS_CODE:
        return PASS_OUTCOME
    if code == PENDING_CODE:
        return JUDGED_OUTCOME
    if code == EVERY_CLAUSE_CODE:
        return EVERY_CLAUSE_FAILED
    if code >= ERROR_BASE:
        return Outcome(ERROR, APPLIES_WHEN if code == ERROR_BASE else code - ERROR_BASE - 1)
    return Outcome(FAIL, code)


# --- records as an Arrow table ------------------------------------------------------------------


def records_schema(model: RecordModel) -> "pa.Schema":
    """The records as the query reads them, as an Arrow table: the index, then the model's columns without its
    maps (read only by manual rules, which judgements decide outside SQL). The queries themselves read the
    same columns through `checker.sql.structure`, without pyarrow."""
    import pyarrow as pa

    from checker.inputs.parquet import arrow_schema
    return pa.schema([pa.field(INDEX_COLUMN, pa.int64())] + list(arrow_schema(model, maps=False)))


def json_structure(schema: "pa.Schema | pa.DataType") -> Any:
    """The structure DuckDB's JSON_TRANSFORM reads records of an Arrow schema into (the schema's fields and types;
    `checker.sql.structure.record_structure` gives the same for the case model)."""
    import pyarrow as pa

    if isinstance(schema, pa.Schema) or pa.types.is_struct(schema):
        return {item.name: json_structure(item.type) for item in schema if item.name != INDEX_COLUMN}
    if pa.types.is_list(schema):
        return [json_structure(schema.value_type)]
    return {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}[schema]


# The year of every text that starts like a date, e.g. "2022-10-30T01:30": the calendar covers them all.
_DATE_YEAR = re.compile(r'"(\d{4})-\d\d-\d\d')


class SqlBatch:
    """Runs a plan on batches of checked records on one DuckDB connection (one per process)."""

    def __init__(self, plan: SqlPlan) -> None:
        self.plan = plan
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._pid = 0
        # The records arrive as their JSON text (`documents`) and are read into the case model's columns
        # by DuckDB's JSON reader: fields outside the model are ignored, as the per-record engine ignores them.
        structure = orjson.dumps(record_structure(plan.evaluator.model)).decode()
        reader = sqlglot.parse_one(f"SELECT {INDEX_COLUMN}, UNNEST(JSON_TRANSFORM(document, '{structure}')) "
                                   "FROM documents", read=DIALECT)
        with collector_paused():
            self.query = plan.query(reader=reader).sql(dialect=DIALECT)
        self.calendar_years: tuple[int, int] | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """This process's DuckDB connection (a worker forked with --jobs opens its own)."""
        if self._connection is None or self._pid != os.getpid():
            self._connection, self._pid, self.calendar_years = duckdb.connect(), os.getpid(), None
            self._connection.execute("SET TimeZone = 'UTC'")
        return self._connection

    def codes(self, records: Sequence[CaseRecord]) -> list[tuple[int, ...]]:
        """Each record's outcome codes for the compiled rules (plan order), in the records' order."""
        if not records or all(rule.code is None for rule in self.plan.rules):
            return [() for _ in records]
        dumps = orjson.dumps
        documents = [dumps(record.raw).decode() for record in records]
        if self.plan.uses_calendar:
            self._cover_years({int(year) for year in _DATE_YEAR.findall("".join(documents))})
        create_table(self.connection, "documents", {INDEX_COLUMN: ("BIGINT", range(len(records))),
                                                    "document": ("VARCHAR", documents)})
        try:
            result = self.connection.execute(self.query).fetchall()
        finally:
            self.connection.execute("DROP TABLE documents")
        ordered: list[tuple[int, ...]] = [()] * len(records)
        for row in result:
            ordered[row[0]] = tuple(row[1:])
        return ordered

    def _cover_years(self, years: set[int]) -> None:
        """Make the calendar table cover `years` (the years of every date-like text in the batch, a superset
        of its timestamps' years)."""
        span = workday_table.year_span(years)
        if self.calendar_years is not None and self.calendar_years[0] <= span[0] and span[1] <= self.calendar_years[1]:
            return
        if self.calendar_years is not None:
            span = (min(span[0], self.calendar_years[0]), max(span[1], self.calendar_years[1]))
        first_day, ordinals = workday_table.ordinals(span[0], span[1], self.plan.evaluator.settings.working_days.calendar)
        create_row_table(self.connection, "workday_calendar", {"first_day": ("DATE", first_day),
                                                               "ordinals": ("INTEGER[]", ordinals)}, temporary=False)
        self.calendar_years = span

    def outcomes(self, records: Sequence[CaseRecord], contexts: Sequence[Any]) -> list[list[Outcome]]:
        """Every rule's Outcome on each record: from SQL, or from the per-record engine for the rules
        that could not be compiled and (for its reason) for errors."""
        try:
            codes = self.codes(records)
        except duckdb.Error:
            # A value the query cannot compute (e.g. a 64-bit overflow, an error in CEL but a stopped query in
            # SQL): this batch is decided record by record, so the run still gives CEL's outcome for each.
            return [[rule.compiled.decide(context) for rule in self.plan.rules] for context in contexts]
        result = []
        for record_codes, context in zip(codes, contexts):
            outcomes: list[Outcome] = []
            position = 0
            for rule in self.plan.rules:
                if rule.code is None:
                    outcomes.append(rule.compiled.decide(context))
                    continue
                outcome = outcome_of(record_codes[position])
                position += 1
                if outcome.status == ERROR:  # the reason (the exception's words) comes from the per-record engine
                    outcome = rule.compiled.decide(context)
                outcomes.append(outcome)
            result.append(outcomes)
        return result

    def results(self, records: Sequence[CaseRecord], contexts: Sequence[Any]) -> list[tuple[RuleResult, ...]]:
        """Every rule's result on each record, as `Evaluator.evaluate` gives it."""
        evaluator = self.plan.evaluator
        compiled_rules = [rule.compiled for rule in self.plan.rules]
        results = []
        for record, context, outcomes in zip(records, contexts, self.outcomes(records, contexts)):
            results.append(tuple(compiled.not_applicable if outcome is NOT_APPLICABLE_OUTCOME
                                 else evaluator.result(compiled, outcome, record, context)
                                 for compiled, outcome in zip(compiled_rules, outcomes)))
        return results


def target_for(dialect: str) -> DuckDbTarget:
    """The compiler's target for a dialect: PostgreSQL's own, else DuckDB's (transpiled by sqlglot)."""
    if dialect == "postgres":
        from checker.sql.postgres import PostgresTarget
        return PostgresTarget()
    return DuckDbTarget()


def explain_sql(plan: SqlPlan, dialect: str = DIALECT, calendar_years: tuple[int, int] | None = None) -> str:
    """The compiled query for a data team: the tables it reads, the statements creating the working-day table
    for `calendar_years` (first, last) when given, then the SELECT in the dialect."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}: expected one of {', '.join(DIALECTS)}")
    assert plan.compiler is not None
    if plan.compiler.target.name != target_for(dialect).name:
        plan = SqlPlan.build(plan.evaluator, dialect)
    settings = plan.evaluator.settings
    reference = "" if settings.rules_as_of is None else f", reference date (--as-of) {settings.rules_as_of.isoformat()}"
    lines = [f"-- Rule packs compiled to SQL ({dialect}); time zone {settings.timezone}, "
             f"calendar {settings.working_days.calendar}{reference}."]
    if dialect == "postgres":
        from checker.sql.postgres import header_lines
        lines += header_lines()
    else:
        lines.append(f"-- Reads a table `records` (one row per case file: {INDEX_COLUMN}, then the case model's fields, "
                     "timestamps as text as written)")
    if plan.uses_calendar:
        lines += ["-- and a one-row table `workday_calendar` (first_day DATE, ordinals INTEGER[]: working days "
                  "after first_day up to each day),",
                  "-- covering every date of the records and a year either side (a date outside it is an error): "
                  "`check explain-sql",
                  "-- --calendar-years FIRST-LAST` prints the statements that create and fill it before the query."]
    lines.append(f"-- Outcome codes: {NOT_APPLICABLE_CODE} not applicable, {PASS_CODE} pass, {PENDING_CODE} "
                 f"pending judgement, {EVERY_CLAUSE_CODE} fail (every clause), k fail at clause k (from 0), "
                 f"{ERROR_BASE} error in applies_when, {ERROR_BASE + 1}+k error in clause k.")
    for rule in plan.rules:
        if rule.code is None:
            lines.append(f"-- {rule.compiled.rule.id}: not compiled ({rule.reason}); evaluated by the per-record engine")
    calendar = ""
    if calendar_years is not None:
        from checker.sql.postgres import calendar_statements
        first_day, ordinals = workday_table.ordinals(*calendar_years, settings.working_days.calendar)
        calendar = calendar_statements(first_day, ordinals)
        if dialect != "postgres":
            calendar = ";\n".join(sqlglot.transpile(calendar, read="postgres", write=dialect)) + ";\n"
    if dialect == "postgres":
        from checker.sql.postgres import SESSION_SETTINGS
        calendar = SESSION_SETTINGS + calendar
    return "\n".join(lines) + "\n" + calendar + plan.text(dialect) + ";\n"
