"""The terminal table: one row per rule, then a summary, the settings used and any rejections."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from checker.report.breakdown import breakdown_heading, render_breakdown_table
from checker.report.wording import SMALL_SAMPLE_NOTE, audited_kind, count_of, records_line, interval_text, percent, waiver_line
from checker.results import ERROR, FAIL, MANUAL, PASS, WAIVED, RunReport
from checker.report.estimates import render_estimates_table
from checker.report.safetext import terminal_text


TITLE_WIDTHS = (48, 32, 20)  # the title column narrows to these before it is left out to fit a terminal


def render(report: RunReport, width: int | None = None) -> str:
    """The table; with `width` (the terminal's columns) it fits: titles are clipped, then left out (said
    in a note), so that no line wraps."""
    lines = _render(report, TITLE_WIDTHS[0])
    if width is None or _widest(lines) <= width:
        return lines
    for title_width in TITLE_WIDTHS[1:]:
        narrower = _render(report, title_width)
        if _widest(narrower) <= width:
            return narrower
    without = _render(report, None)
    if _widest(without) <= width:
        return without + (f"(The rules' titles are left out to fit a terminal {width} characters wide; a wider "
                          "terminal, --format markdown or -o report.html shows them.)\n")
    return _render(report, None, stacked=width) + (
        f"(Each rule takes a block of lines to fit a terminal {width} characters wide; a wider terminal, --format "
        "markdown or -o report.html shows the table.)\n")


def _widest(text: str) -> int:
    """The width of the rules' table (the first block; the lines below it are prose, which wraps)."""
    return max((len(line) for line in text.split("\n\n", 1)[0].splitlines()), default=0)


def _stacked(rows: list[list[Any]], headers: list[str], width: int) -> str:
    """The rules' table as a rule a block: its id, then its figures labelled, indented and wrapped to
    `width` (for narrow terminals)."""
    lines = []
    for row in rows:
        lines.append(str(row[0]))
        parts = [f"{value}" if name in ("passed", "rate") else f"{'interval' if 'interval' in name else name} {value}"
                 for name, value in zip(headers[1:], row[1:])]
        line = "   "
        for part in parts:
            if len(line) + 2 + len(part) > width and line.strip():
                lines.append(line)
                line = "   "
            line += "  " + part
        lines.append(line)
    return "\n".join(lines)


def _render(report: RunReport, title_width: int | None, stacked: int | None = None) -> str:
    # A rate marked * rests on too few files for its interval: quote it as "X of Y".
    waivers = report.waivers is not None  # the waived column only when a waivers file was given
    rows = [
        [score.id] + ([_clip(score.title, title_width)] if title_width else [])
        + [count_of(score.counts[PASS], score.applicable), percent(score.rate) + ("*" if score.reliable is False else ""),
         interval_text(score.interval), score.counts[FAIL], score.counts[ERROR], score.counts[MANUAL]]
        + ([score.counts[WAIVED]] if waivers else [])
        + ([score.grade or "—"] if report.settings.get("grade_bands") else [])
        for score in report.rules
    ]
    level = f"{report.settings['confidence'] * 100:g}%"
    headers = (["rule"] + (["title"] if title_width else [])
               + ["passed", "rate", f"{level} interval ({report.settings['interval']})", "fail", "error", "pending"] + (["waived"] if waivers else [])
               + (["grade"] if report.settings.get("grade_bands") else []))
    lines = [_stacked(rows, headers, stacked) if stacked else tabulate(rows, headers=headers, tablefmt="simple"), ""]
    lines.append(records_line(report))
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
        case = f" {audited_kind(report).noun} {_field(rejection['case_id'])}" if rejection["case_id"] else ""
        line = f" (line {rejection['line']})" if rejection.get("line") else ""
        lines.append(f"Rejected record {rejection['index'] + 1}{line}{case}: "
                     f"{_field(rejection['path'] or '(record)')}: {_field(rejection['message'])}")
    lines += [f"Warning: {_field(warning)}" for warning in report.warnings]
    if report.breakdown is not None:
        lines += ["", breakdown_heading(report.breakdown), "", render_breakdown_table(report.breakdown)]
    if report.stratified is not None:
        lines += ["", "Population estimates, weighted by the strata of the sample manifest:", ""]
        lines.append(render_estimates_table(report.stratified))
    return terminal_text("\n".join(lines)) + "\n"  # case text never sends an escape sequence to the terminal


def _field(text: str) -> str:
    """One value on one line: its line breaks escaped too."""
    return terminal_text(text, newlines=False)


def settings_line(report: RunReport) -> str:
    settings = report.settings
    parts = [f"interval={settings['interval']}", f"confidence={settings['confidence']}",
             f"timezone={settings['timezone']}", f"calendar={settings['calendar']}",
             f"working days: {settings['working_day_convention']}"]
    if settings.get("grade_bands"):
        parts.append(f"grade bands from {settings['grade_bands']['source']}")
    if settings.get("as_of"):
        parts.append(f"as-of={settings['as_of']}")
    if settings.get("open_files_measured_to"):
        parts.append(f"open files measured to {settings['open_files_measured_to']}")
    parts.append(f"evidence for {'every result' if settings.get('evidence', 'all') == 'all' else 'findings only'}")
    for pack, values in settings["packs"].items():
        parts += [f"{pack}.{name}={_setting_text(value)}" for name, value in values.items()]
    return "Settings: " + ", ".join(parts)


def _setting_text(value: Any) -> str:
    """A pack setting as `--set` takes it back: a list as comma-separated items."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
