"""One run of the checker: read cases, evaluate every rule on every valid record, score.

The command line, the fixture runner and tests all go through `run_check`; it
returns a `RunReport` (plain data) and prints nothing.

A run streams: each record is read, checked, evaluated, counted and handed to
the `sinks` (e.g. the JSON writer, which writes it at once), then forgotten
unless `keep` says to hold it for an output that needs every record at the end
(xlsx, html, one case's explanation). With `jobs` > 1 records are checked and
evaluated on that many processes, in chunks, and come back in input order, so
the results are the same as with one.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, islice
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from checker import TOOL_NAME, __version__
from checker.errors import RunFailed
from checker.inputs.records import CaseIds, CaseRecord, RawRecord, Rejection, check_record
from checker.engine.evaluate import Evaluator
from checker.engine.selectors import NOT_EVALUATED, Grouping, compile_grouping
from checker.inputs.recordmodel import value_at
from checker.inputs.recordmodel import record_model
from checker.inputs.sources import CaseSource, find_record_type, open_source
from checker.engine.judgements import Judgements, Reconciliation
from checker.results import RecordResult, RuleResult, RuleScore, RunReport
from checker.packs.rules import RulePack, packs_for
from checker.scoring.counts import finish_score, new_score
from checker.settings import RunSettings
from checker.audit.strata import estimate_result
from checker.engine.waivers import Waiver, WaiverApplier, WaiverEvent

if TYPE_CHECKING:
    from checker.sql.run import SqlBatch

CHUNK_SIZE = 200  # records per task sent to a worker process
SQL_CHUNK_SIZE = 4_000  # records per SQL query: the query's fixed cost shared by many records; memory holds a batch
RECORDS_ENGINE, SQL_ENGINE, AUTO_ENGINE = "records", "sql", "auto"
ENGINES = (AUTO_ENGINE, RECORDS_ENGINE, SQL_ENGINE)
AUTO_SQL_THRESHOLD = 5_000  # with --engine auto, inputs with more records than this run on SQL


class ResultSink(Protocol):
    """An output written as the run goes. `render_record` is pure and runs where the record is evaluated
    (a worker process with --jobs); the main process only writes text, a chunk of records at a time:
    their texts joined by `record_separator`."""

    record_separator: str

    def render_record(self, record: RecordResult) -> str: ...

    def write_records(self, text: str, count: int) -> None: ...

    def rejected(self, rejection: dict[str, Any]) -> None: ...


Progress = Callable[[int, CaseSource], None]  # (records read so far, the source: bytes read, size); once a chunk


def run_check(cases: Path | str | CaseSource, packs: list[RulePack], settings: RunSettings,
              manifest: dict[str, Any] | None = None, judgements: Judgements | None = None,
              waivers: Sequence[Waiver] | None = None, *, sinks: Sequence[ResultSink] = (),
              keep: bool | Callable[[RecordResult], bool] = True, jobs: int = 1,
              progress: Progress | None = None, engine: str = RECORDS_ENGINE, by: str | None = None,
              notice: Callable[[str], None] | None = None) -> RunReport:
    """Score an input; with the manifest of a stratified draw, also estimate each rule's population rate.

    `judgements` (a filled review workbook) fill manual rules the case files leave pending; where a case
    file already has a different answer, its own is counted and the conflict is reported.
    With `waivers` (`checker.engine.waivers.load_waivers`), those not expired at `settings.as_of` (default today)
    turn matching results into `waived`.
    `keep`: which evaluated records the report holds (all by default; the sinks see every one).
    `engine`: "records" evaluates record by record; "sql" decides the rules of many records at once
    with one SQL query on DuckDB (`checker.sql`); "auto" takes SQL for inputs of more than
    AUTO_SQL_THRESHOLD records. The report is the same whichever runs. With SQL, a JSON Lines input whose
    outputs need no record's full results takes the bulk path (`checker.sql.bulk`; a findings file among the
    sinks is then written by DuckDB); `notice` is told why not when it cannot.
    `by`: a CEL expression over the record (`search.person.self_defined_ethnicity`); every rule is also scored
    within each of its values (`RunReport.breakdown`), as the inspectorate reports a subgroup ("21 of 27").
    SelectorError when it is not one value of the record type's model.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    source = cases if isinstance(cases, CaseSource) else open_source(cases)
    if manifest is not None or judgements is not None:
        keep = True  # estimates and reconciliation need every record's results (these are samples: small)
    if waivers is not None:
        settings = settings.with_as_of()  # the date used is a printed setting
    kind = find_record_type(source)
    packs = packs_for(packs, kind)
    raw_records = source.records()
    if engine == AUTO_ENGINE:  # look ahead: a sample runs record by record, a year's crimes on SQL
        head = list(islice(raw_records, AUTO_SQL_THRESHOLD + 1))
        engine = SQL_ENGINE if len(head) > AUTO_SQL_THRESHOLD else RECORDS_ENGINE
        raw_records = chain(head, raw_records)
    grouping = compile_grouping(by, settings, record_model(kind.name)) if by is not None else None
    if engine == SQL_ENGINE:
        from checker.sql.bulk import bulk_report

        report = bulk_report(source, kind, packs, settings, raw_records, sinks, progress, keep=keep, notice=notice,
                             judgements=judgements, waivers=waivers, manifest=manifest, by=by)
        if report is not None:
            return report
    checker = RecordChecker(packs, settings, judgements, waivers, renderers=[(sink.render_record, sink.record_separator) for sink in sinks],
                            keep=keep, engine=engine, record_type=kind.name, grouping=grouping)
    groups: dict[str, list[RuleScore]] = {}  # group → its scores, in the order of each record's results
    applier = checker.waivers  # counts what the waivers did, from each record's waiver events
    reconciliation = Reconciliation()
    scores = [new_score(compiled.rule) for compiled in checker.evaluator.rules]  # in the order of each record's results
    records: list[RecordResult] = []
    rejected: list[dict[str, Any]] = []
    unknown = UnknownFields(kind.model)
    unseen = set(checker.read_paths)
    ids = CaseIds()
    read = evaluated = 0
    for chunk in _checked_chunks(raw_records, checker, jobs):
        read += len(chunk.outcomes)
        duplicates = ids.duplicates([(outcome.case_id, outcome.index, outcome.line)
                                     for outcome in chunk.outcomes if type(outcome) is Evaluated])
        for score, counts in zip(scores, chunk.counts):
            for status, count in counts.items():
                score.counts[status] += count
        _write_rendered(sinks, chunk, duplicates)
        for outcome in chunk.outcomes:
            if type(outcome) is Evaluated and outcome.index in duplicates:
                for score, status in zip(scores, outcome.statuses):  # counted by the worker: take it back
                    score.counts[status] -= 1
                outcome = duplicates[outcome.index]
            if type(outcome) is Rejection:
                rejection = outcome.as_dict()
                rejected.append(rejection)
                for sink in sinks:
                    sink.rejected(rejection)
                continue
            evaluated += 1
            if grouping is not None:
                group = groups.get(outcome.group)  # type: ignore[arg-type]
                if group is None:
                    group = groups[outcome.group] = [new_score(c.rule) for c in checker.evaluator.rules]  # type: ignore[index]
                for score, status in zip(group, outcome.statuses):
                    score.counts[status] += 1
            if applier is not None:
                applier.record(outcome.case_id, outcome.waiver_events)
            if outcome.unknown_fields:
                unknown.add(outcome.unknown_fields)
            if outcome.seen_paths:
                unseen.difference_update(outcome.seen_paths)
            if outcome.record is not None:
                records.append(outcome.record)
                if judgements is not None:
                    reconciliation.add(outcome.case_id, outcome.file_judgements, outcome.record.results, judgements)
        if progress is not None:
            progress(read, source)
    if progress is not None and read == 0:
        progress(read, source)
    report = RunReport(
        tool={"name": TOOL_NAME, "version": __version__},
        input={"path": source.path, "format": source.input_format, "sha256": source.sha256, "record_type": kind.name},
        rulesets=run_rulesets(packs),
        settings=settings.as_dict(),
        summary={"records_read": read, "records_evaluated": evaluated, "records_rejected": len(rejected)},
        rules=[finish_score(score, settings.interval, settings.confidence, settings.grade_bands) for score in scores],
        records=records,
        rejected=rejected,
        warnings=source.notes + unknown.warnings() + _warnings(unseen if evaluated else set(), checker.read_paths),
    )
    if judgements is not None:
        report.input["judgements"] = judgements.as_dict()
        report.judgement_conflicts = reconciliation.conflicts
        report.warnings += reconciliation.warnings(judgements)
    if applier is not None:
        report.waivers = applier.summary()
        report.warnings += applier.warnings()
    if grouping is not None:
        if NOT_EVALUATED in groups:
            report.warnings.append(f"--by {grouping.text!r} could not be evaluated on "
                                   f"{sum(groups[NOT_EVALUATED][0].counts.values()) if groups[NOT_EVALUATED] else 0} "
                                   f"record(s): they are counted in the group {NOT_EVALUATED!r}")
        report.breakdown = {"by": grouping.text, "groups": [
            {"value": value, "records": sum(group[0].counts.values()) if group else 0,
             "rules": [finish_score(score, settings.interval, settings.confidence).as_dict() for score in group]}
            for value, group in sorted(groups.items())]}
    if manifest is not None:
        report.stratified = [estimate.as_dict() for estimate in
                             estimate_result(report.as_dict(), manifest, settings.confidence)]
    return report


