"""The README's list of shipped rules is the one tools/rule_list.py writes from the packs."""

from __future__ import annotations

import importlib.util

import pytest

from checker.packs.rules import load_packs
from tests.conftest import ROOT, RULES

SPEC = importlib.util.spec_from_file_location("rule_list", ROOT / "tools" / "rule_list.py")
assert SPEC is not None and SPEC.loader is not None
rule_list = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(rule_list)


def test_the_readme_lists_exactly_what_the_packs_hold() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rule_list.replaced(readme, rule_list.render(load_packs([RULES]))) == readme, (
        "README.md's rule list differs from the packs: run python tools/rule_list.py")


def test_every_shipped_rule_is_a_row_with_its_source_status_and_settings() -> None:
    packs = load_packs([RULES])
    text = rule_list.render(packs)
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == sum(len(pack.rules) for pack in packs)
    assert sum(len(pack.rules) for pack in packs if pack.record_type == "case-file") == 37
    assert sum(len(pack.rules) for pack in packs if pack.record_type == "stop-search") == 9
    assert sum(len(pack.rules) for pack in packs if pack.record_type == "call") == 8
    row = next(line for line in rows if line.startswith("| `inv-supervision-regular` |"))
    assert "`004_d979ef4020952df4.txt`: \"regular and active supervision" in row
    assert "| confirmed | `supervision_interval_days` (assumed) |" in row
    # A setting read only through a pack variable is listed too.
    row = next(line for line in rows if line.startswith("| `vc-key-decisions-informed` |"))
    assert "`key_decision_working_days`" in row and "`key_decision_enhanced_working_days`" in row


def test_a_changed_pack_makes_the_check_fail() -> None:
    packs = load_packs([RULES])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fewer = rule_list.render([packs[0]])
    assert rule_list.replaced(readme, fewer) != readme
    with pytest.raises(ValueError, match="markers"):
        rule_list.replaced("no markers here", fewer)


def test_check_mode_exits_0_on_the_shipped_readme(capsys: pytest.CaptureFixture[str]) -> None:
    assert rule_list.main(["--check"]) == 0
    assert "matches the packs" in capsys.readouterr().out
