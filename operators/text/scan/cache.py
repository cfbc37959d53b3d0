"""Work shared between rule filters that judge the same text slice one after another.

Several rule filters on one column each scan the same bytes (whitespace, word starts, lowercased text, character
counts). Inside ``shared_scans()``, ``memo`` gives every filter on this thread the answer computed first for the
same text object, so a chain of filters judged slice by slice (``RuleFilter.joint_verdicts``) scans each slice
once. Outside the block nothing is kept: a lone filter computes as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

Answer = TypeVar("Answer")
_local = threading.local()


@contextmanager
def shared_scans() -> Iterator[None]:
    """Within the block, ``memo`` answers on this thread are kept and reused (dropped at the end)."""
    previous = getattr(_local, "cache", None)
    _local.cache = {}
    try:
        yield
    finally:
        _local.cache = previous


def memo(kind: str, text: Any, compute: Callable[[Any], Answer]) -> Answer:
    """``compute(text)``, reused for the same ``text`` object inside ``shared_scans()``."""
    cache: dict[tuple[str, int], tuple[Any, Any]] | None = getattr(_local, "cache", None)
    if cache is None:
        return compute(text)
    key = (kind, id(text))
    hit = cache.get(key)
    if hit is None or hit[0] is not text:  # the entry holds ``text``, so its id is not reused meanwhile
        hit = cache[key] = (text, compute(text))
    return hit[1]
