"""HTML output: content parsed from the rendered page, hostile case text, and the page in a real headless browser."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from checker.report import EXTENSIONS, FORMATS, html
from checker.report.explain import evidence_line
from checker.report.wording import SMALL_SAMPLE_NOTE, count_of, interval_text, percent
from checker.results import ERROR, FAIL, MANUAL, PASS, RunReport
from checker.packs.rules import load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from checker.scoring.statements import GradeBand, GradeBands
from tests.conftest import ROOT, RULES, SAMPLES, make_case, write_cases, write_pack
from tests.conftest import run_cli as check

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'
# Sets a global if it ever runs, so the browser test can tell that it did not.
HOSTILE_PWN = '<script>window.__pwned=1</script>\'"><img src=x onerror="window.__pwned=2"><svg onload=window.__pwned=3>'
HOSTILE_ID = f"H-1{HOSTILE_SCRIPT}{HOSTILE_IMG}"
HOSTILE_RATIONALE = f"{HOSTILE_PWN}{HOSTILE_IMG}"
HOSTILE_GRADE = 'needs <b>work</b> & "more"'

# A rule whose texts carry markup, reading the case's free-text rationale as evidence.
EXTRA_PACK = """\
rules:
  - id: t-rationale-brief
    title: "Rationale <b>brief</b> & \\"plain\\""
    family: checks
    severity: low
    kind: automatic
    source: {document: "guide <u>one</u>.txt", paragraph: "4 & 5", status: assumed}
    applies_when: case.outcome != null && case.outcome.rationale != null
    assert:
      all:
        brief: size(case.outcome.rationale) < 40
    message: "Rationale of 40 characters or more <em>sic</em>"
    evidence: [outcome.rationale]
"""


# --- a small tree from the standard library's HTML parser -----------------------------------------

VOID = {"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "embed", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants (and self) with this tag whose attributes hold these values (class_: one of the classes)."""
        def matches(node: Node) -> bool:
            for name, value in attrs.items():
                name = name.rstrip("_").replace("_", "-")
                actual = node.attrs.get(name)
                if name == "class":
                    if value not in (actual or "").split():
                        return False
                elif actual != value:
                    return False
            return tag is None or node.tag == tag
        return [node for node in self.iter() if matches(node)]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # text and attribute values come back unescaped
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.declarations: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert any(node.tag == tag for node in self.stack), f"stray </{tag}>"
        while self.stack.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> tuple[Node, TreeBuilder]:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements: " + ", ".join(n.tag for n in builder.stack[1:])
    return builder.root, builder


# --- the report under test ------------------------------------------------------------------------


def hostile_case() -> dict[str, Any]:
    return make_case(HOSTILE_ID, outcome={"code": "10", "finalised_at": "2022-04-01", "rationale": HOSTILE_RATIONALE})


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    """The shipped sample and rules, plus a hostile case, two rejected records, an unknown field and grade bands."""
    folder = tmp_path_factory.mktemp("html-report")
    extra = folder / "extra-rules"
    extra.mkdir()
    write_pack(extra, EXTRA_PACK, name="extra-pack")
    records = json.loads((SAMPLES / "cases.json").read_text(encoding="utf-8"))
    unknown_field = make_case("W-1")
    unknown_field["<b>misspelt</b>"] = 1
    records += [hostile_case(), {"crime": {"reported_at": "2022-03-01T10:00:00Z"}},  # no case_id
                make_case("R-<i>bad</i>", crime={"reported_at": "<script>not a date</script>"}), unknown_field]
    cases = write_cases(folder / "cases.json", records)
    packs = load_packs([RULES, extra])
    bands = GradeBands((GradeBand(0.9, "good"), GradeBand(0.0, HOSTILE_GRADE)), "bands <x>.yaml")
    return run_check(cases, packs, RunSettings(packs=pack_settings(packs, {}), grade_bands=bands))


@pytest.fixture(scope="module")
def page(report: RunReport) -> str:
    return html.render(report)


@pytest.fixture(scope="module")
def tree(page: str) -> Node:
    return parse(page)[0]


def test_html_format_is_registered() -> None:
    assert FORMATS["html"] is html.render
    assert EXTENSIONS[".html"] == "html"


