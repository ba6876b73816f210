"""Rule fixtures: small case files with the expected status per rule (`check test`).

A fixture file (`*.test.yaml`) lists fixtures, each a case fragment merged onto
a documented base record (objects merge key by key; lists, scalars and null
replace) and the status expected for one or more rules:

    base: base-case.json          # optional; relative to this file
    fixtures:
      - name: signed decision record
        case: {victim: {decision_record: {signed_by_victim: true}}}
        expect: {out16-signed-decision: pass}

`run_fixtures` fails on any mismatch, on an `error` that was not expected, on
a fixture that is not a valid case file, and on any rule that lacks a passing
and a failing fixture (and a not-applicable one when it has `applies_when`):
no rule passes untested.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from checker.sidefiles import SideFileError, load_json_side_file
from checker.yamlsource import MAX_YAML_BYTES
from checker.inputs.records import CaseRecord, RawRecord, Rejection, check_record
from checker.engine.evaluate import Evaluator
from checker.results import ERROR, NOT_APPLICABLE, RULE_STATUSES, RuleResult
from checker.packs.rules import FIXTURE_SUFFIXES, RulePack
from checker.settings import RunSettings
from checker.outputs import AtomicFile
from checker.yamlfiles import load_checked_yaml
from checker.errors import RULE_FIXTURES, FileErrors, Location, SourceError

DEFAULT_BASE = "base-case.json"


@dataclass(frozen=True)
class Fixture:
    name: str
    record: dict[str, Any]
    expect: dict[str, str]
    location: Location


@dataclass(frozen=True)
class Outcome:
    """One checked expectation (or coverage requirement), as JUnit reports it."""

    suite: str
    name: str
    passed: bool
    detail: str = ""


@dataclass
class FixtureReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.passed]

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary_line(self) -> str:
        return f"{len(self.outcomes) - len(self.failures)} passed, {len(self.failures)} failed"


def find_fixture_files(paths: Iterable[Path | str]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.name.endswith(FIXTURE_SUFFIXES))
        elif path.name.endswith(FIXTURE_SUFFIXES):
            found.append(path)
    return found


def merge(base: Any, fragment: Any) -> Any:
    """`fragment` laid over `base`: objects merge key by key; anything else replaces."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        merged = dict(base)
        for key, value in fragment.items():
            merged[key] = merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(fragment)


def load_fixtures(file: Path) -> list[Fixture]:
    shape = "a fixture file is a mapping with a 'fixtures' list"
    loaded = load_checked_yaml(file, RULE_FIXTURES, shape)
    data, locations = loaded.data, loaded.locations
    if not isinstance(data.get("fixtures"), list):
        raise SourceError(Location(str(file), 1, 1), shape)
    unknown = set(data) - {"base", "fixtures"}
    if unknown:
        raise SourceError(locations.key_at((sorted(unknown)[0],)),
                          f"unknown key {sorted(unknown)[0]!r}; allowed keys: base, fixtures")
    base_path = file.parent / data.get("base", DEFAULT_BASE)
    if not base_path.exists():
        named = "base" in data
        raise SourceError(locations.at(("base",)) if named else Location(str(file), 1, 1),
                          f"no base record: each fixture is a fragment merged onto a complete, valid case file, "
                          f"{base_path}, which does not exist. Create it (every field the model requires: "
                          f"`check schema cases`; `check init DIR` writes one to start from), or name another with "
                          f"'base: FILE.json' in this file")
    try:
        base = load_json_side_file(base_path, MAX_YAML_BYTES, "base records")
    except (SideFileError, json.JSONDecodeError) as exc:
        raise SourceError(locations.at(("base",)), f"cannot read the base record {base_path}: {exc}") from None
    fixtures: list[Fixture] = []
    for index, item in enumerate(data["fixtures"]):
        where = locations.at(("fixtures", index))
        if not isinstance(item, dict) or set(item) - {"name", "case", "expect"} or "name" not in item or "expect" not in item:
            raise SourceError(where, "a fixture has 'name', 'expect' (rule id → status) and optionally 'case' (a fragment)")
        expect = item["expect"]
        if not isinstance(expect, dict) or not expect:
            raise SourceError(where, "'expect' maps rule ids to statuses")
        for rule_id, status in expect.items():
            if status not in RULE_STATUSES:
                raise SourceError(locations.at(("fixtures", index, "expect", rule_id)),
                                  f"expected status {status!r} is not one of: {', '.join(RULE_STATUSES)}")
        fragment = item.get("case") or {}
        record = merge(base, fragment)
        if not (isinstance(fragment, dict) and "case_id" in fragment):
            record["case_id"] = f"{file.stem}-{index + 1}"
        fixtures.append(Fixture(str(item["name"]), record, dict(expect), where))
    return fixtures


