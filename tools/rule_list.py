"""Writes the README's list of shipped rules from the rule packs, so the list cannot drift from them.

Each rule: its id, what it checks (the title), its source (the document, and the quote or
paragraph cited), how certain that reading is (the source's status), and the settings it reads
(directly or through pack variables: the choices a user can change). Run after changing a pack:

    python tools/rule_list.py            # rewrites the list between the README's markers
    python tools/rule_list.py --check    # exit 1 when the README's list differs from the packs

tests/test_rule_list.py fails when the README and the packs disagree.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from checker.packs.expressions import SETTINGS, VARIABLES, parse_expression, referenced  # noqa: E402
from checker.packs.rules import Rule, RulePack, load_packs  # noqa: E402

README = ROOT / "README.md"
RULES = ROOT / "rules"
BEGIN = "<!-- rule-list:begin (written by tools/rule_list.py from rules/*.yaml; do not edit by hand) -->"
END = "<!-- rule-list:end -->"


def cell(text: str) -> str:
    """Text safe in one Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def settings_read(rule: Rule, pack: RulePack) -> list[str]:
    """The pack settings a rule's expressions read, directly or through the pack's variables, in order."""
    texts = [clause.expression.text for clause in rule.clauses]
    texts += [rule.applies_when.text] if rule.applies_when is not None else []
    texts += [item.expression.text for item in rule.evidence if item.expression is not None]
    found: dict[str, None] = {}
    seen_variables: set[str] = set()
    while texts:
        tree = parse_expression(texts.pop(0))
        found.update(dict.fromkeys(name for name, _ in referenced(tree, SETTINGS)))
        for name, _ in referenced(tree, VARIABLES):
            if name not in seen_variables and name in pack.variables:
                seen_variables.add(name)
                texts.append(pack.variables[name].text)
    return list(found)


def setting_text(pack: RulePack, name: str) -> str:
    """A setting's name, with how certain its default is when the pack says (`x` (assumed))."""
    source = pack.settings[name].source
    return f"`{name}` ({source['status']})" if source and source.get("status") else f"`{name}`"


def source_text(source: dict[str, str]) -> str:
    cited = f'"{source["quote"]}"' if source.get("quote") else source.get("paragraph", "")
    return f"`{source['document']}`: {cited}" if source["document"].endswith(".txt") else f"{source['document']}: {cited}"


def render(packs: list[RulePack]) -> str:
    """The generated part of the README (between the markers, markers excluded)."""
    total = sum(len(pack.rules) for pack in packs)
    lines = [f"{total} rules in {len(packs)} packs. Certainty is the source's status: confirmed (read in an "
             "official text or a source document), secondary (read only in a secondary source), assumed "
             "(not found in any text: the choice is a setting). Settings are the pack settings the rule reads "
             "(directly or through the pack's variables), with the certainty of their default; each run "
             "prints their values.", ""]
    for pack in packs:
        lines += [f"**{pack.name}** ({cell(pack.title)}; `rules/{Path(pack.path).name}`, {pack.code_version})", "",
                  "| id | what it checks | source | certainty | settings |", "|---|---|---|---|---|"]
        for rule in pack.rules:
            settings = ", ".join(setting_text(pack, name) for name in settings_read(rule, pack)) or "—"
            lines.append(f"| `{rule.id}` | {cell(rule.title)} | {cell(source_text(rule.source))} "
                         f"| {rule.source['status']} | {settings} |")
        lines.append("")
    return "\n".join(lines)


def replaced(readme: str, generated: str) -> str:
    """The README with the text between the markers replaced; ValueError when the markers are missing."""
    begin, end = readme.find(BEGIN), readme.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"{README.name}: the markers {BEGIN!r} and {END!r} were not found in that order")
    return readme[: begin + len(BEGIN)] + "\n" + generated + "\n" + readme[end:]


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or --check) the README's list of shipped rules.")
    parser.add_argument("--check", action="store_true", help="exit 1 when the README's list differs from the packs")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    try:
        updated = replaced(readme, render(load_packs([RULES])))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if updated != readme:
            print("README.md's rule list differs from the packs: run python tools/rule_list.py", file=sys.stderr)
            return 1
        print("README.md's rule list matches the packs")
        return 0
    if updated != readme:
        write_atomically(README, updated)
        print(f"wrote the rule list in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
