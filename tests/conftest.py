"""Shared test helpers: minimal synthetic case files and throwaway rule packs."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

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
