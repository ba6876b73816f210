"""Broken rule packs are refused with file:line:column and a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.packs.rules import load_packs

from checker.errors import FileErrors
from tests.conftest import RULE_TEMPLATE, write_pack


def errors_for(directory: Path) -> list[str]:
    with pytest.raises(FileErrors) as caught:
        load_packs([directory])
    return [str(error) for error in caught.value.errors]


def rule(rule_id: str = "t-rule", extra: str = "    assert: case.victim.kind == \"person\"\n") -> str:
    return RULE_TEMPLATE.format(id=rule_id, title="A test rule", message="Not done") + extra


def test_misspelled_key_is_named_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    body = "rules:\n" + rule().replace("    severity: medium\n", "    severty: medium\n")
    path = write_pack(tmp_path, body)
    (error,) = errors_for(tmp_path)
    assert error.startswith(f"{path}:9:5: rules[0]: unknown key 'severty' (did you mean 'severity'?)")


def test_a_bad_item_of_a_list_is_named_by_its_position_in_brackets(tmp_path: Path) -> None:
    extra = ('    assert: case.victim.kind == "person"\n'
             '    evidence:\n      - victim.kind\n      - {label: x, expr: "1", bogus: 2}\n')
    path = write_pack(tmp_path, "rules:\n" + rule(extra=extra))
    (error,) = errors_for(tmp_path)
    assert error.startswith(f"{path}:16:9: rules[0].evidence[1]: unknown key 'bogus'; allowed keys: label, expr")


def test_expression_that_does_not_compile(tmp_path: Path) -> None:
    path = write_pack(tmp_path, "rules:\n" + rule(extra="    assert: case.victim.kind ==\n"))
    (error,) = errors_for(tmp_path)
    assert error.startswith(f"{path}:13:32: rule 't-rule': expression does not compile (column 20 of the expression)")


def test_unknown_case_path_gets_a_did_you_mean(tmp_path: Path) -> None:
    write_pack(tmp_path, "rules:\n" + rule(extra="    assert: case.victim.needs_asessment != null\n"))
    (error,) = errors_for(tmp_path)
    assert ":13:25:" in error  # the misspelt field, where the author wrote it
    assert "'case.victim.needs_asessment' is not a field of the case model (did you mean 'victim.needs_assessment'?)" in error


def test_reading_into_a_list_is_explained(tmp_path: Path) -> None:
    write_pack(tmp_path, "rules:\n" + rule(extra="    assert: case.victim.updates.at != null\n"))
    (error,) = errors_for(tmp_path)
    assert "'case.victim.updates' is a list" in error


def test_duplicate_id_across_packs_names_both_places(tmp_path: Path) -> None:
    first = write_pack(tmp_path, "rules:\n" + rule("same-id"), name="pack-a")
    second = write_pack(tmp_path, "rules:\n" + rule("same-id"), name="pack-b")
    (error,) = errors_for(tmp_path)
    assert error.startswith(f"{second}:6:5: duplicate rule id 'same-id': first defined at {first}:6:5")


def test_undeclared_setting_is_refused(tmp_path: Path) -> None:
    body = ("settings:\n  limit_days: {type: integer, default: 5, description: a limit}\n"
            "rules:\n" + rule(extra="    assert: size(case.victim.updates) <= settings.limit_day\n"))
    write_pack(tmp_path, body)
    (error,) = errors_for(tmp_path)
    assert "undeclared setting 'settings.limit_day' (did you mean 'limit_days'?)" in error


def test_setting_default_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    body = ("settings:\n  limit_days: {type: integer, default: \"five\", description: a limit}\n"
            "rules:\n" + rule())
    path = write_pack(tmp_path, body)
    (error,) = errors_for(tmp_path)
    assert error.startswith(f"{path}:6:3: default of setting 'limit_days' must be integer")


def test_manual_rule_needs_a_question_not_an_assertion(tmp_path: Path) -> None:
    manual = rule().replace("kind: automatic", "kind: manual")
    write_pack(tmp_path, "rules:\n" + manual)
    errors = errors_for(tmp_path)
    assert any("question" in error for error in errors)


def test_bad_id_format_asks_for_kebab_case(tmp_path: Path) -> None:
    write_pack(tmp_path, "rules:\n" + rule("Bad_Id"))
    (error,) = errors_for(tmp_path)
    assert "expected lower-case kebab case" in error and ":6:9:" in error


def test_invalid_yaml_is_located(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("pack:\n  name: [unclosed\nrules: []\n")
    (error,) = errors_for(tmp_path)
    assert error.startswith(f"{path}:3:") and "invalid YAML" in error


def test_yaml_aliases_and_python_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text("pack: &p {name: a, version: '1.0', code_version: X}\nrules: *p\n")
    assert "anchors and aliases are not allowed" in errors_for(tmp_path)[0]
    path.write_text("pack: !!python/object/apply:os.system ['true']\n")
    assert "is not allowed" in errors_for(tmp_path)[0]


def test_every_problem_in_a_pack_is_listed_not_just_the_first(tmp_path: Path) -> None:
    body = "rules:\n" + rule("one").replace("severity: medium", "severity: urgent") + rule("two").replace(
        "family: test", "famly: test")
    errors = errors_for(tmp_path if write_pack(tmp_path, body) else tmp_path)
    assert len(errors) == 2
