"""A self-contained HTML report: headline figures, a chart of every rule's rate, the rules by family,
each case file's results, rejections, warnings and the run's settings.

One file with inline CSS and an inline SVG chart, no script and nothing fetched: it works offline and
its Content-Security-Policy forbids every network load. Case files hold free text written by anyone,
so every value passes through `escape` (via `element`); only markup built here is `Markup`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from typing import Any

from checker.report.documents import document_title, register_for
from checker.report.explain import evidence_line, explanation_lines
from checker.report.breakdown import breakdown_rows
from checker.report.wording import SMALL_SAMPLE_NOTE, audited_kind, count_of, interval_text, percent
from checker.results import ERROR, FAIL, MANUAL, NOT_APPLICABLE, PASS, RecordResult, RuleResult, RuleScore, RunReport
from checker.report.estimates import render_estimates_table

# Defence in depth: even if markup slipped through escaping, nothing could run or be fetched.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                           "base-uri 'none'; form-action 'none'")

STATUS_LABELS = {PASS: "pass", FAIL: "fail", ERROR: "error", MANUAL: "pending (manual)",
                 NOT_APPLICABLE: "not applicable"}
# Statuses a reader must see in each case's drill-down, in this order; the rest are listed compactly.
PROMINENT = (FAIL, ERROR, MANUAL)
SOURCE_KEYS = ("document", "paragraph", "section", "quote", "status", "note")

VOID_ELEMENTS = frozenset({"meta", "link", "br"})


# --- the builder: escaping happens here and nowhere else ------------------------------------------


class Markup(str):
    """HTML built by this module; any other string is text and gets escaped."""


def escape(value: object) -> Markup:
    """Text → HTML (quotes too, so it is safe in attributes); Markup passes through unchanged."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def _children(items: Iterable[Any]) -> Iterable[Markup]:
    for item in items:
        if item is None:
            continue
        if isinstance(item, (list, tuple)) or (not isinstance(item, str) and isinstance(item, Iterable)):
            yield from _children(item)
        else:
            yield escape(item)


def _attributes(attrs: dict[str, Any]) -> str:
    # class_ → class, data_rule_id → data-rule-id; None and False leave the attribute out.
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return "".join(parts)


def element(tag: str, /, *children: Any, **attrs: Any) -> Markup:
    """`<tag attrs>children</tag>`; children are text (escaped), Markup, None (skipped) or iterables of these."""
    if tag in VOID_ELEMENTS:
        if children:
            raise ValueError(f"<{tag}> cannot have children")
        return Markup(f"<{tag}{_attributes(attrs)}>")
    return Markup(f"<{tag}{_attributes(attrs)}>{''.join(_children(children))}</{tag}>")


def join(*parts: Any) -> Markup:
    return Markup("".join(_children(parts)))


# --- the page -------------------------------------------------------------------------------------