def run_rulesets(packs: list[RulePack]) -> list[dict[str, str]]:
    """The packs a run used, as every report states them (known before the first record)."""
    return [{"name": p.name, "version": p.version, "code_version": p.code_version, "path": p.path,
             "sha256": _file_sha256(p.path)} for p in packs]


def _file_sha256(path: str) -> str | None:
    """The pack file's SHA-256: two results that say the same version but differ in rule text are told apart."""
    from checker.inputs.records import file_sha256

    try:
        return file_sha256(Path(path))
    except OSError:
        return None


class Evaluated(NamedTuple):
    """A valid record's results in the compact form sent back from a worker process (a named tuple:
    cheaper to send than a dataclass)."""

    index: int
    line: int | None
    case_id: str
    statuses: tuple[str, ...]  # each rule's status, in the evaluator's rule order
    record: RecordResult | None  # the full results, when the run keeps this record
    unknown_fields: tuple[str, ...]  # fields not in the case model
    seen_paths: tuple[str, ...]  # fields rules read that this checker sees for the first time
    file_judgements: dict[str, str]  # the case file's own audit.judgements
    waiver_events: tuple[WaiverEvent, ...] = ()  # what each waiver did to this record's results
    group: str | None = None  # the record's group with --by


class CheckedChunk(NamedTuple):
    """Consecutive records' outcomes, tallied and rendered where they were evaluated, so the main
    process does little per record: it checks case ids, adds the counts and writes the text."""

    outcomes: list[Evaluated | Rejection]  # in input order
    counts: list[dict[str, int]]  # per rule (evaluator order): status → evaluated records with it
    rendered: list[str]  # per sink: the evaluated records' texts joined by its record_separator
    lengths: list[list[int]]  # per sink: each evaluated record's text length, to take one out


