"""Synthetic stop-and-search records written the way a force's search-record system exports them: CSV.

Like `synthetic.export` for case files, this plays the part of a force's system, independently of
the checker's mapping code: its own column names ("Search Ref", "Date/Time", "Self-Defined
Ethnicity" …), UK local dates ("08/03/2022 14:20"), Y/N flags and labels instead of codes ("Misuse
of Drugs Act s23", "Black, Black British, Caribbean or African"). The cells are written with the
case export's helpers. `samples/export-stop-search/mapping.yaml` is the mapping a user would write to
read it; a test checks that the export read through it scores exactly like samples/stop-search.json.

The shipped export is the 2021 audit sample (the records of samples/stop-search.json):

    python -m synthetic.stop_search_export --output-dir samples/export-stop-search
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from synthetic.export import JUDGEMENTS, Cell, Table, _at, _flag, _labelled, _time, write_csv
from synthetic.stop_search import AUDITS

Record = dict[str, Any]
SEARCHES_FILE = "searches.csv"

POWER_LABELS = {
    "pace_s1": "PACE s1",
    "misuse_of_drugs_act_s23": "Misuse of Drugs Act s23",
    "firearms_act_s47": "Firearms Act s47",
    "cjpoa_s60": "CJPOA s60",
    "other": "Other",
}
OBJECT_LABELS = {
    "drugs": "Controlled drugs",
    "weapons": "Offensive weapons",
    "stolen_property": "Stolen property",
    "going_equipped": "Going equipped",
    "criminal_damage": "Articles for criminal damage",
    "fireworks": "Fireworks",
    "other": "Other",
}
ETHNICITY_LABELS = {
    "asian": "Asian or Asian British",
    "black": "Black, Black British, Caribbean or African",
    "mixed": "Mixed or Multiple ethnic groups",
    "white": "White",
    "other": "Other ethnic group",
    "not_stated": "Not stated",
}
AGE_LABELS = {"under_10": "Under 10", "10_17": "10-17", "18_24": "18-24", "25_34": "25-34", "over_34": "Over 34"}
GENDER_LABELS = {"male": "Male", "female": "Female", "other": "Other"}
OUTCOME_LABELS = {
    "no_further_action": "No further action",
    "arrest": "Arrest",
    "summons": "Summons / charged by post",
    "caution": "Caution",
    "community_resolution": "Community resolution",
    "penalty_notice": "Penalty Notice for Disorder",
    "drugs_warning": "Cannabis / khat warning",
    "other": "Other",
}

SEARCH_COLUMNS: tuple[tuple[str, Callable[[Record], Cell]], ...] = (
    ("Search Ref", _at("search_id")),
    ("Date/Time", _time("searched_at")),
    ("Location", _at("place")),
    ("Power", _labelled(POWER_LABELS, "power")),
    ("Object of Search", _labelled(OBJECT_LABELS, "object_of_search")),
    ("Grounds", _at("grounds.recorded_text")),
    ("Grounds Personal Factors Only (Y/N)", _flag("grounds.personal_factors_only")),
    ("Officer No", _at("officer.identifier")),
    ("Station", _at("officer.station")),
    ("Self-Defined Ethnicity", _labelled(ETHNICITY_LABELS, "person.self_defined_ethnicity")),
    ("Officer-Observed Ethnicity", _labelled(ETHNICITY_LABELS, "person.officer_observed_ethnicity")),
    ("Age Range", _labelled(AGE_LABELS, "person.age_band")),
    ("Gender", _labelled(GENDER_LABELS, "person.gender")),
    ("Told Grounds (Y/N)", _flag("told.grounds")),
    ("Told Object (Y/N)", _flag("told.object")),
    ("Told Officer ID (Y/N)", _flag("told.officer_identity")),
    ("Told Station (Y/N)", _flag("told.station")),
    ("Told Entitled to Copy (Y/N)", _flag("told.entitlement_to_copy")),
    ("Copy Given (Y/N)", _flag("record_given")),
    ("Receipt Offered", _time("receipt_offered_at")),
    ("BWV Used (Y/N)", _flag("bwv.used")),
    ("BWV Not Used Reason", _at("bwv.reason_not_used")),
    ("Outcome", _labelled(OUTCOME_LABELS, "outcome.result")),
    ("Item Found (Y/N)", _flag("outcome.item_found")),
    ("Find Linked to Object (Y/N)", _flag("outcome.find_linked")),
    ("Supervisor Reviewed", _time("review.reviewed_at")),
    ("Supervisor", _at("review.reviewer")),
    ("Footage Reviewed (Y/N)", _flag("review.footage_reviewed")),
    ("Feedback Given (Y/N)", _flag("review.feedback_given")),
    ("Auditor", _at("audit.reviewer")),
    ("Audit: Reasonable Grounds", _labelled(JUDGEMENTS, "audit.judgements.ss-reasonable-grounds")),
)


def export_table(records: Iterable[Record]) -> Table:
    """One row per search record."""
    rows = tuple(tuple(read(record) for _, read in SEARCH_COLUMNS) for record in records)
    return Table(tuple(name for name, _ in SEARCH_COLUMNS), rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic.stop_search_export",
                                     description="Write a synthetic stop-and-search audit sample as a force's CSV export.")
    parser.add_argument("--audit", type=int, choices=sorted(AUDITS), default=2021, help="which audit (default 2021)")
    parser.add_argument("--output-dir", type=Path, required=True, help="folder to write searches.csv into")
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    path = args.output_dir / SEARCHES_FILE
    write_csv(export_table(AUDITS[args.audit](args.audit)), path)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
