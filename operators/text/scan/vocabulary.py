"""Word identity for the rule filters: vocabulary lookup (stop words, blocklists), distinct words per row.

Words are byte spans from ``ByteScan``; both questions are answered by compiled kernels (``kernels.words``, imported
with the first call) that compare bytes exactly.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from operators.text.scan.byte_scan import ByteScan


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's 179-word English stop-word list, shipped as operators/text/data/stopwords_en.txt."""
    text = resources.files("operators.text").joinpath("data/stopwords_en.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@lru_cache(maxsize=8)
def vocabulary_table(vocabulary: frozenset[str]) -> tuple[np.ndarray | np.uint64, ...]:
    """The lookup tables of ``kernels.vocabulary``: the short words' keys and lengths, the longest word's bytes, and for
    longer words their UTF-8 bytes, offsets and an open-addressing table of their FNV hashes."""
    from operators.text.kernels.vocabulary import short_table
    from operators.text.kernels.words import fnv_of, table_width

    encoded = sorted({word.encode("utf-8") for word in vocabulary})
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(word) for word in encoded])
    size = table_width(max(8, len(encoded)))
    slots, hashes = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.uint64)
    for index, word in enumerate(encoded):
        value = fnv_of(word)
        slot = value & (size - 1)
        while slots[slot]:
            slot = (slot + 1) & (size - 1)
        slots[slot], hashes[slot] = index + 1, value
    words = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    longest = np.uint64(max((len(word) for word in encoded), default=0))
    return (*short_table(encoded), longest, words, offsets, slots, hashes)


def is_member(scan: ByteScan, starts: np.ndarray, ends: np.ndarray, vocabulary: frozenset[str]) -> np.ndarray:
    """Whether each span's text is one of ``vocabulary`` (exact bytes; a compiled lookup, ``kernels.vocabulary``)."""
    from operators.text.kernels.vocabulary import vocabulary_flags

    return vocabulary_flags(scan.data, starts, ends, *vocabulary_table(vocabulary))


def member_counts(
    scan: ByteScan, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, vocabulary: frozenset[str]
) -> np.ndarray:
    """Per row, how many of its spans (``counts`` per row) are words of ``vocabulary`` (``is_member``, counted in
    the same compiled pass)."""
    from operators.text.kernels.vocabulary import vocabulary_hits

    return vocabulary_hits(scan.data, starts, ends, counts, *vocabulary_table(vocabulary))


def distinct_share_at_most(
    scan: ByteScan, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, threshold: float
) -> np.ndarray:
    """Per row, whether distinct words / words (``counts`` per row) is at most ``threshold``: a compiled pass
    (``kernels.words``, imported with the first call) that stops a row once its distinct words exceed the share."""
    from operators.text.kernels.words import distinct_share_at_most as kernel

    return kernel(scan.data, starts, ends, counts, float(threshold))
