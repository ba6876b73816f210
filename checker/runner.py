"""One run of the checker: read cases, evaluate every rule on every valid record, score.

The command line, the fixture runner and tests all go through `run_check`; it
returns a `RunReport` (plain data) and prints nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checker import TOOL_NAME, __version__
from checker.cases import CaseRecord, Rejection, file_sha256, read_cases
from checker.engine import Evaluator
from checker.results import RecordResult, RunReport
from checker.rules import RulePack
from checker.scoring import finish_score, new_score, tally
from checker.settings import RunSettings
from checker.strata import estimate_result
from checker.waivers import Waiver, WaiverApplier


def run_check(cases_path: Path, packs: list[RulePack], settings: RunSettings,
              manifest: dict[str, Any] | None = None, waivers: Sequence[Waiver] | None = None) -> RunReport:
    """Score `cases_path`; with the manifest of a stratified draw, also estimate each rule's population rate;
    with waivers (`checker.waivers.load_waivers`), apply those not expired at `settings.as_of` (default today)."""
    evaluator = Evaluator(packs, settings)
    applier = None
    if waivers is not None:
        settings = settings.with_as_of()  # the date used is a printed setting
        assert settings.as_of is not None
        applier = WaiverApplier(waivers, packs, evaluator, settings.as_of)
    scores = {compiled.rule.id: new_score(compiled.rule) for compiled in evaluator.rules}
    records: list[RecordResult] = []
    rejected: list[dict[str, Any]] = []
    unknown_fields: dict[str, int] = {}
    read_paths = _paths_read(evaluator)
    unseen = set(read_paths)
    read = 0
    for item in read_cases(cases_path, settings.timezone):
        read += 1
        if isinstance(item, Rejection):
            rejected.append(item.as_dict())
            continue
        context = evaluator.context(item)
        results = evaluator.evaluate(item, context)
        if applier is not None:
            results = applier.apply(item, results, context)
        record = RecordResult(item.index, item.line, item.case_id, results)
        tally(scores, record)
        records.append(record)
        for path in item.unknown_fields:
            unknown_fields[path] = unknown_fields.get(path, 0) + 1
        if unseen:
            unseen -= {path for path in unseen if _exported(item, path)}
    report = RunReport(
        tool={"name": TOOL_NAME, "version": __version__},
        input={"path": str(cases_path), "sha256": file_sha256(cases_path)},
        rulesets=[{"name": p.name, "version": p.version, "code_version": p.code_version, "path": p.path}
                  for p in packs],
        settings=settings.as_dict(),
        summary={"records_read": read, "records_evaluated": len(records), "records_rejected": len(rejected)},
        rules=[finish_score(score, settings.interval, settings.confidence, settings.grade_bands)
               for score in scores.values()],
        records=records,
        rejected=rejected,
        warnings=_warnings(unknown_fields, unseen if records else set(), read_paths),
    )
    if applier is not None:
        report.waivers = applier.summary()
        report.warnings += applier.warnings()
    if manifest is not None:
        report.stratified = [estimate.as_dict() for estimate in
                             estimate_result(report.as_dict(), manifest, settings.confidence)]
    return report


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


def _warnings(unknown_fields: dict[str, int], unseen: set[str], read_paths: dict[str, list[str]]) -> list[str]:
    warnings = [f"field '{path}' is not in the case model and was ignored ({count} record(s)); check its spelling"
                for path, count in sorted(unknown_fields.items())]
    # A field no record has is more likely missing from the export than never done.
    warnings += [f"no record has the field '{path}' (read by {', '.join(read_paths[path])}): "
                 "the export probably lacks this field; treat these results as a data problem"
                 for path in sorted(unseen)]
    return warnings
