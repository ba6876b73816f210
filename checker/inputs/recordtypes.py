"""The kinds of record the checker audits, and what each is called.

The inspectorate scores more than crime case files with the same method: stop-and-search
records and calls for service too. Each record type has its own versioned JSON Schema
(`checker/schemas/`), the name its rules read it by (the CEL variable: `case.victim…`,
`search.grounds…`, `call.answered_at`), the field that identifies a record, and the words
reports use for it. A pack declares the type it applies to (`pack.record_type`, default
`case-file`), an input holds records of one type, and a pack only ever runs on its own type.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.errors import CheckerError


@dataclass(frozen=True)
class RecordType:
    name: str  # as packs, records (`record_type`), mappings and --record-type write it
    variable: str  # the CEL variable rules read the record by
    id_field: str  # the field that identifies a record, unique within an input
    schema_file: str  # in checker/schemas/
    noun: str  # "case file": "1 case file rejected"
    plural: str  # "case files"
    title: str  # headings: "Case file compliance"
    model: str  # what messages call its model: "the case model"


CASE_FILE = RecordType("case-file", "case", "case_id", "case.schema.json", "case file", "case files",
                       "Case file", "case model")
STOP_SEARCH = RecordType("stop-search", "search", "search_id", "stop-search.schema.json", "search record",
                         "search records", "Stop-and-search record", "stop-search record model")
CALL = RecordType("call", "call", "call_id", "call.schema.json", "call", "calls", "Call record",
                  "call record model")

RECORD_TYPES: dict[str, RecordType] = {kind.name: kind for kind in (CASE_FILE, STOP_SEARCH, CALL)}
DEFAULT_RECORD_TYPE = CASE_FILE.name
RECORD_TYPE_FIELD = "record_type"  # a record may say its type; an input holds one


class UnknownRecordType(CheckerError):
    code = "unknown-record-type"


def record_type(name: str) -> RecordType:
    """The record type called `name`; UnknownRecordType (with the known names) otherwise."""
    try:
        return RECORD_TYPES[name]
    except (KeyError, TypeError):
        raise UnknownRecordType(f"unknown record type {name!r}: expected one of {', '.join(RECORD_TYPES)}") from None
