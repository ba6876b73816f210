"""The shipped rules' second-round semantics that depend on the run, not on the record alone:
the reference date (--as-of) for open files, the pack settings that hold the open readings, the
helpers rules call (and their types in `check validate`), and list settings."""

from __future__ import annotations

import inspect
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from checker.engine.evaluate import cel_functions
from checker.engine.fixtures import merge
from checker.engine.workdays import WorkingDayCalendar, add_calendar_months
from checker.errors import FileErrors
from checker.packs.environment import HELPERS
from checker.packs.rules import load_packs
from checker.runner import run_check
from checker.settings import RunSettings, pack_settings
from tests.conftest import RULES, SAMPLES, rule_yaml, rules_yaml, run_cli, write_cases, write_pack

BASE = json.loads((RULES / "tests" / "base-case.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def packs():
    return load_packs([RULES])


def results_of(tmp_path: Path, packs, fragments: list[dict[str, Any]], as_of: date | None = None,
               **overrides: str) -> dict[tuple[str, str], Any]:
    """Each fragment merged onto the fixtures' base record, scored with the shipped packs."""
    records = [merge(BASE, {"case_id": f"C-{index}", **fragment}) for index, fragment in enumerate(fragments)]
    settings = RunSettings(packs=pack_settings(packs, overrides), as_of=as_of)
    report = run_check(write_cases(tmp_path / "cases.json", records), packs, settings)
    return {(record.case_id, result.rule_id): result for record in report.records for result in record.results}


def evidence(result: Any) -> dict[str, Any]:
    return {item.path: item.value for item in result.evidence}


# An open file: one update on 10 February, nothing dated after 10 February; 14 days agreed.
OPEN_FILE = {"outcome": None, "victim": {"updates": [{"at": "2022-02-10T10:00:00Z", "method": "phone", "automated": False}]},
             "investigation": {"supervisor_reviews": []}}
UPDATES = "vc-updates-at-agreed-frequency"


def test_open_file_is_measured_to_its_latest_entry_without_as_of(tmp_path: Path, packs) -> None:
    result = results_of(tmp_path, packs, [OPEN_FILE])["C-0", UPDATES]
    assert result.status == "pass"
    shown = evidence(result)
    assert shown["which is"] == "the latest dated entry on the open file (no --as-of given)"
    assert shown["measured to"] == "2022-02-10T10:00:00Z"


def test_open_file_with_no_update_for_longer_than_agreed_fails_at_the_reference_date(tmp_path: Path, packs) -> None:
    late = results_of(tmp_path, packs, [OPEN_FILE], as_of=date(2022, 2, 25))["C-0", UPDATES]
    assert late.status == "fail" and late.clause == "updated_within_interval_of_the_end"
    shown = evidence(late)
    assert shown["which is"] == "the run's reference date (--as-of), later than any entry on the open file"
    assert shown["days from the last update (or the report) to that point"] == 15
    on_the_day = results_of(tmp_path, packs, [OPEN_FILE], as_of=date(2022, 2, 24))["C-0", UPDATES]
    assert on_the_day.status == "pass"  # 14 local days


def test_an_as_of_earlier_than_the_file_does_not_shorten_it(tmp_path: Path, packs) -> None:
    result = results_of(tmp_path, packs, [OPEN_FILE], as_of=date(2022, 1, 1))["C-0", UPDATES]
    assert result.status == "pass"
    assert evidence(result)["which is"] == "the latest dated entry on the open file (later than --as-of)"


def test_the_date_waivers_default_to_is_not_given_to_rules() -> None:
    given = RunSettings(as_of=date(2023, 1, 31))
    defaulted = RunSettings().with_as_of()
    assert given.rules_as_of == date(2023, 1, 31) and defaulted.rules_as_of is None
    assert defaulted.as_of is not None  # waivers still compare with today
    assert cel_functions(defaulted)["as_of"]() is None
    start = cel_functions(given)["as_of"]()
    assert start == datetime(2023, 1, 31, 0, 0, tzinfo=timezone.utc)  # midnight in London, winter
    assert given.as_dict()["open_files_measured_to"] == (
        "the later of 2023-01-31 (--as-of) and the latest dated entry on each file")
    assert defaulted.as_dict()["open_files_measured_to"] == "the latest dated entry on each file (no --as-of given)"


def test_reference_date_is_printed_with_the_settings() -> None:
    plain = run_cli(str(SAMPLES / "cases.json"))
    assert "open files measured to the latest dated entry on each file (no --as-of given)" in plain.stdout
    dated = run_cli(str(SAMPLES / "cases.json"), "--as-of", "2023-01-31")
    assert "as-of=2023-01-31" in dated.stdout
    assert "open files measured to the later of 2023-01-31 (--as-of) and the latest dated entry" in dated.stdout


def test_an_opt_out_is_an_agreement_only_by_the_setting(tmp_path: Path, packs) -> None:
    opted_out = {"victim": {"contact_agreement": {"opted_out": True, "interval_days": None, "method": None}}}
    accepted = results_of(tmp_path, packs, [opted_out])
    assert (accepted["C-0", "vc-contact-agreement"].status, accepted["C-0", UPDATES].status) == ("pass", "not_applicable")
    refused = results_of(tmp_path, packs, [opted_out], update_opt_out_accepted="false")["C-0", "vc-contact-agreement"]
    assert refused.status == "fail" and refused.clause == "interval_recorded_or_opted_out"


def test_key_event_information_counts_as_an_update_only_by_the_setting(tmp_path: Path, packs) -> None:
    told = {"victim": {"contact_agreement": {"interval_days": 7}, "updates": []},
            "key_events": [{"type": "suspect_interviewed", "at": "2022-02-07T09:00:00Z",
                            "victim_informed_at": "2022-02-07T12:00:00Z"}]}
    assert results_of(tmp_path, packs, [told])["C-0", UPDATES].status == "pass"
    off = results_of(tmp_path, packs, [told], key_event_information_counts_as_update="false")["C-0", UPDATES]
    assert off.status == "fail" and off.clause == "updated_within_interval_of_the_end"
    assert evidence(off)["days from the last update (or the report) to that point"] == 14  # report to finalisation


def test_enhanced_rights_without_a_ground_fail_only_under_the_strictness_setting(tmp_path: Path, packs) -> None:
    no_ground = {"crime": {"flags": {"domestic_abuse": False}}, "victim": {"enhanced_rights_recorded": True}}
    rule = "vc-enhanced-rights-assessed"
    assert results_of(tmp_path, packs, [no_ground])["C-0", rule].status == "pass"
    strict = results_of(tmp_path, packs, [no_ground], enhanced_rights_without_ground_fails="true")["C-0", rule]
    assert strict.status == "fail" and strict.clause == "no_enhanced_rights_without_ground"


def test_the_offence_list_for_enhanced_rights_is_a_setting(tmp_path: Path, packs) -> None:
    category = {"crime": {"offence": {"category": "stalking"}, "flags": {"domestic_abuse": False}},
                "victim": {"enhanced_rights_recorded": False}}
    rule = "vc-enhanced-rights-assessed"
    assert results_of(tmp_path, packs, [category])["C-0", rule].status == "pass"
    added = results_of(tmp_path, packs, [category], most_serious_crime_categories="stalking,kidnap")["C-0", rule]
    assert added.status == "fail" and added.clause == "eligible_victim_given_enhanced_rights"
    assert evidence(added)["grounds for Enhanced Rights in the file"] == ["most serious crime: stalking"]


def test_statement_offer_after_finalisation_passes_when_timing_is_not_required(tmp_path: Path, packs) -> None:
    late = {"victim": {"vps": {"offered_at": "2022-02-15T10:00:00Z", "made_at": None, "declined_at": None}}}
    strict = results_of(tmp_path, packs, [late])["C-0", "vc-vps-offered"]
    assert strict.status == "fail" and strict.clause == "offered_before_finalisation"
    assert results_of(tmp_path, packs, [late], vps_offer_before_finalisation="false")["C-0", "vc-vps-offered"].status == "pass"


def test_the_decisions_the_review_scheme_excludes_are_a_setting(tmp_path: Path, packs) -> None:
    interviewed = {"key_events": [{"type": "suspect_interviewed", "at": "2022-02-01T10:00:00Z",
                                   "victim_informed_at": "2022-02-01T15:00:00Z"}]}  # outcome 16 on the base
    rule = "vc-review-information"
    assert results_of(tmp_path, packs, [interviewed])["C-0", rule].status == "not_applicable"
    narrowed = results_of(tmp_path, packs, [interviewed], review_excluded_outcome_types="1,2,3")["C-0", rule]
    assert narrowed.status == "fail" and narrowed.clause == "review_information_given"


def test_outcome_15_timescale_is_a_setting(tmp_path: Path, packs) -> None:
    told = {"outcome": {"code": "15", "victim_informed_at": "2022-02-22T10:00:00Z"}}  # 6 working days
    assert results_of(tmp_path, packs, [told])["C-0", "out15-victim-informed"].status == "fail"
    longer = results_of(tmp_path, packs, [told], outcome_15_victim_informed_working_days="6")
    assert longer["C-0", "out15-victim-informed"].status == "pass"


def test_out17_counts_months_on_the_runs_local_dates(tmp_path: Path, packs) -> None:
    bst = {"crime": {"offence": {"summary_only": True}, "committed_at": "2021-06-15T00:30:00",
                     "reported_at": "2021-06-15T09:00:00Z"},
           "outcome": {"code": "17", "finalised_at": "2021-12-15T12:00:00Z"}}
    result = results_of(tmp_path, packs, [bst])["C-0", "out17-time-limit"]
    assert result.status == "fail" and result.clause == "time_limit_passed"
    assert evidence(result)["last local day to prosecute"] == "2021-12-15"


# --------------------------------------------------------------------------- helpers

def test_the_validators_helper_table_is_the_helpers_rules_get() -> None:
    functions = cel_functions(RunSettings(as_of=date(2023, 1, 31)))
    assert set(functions) == set(HELPERS)
    for name, function in functions.items():
        assert len(inspect.signature(function).parameters) == len(HELPERS[name].parameters), name


def _pack_calling(expression: str) -> str:
    return rules_yaml(rule_yaml("t-rule", check=expression))


@pytest.mark.parametrize(("expression", "problem"), [
    ("latest_entry(case.crime.reported_at) != null", "unknown function 'latest_entry' (did you mean 'latest'?)"),
    ("local_date(case.crime.reported_at, 1) != null", "local_date() takes 1 argument, given 2"),
    ("as_of(case.crime.reported_at) != null", "as_of() takes 0 arguments, given 1"),
])
def test_validate_refuses_unknown_helpers_and_wrong_arity(tmp_path: Path, expression: str, problem: str) -> None:
    path = write_pack(tmp_path, _pack_calling(expression))
    with pytest.raises(FileErrors) as caught:
        load_packs([tmp_path])
    (error,) = [str(error) for error in caught.value.errors]
    assert error.startswith(f"{path}:") and problem in error


def test_a_bad_helper_call_in_a_variable_is_reported_once_at_the_variable(tmp_path: Path) -> None:
    body = ("variables:\n  when: locl_date(case.crime.reported_at)\n"
            + rules_yaml(rule_yaml("t-a", check="variables.when != null"), rule_yaml("t-b", check="variables.when != null")))
    path = write_pack(tmp_path, body)
    with pytest.raises(FileErrors) as caught:
        load_packs([tmp_path])
    (error,) = [str(error) for error in caught.value.errors]
    assert error.startswith(f"{path}:") and "variable 'when': unknown function 'locl_date' (did you mean 'local_date'?)" in error


def test_local_date_helpers() -> None:
    calendar = WorkingDayCalendar(timezone="Europe/London")
    bst = datetime(2021, 6, 14, 23, 30, tzinfo=timezone.utc)  # 00:30 on 15 June in London
    assert calendar.local_date(bst) == "2021-06-15" and calendar.local_date(None) is None
    assert calendar.local_date_plus_months(bst, 6) == "2021-12-15"
    assert add_calendar_months(date(2021, 8, 31), 6) == date(2022, 2, 28)
    assert add_calendar_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_calendar_months(date(2022, 11, 30), 3) == date(2023, 2, 28)
    # 25 Oct 00:30 BST to 1 Nov 00:30 GMT: 7 days 1 hour elapsed, 7 local days, 8 UTC dates.
    autumn = [datetime(2022, 10, 24, 23, 30, tzinfo=timezone.utc), datetime(2022, 11, 1, 0, 30, tzinfo=timezone.utc)]
    assert calendar.longest_gap_local_days(autumn) == 7
    assert calendar.longest_gap_local_days(autumn[:1]) == 0 and calendar.longest_gap_local_days([None]) is None


def test_latest_walks_a_record_and_skips_nulls() -> None:
    early, late = datetime(2022, 1, 1, tzinfo=timezone.utc), datetime(2022, 3, 1, tzinfo=timezone.utc)
    record = {"a": early, "b": [{"at": None}, {"at": late}], "c": {"d": None, "e": "text"}}
    assert WorkingDayCalendar.latest(record) == late
    assert WorkingDayCalendar.latest([None, early]) == early and WorkingDayCalendar.latest([None]) is None


# --------------------------------------------------------------------------- list settings

def test_a_list_setting_is_set_from_the_command_line_and_typed(packs) -> None:
    values = pack_settings(packs, {"review_excluded_outcome_types": "1, 2,16",
                                   "most_serious_crime_categories": "kidnap,stalking",
                                   "outcome_codes_with_suffix": '["1A"]'})
    assert values["victims-code"]["review_excluded_outcome_types"] == [1, 2, 16]
    assert values["victims-code"]["most_serious_crime_categories"] == ["kidnap", "stalking"]
    assert values["outcomes"]["outcome_codes_with_suffix"] == ["1A"]
    assert pack_settings(packs, {"most_serious_crime_categories": ""})["victims-code"]["most_serious_crime_categories"] == []
    assert pack_settings(packs, {"most_serious_crime_categories": "kidnap,2"})[
        "victims-code"]["most_serious_crime_categories"] == ["kidnap", "2"]  # items read as the default's are
    with pytest.raises(ValueError, match="must be a list of whole numbers, found '1,two'"):
        pack_settings(packs, {"review_excluded_outcome_types": "1,two"})
    with pytest.raises(ValueError, match=r"must be a list of whole numbers \(as its default\)"):
        pack_settings(packs, {"review_excluded_outcome_types": '["1"]'})


def test_a_list_default_mixing_kinds_is_refused(tmp_path: Path) -> None:
    body = "settings:\n  mixed: {type: list, default: [1, two], description: d}\n" + _pack_calling("case.victim.kind != null")
    path = write_pack(tmp_path, body)
    with pytest.raises(FileErrors) as caught:
        load_packs([tmp_path])
    (error,) = [str(error) for error in caught.value.errors]
    assert error.startswith(f"{path}:") and "must be a list of strings or of whole numbers" in error