STYLE = """
:root { color-scheme: light; --fail: #b3261e; --error: #a35200; --manual: #1d4f91; --pass: #1e6b30; --muted: #555; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 72rem;
       padding: 1rem 1.5rem 3rem; color: #1a1a1a; background: #fff; }
h1 { margin-bottom: .25rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #ddd; padding-bottom: .2rem; }
h3 { margin-top: 1.6rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1.2rem; }
.subtitle, .muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .92em; }
.headline { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: .6rem; margin: 1rem 0; }
.headline div { border: 1px solid #ccc; border-radius: 6px; padding: .5rem .75rem; }
.headline dt { font-size: .85rem; color: var(--muted); } .headline dd { margin: 0; font-size: 1.6rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d0d0; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.rule-detail td { background: #fafafa; font-size: .9rem; }
tr.rule-detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: 0; }
tr.rule-detail dt { font-weight: 600; } tr.rule-detail dd { margin: 0; }
.unreliable { color: var(--error); font-weight: 700; }
.status { display: inline-block; min-width: 4.5rem; padding: 0 .35rem; border-radius: 4px; font-weight: 600;
          font-size: .85rem; text-align: center; border: 1px solid currentColor; }
.status-fail { color: var(--fail); } .status-error { color: var(--error); } .status-manual { color: var(--manual); }
.status-pass { color: var(--pass); } .status-not_applicable { color: var(--muted); }
details.case { border: 1px solid #ccc; border-radius: 6px; margin: .35rem 0; padding: .3rem .7rem; }
details.case[open] { padding-bottom: .7rem; }
details.case summary { cursor: pointer; }
.case-id { font-weight: 600; overflow-wrap: anywhere; }
ul.compact { margin: .2rem 0; padding-left: 1.2rem; columns: 2 18rem; }
table.findings { table-layout: fixed; }
.findings th:nth-child(1) { width: 8rem; } .findings th:nth-child(2) { width: 19%; }
.findings th:nth-child(4) { width: 27%; }
.findings td { overflow-wrap: break-word; }
.findings ul { margin: 0; padding-left: 1.1rem; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
figure { margin: 1rem 0; } figcaption { color: var(--muted); font-size: .9rem; }
svg.chart { max-width: 100%; height: auto; font-family: system-ui, sans-serif; }
svg.chart .grid { stroke: #ddd; } svg.chart .axis-label { fill: #555; font-size: 11px; }
svg.chart .rule-label { fill: #1a1a1a; font-size: 12px; } svg.chart .family-label { font-weight: 700; font-size: 12px; }
svg.chart .whisker { stroke: #1d4f91; stroke-width: 1.5; }
svg.chart .rate-dot { fill: #1d4f91; } svg.chart .rate-dot.unreliable { fill: #fff; stroke: #a35200; stroke-width: 2; }
svg.chart .rate-text { fill: #1a1a1a; font-size: 11px; } svg.chart .no-rate { fill: #777; font-size: 11px; font-style: italic; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  tr, details.case, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def render(report: RunReport) -> str:
    body = join(
        _header(report),
        _contents(report),
        _headline(report),
        _chart_section(report),
        _families(report),
        _estimates(report),
        _breakdown(report),
        _cases(report),
        _rejected(report),
        _warnings(report),
        _run(report),
    )
    head = join(
        element("meta", charset="utf-8"),
        element("meta", http_equiv="Content-Security-Policy", content=CONTENT_SECURITY_POLICY),
        element("meta", name="viewport", content="width=device-width, initial-scale=1"),
        element("meta", name="referrer", content="no-referrer"),
        element("link", rel="icon", href="data:,"),  # a browser would otherwise ask for /favicon.ico
        element("title", f"{audited_kind(report).title} compliance: {report.input['path']}"),
        element("style", Markup(STYLE)),
    )
    return "<!DOCTYPE html>\n" + element("html", element("head", head), element("body", body), lang="en") + "\n"


def _header(report: RunReport) -> Markup:
    tool = report.tool
    return element("header",
                   element("h1", f"{audited_kind(report).title} compliance"),
                   element("p", "Input ", element("code", report.input["path"]), f" ({audited_kind(report).plural}), "
                           f"scored by {tool['name']} "
                           f"{tool['version']} against {len(report.rulesets)} rule pack(s).", class_="subtitle"))


def _contents(report: RunReport) -> Markup:
    links = [("headline", "Headline"), ("chart", "Rates"), ("rules", "Rules by family")]
    if report.stratified is not None:
        links.append(("estimates", "Population estimates"))
    if report.breakdown is not None:
        links.append(("breakdown", f"By {report.breakdown['by']}"))
    links += [("cases", audited_kind(report).plural.capitalize())]
    if report.rejected:
        links.append(("rejected", "Rejected records"))
    if report.warnings:
        links.append(("warnings", "Warnings"))
    links.append(("run", "The run"))
    items = [element("li", element("a", label, href=f"#{target}")) for target, label in links]
    return element("nav", element("ul", items), aria_label="Contents")


# --- headline figures -----------------------------------------------------------------------------


def headline_figures(report: RunReport) -> list[tuple[str, str, int]]:
    """(key, label, value) for the figures at the top of the report."""
    summary = report.summary

    def total(status: str) -> int:
        return sum(score.counts[status] for score in report.rules)

    return [("records_read", "Records read", summary["records_read"]),
            ("records_evaluated", "Records evaluated", summary["records_evaluated"]),
            ("records_rejected", "Records rejected", summary["records_rejected"]),
            ("rules", "Rules", len(report.rules)),
            ("fail", "Fails", total(FAIL)),
            ("error", "Errors", total(ERROR)),
            ("manual", "Pending judgements", total(MANUAL))]


def _headline(report: RunReport) -> Markup:
    figures = [element("div", element("dt", label), element("dd", value, data_figure=key))
               for key, label, value in headline_figures(report)]
    return element("section", element("h2", "Headline", id="headline"), element("dl", figures, class_="headline"),
                   aria_labelledby="headline")


# --- the chart ------------------------------------------------------------------------------------

ROW_HEIGHT = 20
AXIS_HEIGHT = 26
PLOT_WIDTH = 460
RATE_TEXT_WIDTH = 70
GRID = (0, 25, 50, 75, 100)


def _level(report: RunReport) -> str:
    """"95%": the confidence level, written as the table and markdown formats write it."""
    return f"{report.settings['confidence'] * 100:g}%"


def _number(value: float) -> str:
    return f"{value:.1f}"


def _families_of(report: RunReport) -> dict[str, list[RuleScore]]:
    """Rules by family, families in the order they first appear."""
    families: dict[str, list[RuleScore]] = {}
    for score in report.rules:
        families.setdefault(score.family, []).append(score)
    return families


def _rule_anchor(score: RuleScore) -> str:
    return f"rule-{score.id}"  # ids are unique, lower-case kebab: safe and stable as anchors


def chart_svg(report: RunReport) -> Markup:
    """Every rule's rate as a dot with its interval as a whisker, on a 0–100% axis, grouped by family."""
    families = _families_of(report)
    longest = max((len(score.id) for score in report.rules), default=10)
    label_width = min(max(7 * longest + 16, 120), 360)  # about 7 px a character at 12 px
    left, width = label_width, PLOT_WIDTH
    rows = len(report.rules) + len(families)
    height = AXIS_HEIGHT + rows * ROW_HEIGHT + 8
    total_width = left + width + RATE_TEXT_WIDTH

    def x(rate: float) -> float:
        return left + rate * width

    parts: list[Markup] = []
    for mark in GRID:
        parts.append(element("line", class_="grid", data_percent=mark, x1=_number(x(mark / 100)),
                             x2=_number(x(mark / 100)), y1=AXIS_HEIGHT - 6, y2=height - 4))
        parts.append(element("text", f"{mark}%", class_="axis-label", x=_number(x(mark / 100)), y=14,
                             text_anchor="middle"))
    y = AXIS_HEIGHT
    for family, scores in families.items():
        parts.append(element("text", family, class_="family-label", x=4, y=y + 14))
        y += ROW_HEIGHT
        for score in scores:
            parts.append(_chart_row(score, y + ROW_HEIGHT / 2, left, x))
            y += ROW_HEIGHT
    return element("svg", element("title", "Rate of each rule", id="chart-title"),
                   element("desc", f"Each rule's rate as a dot, its {_level(report)} confidence interval "
                                   f"({report.settings['interval']}) as a whisker; rules with no applicable "
                                   "files say no rate.", id="chart-desc"),
                   parts, class_="chart", role="img", aria_labelledby="chart-title chart-desc",
                   width=total_width, height=_number(height),
                   viewBox=f"0 0 {total_width} {_number(height)}")