def run_fixtures(packs: list[RulePack], files: list[Path], settings: RunSettings | None = None) -> FixtureReport:
    """Check every fixture in `files` against `packs`; see the module docstring for what fails."""
    settings = settings or RunSettings(packs={pack.name: pack.default_settings() for pack in packs})
    evaluator = Evaluator(packs, settings)
    rules = {compiled.rule.id: compiled.rule for compiled in evaluator.rules}
    seen: dict[str, set[str]] = {rule_id: set() for rule_id in rules}
    report = FixtureReport()
    for file in files:
        suite = str(file)
        try:
            fixtures = load_fixtures(file)
        except (SourceError, FileErrors) as exc:
            report.outcomes.append(Outcome(suite, "load", False, str(exc)))
            continue
        for position, fixture in enumerate(fixtures):
            checked = check_record(RawRecord(position, fixture.location.line, fixture.record), settings.timezone)
            if isinstance(checked, Rejection):
                detail = f"{fixture.location}: fixture {fixture.name!r} is not a valid case file: " + "; ".join(
                    checked.errors or (f"{checked.path}: {checked.message}",))
                report.outcomes.append(Outcome(suite, fixture.name, False, detail))
                continue
            results = {result.rule_id: result for result in evaluator.evaluate(checked)}
            report.outcomes += _check_fixture(suite, fixture, results, rules, seen, checked)
    report.outcomes += _coverage(rules, seen)
    return report


def _check_fixture(suite: str, fixture: Fixture, results: dict[str, RuleResult], rules: dict[str, Any],
                   seen: dict[str, set[str]], record: CaseRecord) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for rule_id, expected in fixture.expect.items():
        name = f"{fixture.name} :: {rule_id}"
        if rule_id not in rules:
            outcomes.append(Outcome(suite, name, False, f"{fixture.location}: unknown rule id {rule_id!r}"))
            continue
        got = results[rule_id]
        if got.status == expected:
            seen[rule_id].add(expected)
            outcomes.append(Outcome(suite, name, True))
        else:
            outcomes.append(Outcome(suite, name, False, _mismatch(fixture, rule_id, expected, got)))
    for rule_id, result in results.items():
        if result.status == ERROR and rule_id not in fixture.expect:
            outcomes.append(Outcome(suite, f"{fixture.name} :: {rule_id}", False,
                                    f"{fixture.location}: fixture {fixture.name!r}: rule {rule_id}: unexpected error: "
                                    f"{result.message}"))
    return outcomes


def _mismatch(fixture: Fixture, rule_id: str, expected: str, got: RuleResult) -> str:
    lines = [f"{fixture.location}: fixture {fixture.name!r}: rule {rule_id}: expected {expected}, got {got.status}"]
    if got.message:
        lines.append(f"    message: {got.message}")
    lines += [f"    read: {line}" for line in got.explanation]
    lines += [f"    evidence: {item.path} = {json.dumps(item.value)}" for item in got.evidence]
    return "\n".join(lines)


def _coverage(rules: dict[str, Any], seen: dict[str, set[str]]) -> list[Outcome]:
    outcomes = []
    for rule_id, rule in rules.items():
        needed = {"pass", "fail"} | ({NOT_APPLICABLE} if rule.applies_when else set())
        missing = sorted(needed - seen[rule_id])
        detail = "" if not missing else (
            f"{rule.location}: rule {rule_id} has no fixture that gives {', '.join(missing)}: "
            "every rule needs a fixture that passes, one that fails, and one not applicable when it has applies_when")
        outcomes.append(Outcome("coverage", rule_id, not missing, detail))
    return outcomes


def write_junit(report: FixtureReport, path: Path) -> None:
    """A JUnit XML report, one test suite per fixture file plus one for coverage."""
    root = ElementTree.Element("testsuites", tests=str(len(report.outcomes)), failures=str(len(report.failures)))
    suites: dict[str, ElementTree.Element] = {}
    for outcome in report.outcomes:
        suite = suites.get(outcome.suite)
        if suite is None:
            suite = suites[outcome.suite] = ElementTree.SubElement(root, "testsuite", name=outcome.suite)
        case = ElementTree.SubElement(suite, "testcase", classname=outcome.suite, name=outcome.name)
        if not outcome.passed:
            failure = ElementTree.SubElement(case, "failure", message=outcome.detail.splitlines()[0] if outcome.detail else "failed")
            failure.text = outcome.detail
    for suite in suites.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    with AtomicFile(path, binary=True) as output:  # a CI report is never left half-written
        ElementTree.ElementTree(root).write(output.handle, encoding="utf-8", xml_declaration=True)