def test_page_is_one_well_formed_document(page: str) -> None:
    root, builder = parse(page)
    assert builder.declarations == ["DOCTYPE html"]
    document = root.find("html")
    assert document.attrs["lang"] == "en"
    assert root.find("meta", charset="utf-8")
    assert [node.tag for node in root.find("body").find_all() if node.tag in {"h1"}] == ["h1"]


def test_headline_figures(report: RunReport, tree: Node) -> None:
    figures = {node.attrs["data-figure"]: int(node.text()) for node in tree.find("dl", class_="headline").find_all("dd")}
    summary = report.summary
    assert (summary["records_read"], summary["records_evaluated"], summary["records_rejected"]) == (84, 82, 2)
    assert figures == {
        "records_read": 84, "records_evaluated": 82, "records_rejected": 2, "rules": len(report.rules),
        "fail": sum(score.counts[FAIL] for score in report.rules),
        "error": sum(score.counts[ERROR] for score in report.rules),
        "manual": sum(score.counts[MANUAL] for score in report.rules)}
    assert figures["rules"] == 38 and figures["fail"] > 0 and figures["manual"] > 0
    labels = [node.text() for node in tree.find("dl", class_="headline").find_all("dt")]
    assert labels == ["Records read", "Records evaluated", "Records rejected", "Rules", "Fails", "Errors",
                      "Pending judgements"]


def test_chart_has_one_mark_per_rule_at_its_rate(report: RunReport, tree: Node) -> None:
    svg = tree.find("svg", class_="chart")
    grid = {int(line.attrs["data-percent"]): float(line.attrs["x1"]) for line in svg.find_all("line", class_="grid")}
    assert sorted(grid) == [0, 25, 50, 75, 100]
    zero, full = grid[0], grid[100]

    def position(x: str) -> float:
        return (float(x) - zero) / (full - zero)

    rows = svg.find_all("g", class_="chart-rule")
    assert [row.attrs["data-rule-id"] for row in rows] == [score.id for score in _by_family(report)]
    rated = no_rate = 0
    for score, row in zip(_by_family(report), rows):
        dots = row.find_all("circle", class_="rate-dot")
        assert row.find("text", class_="rule-label").text() == score.id
        if score.rate is None:
            assert dots == [] and row.find("text", class_="no-rate").text() == "no rate"
            no_rate += 1
            continue
        rated += 1
        assert len(dots) == 1
        dot = dots[0]
        assert float(dot.attrs["data-rate"]) == pytest.approx(score.rate)
        assert position(dot.attrs["cx"]) == pytest.approx(score.rate, abs=0.002)
        assert ("unreliable" in dot.attrs["class"].split()) == (score.reliable is False)
        whisker = row.find_all("line", class_="whisker")[0]
        assert position(whisker.attrs["x1"]) == pytest.approx(score.interval["low"], abs=0.002)
        assert position(whisker.attrs["x2"]) == pytest.approx(score.interval["high"], abs=0.002)
        assert row.find("text", class_="rate-text").text() == percent(score.rate) + ("*" if score.reliable is False else "")
    assert rated == sum(score.rate is not None for score in report.rules) and rated > 20
    assert no_rate == sum(score.rate is None for score in report.rules) >= 1


def _by_family(report: RunReport) -> list:
    families: dict[str, list] = {}
    for score in report.rules:
        families.setdefault(score.family, []).append(score)
    return [score for scores in families.values() for score in scores]


def test_rules_grouped_by_family(report: RunReport, tree: Node) -> None:
    sections = tree.find_all("section", class_="family")
    families = list(dict.fromkeys(score.family for score in report.rules))
    assert [section.attrs["data-family"] for section in sections] == families
    assert families == ["crime-recording", "investigation", "victim-care", "outcomes", "victims-code", "checks"]
    for section, family in zip(sections, families):
        assert section.find("h3").text() == family
        headers = [th.text() for th in section.find("thead").find_all("th")]
        assert headers == ["rule", "title", "passed", "rate", "95% interval (wilson)", "fail", "error", "pending",
                           "grade"]
        rule_rows = [row for row in section.find("tbody").find_all("tr") if "data-rule-id" in row.attrs]
        assert [row.attrs["data-rule-id"] for row in rule_rows] == [s.id for s in report.rules if s.family == family]
        for row in rule_rows:
            _check_rule_row(next(s for s in report.rules if s.id == row.attrs["data-rule-id"]), row, section,
                            report.rulesets)