def _chart_row(score: RuleScore, middle: float, left: float, x: Callable[[float], float]) -> Markup:
    label = element("a", element("text", score.id, class_="rule-label", x=left - 8, y=_number(middle + 4),
                                 text_anchor="end"), href=f"#{_rule_anchor(score)}")
    summary = f"{score.id}: {count_of(score.counts[PASS], score.applicable)}"
    if score.rate is None:
        return element("g", element("title", f"{summary}, no rate"), label,
                       element("text", "no rate", class_="no-rate", x=left + 6, y=_number(middle + 4)),
                       class_="chart-rule", data_rule_id=score.id)
    marks: list[Markup] = []
    if score.interval is not None:
        low, high = x(score.interval["low"]), x(score.interval["high"])
        marks += [element("line", class_="whisker", x1=_number(low), x2=_number(high), y1=_number(middle),
                          y2=_number(middle)),
                  element("line", class_="whisker", x1=_number(low), x2=_number(low), y1=_number(middle - 4),
                          y2=_number(middle + 4)),
                  element("line", class_="whisker", x1=_number(high), x2=_number(high), y1=_number(middle - 4),
                          y2=_number(middle + 4))]
    unreliable = score.reliable is False
    marks.append(element("circle", class_="rate-dot unreliable" if unreliable else "rate-dot",
                         cx=_number(x(score.rate)), cy=_number(middle), r=4, data_rate=repr(score.rate)))
    rate_text = percent(score.rate) + ("*" if unreliable else "")
    marks.append(element("text", rate_text, class_="rate-text", x=_number(x(1) + 8), y=_number(middle + 4)))
    return element("g", element("title", f"{summary}, {percent(score.rate)}, interval {interval_text(score.interval)}"),
                   label, marks, class_="chart-rule", data_rule_id=score.id)


