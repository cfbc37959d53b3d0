"""A fast, seeded random stream for the corpus generator.

All randomness comes from one ``numpy.random.Generator`` (PCG64), drawn in large blocks and handed out one value
at a time, so per-draw cost is a list lookup rather than a numpy call and the output is identical for a seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")
_BLOCK = 1 << 16


class Rand:
    """Seeded uniform draws with small helpers (choice, int range, coin flip, lognormal)."""

    def __init__(self, seed: int) -> None:
        self._gen = np.random.Generator(np.random.PCG64(seed))
        self._next = iter(()).__next__

    def _refill(self) -> float:
        self._next = iter(self._gen.random(_BLOCK).tolist()).__next__
        return self._next()

    def random(self) -> float:
        """A float in [0, 1)."""
        try:
            return self._next()
        except StopIteration:
            return self._refill()

    def below(self, n: int) -> int:
        """An int in [0, n)."""
        try:
            return int(self._next() * n)
        except StopIteration:
            return int(self._refill() * n)

    def between(self, low: int, high: int) -> int:
        """An int in [low, high], both ends included."""
        return low + int(self.random() * (high - low + 1))

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.random() < p

    def pick(self, items: Sequence[T]) -> T:
        """One item, uniformly."""
        try:
            return items[int(self._next() * len(items))]
        except StopIteration:
            return items[int(self._refill() * len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """k distinct items (k is clipped to len(items)), in random order."""
        pool = list(items)
        out = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(int(self.random() * len(pool))))
        return out

    def weighted(self, cumulative: Sequence[float]) -> int:
        """Index into a cumulative weight table whose last entry is 1.0."""
        u = self.random()
        for index, edge in enumerate(cumulative):
            if u < edge:
                return index
        return len(cumulative) - 1

    def lognormal_int(self, median: float, sigma: float, low: int, high: int) -> int:
        """A lognormal count with the given median, clipped to [low, high]."""
        # Box-Muller from two uniforms keeps every draw on the one buffered stream.
        u1, u2 = self.random() or 1e-12, self.random()
        z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        return max(low, min(high, round(median * math.exp(sigma * z))))