Renderer = tuple[Callable[[RecordResult], str], str]  # a sink's render_record and record_separator


class RecordChecker:
    """Checks, evaluates and renders raw records; one per process."""

    def __init__(self, packs: list[RulePack], settings: RunSettings, judgements: Judgements | None = None,
                 waivers: Sequence[Waiver] | None = None, *, renderers: Sequence[Renderer] = (),
                 keep: bool | Callable[[RecordResult], bool] = True, engine: str = RECORDS_ENGINE,
                 record_type: str | None = None, grouping: Grouping | None = None) -> None:
        self.evaluator = Evaluator(packs, settings, judgements.items if judgements is not None else None,
                                   model=record_model(record_type) if record_type is not None else None)
        self.model = self.evaluator.model
        self.grouping = grouping
        self.sql: SqlBatch | None = None
        if engine == SQL_ENGINE:
            from checker.sql.run import SqlBatch, SqlPlan  # DuckDB is loaded only for runs that use it
            self.sql = SqlBatch(SqlPlan.build(self.evaluator))
        self.timezone = settings.timezone
        self.read_paths = _paths_read(self.evaluator)
        self.unseen = set(self.read_paths)
        self.renderers = tuple(renderers)
        self.keep = keep
        self.waivers = None
        if waivers is not None:
            assert settings.as_of is not None
            self.waivers = WaiverApplier(waivers, packs, self.evaluator, settings.as_of)

    def check_chunk(self, chunk: list[RawRecord]) -> CheckedChunk:
        outcomes: list[Evaluated | Rejection] = []
        counts: list[dict[str, int]] = [{} for _ in self.evaluator.rules]
        texts: list[list[str]] = [[] for _ in self.renderers]
        for checked in (self.check_batch(chunk) if self.sql is not None else map(self.check, chunk)):
            if type(checked) is Rejection:
                outcomes.append(checked)
                continue
            evaluated, record = checked
            outcomes.append(evaluated)
            for tally, status in zip(counts, evaluated.statuses):
                tally[status] = tally.get(status, 0) + 1
            for (render, _), rendered in zip(self.renderers, texts):
                rendered.append(render(record))
        return CheckedChunk(outcomes, counts,
                            [separator.join(rendered) for (_, separator), rendered in zip(self.renderers, texts)],
                            [[len(text) for text in rendered] for rendered in texts])

    def check(self, raw: RawRecord) -> tuple[Evaluated, RecordResult] | Rejection:
        item = check_record(raw, self.timezone, self.model)
        if isinstance(item, Rejection):
            return item
        context = self.evaluator.context(item)
        return self.evaluated(item, self.evaluator.evaluate(item, context), context)

    def check_batch(self, chunk: list[RawRecord]) -> list[tuple[Evaluated, RecordResult] | Rejection]:
        """`check` for a chunk at once: the valid records' rules decided by one SQL query (`checker.sql`)."""
        assert self.sql is not None
        items = [check_record(raw, self.timezone, self.model) for raw in chunk]
        valid = [item for item in items if not isinstance(item, Rejection)]
        contexts = [self.evaluator.context(item) for item in valid]
        results = iter(zip(valid, self.sql.results(valid, contexts), contexts))
        return [item if isinstance(item, Rejection) else self.evaluated(*next(results)) for item in items]

    def evaluated(self, item: CaseRecord, results: tuple[RuleResult, ...], context: Any) -> tuple[Evaluated, RecordResult]:
        """A valid record's results, waivers applied, in the form sent back from a worker."""
        seen: tuple[str, ...] = ()
        if self.unseen:  # usually empty after the first few records
            seen = tuple(path for path in self.unseen if _exported(item, path))
            self.unseen.difference_update(seen)
        events: tuple[WaiverEvent, ...] = ()
        if self.waivers is not None:
            results, events = self.waivers.apply(item, results, context)
        record = RecordResult(item.index, item.line, item.case_id, results)
        kept = self.keep(record) if callable(self.keep) else self.keep
        return Evaluated(item.index, item.line, item.case_id, tuple(result.status for result in results),
                         record if kept else None, item.unknown_fields, seen,
                         value_at(item.normalised, "audit.judgements") or {}, events,
                         self.grouping.group_of(item) if self.grouping is not None else None), record


