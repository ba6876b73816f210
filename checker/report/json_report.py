"""JSON output, contract `schema_version: 1` (see README: JSON output).

The report is written as the run goes (`JsonReportWriter`): the run's header
first, then each record on its own line as soon as it is evaluated, then the
rejections, scores and warnings when the input is done. Memory does not grow
with the input, and a consumer can follow the records line by line.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from typing import Any, TextIO

import orjson

from checker.results import RecordResult, RuleResult, RunReport


class JsonReportWriter:
    """Writes one JSON report to `stream` incrementally: `start`, `record`…, `finish`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.header_keys: set[str] = set()
        self.records_written = 0

    def start(self, header: dict[str, Any]) -> None:
        """Open the document with what is known before the first record (tool, rule packs, settings)."""
        self.header_keys = {"schema_version", *header}
        self.stream.write('{\n "schema_version": 1')
        for key, value in header.items():
            self.stream.write(f",\n {json.dumps(key)}: {_dumps(value)}")
        self.stream.write(',\n "records": [')

    @staticmethod
    def render_record(record: RecordResult) -> str:
        """One record as one line of JSON (pure: runs in worker processes): the text of
        `orjson.dumps(record.as_dict())`, with each result that carries nothing per record spliced in
        ready-made (see `result_json`). orjson is several times faster than the standard library here;
        what it cannot write (an integer beyond 64 bits, text that is not valid UTF-8) falls back to json."""
        try:
            return orjson.dumps(record.as_dict(result_json)).decode()
        except TypeError:
            return json.dumps(record.as_dict(), ensure_ascii=False)

    record_separator = ",\n  "  # between records' texts: one record per line

    def write_records(self, text: str, count: int) -> None:
        """`count` rendered records, joined by `record_separator`."""
        self.stream.write(("\n  " if self.records_written == 0 else self.record_separator) + text)
        self.records_written += count

    def record(self, record: RecordResult) -> None:
        self.write_records(self.render_record(record), 1)

    def rejected(self, rejection: dict[str, Any]) -> None:
        """Rejections are written with the summary (the report holds them)."""

    def finish(self, report: RunReport) -> None:
        self.stream.write("\n ]" if self.records_written else "]")
        for key, value in report.as_dict(include_records=False).items():
            if key not in self.header_keys:
                self.stream.write(f",\n {json.dumps(key)}: {_dumps(value)}")
        self.stream.write("\n}\n")


def result_json(result: RuleResult) -> dict[str, Any] | orjson.Fragment:
    """A result's form for orjson. Most results (not applicable; a pass without evidence) carry nothing
    but the rule id and status, so their text is always the same: it is made once (`bare_result_json`)
    rather than building and writing the same dictionary for every record."""
    if not result.evidence:
        try:
            ready = bare_result_json(result)
        except TypeError:  # not hashable: a field that is not text (a list given for a tuple)
            ready = None
        if ready is not None:
            return ready
    return result.as_dict()


@lru_cache(maxsize=4096)  # keyed by the result itself; the engine shares one object per rule and status
def bare_result_json(result: RuleResult) -> orjson.Fragment | None:
    """The JSON text of a result that carries nothing but its rule id and status; None for any other."""
    if result.message or result.clause is not None or result.explanation or result.waived_from is not None:
        return None
    return orjson.Fragment(orjson.dumps(result.as_dict()))


def run_header(report_or_header: RunReport | dict[str, Any]) -> dict[str, Any]:
    """The keys written before the records."""
    if isinstance(report_or_header, dict):
        return report_or_header
    return {"tool": report_or_header.tool, "rulesets": report_or_header.rulesets,
            "settings": report_or_header.settings}


def _dumps(value: Any, indent: int | None = 1) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return text.replace("\n", "\n ") if indent else text


def render(report: RunReport) -> str:
    buffer = io.StringIO()
    writer = JsonReportWriter(buffer)
    writer.start(run_header(report))
    for record in report.records:
        writer.record(record)
    writer.finish(report)
    return buffer.getvalue()
