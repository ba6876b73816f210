"""Whether a synthetic file meets each obligation: drawn from a seeded generator, faults remembered."""

from __future__ import annotations

import random


class Checks:
    """Decides, obligation by obligation, whether a file meets it, and remembers what it broke (in `faults`,
    which a second set of draws for the same file may share, so one list names every planted fault)."""

    def __init__(self, rng: random.Random, compliance: float, exemplary: bool, faults: list[str] | None = None) -> None:
        self.rng = rng
        self.compliance = compliance
        self.exemplary = exemplary
        self.faults: list[str] = [] if faults is None else faults

    def met(self, obligation: str, weight: float = 1.0) -> bool:
        """Met with probability 1 - (1 - compliance) * weight; always met in an exemplary file."""
        if self.exemplary:
            return True
        if self.rng.random() < (1.0 - self.compliance) * weight:
            if obligation not in self.faults:
                self.faults.append(obligation)
            return False
        return True
