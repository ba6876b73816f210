"""The documents register: how rule sources are shown to people (title, publisher, date), not by file name.

Rules cite their source by `document` (often a file name). A pack folder may hold `documents.json`
mapping each cited name to what people should read: `{"documents": {"NAME": {"title": …,
"publisher": …, "date": …}}}`. Reports look names up there; a name with no entry is shown as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

REGISTER = "documents.json"


def register_for(rulesets: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Every entry of the registers beside the run's pack files (the first pack's entry wins)."""
    entries: dict[str, dict[str, str]] = {}
    for pack in rulesets:
        path = pack.get("path")
        if isinstance(path, str):
            for name, entry in _read(str(Path(path).parent / REGISTER)).items():
                entries.setdefault(name, entry)
    return entries


@lru_cache(maxsize=16)
def _read(path: str) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no register (or an unreadable one): sources are shown as the rules name them
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, dict):
        return {}
    return {name: {key: str(value) for key, value in entry.items() if value}
            for name, entry in documents.items() if isinstance(entry, dict)}


def document_title(name: str, register: Mapping[str, Mapping[str, str]]) -> str:
    """`Title (Publisher, date)` for a registered document, else the name as the rule gives it."""
    entry = register.get(name)
    if not entry or not entry.get("title"):
        return name
    extra = ", ".join(entry[key] for key in ("publisher", "date") if entry.get(key))
    return f"{entry['title']} ({extra})" if extra else entry["title"]
