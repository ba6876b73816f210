"""Rule fixtures: small records with the expected status per rule (`check test`).

A fixture file (`*.test.yaml`) lists fixtures, each a record fragment merged onto
a documented base record (objects merge key by key; lists, scalars and null
replace) and the status expected for one or more rules:

    base: base-case.json          # optional; relative to this file
    fixtures:
      - name: signed decision record
        case: {victim: {decision_record: {signed_by_victim: true}}}
        expect: {out16-signed-decision: pass}

The fragment is named as rules name the record: `case:` for a case file, `search:` for a
stop-and-search record, `call:` for a call (`checker.inputs.recordtypes`). A fixture is a
record of the type of the packs whose rules it expects, and runs on those packs only.

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
from checker.inputs.recordmodel import record_model
from checker.inputs.records import CaseRecord, RawRecord, Rejection, check_record
from checker.inputs.recordtypes import DEFAULT_RECORD_TYPE, RECORD_TYPES, RecordType, record_type
from checker.engine.evaluate import Evaluator
from checker.results import ERROR, NOT_APPLICABLE, RULE_STATUSES, RuleResult
from checker.packs.rules import FIXTURE_SUFFIXES, RulePack
from checker.settings import RunSettings
from checker.outputs import AtomicFile
from checker.yamlfiles import load_checked_yaml
from checker.errors import RULE_FIXTURES, FileErrors, Location, SourceError

DEFAULT_BASE = "base-case.json"
_VARIABLES = tuple(kind.variable for kind in RECORD_TYPES.values())  # the keys a fixture's fragment may have


@dataclass(frozen=True)
class Fixture:
    name: str
    record: dict[str, Any]  # the base with the fragment laid over it
    expect: dict[str, str]
    location: Location
    variable: str | None = None  # the fragment's key (`case`, `search`, `call`), when it has one
    default_id: str | None = None  # the id to give the record (its type's id field) when the fragment sets none


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
                          f"`check schema case-file` (or the type's); `check init DIR` writes one to start from), or name another with "
                          f"'base: FILE.json' in this file")
    try:
        base = load_json_side_file(base_path, MAX_YAML_BYTES, "base records")
    except (SideFileError, json.JSONDecodeError) as exc:
        raise SourceError(locations.at(("base",)), f"cannot read the base record {base_path}: {exc}") from None
    fixtures: list[Fixture] = []
    for index, item in enumerate(data["fixtures"]):
        where = locations.at(("fixtures", index))
        fragments = [key for key in item if key in _VARIABLES] if isinstance(item, dict) else []
        if (not isinstance(item, dict) or set(item) - {"name", "expect", *_VARIABLES} or "name" not in item
                or "expect" not in item or len(fragments) > 1):
            raise SourceError(where, "a fixture has 'name', 'expect' (rule id → status) and optionally one fragment "
                                     "named as rules read the record: 'case' (a case file), 'search' (a stop-and-search "
                                     "record) or 'call' (a call)")
        expect = item["expect"]
        if not isinstance(expect, dict) or not expect:
            raise SourceError(where, "'expect' maps rule ids to statuses")
        for rule_id, status in expect.items():
            if status not in RULE_STATUSES:
                raise SourceError(locations.at(("fixtures", index, "expect", rule_id)),
                                  f"expected status {status!r} is not one of: {', '.join(RULE_STATUSES)}")
        variable = fragments[0] if fragments else None
        fragment = item.get(variable) or {} if variable else {}
        record = merge(base, fragment)
        sets_id = isinstance(fragment, dict) and any(kind.id_field in fragment for kind in RECORD_TYPES.values())
        fixtures.append(Fixture(str(item["name"]), record, dict(expect), where, variable,
                                None if sets_id else f"{file.stem}-{index + 1}"))
    return fixtures


def run_fixtures(packs: list[RulePack], files: list[Path], settings: RunSettings | None = None) -> FixtureReport:
    """Check every fixture in `files` against `packs`; see the module docstring for what fails."""
    settings = settings or RunSettings(packs={pack.name: pack.default_settings() for pack in packs})
    evaluators = {kind: Evaluator([pack for pack in packs if pack.record_type == kind], settings)
                  for kind in dict.fromkeys(pack.record_type for pack in packs)}
    rules = {compiled.rule.id: compiled.rule for evaluator in evaluators.values() for compiled in evaluator.rules}
    rule_types = {rule_id: kind for kind, evaluator in evaluators.items() for rule_id in
                  (compiled.rule.id for compiled in evaluator.rules)}
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
            kind, problem = _fixture_type(fixture, rule_types)
            if problem:
                report.outcomes.append(Outcome(suite, fixture.name, False, f"{fixture.location}: fixture "
                                                                           f"{fixture.name!r}: {problem}"))
                continue
            evaluator = evaluators.get(kind.name) or Evaluator([], settings, model=record_model(kind.name))
            record = dict(fixture.record)
            if fixture.default_id is not None:
                record[kind.id_field] = fixture.default_id
            checked = check_record(RawRecord(position, fixture.location.line, record), settings.timezone,
                                   evaluator.model)
            if isinstance(checked, Rejection):
                detail = f"{fixture.location}: fixture {fixture.name!r} is not a valid {kind.noun}: " + "; ".join(
                    checked.errors or (f"{checked.path}: {checked.message}",))
                report.outcomes.append(Outcome(suite, fixture.name, False, detail))
                continue
            results = {result.rule_id: result for result in evaluator.evaluate(checked)}
            report.outcomes += _check_fixture(suite, fixture, results, rules, seen, checked)
    report.outcomes += _coverage(rules, seen)
    return report


def _fixture_type(fixture: Fixture, rule_types: dict[str, str]) -> tuple[RecordType, str]:
    """The type of record a fixture is: that of the packs whose rules it expects (and of its fragment's key);
    (type, problem) with a problem when they disagree."""
    expected = {rule_types[rule_id] for rule_id in fixture.expect if rule_id in rule_types}
    named = next((kind.name for kind in RECORD_TYPES.values() if kind.variable == fixture.variable), None)
    kinds = expected | ({named} if named else set())
    if len(kinds) > 1:
        by_type = ", ".join(sorted(f"{rule_id} ({rule_types[rule_id]})" for rule_id in fixture.expect
                                   if rule_id in rule_types))
        fragment = f"; its fragment '{fixture.variable}' is a {record_type(named).noun}" if named else ""
        return record_type(DEFAULT_RECORD_TYPE), (f"it expects rules of different record types: {by_type}{fragment}. "
                                                  "A fixture is one record: split it")
    return record_type(kinds.pop() if kinds else DEFAULT_RECORD_TYPE), ""


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
