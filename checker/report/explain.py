"""One case file's results, rule by rule, with the values each rule read (`check CASES --case ID`)."""

from __future__ import annotations

import json

from checker.report.wording import audited_kind, for_people
from checker.report.safetext import terminal_text
from checker.results import NOT_APPLICABLE, Evidence, RuleResult, RunReport


class CaseNotFound(LookupError):
    pass


def render_case(report: RunReport, case_id: str) -> str:
    record = next((r for r in report.records if r.case_id == case_id), None)
    if record is None:
        rejected = next((r for r in report.rejected if r["case_id"] == case_id), None)
        if rejected:
            raise CaseNotFound(terminal_text(f"case {case_id!r} was rejected: {rejected['path'] or '(record)'}: "
                                             f"{rejected['message']}", newlines=False))
        raise CaseNotFound(f"no case {case_id!r} in {report.input['path']}")
    titles = {score.id: score.title for score in report.rules}
    where = f"record {record.index + 1}" + (f", line {record.line}" if record.line else "")
    lines = [f"{audited_kind(report).title} {terminal_text(record.case_id, newlines=False)} ({report.input['path']}, "
             f"{where})", ""]  # "Case file S-14 (…)", "Stop-and-search record SS-1 (…)"
    for result in record.results:
        lines.append(f"{result.status.upper():<15} {result.rule_id}: {titles.get(result.rule_id, '')}")
        if result.message:
            lines.append(f"{'':15} {result.message}")
        lines += [f"{'':15} read: {line}" for line in explanation_lines(result)]
        if result.status != NOT_APPLICABLE:
            lines += [f"{'':15} evidence: {evidence_line(item)}" for item in result.evidence]
    return terminal_text("\n".join(lines)) + "\n"  # case text never sends an escape sequence to the terminal


def explanation_lines(result: RuleResult) -> list[str]:
    """The values a rule read, less those its message already quotes (fails quote what they read)."""
    return [line for line in result.explanation if line not in result.message]


def evidence_line(item: Evidence) -> str:
    """`path = value`, the value as JSON so that strings, numbers and null read unambiguously; numbers
    rounded for people (`checker.report.wording.for_people`)."""
    return f"{item.path} = {json.dumps(for_people(item.value), ensure_ascii=False, default=str)}"
