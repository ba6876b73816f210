"""Case text made safe for where a report puts it: a terminal, a Markdown page, a spreadsheet cell.

Case files are free text written by many hands and exported by many systems; any of it may hold control
characters, escape sequences, HTML or text a spreadsheet would run as a formula. Each function here
takes text as a case file has it and returns what can be shown in one medium without acting on it:

- `terminal_text`: control characters (C0, DEL, C1: the ESC and CSI that start terminal escape
  sequences) shown as `\\xNN` escapes, never sent raw;
- `markdown_text`: `&`, `<`, `>` as HTML entities (no tag survives into a wiki page or a pull request),
  `|` escaped for tables, line breaks as spaces;
- `workbook_value`: text a spreadsheet cell can hold and will not run: control characters it cannot
  store shown as Unicode control pictures (U+2400…), text that would start a formula prefixed with `'`,
  and text that starts with `'` prefixed too, so that `read_workbook_text` gives back exactly what was
  written (`=X1` and `'=X1` stay two different values).
"""

from __future__ import annotations

import re
from typing import Any

from checker.report.csv_report import neutralise

_TERMINAL_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # every control character but the line feed
_TERMINAL_CONTROLS_IN_FIELD = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def terminal_text(text: str, *, newlines: bool = True) -> str:
    """`text` with control characters as `\\xNN`; with `newlines=False` line breaks too (one field on one line)."""
    pattern = _TERMINAL_CONTROLS if newlines else _TERMINAL_CONTROLS_IN_FIELD
    return pattern.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


_MARKDOWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "\r": " ", "\n": " "})


def markdown_text(text: object) -> str:
    return str(text).translate(_MARKDOWN)


# The characters an xlsx cell cannot hold (openpyxl refuses them: IllegalCharacterError).
_WORKBOOK_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def workbook_value(value: Any) -> Any:
    """A value as a workbook cell should hold it (see the module docstring); non-text passes through."""
    if not isinstance(value, str):
        return value
    if _WORKBOOK_ILLEGAL.search(value):
        value = _WORKBOOK_ILLEGAL.sub(lambda found: chr(0x2400 + ord(found.group())), value)
    if value.startswith("'"):
        return "'" + value
    return neutralise(value)


def read_workbook_text(text: str) -> str:
    """The value `workbook_value` was given, from the text it wrote: the one apostrophe it added removed."""
    rest = text[1:]
    if text.startswith("'") and (rest.startswith("'") or neutralise(rest) != rest):
        return rest
    return text


_CONTROL_PICTURES = re.compile("[\u2400-\u2408\u240b\u240c\u240e-\u241f]")


def restore_controls(text: str) -> str:
    """`text` with the control pictures `workbook_value` wrote turned back into control characters (for
    matching a case id read from a workbook against the case file's)."""
    return _CONTROL_PICTURES.sub(lambda found: chr(ord(found.group()) - 0x2400), text)
