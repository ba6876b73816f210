"""The normaliser: every field of the model present, in the model's order, timestamps as UTC datetimes,
unknown fields listed; the same as a plain walk of the schema, whatever order or gaps a record has."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timezone
from typing import Any

from hypothesis import given, settings, strategies as st

from checker.inputs.recordmodel import TIMESTAMP_FORMAT, record_model, schema_types
from synthetic.cases import generate_cases
from checker.inputs.timestamps import parse_timestamp
from tests.conftest import ROOT, SAMPLES, make_case

SCHEMA = record_model().schema
normalise = record_model().normalise
ZONES = ["Europe/London", "UTC", "America/New_York", "Australia/Lord_Howe"]


def plain_normalise(value: Any, schema: dict[str, Any], zone_name: str, unknown: set[str], path: str = "") -> Any:
    """The definition, walked field by field from the schema (slow and obvious: the reference)."""
    types = schema_types(schema)
    if schema.get("format") == TIMESTAMP_FORMAT:
        return None if value is None else parse_timestamp(value, zone_name)
    if value is None:
        if "array" in types:
            return []
        if "object" in types and "null" not in types:
            value = {}
        else:
            return None
    if "object" in types and isinstance(value, dict):
        properties = schema.get("properties")
        if properties is None:
            return dict(value)
        unknown.update(f"{path}{name}" for name in value if name not in properties)
        return {name: plain_normalise(value.get(name), sub, zone_name, unknown, f"{path}{name}.")
                for name, sub in properties.items()}
    if "array" in types and isinstance(value, list):
        item_path = path[:-1] + "[]."
        return [plain_normalise(item, schema.get("items", {}), zone_name, unknown, item_path) for item in value]
    return value


def assert_same(got: Any, expected: Any, where: str = "record") -> None:
    """Equal, of the same types, with keys in the same order and datetimes in `timezone.utc`."""
    assert type(got) is type(expected), where
    if isinstance(expected, dict):
        assert list(got) == list(expected), where
        for name in expected:
            assert_same(got[name], expected[name], f"{where}.{name}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), where
        for position, (item, expected_item) in enumerate(zip(got, expected)):
            assert_same(item, expected_item, f"{where}[{position}]")
    elif isinstance(expected, datetime):
        assert got == expected and got.tzinfo is timezone.utc and expected.tzinfo is timezone.utc, where
    else:
        assert got == expected, where


def check_against_plain(record: dict[str, Any], zone_name: str) -> None:
    written = copy.deepcopy(record)
    unknown: set[str] = set()
    expected_unknown: set[str] = set()
    got = normalise(record, zone_name, unknown)
    assert_same(got, plain_normalise(record, SCHEMA, zone_name, expected_unknown))
    assert unknown == expected_unknown
    assert record == written  # the record as written is left alone (evidence shows it)


def test_the_schema_read_with_orjson_is_the_schema_file() -> None:
    text = (ROOT / "checker" / "schemas" / "case.schema.json").read_text(encoding="utf-8")
    assert SCHEMA == json.loads(text)


def test_samples_and_synthetic_cases_normalise_as_the_plain_walk() -> None:
    records = json.loads((SAMPLES / "cases.json").read_text(encoding="utf-8")) + generate_cases(60, seed=3)
    for zone_name in ZONES:
        for record in records:
            check_against_plain(record, zone_name)


def test_objects_keep_the_models_order_whatever_the_records() -> None:
    record = make_case("A", victim={"referral": {"service": "IDVA", "made_at": "2022-03-02T09:00:00"}, "kind": "person"})
    record = {"victim": record["victim"], "crime": dict(reversed(list(record["crime"].items()))), "case_id": "A"}
    normalised = normalise(record, "Europe/London")
    assert list(normalised) == list(SCHEMA["properties"])
    assert list(normalised["victim"]) == list(SCHEMA["properties"]["victim"]["properties"])
    assert list(normalised["victim"]["referral"]) == ["made_at", "service", "declined_at"]
    assert normalised["victim"]["referral"] == {"made_at": datetime(2022, 3, 2, 9, tzinfo=timezone.utc),
                                                "service": "IDVA", "declined_at": None}
    assert normalised["crime"]["reported_at"] == datetime(2022, 3, 1, 10, tzinfo=timezone.utc)


def test_absent_and_null_become_what_the_model_says() -> None:
    record = {"case_id": "A", "crime": {"reported_at": "2022-03-01", "flags": None}, "victim": None,
              "audit": {"judgements": {"vc-needs-assessment": "yes"}}}
    normalised = normalise(record, "Europe/London")
    assert normalised["crime"]["flags"] == dict.fromkeys(SCHEMA["properties"]["crime"]["properties"]["flags"]["properties"])
    assert normalised["crime"]["offence"] == {"code": None, "description": None, "summary_only": None, "category": None}
    assert normalised["crime"]["cancellation"] is None and normalised["outcome"] is None
    assert normalised["victim"]["updates"] == [] and normalised["key_events"] == []
    assert normalised["investigation"] == {"allocated_at": None, "plan_recorded": None, "attendance": None,
                                           "supervisor_reviews": []}
    assert normalised["crime"]["reported_at"] == datetime(2022, 3, 1, 0, tzinfo=timezone.utc)  # midnight GMT
    assert normalised["audit"] == {"reviewer": None, "judgements": {"vc-needs-assessment": "yes"}, "notes": None}
    assert normalised["audit"]["judgements"] is not record["audit"]["judgements"]


def test_unknown_fields_are_listed_with_their_path_and_left_out() -> None:
    record = make_case("A", victim={"kind": "person", "recored_at": "x",
                                    "updates": [{"at": "2022-03-02T10:00:00Z", "method": "phone", "automated": False,
                                                 "by": "PC 1"}]},
                       key_events=[{"type": "suspect_arrested", "at": None, "note": ""}], extra=1)
    unknown: set[str] = set()
    normalised = normalise(record, "UTC", unknown)
    assert unknown == {"extra", "victim.recored_at", "victim.updates[].by", "key_events[].note"}
    assert "extra" not in normalised and "recored_at" not in normalised["victim"]
    assert list(normalised["victim"]["updates"][0]) == ["at", "method", "automated"]
    assert normalise(record, "UTC") == normalised  # without a set to fill


def test_the_normalised_record_shares_nothing_with_the_record_as_written() -> None:
    record = generate_cases(1, seed=11)[0]
    normalised = normalise(record, "Europe/London")
    written = copy.deepcopy(record)
    normalised["victim"]["updates"].append({})
    normalised["crime"]["flags"]["domestic_abuse"] = "changed"
    normalised["investigation"]["plan_recorded"] = "changed"
    assert record == written


def shuffled(value: Any, rng: random.Random) -> Any:
    """`value` with every object's fields in a random order, some dropped, some nulled, some unknown added."""
    if isinstance(value, list):
        return [shuffled(item, rng) for item in value]
    if not isinstance(value, dict):
        return value
    items = [(name, shuffled(item, rng)) for name, item in value.items() if name == "case_id" or rng.random() > 0.1]
    items = [(name, None if name != "case_id" and rng.random() < 0.05 else item) for name, item in items]
    if rng.random() < 0.1:
        items.append((f"unknown_{rng.randrange(3)}", rng.random()))
    if rng.random() < 0.5:
        rng.shuffle(items)
    return dict(items)


SEEDS = generate_cases(20, seed=8)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(index=st.integers(0, len(SEEDS) - 1), seed=st.integers(0, 2**32), zone_name=st.sampled_from(ZONES))
def test_reordered_thinned_and_extended_records_normalise_as_the_plain_walk(index: int, seed: int, zone_name: str) -> None:
    record = shuffled(SEEDS[index], random.Random(seed))
    if not isinstance(record.get("crime"), dict) or record["crime"].get("reported_at") is None:
        record["crime"] = {"reported_at": "2022-03-01T10:00:00"}
    check_against_plain(record, zone_name)
