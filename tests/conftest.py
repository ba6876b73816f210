"""Shared test helpers: minimal synthetic case files and throwaway rule packs."""

from __future__ import annotations

import copy
import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

# In CI (CI=true) property tests draw the same examples every run, so a submission never fails on a draw
# nobody has seen; on developers' machines they keep exploring, and what they find becomes a fixed test.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
SAMPLES = ROOT / "samples"

MINIMAL_CASE: dict[str, Any] = {
    "case_id": "T-0001",
    "crime": {"reported_at": "2022-03-01T10:00:00Z", "recorded_at": "2022-03-01T12:00:00Z"},
    "victim": {"kind": "person"},
}


def make_case(case_id: str = "T-0001", **sections: Any) -> dict[str, Any]:
    """A minimal valid case file; keyword arguments replace top-level sections."""
    record = copy.deepcopy(MINIMAL_CASE)
    record["case_id"] = case_id
    record.update(copy.deepcopy(sections))
    return record


def write_cases(path: Path, records: list[Any]) -> Path:
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return path


PACK_HEADER = """\
pack:
  name: {name}
  version: "1.0.0"
  code_version: TEST-1
"""

RULE_TEMPLATE = """\
  - id: {id}
    title: {title}
    family: test
    severity: medium
    kind: automatic
    source: {{document: test-source.txt, paragraph: "1", status: assumed}}
    message: {message}
"""


def rule_yaml(rule_id: str, *, title: str | None = None, severity: str = "medium", status: str = "assumed",
              applies_when: str | None = None, check: str | dict[str, str] | None = None,
              question: str | None = None, message: str = "Not met", evidence: list[str] | None = None) -> str:
    """One rule as pack YAML (an item of `rules:`), with the metadata every rule needs filled in: tests state
    only what they exercise. `check` is the assertion (one expression, or clause name → expression, all of
    which must hold); `question` makes a manual rule."""
    lines = [f"  - id: {rule_id}", f"    title: {json.dumps(title or rule_id)}", "    family: test",
             f"    severity: {severity}", f"    kind: {'manual' if question else 'automatic'}",
             f'    source: {{document: test.txt, quote: "{rule_id}", status: {status}}}']
    if applies_when:
        lines.append(f"    applies_when: {json.dumps(applies_when)}")
    if isinstance(check, dict):
        lines += ["    assert:", "      all:"] + [f"        {name}: {json.dumps(text)}" for name, text in check.items()]
    elif check:
        lines.append(f"    assert: {json.dumps(check)}")
    if question:
        lines.append(f"    question: {json.dumps(question)}")
    lines.append(f"    message: {json.dumps(message)}")
    if evidence:
        lines.append(f"    evidence: [{', '.join(evidence)}]")
    return "\n".join(lines) + "\n"


def rules_yaml(*rules: str) -> str:
    """A pack body (for `write_pack`) holding the rules built by `rule_yaml`."""
    return "rules:\n" + "".join(rules)


# Two small rules most command-line tests score: a guarded one, and one that reads through null (errors).
SIGNED_RULE = """\
rules:
  - id: t-signed
    title: Decision signed
    family: test
    severity: high
    kind: automatic
    source: {document: test.txt, quote: "signed", status: confirmed}
    applies_when: case.victim.decision_record != null
    assert:
      all:
        signed: case.victim.decision_record.signed_by_victim == true
    message: Not signed by the victim
    evidence: [victim.decision_record.signed_by_victim]
  - id: t-unguarded
    title: Reads through null
    family: test
    severity: low
    kind: automatic
    source: {document: test.txt, quote: "x", status: assumed}
    assert: case.outcome.code == "16"
    message: Not outcome 16
"""


def write_pack(directory: Path, body: str, name: str = "test-pack", file: str | None = None) -> Path:
    """A pack file from a YAML body (settings/variables/rules) under the standard header."""
    path = directory / (file or f"{name}.yaml")
    path.write_text(PACK_HEADER.format(name=name) + textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def outcome16_sample(tmp_path: Path) -> Path:
    """The published outcome-16 audit (20 files), as built by the synthetic generator."""
    from synthetic.cases import outcome16_audit_sample

    return write_cases(tmp_path / "outcome16.json", outcome16_audit_sample())


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += paths_of(item, prefix + (position,))
    return found


def mutate_once(draw: st.DrawFn, data: Any, values: st.SearchStrategy[Any]) -> None:
    """For property tests: somewhere inside `data` (nested dicts and lists), replace a value with one
    of `values`, delete a key, or add an unexpected key beside it."""
    paths = paths_of(data)
    if not paths:
        return
    path = draw(st.sampled_from(paths))
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "delete", "unknown"]))
    if action == "replace":
        parent[path[-1]] = draw(values)
    elif action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[f"unexpected_{path[-1]}"] = draw(values)


class CliResult:
    """What a `check` command gave: its exit code and what it printed (text, or bytes with `binary`)."""

    def __init__(self, returncode: int, stdout: Any, stderr: Any) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_cli(*args: str, stdin: bytes | str | None = None, binary: bool = False) -> CliResult:
    """The `check` command run in this process, as `check ARGS…` on a terminal would run it (`check CASES`
    is `check run CASES`): no new interpreter per call, so the suite stays fast. Exceptions the command
    does not handle come back as a traceback on stderr with exit code 1, as from a real process.
    `tests/cli/test_cli.py` runs the installed entry point once as a separate process."""
    import os
    import traceback

    from typer.testing import CliRunner

    from checker.cli.main import app, command_line

    runner = CliRunner()
    data = stdin.encode() if isinstance(stdin, str) else stdin
    previous = os.getcwd()
    os.chdir(ROOT)  # relative paths and the default rules/ folder, as from the project's root
    try:
        result = runner.invoke(app, command_line(list(args)), input=data, catch_exceptions=True)
    finally:
        os.chdir(previous)
    stderr = result.stderr_bytes if binary else result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text = "".join(traceback.format_exception(*result.exc_info))
        stderr = stderr + (text.encode() if binary else text)
    return CliResult(result.exit_code, result.stdout_bytes if binary else result.stdout, stderr)


def case_file_fixture_records() -> list[dict[str, Any]]:
    """The records of the shipped fixtures that test case-file rules, as written (rules/ holds the fixtures of
    every record type; a fixture's type is that of the rules it expects, as `check test` decides it)."""
    from checker.engine.fixtures import find_fixture_files, load_fixtures
    from checker.inputs.recordtypes import CASE_FILE
    from checker.packs.rules import load_packs, packs_for

    case_rules = {rule.id for pack in packs_for(load_packs([RULES]), CASE_FILE) for rule in pack.rules}
    return [fixture.record for file in find_fixture_files([RULES]) for fixture in load_fixtures(file)
            if set(fixture.expect) <= case_rules]
