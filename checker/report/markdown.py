"""Markdown summary (GitHub-flavoured): the rule table, then the run, the rule packs and the settings."""

from __future__ import annotations

from tabulate import tabulate

from checker.report.safetext import markdown_text
from checker.report.table import settings_line
from checker.report.breakdown import breakdown_heading, breakdown_rows
from checker.report.wording import SMALL_SAMPLE_NOTE, audited_kind, count_of, records_line, interval_text, percent, waiver_line
from checker.results import ERROR, FAIL, MANUAL, PASS, WAIVED, RunReport


def escape(text: object) -> str:
    """Text from case files, waivers, grade bands or packs, shown as text: no HTML tag, no table break."""
    return markdown_text(text)


def render(report: RunReport) -> str:
    grades = bool(report.settings.get("grade_bands"))
    waivers = report.waivers is not None  # the waived column only when a waivers file was given
    rows = [
        [escape(score.id), escape(score.title), count_of(score.counts[PASS], score.applicable),
         percent(score.rate) + ("\\*" if score.reliable is False else ""), interval_text(score.interval),
         score.counts[FAIL], score.counts[ERROR], score.counts[MANUAL]]
        + ([score.counts[WAIVED]] if waivers else [])
        + ([escape(score.grade or "—")] if grades else [])
        for score in report.rules
    ]
    level = f"{report.settings['confidence'] * 100:g}%"
    headers = ["rule", "title", "passed", "rate", f"{level} interval ({report.settings['interval']})",
               "fail", "error", "pending"] + (["waived"] if waivers else []) + (["grade"] if grades else [])
    lines = [f"# {audited_kind(report).title} compliance", "", tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True), ""]
    if any(score.reliable is False for score in report.rules):
        lines += ["\\* " + SMALL_SAMPLE_NOTE, ""]
    lines += [records_line(report).replace("Records", "**Records", 1).replace(":", ":**", 1), "", "**Rule packs:**", ""]
    lines += [f"- {escape(r['name'])} {escape(r['version'])} ({escape(r['code_version'])})" for r in report.rulesets]
    lines += ["", escape(settings_line(report)).replace("Settings:", "**Settings:**", 1)]
    if report.waivers is not None:
        lines += ["", "**Waivers** (waived results are not in the rates' denominators):", ""]
        lines += [f"- {escape(waiver_line(entry))}" for entry in report.waivers]
    if report.rejected:
        lines += ["", "**Rejected records:**", ""]
        for rejection in report.rejected:
            case = f" {audited_kind(report).noun} {escape(rejection['case_id'])}" if rejection["case_id"] else ""
            line = f" (line {rejection['line']})" if rejection.get("line") else ""
            lines.append(f"- record {rejection['index'] + 1}{line}{case}: "
                         f"{escape(rejection['path'] or '(record)')}: {escape(rejection['message'])}")
    if report.warnings:
        lines += ["", "**Warnings:**", ""] + [f"- {escape(warning)}" for warning in report.warnings]
    if report.breakdown is not None:
        headers, rows = breakdown_rows(report.breakdown)
        lines += ["", f"**{escape(breakdown_heading(report.breakdown))}**", "",
                  tabulate([[escape(str(cell)) for cell in row] for row in rows], headers=headers, tablefmt="github",
                           disable_numparse=True)]
    return "\n".join(lines) + "\n"