def _check_rule_row(score: Any, row: Node, section: Node, report_rulesets: list[dict[str, Any]]) -> None:
    cells = [cell.text() for cell in row.children if isinstance(cell, Node)]
    marked = score.reliable is False
    assert cells == [score.id, score.title, count_of(score.counts[PASS], score.applicable),
                     percent(score.rate) + ("*" if marked else ""), interval_text(score.interval),
                     str(score.counts[FAIL]), str(score.counts[ERROR]), str(score.counts[MANUAL]), score.grade or "—"]
    detail_row = section.find("tbody").children[section.find("tbody").children.index(row) + 1]
    assert isinstance(detail_row, Node) and detail_row.attrs["class"] == "rule-detail"
    detail = {dt.text(): dd.text() for dt, dd in zip(detail_row.find_all("dt"), detail_row.find_all("dd"))}
    assert detail["Statement"] == score.statement
    assert detail["Message when failing"] == score.message
    source = detail["Source"]
    from checker.report.documents import document_title, register_for

    document = document_title(score.source["document"], register_for(report_rulesets))
    assert source.startswith(document) and f"status: {score.source['status']}" in source
    for key in ("paragraph", "section"):
        if key in score.source:
            assert f"{key}: {score.source[key]}" in source
    assert detail.get("Note", "") == score.note


def test_small_samples_and_grades_are_marked(report: RunReport, tree: Node) -> None:
    unreliable = [score for score in report.rules if score.reliable is False]
    assert unreliable and any(score.reliable for score in report.rules)
    rules = tree.find("section", aria_labelledby="rules")
    marked = [row.attrs["data-rule-id"] for row in rules.find_all("tr")
              if "data-rule-id" in row.attrs and row.find_all("span", class_="unreliable")]
    assert marked == [score.id for score in _by_family(report) if score.reliable is False]
    footnote = rules.find("p")
    assert footnote.text() == "* " + SMALL_SAMPLE_NOTE
    grades = {score.grade for score in report.rules if score.grade}
    assert grades == {"good", HOSTILE_GRADE}


def test_a_drill_down_per_record(report: RunReport, tree: Node) -> None:
    cases = tree.find_all("details", class_="case")
    assert [node.attrs["data-case-id"] for node in cases] == [record.case_id for record in report.records]
    assert len(cases) == 82
    for node, record in zip(cases, report.records):
        summary = node.find("summary").text()
        assert summary.startswith(record.case_id + f" — record {record.index + 1}, line {record.line}: ")
        shown = {item.attrs["data-rule-id"]: item.attrs["data-status"] for item in node.find_all()
                 if "data-rule-id" in item.attrs}
        assert shown == {result.rule_id: result.status for result in record.results}
        assert "open" not in node.attrs  # collapsed until asked for


def test_drill_down_shows_findings_in_full(report: RunReport, tree: Node) -> None:
    record = next(r for r in report.records if any(res.status == FAIL and res.clause and res.evidence
                                                   for res in r.results))
    result = next(res for res in record.results if res.status == FAIL and res.clause and res.evidence)
    node = tree.find("details", data_case_id=record.case_id)
    row = node.find("tr", data_rule_id=result.rule_id)
    assert row.find("span", class_="status").text() == "fail"
    text = row.text()
    assert result.message in text and f"Decided by clause {result.clause}" in text
    assert [li.text() for li in row.find("ul", class_="evidence").find_all("li")] == [
        evidence_line(item) for item in result.evidence]
    passed = [item.attrs["data-rule-id"] for item in node.find_all("li", data_status=PASS)]
    assert passed == [res.rule_id for res in record.results if res.status == PASS]


