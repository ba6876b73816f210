"""`check init DIR`: a rules folder that validates and tests out of the box, for a rule author to start from.

It holds one pack with one example rule (a setting, an `applies_when`, named clauses, evidence), its
fixtures (a pass, a fail and a not-applicable), the base record the fixtures are merged onto, and a
README saying how the pieces fit. Nothing is written over: the folder must be new or empty.
"""

from __future__ import annotations

import json
from pathlib import Path

from checker.outputs import write_output

PACK = """\
# An example rule pack: copy the rule, change it, and add fixtures for each rule in tests/.
pack:
  name: example
  version: "0.1.0"
  code_version: EXAMPLE-1          # the edition of the code or guidance the pack encodes

settings:
  recording_limit_hours:
    type: integer
    default: 24
    description: Hours within which a reported crime must be recorded.
    source: {document: your-source-document.txt, quote: "within 24 hours", status: assumed}

rules:
  - id: example-recorded-in-time
    title: Crime recorded within the limit after the report
    family: example
    severity: medium
    kind: automatic
    source: {document: your-source-document.txt, quote: "within 24 hours", status: assumed}
    applies_when: case.crime.cancellation == null
    assert:
      all:
        recorded: case.crime.recorded_at != null
        in_time: hours_between(case.crime.reported_at, case.crime.recorded_at) <= double(settings.recording_limit_hours)
    message: Not recorded within the limit after the report
    evidence:
      - crime.reported_at
      - crime.recorded_at
      - {label: hours from report to recording, expr: "hours_between(case.crime.reported_at, case.crime.recorded_at)"}
"""

FIXTURES = """\
# Fixtures for example.yaml. Each `case` is merged onto base-case.json (objects key by key; lists,
# scalars and null replace); `expect` gives the status expected for each rule named.
fixtures:
  - name: recorded 7 hours after the report
    expect: {example-recorded-in-time: pass}

  - name: recorded 2 days after the report
    case: {crime: {recorded_at: "2022-02-02T15:00:00Z"}}
    expect: {example-recorded-in-time: fail}

  - name: never recorded
    case: {crime: {recorded_at: null}}
    expect: {example-recorded-in-time: fail}

  - name: a cancelled crime is out of scope
    case: {crime: {cancellation: {at: "2022-02-01T10:00:00Z", criterion: duplicate}}}
    expect: {example-recorded-in-time: not_applicable}
"""

BASE_CASE = {
    "case_id": "EXAMPLE-0001",
    "force": "Example Constabulary",
    "crime": {
        "reference": "EX-22-0001",
        "offence": {"code": "8N", "description": "Assault with injury", "summary_only": False},
        "committed_at": "2022-01-30T22:40:00Z",
        "reported_at": "2022-01-31T08:05:00Z",
        "recorded_at": "2022-01-31T15:30:00Z",
        "flags": {"domestic_abuse": False, "hate_crime": False, "sexual_offence": False, "serious_crime": False},
        "cancellation": None,
    },
    "victim": {"kind": "person"},
}

README = """\
# Rules folder

- `example.yaml`: a rule pack (`pack`, typed `settings`, `rules`). Rules are CEL expressions over the
  case file, bound as `case`; `check schema rules` prints the pack schema, `check schema case-file` the case model.
- `tests/base-case.json`: a complete, valid case file. Every fixture starts from it.
- `tests/example.test.yaml`: fixtures: a case fragment merged onto the base record and the status
  expected per rule. Every rule needs a fixture that passes, one that fails, and one not applicable
  when it has `applies_when`.

Check and test the folder (both exit 1 on any problem, with file:line:column):

    check validate {folder}
    check test {folder}

Score case files with it: `check CASES --rules {folder}`.
"""


class FolderNotEmpty(ValueError):
    """The folder for a new rules folder already holds files (nothing is written over)."""


def scaffold(folder: Path) -> list[Path]:
    """Write the example rules folder into `folder` (created if need be); the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FolderNotEmpty(f"{folder} already exists and is not an empty folder: give a new folder name "
                             "(nothing is written over)")
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    files = {
        folder / "example.yaml": PACK,
        folder / "tests" / "base-case.json": json.dumps(BASE_CASE, indent=2) + "\n",
        folder / "tests" / "example.test.yaml": FIXTURES,
        folder / "README.md": README.format(folder=folder),
    }
    for path, text in files.items():
        write_output(path, text)
    return list(files)