def _write_rendered(sinks: Sequence[ResultSink], chunk: CheckedChunk, duplicates: dict[int, Rejection]) -> None:
    """Write a chunk's rendered records, leaving out those the main process rejected (duplicate ids)."""
    if not duplicates:
        count = len(chunk.outcomes) - sum(1 for outcome in chunk.outcomes if type(outcome) is Rejection)
        for sink, text in zip(sinks, chunk.rendered):
            if count:
                sink.write_records(text, count)
        return
    indexes = [outcome.index for outcome in chunk.outcomes if type(outcome) is Evaluated]
    for sink, text, lengths in zip(sinks, chunk.rendered, chunk.lengths):
        start, step = 0, len(sink.record_separator)
        for index, length in zip(indexes, lengths):
            if index not in duplicates:
                sink.write_records(text[start:start + length], 1)
            start += length + step


def _checked_chunks(records: Iterator[RawRecord], checker: RecordChecker, jobs: int) -> Iterator[CheckedChunk]:
    """Every record's outcome in input order, a chunk at a time, on this process or on `jobs` processes."""
    size = CHUNK_SIZE if checker.sql is None else SQL_CHUNK_SIZE // max(jobs, 1)
    if jobs <= 1:
        for chunk in _chunks(records, size):
            yield checker.check_chunk(chunk)
        return
    global _WORKER_CHECKER
    _WORKER_CHECKER = checker  # inherited by forked workers; no need to pickle compiled rules
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    initializer, initargs = (None, ()) if "fork" in methods else (_start_worker, (checker,))
    # concurrent.futures rather than multiprocessing.Pool: the Pool's worker-handler thread wakes for
    # every result waiting in its queue and polls the workers, a busy loop that cost the main process
    # ~20 µs a record; the executor's one manager thread reads the results itself.
    pending: deque[tuple[Future[CheckedChunk], int]] = deque()  # each chunk's future and first record index
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=initializer, initargs=initargs)
    try:
        for chunk in _chunks(records, size):
            pending.append((pool.submit(_check_chunk, chunk), chunk[0].index))
            while len(pending) > 2 * jobs:  # bounded: memory stays flat however large the input
                yield _next_result(pending)
        while pending:
            yield _next_result(pending)
    except BrokenProcessPool:  # a worker died (killed, out of memory) before giving its chunk back
        # Not waiting: the pool's threads may be stuck sending to the dead worker (see checker.cli.main).
        pool.shutdown(wait=False, cancel_futures=True)
        where = f" while evaluating records from {pending[0][1] + 1}" if pending else ""
        raise RunFailed(f"a worker process ended unexpectedly (killed, or out of memory?){where}: the run was "
                        "stopped and nothing was scored; run again, with fewer --jobs if memory is short") from None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _next_result(pending: deque[tuple[Future[CheckedChunk], int]]) -> CheckedChunk:
    """The oldest chunk's results, taken off `pending` only once they came (so a failure names its records)."""
    result = pending[0][0].result()
    pending.popleft()
    return result