def test_rejected_records_and_warnings(report: RunReport, tree: Node) -> None:
    rows = tree.find("table", class_="rejected").find("tbody").find_all("tr")
    assert len(rows) == len(report.rejected) == 2
    for row, rejection in zip(rows, report.rejected):
        cells = [cell.text() for cell in row.find_all("td")]
        assert cells == [f"record {rejection['index'] + 1}", str(rejection["line"]), rejection["case_id"] or "—",
                         rejection["path"] or "(record)", rejection["message"]]
    assert rows[1].find_all("td")[2].text() == "R-<i>bad</i>"
    warnings = [li.text() for li in tree.find("ul", class_="warnings").find_all("li")]
    assert warnings == report.warnings and any("<b>misspelt</b>" in warning for warning in warnings)


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def test_the_run_settings_and_rule_packs(report: RunReport, tree: Node) -> None:
    run = tree.find("section", aria_labelledby="run")
    facts = [node.text() for node in run.find("dl", class_="run-facts").find_all("dd")]
    assert facts == [f"case-file-checker {report.tool['version']}", report.input["path"], report.input["sha256"]]
    packs = [[cell.text() for cell in row.find_all("td")] for row in run.find("table", class_="rulesets").find_all("tr")
             if row.find_all("td")]
    assert packs == [[p["name"], p["version"], p["code_version"], p["path"]] for p in report.rulesets]
    assert ["victims-code", "1.2.0", "VC-2020"] in [row[:3] for row in packs]
    leaves = dict(_leaves(report.settings, "settings"))
    assert "settings.packs.victims-code.referral_working_days" in leaves and "settings.grade_bands.bands[1].grade" in leaves
    assert leaves["settings.packs.outcomes.outcome_codes_with_suffix"] == ["1A", "2A", "3A"]  # a list setting: one cell
    for path, value in leaves.items():
        cell = run.find("tr", data_setting=path).find("td")
        assert cell.text() == (value if isinstance(value, str) else "none" if value is None
                               else json.dumps(value)), path


def test_nothing_is_fetched(page: str, tree: Node) -> None:
    tags = {node.tag for node in tree.iter()}
    assert not tags & {"script", "img", "iframe", "object", "embed", "video", "audio", "source", "form", "base"}
    for node in tree.iter():
        for name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
            value = node.attrs.get(name)
            if value is not None:
                assert value.startswith(("#", "data:")), (node.tag, name, value)
        assert not [name for name in node.attrs if name.startswith("on")], node.tag
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    style = tree.find("style").text()
    assert "url(" not in style and "@import" not in style
    policy = tree.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in policy and "script-src" not in policy  # no script may run at all


def test_hostile_case_text_is_escaped(report: RunReport, page: str, tree: Node) -> None:
    assert any(record.case_id == HOSTILE_ID for record in report.records)
    for raw in (HOSTILE_SCRIPT, HOSTILE_IMG, HOSTILE_PWN, "<b>brief</b>", "<em>sic</em>", "<b>work</b>",
                "<i>bad</i>", "<b>misspelt</b>"):
        assert raw not in page
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<svg onload" not in page.lower()
    # No element anywhere carries an event handler: the payloads' onerror/onload stayed text.
    assert not [node.tag for node in tree.iter() if any(name.startswith("on") for name in node.attrs)]
    assert escape(HOSTILE_ID, quote=True) in page
    case = tree.find("details", data_case_id=HOSTILE_ID)  # the attribute holds the whole text, unescaped by the parser
    assert case.find("span", class_="case-id").text() == HOSTILE_ID
    rationale = case.find("tr", data_rule_id="t-rationale-brief")
    assert rationale.find("ul", class_="evidence").text() == evidence_line(
        next(item for res in _results(report, HOSTILE_ID) if res.rule_id == "t-rationale-brief" for item in res.evidence))
    assert HOSTILE_PWN.replace('"', '\\"') in rationale.text()  # shown as JSON text, quotes and all
    title_cells = [node.text() for node in tree.find_all("td") if "Rationale <b>brief</b>" in node.text()]
    assert 'Rationale <b>brief</b> & "plain"' in title_cells


def _results(report: RunReport, case_id: str) -> tuple:
    return next(record.results for record in report.records if record.case_id == case_id)


