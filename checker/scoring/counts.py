"""Scoring a sample as the inspectorate does: per rule, "X of Y applicable", a rate and its interval.

applicable = pass + fail (errors, pending judgements and waived results are
counted apart, never in the denominator: a waived result is not a pass);
rate = pass / applicable; the interval is Wilson by
default, Wald for comparison with published "+/-" figures. A rule with no
applicable file has no rate, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from checker.scoring.intervals import proportion_interval
from checker.scoring.statements import GradeBands, grade_for, inspectorate_sentence, reliability
from checker.results import FAIL, PASS, STATUSES, RecordResult, RuleScore
from checker.packs.rules import Rule


def new_score(rule: Rule) -> RuleScore:
    return RuleScore(id=rule.id, title=rule.title, family=rule.family, severity=rule.severity, kind=rule.kind,
                     pack=rule.pack, source=dict(rule.source), message=rule.message, counts={status: 0 for status in STATUSES})


def tally(scores: dict[str, RuleScore], record: RecordResult) -> None:
    """Add one record's results to the running counts."""
    for result in record.results:
        scores[result.rule_id].counts[result.status] += 1


def finish_score(score: RuleScore, method: str, level: float, bands: GradeBands | None = None) -> RuleScore:
    """Fill in applicable, rate, interval, reliability and (with a force's bands) the grade from the counts."""
    passed, failed = score.counts[PASS], score.counts[FAIL]
    score.applicable = passed + failed
    interval = proportion_interval(passed, score.applicable, method, level)
    score.statement = inspectorate_sentence(passed, score.applicable, interval)
    if interval is None:
        score.rate, score.interval = None, None
        score.note = "no applicable files: no rate"
    else:
        score.rate = passed / score.applicable
        score.interval = interval.as_dict()
        score.grade = grade_for(score.rate, bands) if bands else None
        score.reliable, reason = reliability(passed, score.applicable)
        if not score.reliable:
            score.note = reason
    return score


def score_rules(rules: Iterable[Rule], records: Iterable[RecordResult], method: str = "wilson",
                level: float = 0.95) -> list[RuleScore]:
    """Scores for `rules` over already evaluated `records` (convenience for tests and callers)."""
    scores = {rule.id: new_score(rule) for rule in rules}
    for record in records:
        tally(scores, record)
    return [finish_score(score, method, level) for score in scores.values()]
