"""Comparing CEL values in tests: the same value of the same type (bool is not int, 1.0 is not 1)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any


def same(left: Any, right: Any) -> bool:
    """Equal values of the same types (bool is not int, 1.0 is not 1); timestamps also in the same offset."""
    if type(left) is not type(right):
        return False
    if type(left) is float:
        return left == right or (math.isnan(left) and math.isnan(right))
    if type(left) is list:
        return len(left) == len(right) and all(map(same, left, right))
    if type(left) is dict:
        return left.keys() == right.keys() and all(same(left[key], right[key]) for key in left)
    if type(left) is datetime:
        return left == right and left.utcoffset() == right.utcoffset()
    return bool(left == right)