def _chart_section(report: RunReport) -> Markup:
    caption = ["Dot: the rate; whisker: its ", _level(report), " confidence interval (",
               report.settings["interval"], "). A hollow dot (rate marked *) rests on too few files for its interval: "
               "quote it as \"X of Y\". Select a rule to see its row in the tables."]
    return element("section", element("h2", "Rates", id="chart"),
                   element("figure", chart_svg(report), element("figcaption", caption)), aria_labelledby="chart")


# --- rules by family ------------------------------------------------------------------------------


def _rule_headers(report: RunReport) -> list[str]:
    return (["rule", "title", "passed", "rate", f"{_level(report)} interval ({report.settings['interval']})",
             "fail", "error", "pending"] + (["grade"] if report.settings.get("grade_bands") else []))


def _families(report: RunReport) -> Markup:
    sections = []
    for number, (family, scores) in enumerate(_families_of(report).items(), start=1):
        heading = f"family-{number}"
        headers = _rule_headers(report)
        rows = [_rule_rows(report, score, len(headers)) for score in scores]
        table = element("table", element("thead", element("tr", [element("th", h, scope="col") for h in headers])),
                        element("tbody", rows), class_="rules")
        sections.append(element("section", element("h3", family, id=heading), table, class_="family",
                                data_family=family, aria_labelledby=heading))
    footnote = (element("p", element("span", "*", class_="unreliable"), " ", SMALL_SAMPLE_NOTE)
                if any(score.reliable is False for score in report.rules) else None)
    return element("section", element("h2", "Rules by family", id="rules"), footnote, sections,
                   aria_labelledby="rules")


def _rule_rows(report: RunReport, score: RuleScore, columns: int) -> Markup:
    unreliable = (element("span", "*", class_="unreliable", title=SMALL_SAMPLE_NOTE)
                  if score.reliable is False else None)
    cells = [element("th", element("code", score.id), scope="row"),
             element("td", score.title),
             element("td", count_of(score.counts[PASS], score.applicable), class_="num"),
             element("td", percent(score.rate), unreliable, class_="num"),
             element("td", interval_text(score.interval), class_="num"),
             element("td", score.counts[FAIL], class_="num"),
             element("td", score.counts[ERROR], class_="num"),
             element("td", score.counts[MANUAL], class_="num")]
    if report.settings.get("grade_bands"):
        cells.append(element("td", score.grade or "—"))
    details = [("Statement", score.statement), ("Note", score.note),
               ("Source", _source(score.source, register_for(report.rulesets))),
               ("Message when failing", score.message),
               ("Rule", f"{score.severity} severity, {score.kind}, pack {score.pack}")]
    detail = element("dl", [[element("dt", label), element("dd", value)] for label, value in details if value])
    return join(element("tr", cells, id=_rule_anchor(score), data_rule_id=score.id),
                element("tr", element("td", detail, colspan=columns), class_="rule-detail"))