_WORKER_CHECKER: RecordChecker | None = None


def _start_worker(checker: RecordChecker) -> None:  # pragma: no cover - spawn platforms only
    global _WORKER_CHECKER
    _WORKER_CHECKER = checker


def _check_chunk(chunk: list[RawRecord]) -> CheckedChunk:
    assert _WORKER_CHECKER is not None
    return _WORKER_CHECKER.check_chunk(chunk)


def _chunks(items: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    chunk: list[RawRecord] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _paths_read(evaluator: Evaluator) -> dict[str, list[str]]:
    """Case path → ids of the rules that read it."""
    paths: dict[str, list[str]] = {}
    for compiled in evaluator.rules:
        expressions = [compiled.applies_when] + [expression for _, expression in compiled.clauses]
        for expression in expressions:
            for path in expression.paths if expression else ():
                paths.setdefault(path, [])
                if compiled.rule.id not in paths[path]:
                    paths[path].append(compiled.rule.id)
    return paths


def _exported(record: CaseRecord, path: str) -> bool:
    """Whether the record carries the field at all (null counts: the export has the column)."""
    value: Any = record.raw
    for part in path.split("."):
        if not isinstance(value, dict):
            return True  # an ancestor is null or not an object: the field has nowhere to be
        if part not in value:
            return False
        value = value[part]
    return True


class UnknownFields:
    """Fields not in the case model, counted by path for the warnings: the first `LISTED` distinct paths
    by name, the rest only counted, so memory stays flat however many distinct names the records hold."""

    LISTED = 100

    def __init__(self, model: str = "case model") -> None:
        self.model = model  # what the messages call the record type's model
        self.counts: dict[str, int] = {}
        self.unlisted = 0  # occurrences (record × field) of paths beyond the first LISTED
        self.unlisted_records = 0

    def add(self, paths: tuple[str, ...]) -> None:
        counts, beyond = self.counts, 0
        for path in paths:
            if path in counts:
                counts[path] += 1
            elif len(counts) < self.LISTED:
                counts[path] = 1
            else:
                beyond += 1
        if beyond:
            self.unlisted += beyond
            self.unlisted_records += 1

    def warnings(self) -> list[str]:
        warnings = [f"field '{path}' is not in the {self.model} and was ignored ({count} record(s)); check its spelling"
                    for path, count in sorted(self.counts.items())]
        if self.unlisted:
            warnings.append(f"{self.unlisted:,} more occurrence(s) of fields not in the {self.model}, in "
                            f"{self.unlisted_records:,} record(s), were ignored; only the first {self.LISTED} "
                            "distinct field names are listed")
        return warnings


def _warnings(unseen: set[str], read_paths: dict[str, list[str]]) -> list[str]:
    # A field no record has is more likely missing from the export than never done.
    warnings = [f"no record has the field '{path}' (read by {', '.join(read_paths[path])}): "
                 "the export probably lacks this field; treat these results as a data problem"
                 for path in sorted(unseen)]
    return warnings
