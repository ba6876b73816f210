"""Time the fast CEL engine against the reference binding on the shipped rules, in one process.

    .venv/bin/python -m bench.cel_engines [--records N] [--seed S] [--repeat R]

Records: the synthetic generator's (normalised once, before timing), plus samples/cases.json.
Two measures, per record, for all 28 shipped rules:
- "expressions": every compiled expression (applies_when, clauses, evidence) run once on the
  record's context, including making the context (cel.Context for the reference, a dict for fast);
- "evaluate": the whole Evaluator.evaluate (statuses, messages, explanations, evidence).
Times are CPU time of this process (time.process_time), the best of R repeats with the engines
interleaved, so other load on the machine counts as little as possible.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

from checker.inputs.records import CaseRecord, RawRecord, check_record
from checker.engine.evaluate import EvaluationError, Evaluator, new_context
from checker.packs.expressions import FAST, REFERENCE
from checker.packs.rules import load_packs
from checker.settings import RunSettings
from synthetic.cases import generate_cases  # run from the repository root: `python -m bench.cel_engines`

ROOT = Path(__file__).resolve().parent.parent


def load_records(count: int, seed: int) -> list[CaseRecord]:
    data = generate_cases(count, seed=seed) + json.loads((ROOT / "samples" / "cases.json").read_text())
    records = []
    for index, item in enumerate(data):
        checked = check_record(RawRecord(index, None, item), "Europe/London")
        if isinstance(checked, CaseRecord):
            records.append(checked)
    return records


def expressions_of(evaluator: Evaluator) -> list[Any]:
    found = []
    for compiled in evaluator.rules:
        if compiled.applies_when is not None:
            found.append(compiled.applies_when)
        found += [expression for _, expression in compiled.clauses]
        found += [expression for _, _, expression in compiled.evidence if expression is not None]
    return found


def run_expressions(evaluator: Evaluator, records: list[CaseRecord]) -> None:
    expressions = expressions_of(evaluator)
    for record in records:
        context = new_context(record, evaluator.functions, evaluator.engine)
        for expression in expressions:
            try:
                expression.run(context)
            except EvaluationError:
                pass


def run_evaluate(evaluator: Evaluator, records: list[CaseRecord]) -> None:
    for record in records:
        evaluator.evaluate(record)


def cpu_seconds(work: Callable[[], None]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    packs = load_packs([ROOT / "rules"])
    settings = RunSettings(packs={pack.name: pack.default_settings() for pack in packs})
    records = load_records(args.records, args.seed)
    engines = {name: Evaluator(packs, settings, engine=name) for name in (REFERENCE, FAST)}
    count = len(expressions_of(engines[FAST]))
    print(f"{len(records)} records, {len(engines[FAST].rules)} rules, {count} expressions; best of {args.repeat}")
    print(f"{'measure':<12} {'reference µs/record':>20} {'fast µs/record':>15} {'speed-up':>9} {'fast records/s':>15}")
    for label, work in (("expressions", run_expressions), ("evaluate", run_evaluate)):
        best = {name: float("inf") for name in engines}
        for _ in range(args.repeat):
            for name, evaluator in engines.items():
                best[name] = min(best[name], cpu_seconds(lambda e=evaluator: work(e, records)))
        timings = {name: seconds / len(records) * 1e6 for name, seconds in best.items()}
        ratio = timings[REFERENCE] / timings[FAST]
        print(f"{label:<12} {timings[REFERENCE]:>20.1f} {timings[FAST]:>15.1f} {ratio:>8.1f}x "
              f"{1e6 / timings[FAST]:>15.0f}")


if __name__ == "__main__":
    main()
