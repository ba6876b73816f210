"""Rules checked from their syntax tree before they run: `check validate` refuses each broken rule with
the file, line and column where its author wrote the fault, and `check run` refuses the same pack."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from checker.audit.sampling import SampleError, filter_records
from checker.engine.waivers import load_waivers
from checker.errors import FileErrors
from checker.packs.rules import load_packs, pack_warnings
from tests.conftest import RULE_TEMPLATE, make_case, run_cli, write_pack

RULE = RULE_TEMPLATE.format(id="t-rule", title="A test rule", message="Not done")  # its `extra` starts on line 13


def invoke(*args: str) -> tuple[int, str, str]:
    result = run_cli(*args)
    return result.returncode, result.stdout, result.stderr


def pack_with(tmp_path: Path, extra: str, head: str = "") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    return write_pack(folder, head + "rules:\n" + RULE + extra)


def cases_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([make_case("T-1")]), encoding="utf-8")
    return path


# Each broken rule of the issue: the expression, the column where the fault is written, the message.
BROKEN = [
    pytest.param("workingdays_between(case.crime.reported_at, case.crime.recorded_at) <= 10", 13,
                 "unknown function 'workingdays_between' (did you mean 'working_days_between'?)", id="function"),
    pytest.param("case.key_events.all(e, e.victim_informed_att != null)", 38,
                 "'e.victim_informed_att' is not a field of 'case.key_events' items "
                 "(did you mean 'victim_informed_at'?)", id="comprehension-variable"),
    pytest.param('case["victim"].kindd == "person"', 28,
                 """'case["victim"].kindd' is not a field of the case model (did you mean 'victim.kind'?)""",
                 id="index-syntax"),
    pytest.param("case.outcome.code == 16", 34,
                 """'case.outcome.code' is a string, compared with 16 (an int) (did you mean "16"?)""",
                 id="literal-type"),
    pytest.param('case.victim.kind == "persn"', 33,
                 '''"persn" is not an allowed value of 'case.victim.kind' (did you mean "person"?); allowed: '''
                 '''"person", "business", "organisation"''', id="enum-value"),
    pytest.param("size(case.crime.reported_at) > 0", 18,
                 "size() counts the items of a list or map or the characters of a string; "
                 "'case.crime.reported_at' is a timestamp", id="size"),
    pytest.param("working_days_between(case.crime.reported_at) <= 10", 13,
                 "working_days_between() takes 2 arguments, given 1", id="arity"),
    pytest.param("case.victim.kind", 13, "the expression gives a string; a condition gives true or false",
                 id="not-a-condition"),
]


@pytest.mark.parametrize(("expression", "column", "message"), BROKEN)
def test_validate_refuses_the_rule_where_its_author_wrote_the_fault(tmp_path: Path, expression: str, column: int,
                                                                   message: str) -> None:
    path = pack_with(tmp_path, f"    assert: {expression}\n")
    code, _, errors = invoke("validate", str(path.parent))
    assert code == 1
    assert f"{path}:13:{column}: rule 't-rule': {message}\n" in errors
    assert errors.endswith("1 error(s) in rule files.\n")


@pytest.mark.parametrize(("expression", "column", "message"), BROKEN)
def test_run_refuses_a_pack_that_validate_refuses(tmp_path: Path, expression: str, column: int, message: str) -> None:
    path = pack_with(tmp_path, f"    assert: {expression}\n")
    code, _, errors = invoke("run", str(cases_file(tmp_path)), "--rules", str(path.parent))
    assert code == 2
    assert f"{path}:13:{column}: rule 't-rule': {message}" in errors


# --- located as written: every YAML style -------------------------------------------------------

STYLES = [
    pytest.param('    assert: "case.victim.kind == \\"persn\\""\n', 13, 34, id="double-quoted"),
    pytest.param("    assert: 'case.victim.kind == \"persn\"'\n", 13, 34, id="single-quoted"),
    pytest.param('    assert: >\n      case.crime.recorded_at != null\n      && case.victim.kind == "persn"\n',
                 15, 30, id="folded"),
    pytest.param('    assert: |\n      case.crime.recorded_at != null\n        && case.victim.kind == "persn"\n',
                 15, 32, id="literal"),
    pytest.param('    assert: case.crime.recorded_at != null\n      && case.victim.kind == "persn"\n', 14, 30,
                 id="plain-multiline"),
    pytest.param('    assert:\n      all:\n        kind: >-\n          case.victim.kind == "persn"\n', 16, 31,
                 id="clause"),
]


@pytest.mark.parametrize(("extra", "line", "column"), STYLES)
def test_errors_are_located_in_the_yaml_as_written(tmp_path: Path, extra: str, line: int, column: int) -> None:
    path = pack_with(tmp_path, extra)
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    (error,) = caught.value.errors
    assert (error.location.line, error.location.column) == (line, column)
    assert '"persn" is not an allowed value' in error.message
    written = path.read_text(encoding="utf-8").splitlines()[line - 1]
    assert written[column - 1:].startswith('"persn"') or written[column - 1:].startswith('\\"persn')


def test_a_syntax_error_is_located_where_it_is_written_not_in_an_expanded_text(tmp_path: Path) -> None:
    head = "variables:\n  long_name: case.crime.recorded_at != null && case.crime.reported_at != null\n"
    path = pack_with(tmp_path, "    assert: variables.long_name && (case.victim.kind ==)\n", head)
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    (error,) = [str(e) for e in caught.value.errors]
    assert error.startswith(f"{path}:15:56: rule 't-rule': expression does not compile (column 44 of the expression)")


def test_an_evidence_path_error_points_at_the_evidence_item(tmp_path: Path) -> None:
    path = pack_with(tmp_path, '    assert: case.victim.kind == "person"\n    evidence:\n      - victim.kind\n'
                               "      - victim.kindd\n")
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    (error,) = [str(e) for e in caught.value.errors]
    assert error.startswith(f"{path}:16:9: rule 't-rule' evidence: 'case.victim.kindd' is not a field of the case model")


# --- variables and settings ---------------------------------------------------------------------


def test_a_variable_is_checked_in_its_own_text_and_its_type_flows_into_rules(tmp_path: Path) -> None:
    head = ("variables:\n  kind: case.victim.kindd\n"
            "  events: case.key_events.filter(e, e.at != null)\n")
    path = pack_with(tmp_path, "    assert: variables.events.all(e, e.typ != null)\n", head)
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    errors = [str(e) for e in caught.value.errors]
    assert errors == [
        f"{path}:6:21: variable 'kind': 'case.victim.kindd' is not a field of the case model "
        "(did you mean 'victim.kind'?)",
        f"{path}:16:39: rule 't-rule': 'e.typ' is not a field of 'variables.events' items (did you mean 'type'?)",
    ]


def test_variables_that_read_each_other_in_a_cycle_are_a_located_error(tmp_path: Path) -> None:
    head = "variables:\n  a: variables.b + 1\n  b: variables.c + 1\n  c: variables.a + 1\n"
    path = pack_with(tmp_path, "    assert: variables.a > 0\n", head)
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    (error,) = [str(e) for e in caught.value.errors]
    assert error == (f"{path}:6:16: variable 'a': variables read each other in a cycle: "
                     "variables.a → variables.b → variables.c → variables.a")


def test_variables_expanding_into_each_other_do_not_explode(tmp_path: Path) -> None:
    """Each variable reads the one before twice: written out as text, the last would be 2^30 copies."""
    lines = ["variables:", "  v0: size(case.key_events)"]
    lines += [f"  v{n}: variables.v{n - 1} + variables.v{n - 1}" for n in range(1, 31)]
    path = pack_with(tmp_path, "    assert: variables.v30 >= 0\n", "\n".join(lines) + "\n")
    started = time.perf_counter()
    code, out, _ = invoke("validate", str(path.parent))
    assert code == 0 and "no errors" in out
    code, out, _ = invoke("run", str(cases_file(tmp_path)), "--rules", str(path.parent), "--format", "json")
    assert code == 0 and json.loads(out)["rules"][0]["counts"]["pass"] == 1
    assert time.perf_counter() - started < 20


def test_variables_reading_each_other_too_deep_are_a_located_error(tmp_path: Path) -> None:
    lines = ["variables:", "  v0: size(case.key_events)"]
    lines += [f"  v{n}: variables.v{n - 1} + 1" for n in range(1, 40)]
    path = pack_with(tmp_path, "    assert: variables.v39 >= 0\n", "\n".join(lines) + "\n")
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    (error,) = [str(e) for e in caught.value.errors]
    assert error == (f"{path}:38:18: variable 'v32': variables read each other more than 32 deep: "
                     "variables.v32 → variables.v31 → variables.v30 → … → variables.v0")


def test_variables_declared_in_reverse_order_too_deep_are_a_located_error(tmp_path: Path) -> None:
    lines = ["variables:"] + [f"  v{n}: variables.v{n + 1} + 1" for n in range(0, 1000)] + ["  v1000: \"1\""]
    path = pack_with(tmp_path, "    assert: variables.v0 >= 0\n", "\n".join(lines) + "\n")
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    (error,) = [str(e) for e in caught.value.errors]
    assert error == (f"{path}:6:17: variable 'v0': variables read each other more than 32 deep: "
                     "variables.v0 → variables.v1 → variables.v2 → … → variables.v32")


def test_undeclared_variable_and_setting_get_a_did_you_mean(tmp_path: Path) -> None:
    head = ("settings:\n  limit_days: {type: integer, default: 5, description: a limit}\n"
            "variables:\n  person: case.victim.kind == \"person\"\n")
    path = pack_with(tmp_path, "    assert: variables.persn && size(case.victim.updates) <= settings.limit_day\n", head)
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:17:23: rule 't-rule': undeclared variable 'variables.persn' (did you mean 'person'?); "
        "declare it under 'variables:'",
        f"{path}:17:70: rule 't-rule': undeclared setting 'settings.limit_day' (did you mean 'limit_days'?); "
        "declare it under 'settings:'",
    ]


def test_a_setting_compared_with_a_field_of_another_type_is_an_error(tmp_path: Path) -> None:
    head = "settings:\n  code: {type: integer, default: 16, description: an outcome code}\n"
    path = pack_with(tmp_path, "    assert: case.outcome.code == settings.code\n", head)
    with pytest.raises(FileErrors) as caught:
        load_packs([path.parent])
    (error,) = [str(e) for e in caught.value.errors]
    assert "'case.outcome.code' is a string, compared with 'settings.code' (an int)" in error
    assert error.startswith(f"{path}:15:34:")


# --- warnings -----------------------------------------------------------------------------------


def test_validate_warns_of_a_cost_that_grows_as_the_product_of_two_lists(tmp_path: Path) -> None:
    path = pack_with(tmp_path, "    assert: case.key_events.all(e, case.victim.updates.exists(u, u.at >= e.at))\n")
    code, out, errors = invoke("validate", str(path.parent))
    assert code == 0
    assert out == "1 pack(s), 1 rule(s): no errors, 1 warning(s).\n"
    assert errors == (f"{path}:13:36: warning: rule 't-rule': exists() inside e's loop ranges over a list that does "
                      "not depend on 'e': the cost grows as the product of the two lists' sizes\n")


def test_a_loop_over_the_outer_item_or_a_literal_list_is_not_a_product(tmp_path: Path) -> None:
    pack_with(tmp_path, '    assert: case.key_events.all(e, ["a", "b"].exists(k, k != e.type))\n')
    assert pack_warnings(load_packs([tmp_path / "rules"])) == []


# --- waiver selectors and sample --where --------------------------------------------------------


def test_a_waiver_selector_is_analysed_like_a_rule(tmp_path: Path) -> None:
    pack_with(tmp_path, '    assert: case.victim.kind == "person"\n')
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: t-rule\n    where: >-\n      case.victim.kind == \"persn\"\n"
                       "    reason: test\n    approved_by: DI Example\n    expires: 2030-01-01\n", encoding="utf-8")
    with pytest.raises(FileErrors) as caught:
        load_waivers(waivers, load_packs([tmp_path / "rules"]))
    (error,) = [str(e) for e in caught.value.errors]
    assert error.startswith(f"{waivers}:4:27: waivers[0].where: \"persn\" is not an allowed value of 'case.victim.kind'")


@pytest.mark.parametrize(("where", "message"), [
    ('case.victim.kind == "persn"', '--where (column 21): "persn" is not an allowed value of \'case.victim.kind\''),
    ("workingdays_between(case.crime.reported_at, case.crime.recorded_at) > 1",
     "--where (column 1): unknown function 'workingdays_between' (did you mean 'working_days_between'?)"),
    ("case.key_events.exists(e, e.typ == 'x')", "--where (column 29): 'e.typ' is not a field"),
    ("case.key_events.map(e, e.at)", "--where gives a list of timestamp; a filter gives true or false"),
])
def test_sample_where_is_analysed_like_a_rule(where: str, message: str) -> None:
    with pytest.raises(SampleError) as caught:
        filter_records([], where)
    assert str(caught.value).startswith(message)


# --- offsets inside a YAML string, mapped back to the file ----------------------------------------


@pytest.mark.parametrize(("document", "line", "column"), [
    ('a: "\\té\\u00e9 x.kindd"\n', 1, 17),  # escapes are one character of the value, several in the file
    ("a: 'it''s x.kindd'\n", 1, 13),  # '' is one quote
    ("a: >-\r\n  first\r\n\r\n  x.kindd\r\n", 4, 5),  # CRLF line ends, a folded blank line
    ('a: "first \\\n  x.kindd"\n', 2, 5),  # an escaped line break
    ("b: [1, {c: x.kindd}]\n", 1, 14),  # flow style
])
def test_an_offset_in_a_string_is_located_as_written(document: str, line: int, column: int) -> None:
    from checker.yamlsource import parse_yaml

    data, locations = parse_yaml(document, "t.yaml")
    path = ("a",) if "a" in data else ("b", 1, "c")
    value = data[path[0]] if len(path) == 1 else data["b"][1]["c"]
    span = locations.scalar_at(path)
    assert span is not None
    location = span.locate(value.index("kindd"))
    assert (location.line, location.column) == (line, column)
    assert document.splitlines()[line - 1][column - 1:].startswith("kindd")