def _source(source: dict[str, Any], register: dict[str, dict[str, str]] | None = None) -> Markup:
    """The rule's source: document (by title, publisher and date from the documents register), paragraph
    or section, quote, status, note, then any other key."""
    keys = [key for key in SOURCE_KEYS if source.get(key)] + [key for key in source if key not in SOURCE_KEYS]
    parts = []
    for key in keys:
        value = source[key]
        if key == "document":
            title = document_title(value, register or {})
            parts.append(element("cite", title, title=value) if title != value else element("cite", value))
        elif key == "quote":
            parts.append(element("q", value))
        else:
            parts.append(join(f"{key}: ", value if isinstance(value, str) else json.dumps(value, default=str)))
    return element("span", [[Markup("; ") if index else None, part] for index, part in enumerate(parts)],
                   class_="source")


# --- population estimates (stratified samples) ----------------------------------------------------


def _estimates(report: RunReport) -> Markup | None:
    if report.stratified is None:
        return None
    return element("section", element("h2", "Population estimates", id="estimates"),
                   element("p", "Weighted by the strata of the sample manifest."),
                   element("pre", render_estimates_table(report.stratified)), aria_labelledby="estimates")


# --- results by group (--by) ----------------------------------------------------------------------


def _breakdown(report: RunReport) -> Markup | None:
    if report.breakdown is None:
        return None
    headers, rows = breakdown_rows(report.breakdown)
    table = element("table", element("thead", element("tr", [element("th", h, scope="col") for h in headers])),
                    element("tbody", [element("tr", [element("td", str(cell)) for cell in row]) for row in rows]))
    return element("section", element("h2", f"Results by {report.breakdown['by']}", id="breakdown"),
                   element("p", "Each group scored as a sample of its own: the rule's passes of the group's records "
                                "to which it applied, the rate and its interval."),
                   table, aria_labelledby="breakdown")


# --- case files -----------------------------------------------------------------------------------


def _position(index: int, line: int | None) -> str:
    return f"record {index + 1}" + (f", line {line}" if line else "")


def _status(status: str) -> Markup:
    return element("span", STATUS_LABELS.get(status, status), class_=f"status status-{status}", data_status=status)


def _case_counts(record: RecordResult) -> str:
    counts = {status: sum(1 for result in record.results if result.status == status) for status in STATUS_LABELS}
    order = (FAIL, ERROR, MANUAL, PASS, NOT_APPLICABLE)
    return ", ".join(f"{counts[status]} {STATUS_LABELS[status]}" for status in order if counts[status])


def _cases(report: RunReport) -> Markup:
    titles = {score.id: score.title for score in report.rules}
    cases = [_case(record, titles) for record in report.records]
    intro = element("p", f"Each {audited_kind(report).noun}'s results: fails, errors and pending judgements in full, with the values "
                         "each rule read; the rules it passed or that did not apply, listed after them.")
    return element("section", element("h2", audited_kind(report).plural.capitalize(), id="cases"), intro, cases,
                   aria_labelledby="cases")


def _case(record: RecordResult, titles: dict[str, str]) -> Markup:
    prominent = [result for status in PROMINENT for result in record.results if result.status == status]
    summary = element("summary", element("span", record.case_id, class_="case-id"),
                      f" — {_position(record.index, record.line)}: {_case_counts(record)}")
    findings = None
    if prominent:
        header = element("tr", [element("th", h, scope="col") for h in ("status", "rule", "finding", "evidence")])
        findings = element("table", element("thead", header),
                           element("tbody", [_finding_row(result, titles) for result in prominent]),
                           class_="findings")
    compact = [_compact(record, status, titles) for status in (PASS, NOT_APPLICABLE)]
    worst = next((status for status in PROMINENT if any(r.status == status for r in record.results)), PASS)
    return element("details", summary, findings, compact, class_="case", id=f"case-{record.index + 1}",
                   data_case_id=record.case_id, data_worst=worst)


