"""The terminal table: one row per rule, then a summary, the settings used and any rejections."""

from __future__ import annotations

from tabulate import tabulate

from checker.report.wording import SMALL_SAMPLE_NOTE, count_of, interval_text, percent, waiver_line
from checker.results import ERROR, FAIL, MANUAL, PASS, WAIVED, RunReport
from checker.report.estimates import render_estimates_table


def render(report: RunReport) -> str:
    # A rate marked * rests on too few files for its interval: quote it as "X of Y".
    waivers = report.waivers is not None  # the waived column only when a waivers file was given
    rows = [
        [score.id, _clip(score.title, 48), count_of(score.counts[PASS], score.applicable),
         percent(score.rate) + ("*" if score.reliable is False else ""),
         interval_text(score.interval), score.counts[FAIL], score.counts[ERROR], score.counts[MANUAL]]
        + ([score.counts[WAIVED]] if waivers else [])
        + ([score.grade or "—"] if report.settings.get("grade_bands") else [])
        for score in report.rules
    ]
    level = f"{report.settings['confidence'] * 100:g}%"
    headers = (["rule", "title", "passed", "rate", f"{level} interval ({report.settings['interval']})",
                "fail", "error", "pending"] + (["waived"] if waivers else [])
               + (["grade"] if report.settings.get("grade_bands") else []))
    lines = [tabulate(rows, headers=headers, tablefmt="simple"), ""]
    summary = report.summary
    lines.append(f"Records: {summary['records_read']} read, {summary['records_evaluated']} evaluated, "
                 f"{summary['records_rejected']} rejected.")
    if any(score.reliable is False for score in report.rules):
        lines.append("* " + SMALL_SAMPLE_NOTE)
    no_rate = [score.id for score in report.rules if score.rate is None]
    if no_rate:
        lines.append(f"No applicable files, so no rate: {', '.join(no_rate)}.")
    lines.append("Rule packs: " + ", ".join(f"{r['name']} {r['version']} ({r['code_version']})"
                                             for r in report.rulesets))
    lines.append(settings_line(report))
    if report.waivers is not None:
        lines.append(f"Waivers ({len(report.waivers)}; waived results are not in the rates' denominators):")
        lines += [f"  {waiver_line(entry)}" for entry in report.waivers]
    for rejection in report.rejected:
        case = f" case {rejection['case_id']}" if rejection["case_id"] else ""
        line = f" (line {rejection['line']})" if rejection.get("line") else ""
        lines.append(f"Rejected record {rejection['index'] + 1}{line}{case}: "
                     f"{rejection['path'] or '(record)'}: {rejection['message']}")
    lines += [f"Warning: {warning}" for warning in report.warnings]
    if report.stratified is not None:
        lines += ["", "Population estimates, weighted by the strata of the sample manifest:", ""]
        lines.append(render_estimates_table(report.stratified))
    return "\n".join(lines) + "\n"


def settings_line(report: RunReport) -> str:
    settings = report.settings
    parts = [f"interval={settings['interval']}", f"confidence={settings['confidence']}",
             f"timezone={settings['timezone']}", f"calendar={settings['calendar']}",
             f"working days: {settings['working_day_convention']}"]
    if settings.get("grade_bands"):
        parts.append(f"grade bands from {settings['grade_bands']['source']}")
    if settings.get("as_of"):
        parts.append(f"as-of={settings['as_of']}")
    parts.append(f"evidence for {'every result' if settings.get('evidence', 'all') == 'all' else 'findings only'}")
    for pack, values in settings["packs"].items():
        parts += [f"{pack}.{name}={value}" for name, value in values.items()]
    return "Settings: " + ", ".join(parts)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
