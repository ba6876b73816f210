"""The CEL package stands alone: it imports nothing else from the checker, and its public surface is
what its docstring documents."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import checker.cel
from checker import cel

PACKAGE = Path(checker.cel.__file__).parent


def test_the_cel_package_imports_nothing_else_from_the_project() -> None:
    outside: list[str] = []
    for module in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            outside += [f"{module.name}: {name}" for name in names
                        if name.startswith("checker") and not name.startswith("checker.cel")]
    assert outside == []


def test_the_public_surface_is_documented() -> None:
    spans = re.findall(r"`([^`]+)`", cel.__doc__ or "")  # what the docstring writes as code
    undocumented = [name for name in cel.__all__ if not any(re.search(rf"\b{name}\b", span) for span in spans)]
    assert undocumented == []