def test_builder_escapes_text_and_attributes() -> None:
    assert html.element("p", "<a> & b", title='"x" <y>') == '<p title="&quot;x&quot; &lt;y&gt;">&lt;a&gt; &amp; b</p>'
    assert html.element("p", html.element("b", "ok"), None, ["1", 2]) == "<p><b>ok</b>12</p>"
    assert html.element("meta", charset="utf-8", hidden=True, missing=None) == '<meta charset="utf-8" hidden>'
    assert html.element("td", class_="num", data_rule_id="'x'") == '<td class="num" data-rule-id="&#x27;x&#x27;"></td>'
    with pytest.raises(ValueError):
        html.element("br", "text")


def test_cli_writes_html(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = check(str(ROOT / "samples" / "cases.json"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    root, _ = parse(out.read_text(encoding="utf-8"))
    assert len(root.find_all("details", class_="case")) == 80
    assert {int(dd.text()) for dd in root.find_all("dd", data_figure="records_read")} == {80}


# --- in a real headless browser -------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "test-artifacts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _unavailable(reason: str) -> None:
    """Skip, or fail when the environment promises a browser (tools/test sets CHECKER_REQUIRE_BROWSER=1)."""
    if os.environ.get("CHECKER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CHECKER_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        _unavailable(f"the browser test needs Debian's chromium and chromium-driver ({', '.join(missing)} not "
                     "found); tools/test installs them")
    try:
        import selenium  # noqa: F401
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[test]')")


def test_a_missing_browser_skips_unless_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(f"{__name__}.CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CHECKER_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium not found"):
        _require_browser()
    monkeypatch.setenv("CHECKER_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="CHECKER_REQUIRE_BROWSER=1 but .*no-chromium not found"):
        _require_browser()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    # The machine has a closed network: nothing in the background may try to reach out.
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={profile}", "--window-size=1280,1600"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_report_in_a_headless_browser(browser: Any, report: RunReport, page: str,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    script: Callable[[str], Any] = browser.execute_script

    assert browser.title == f"Case file compliance: {report.input['path']}"
    figure = browser.find_element(By.CSS_SELECTOR, 'dd[data-figure="records_read"]')
    assert figure.is_displayed() and figure.text == "84"

    chart = browser.find_element(By.CSS_SELECTOR, "svg.chart")
    assert chart.is_displayed() and chart.size["width"] > 300 and chart.size["height"] > 200
    dots = browser.find_elements(By.CSS_SELECTOR, "svg.chart circle.rate-dot")
    assert len(dots) == sum(score.rate is not None for score in report.rules)
    assert all(dot.is_displayed() for dot in dots[:3])

    case = next((node for node in browser.find_elements(By.CSS_SELECTOR, "details.case")
                 if node.get_attribute("data-case-id") == HOSTILE_ID), None)
    assert case is not None, "the hostile case's drill-down is missing or its case id was altered"
    evidence = case.find_element(By.CSS_SELECTOR, 'tr[data-rule-id="t-rationale-brief"] ul.evidence')
    assert not evidence.is_displayed()  # collapsed
    case.find_element(By.TAG_NAME, "summary").click()
    assert case.get_property("open") is True and evidence.is_displayed()
    assert HOSTILE_SCRIPT in case.text and HOSTILE_IMG in case.text  # the case id, shown as text
    assert "<script>window.__pwned=1</script>" in evidence.text  # the rationale, shown as text

    assert script("return document.querySelectorAll('script, img, iframe, [onerror], [onload]').length") == 0
    assert script("return document.querySelectorAll('img[src=x]').length") == 0
    assert script("return typeof window.__pwned") == "undefined"
    assert script("return performance.getEntriesByType('resource').length") == 0  # nothing was fetched
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text

    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "html-report.png"
    script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(screenshot))
    data = screenshot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_rule_sources_are_shown_by_title_publisher_and_date_from_the_documents_register() -> None:
    from checker import api
    from tests.conftest import RULES, SAMPLES

    page = api.render("html", api.run(SAMPLES / "cases.json", api.load_packs([RULES])))
    assert ('<cite title="002_fdea3b87747c63ed.txt">PEEL 2021/22: an inspection of Lancashire Constabulary '
            '(HMICFRS, 2022)</cite>') in page
    assert "<cite>002_fdea3b87747c63ed.txt</cite>" not in page
