"""The helper functions rule expressions may call, by name and number of arguments.

`check validate` checks every call in a pack against this table, so a misspelled helper or a
wrong number of arguments is a located error in CI rather than an `error` status on every record.
The functions themselves are bound per run (`checker.engine.evaluate.cel_functions`: the date helpers to the
run's calendar and zone); a test keeps this table and those functions the same.
"""

from __future__ import annotations

from checker import cel
from checker.cel.compiler import child_nodes
from checker.cel.runtime import GLOBAL_FUNCTION_NAMES
from checker.cel.syntax import Call

HELPER_ARITY: dict[str, int] = {
    "hours_between": 2,  # clock hours between two instants
    "working_days_between": 2,  # working days, the day after the first is day 1
    "longest_gap_days": 1,  # longest gap between sorted instants, exact elapsed days
    "longest_gap_local_days": 1,  # the same in calendar days of the run's zone
    "local_date": 1,  # an instant's date in the run's zone, "YYYY-MM-DD"
    "local_date_plus_months": 2,  # that date plus whole calendar months, "YYYY-MM-DD"
    "latest": 1,  # the latest instant in a list, or anywhere in a record (nulls skipped)
    "as_of": 0,  # the run's reference date (--as-of) as the start of that day, or null
    "code_number": 1,  # "3A" → 3
}


def helper_call_problems(text: str) -> list[str]:
    """What is wrong with the helper calls of `text` (an expression that compiles), one message each."""
    problems: list[str] = []
    stack = [cel.parse(text)]
    while stack:
        node = stack.pop()
        stack.extend(child_nodes(node))
        if type(node) is not Call or node.target is not None or node.name in GLOBAL_FUNCTION_NAMES:
            continue
        arity = HELPER_ARITY.get(node.name)
        if arity is None:
            problems.append(f"unknown function {node.name}(): the helpers are {', '.join(sorted(HELPER_ARITY))}")
        elif len(node.args) != arity:
            problems.append(f"{node.name}() takes {arity} argument{'' if arity == 1 else 's'}, found {len(node.args)}")
    return problems
