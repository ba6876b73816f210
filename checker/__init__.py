"""Rules-based compliance checker for police crime case files.

The library is usable without the command line: load rule packs with
`checker.packs.rules.load_packs`, case files with `checker.inputs.records.read_cases`, evaluate
with `checker.engine.evaluate.Evaluator` and score with `checker.scoring.counts.score_run`.
"""

__version__ = "0.1.0"
TOOL_NAME = "case-file-checker"