def _finding_row(result: RuleResult, titles: dict[str, str]) -> Markup:
    finding = [element("p", result.message) if result.message else None,
               element("p", "Decided by clause ", element("code", result.clause)) if result.clause else None]
    read = explanation_lines(result)
    if read:
        finding.append(element("ul", [element("li", "read: ", line) for line in read], class_="explanation"))
    evidence = element("ul", [element("li", element("code", evidence_line(item))) for item in result.evidence],
                       class_="evidence") if result.evidence else "—"
    return element("tr", element("td", _status(result.status)),
                   element("td", element("code", result.rule_id), element("br"), titles.get(result.rule_id, "")),
                   element("td", finding), element("td", evidence),
                   data_rule_id=result.rule_id, data_status=result.status)


def _compact(record: RecordResult, status: str, titles: dict[str, str]) -> Markup | None:
    results = [result for result in record.results if result.status == status]
    if not results:
        return None
    items = [element("li", element("code", result.rule_id), title=titles.get(result.rule_id, ""),
                     data_rule_id=result.rule_id, data_status=status) for result in results]
    return join(element("p", _status(status), f" {len(results)} rule(s):"), element("ul", items, class_="compact"))


# --- rejected records, warnings, the run ----------------------------------------------------------


def _rejected(report: RunReport) -> Markup | None:
    if not report.rejected:
        return None
    headers = ["position", "line", "case_id", "path", "message"]
    rows = [element("tr", element("td", f"record {item['index'] + 1}"), element("td", item.get("line") or "—"),
                    element("td", item.get("case_id") or "—"), element("td", element("code", item.get("path") or "(record)")),
                    element("td", item["message"]))
            for item in report.rejected]
    return element("section", element("h2", "Rejected records", id="rejected"),
                   element("p", f"{len(report.rejected)} record(s) could not be scored; each is listed with why."),
                   element("table", element("thead", element("tr", [element("th", h, scope="col") for h in headers])),
                           element("tbody", rows), class_="rejected"),
                   aria_labelledby="rejected")


def _warnings(report: RunReport) -> Markup | None:
    if not report.warnings:
        return None
    return element("section", element("h2", "Warnings", id="warnings"),
                   element("ul", [element("li", warning) for warning in report.warnings], class_="warnings"),
                   aria_labelledby="warnings")


def _run(report: RunReport) -> Markup:
    tool, source = report.tool, report.input
    facts = element("dl", element("dt", "Tool"), element("dd", f"{tool['name']} {tool['version']}"),
                    element("dt", "Input"), element("dd", element("code", source["path"])),
                    element("dt", "Input SHA-256"), element("dd", element("code", source["sha256"])),
                    class_="run-facts")
    pack_headers = ["pack", "version", "code version", "path"]
    packs = element("table", element("thead", element("tr", [element("th", h, scope="col") for h in pack_headers])),
                    element("tbody", [element("tr", element("td", pack["name"]), element("td", pack["version"]),
                                              element("td", pack["code_version"]),
                                              element("td", element("code", pack.get("path") or "—")),
                                              data_pack=pack["name"])
                                      for pack in report.rulesets]),
                    class_="rulesets")
    return element("section", element("h2", "The run", id="run"), facts,
                   element("h3", "Rule packs"), packs,
                   element("h3", "Settings"), _value(report.settings, "settings"),
                   aria_labelledby="run")


def _value(value: Any, path: str) -> Markup:
    """A settings value in full: mappings as tables (nested), lists as lists, scalars and lists of
    scalars (a list setting such as outcome types) as JSON text."""
    if isinstance(value, dict):
        if not value:
            return element("span", "(none)", class_="muted")
        rows = [element("tr", element("th", key, scope="row"), element("td", _value(item, f"{path}.{key}")),
                        data_setting=f"{path}.{key}")
                for key, item in value.items()]
        return element("table", element("tbody", rows), class_="settings")
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return element("ol", [element("li", _value(item, f"{path}[{index}]")) for index, item in enumerate(value)])
    if value is None:  # a setting left unset (no grade bands, no as-of date): words, not JSON's null
        return element("span", "none", class_="muted")
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return element("code", text)
