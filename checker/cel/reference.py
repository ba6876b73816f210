"""The `cel` binding (common-expression-language), imported without its interactive shell.

The binding's package imports its REPL module (`cel.cli`, which loads prompt_toolkit and more) on
import: about 0.2 s of every `check` start-up, for a shell the checker never opens. A placeholder
module stands in for `cel.cli` in this process, so only the compiler and its standard library load;
`python -m cel` in its own process is unaffected."""

from __future__ import annotations

import sys
import types

sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli", "placeholder: the checker does not use the CEL shell"))

import cel as binding  # noqa: E402  (after the placeholder, by design)

__all__ = ["binding"]
