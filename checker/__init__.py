"""Rules-based compliance checker for police crime case files.

The library is usable without the command line: load rule packs with
`checker.rules.load_packs`, case files with `checker.cases.read_cases`, evaluate
with `checker.engine.Evaluator` and score with `checker.scoring.score_run`.
"""

__version__ = "0.1.0"
TOOL_NAME = "case-file-checker"
