"""Vocabulary lookup for the rule filters (stop words, blocklists) in one compiled pass (numba, no GIL held).

A span of up to 15 bytes is read as two little-endian 64-bit keys, branch-free (16 byte loads, masked to its
length; the high key carries the length in its low 5 bits, so distinct words have distinct keys). Two
multipliers, chosen so that no two short vocabulary words share a slot (a perfect hash, found by trying seeds
on a table of at least 32 slots a word), hash the keys, and the span is compared with the one word its slot
names: no probing, no per-byte hash chain, no branch that a text's words could mispredict. Longer spans go to
the FNV table of ``word_kernels._known``, and only when the vocabulary has words that long.
"""

from __future__ import annotations

import numba
import numpy as np

from operators.text.word_kernels import _known

SHORT = 15  # bytes a short word may have: 8 in the low key, 7 and the length in the high key
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_FIVE = np.uint64(5)
_KERNEL = {"nogil": True, "cache": True, "boundscheck": False}
_ZERO, _ONE, _EIGHT, _SHORT = np.uint64(0), np.uint64(1), np.uint64(8), np.uint64(SHORT)  # unsigned throughout


def pack(word: bytes) -> tuple[int, int]:
    """The two keys of a word of up to ``SHORT`` bytes, as ``vocabulary_flags`` reads them: distinct words, distinct
    keys."""
    return int.from_bytes(word[:8], "little"), (int.from_bytes(word[8:SHORT], "little") << 5) | len(word)


def slot_of(low: int, high: int, seeds: tuple[int, int], shift: int) -> int:
    """The slot of a short word's keys (as ``vocabulary_flags`` computes it)."""
    return (((low * seeds[0]) ^ (high * seeds[1])) & 0xFFFFFFFFFFFFFFFF) >> shift


def short_table(encoded: list[bytes]) -> tuple[np.ndarray, ...]:
    """The short words' perfect-hash table: ``low`` and ``high`` keys per word (entry 0 is none: a high key no span
    has), ``slots`` (word entry per slot, 0: empty) and ``seed_shift`` (two multipliers and the shift)."""
    short = [word for word in encoded if 0 < len(word) <= SHORT]
    keys = [pack(word) for word in short]
    low = np.array([0] + [key[0] for key in keys], dtype=np.uint64)
    high = np.array([SHORT + 1] + [key[1] for key in keys], dtype=np.uint64)
    index_type = np.uint16 if len(short) < 1 << 16 else np.uint32
    rng = np.random.default_rng(0)
    bits = max((32 * max(len(short), 1) - 1).bit_length(), 6)
    while bits < 32:
        for _ in range(64):
            seeds = (int(rng.integers(1 << 62, 1 << 63)) * 2 + 1, int(rng.integers(1 << 62, 1 << 63)) * 2 + 1)
            taken = [slot_of(*key, seeds, 64 - bits) for key in keys]
            if len(set(taken)) == len(taken):
                slots = np.zeros(1 << bits, dtype=index_type)
                slots[taken] = np.arange(1, len(short) + 1)
                return low, high, slots, np.array([*seeds, 64 - bits], dtype=np.uint64)
        bits += 1
    raise RuntimeError(f"no collision-free table for {len(short)} words")  # distinct keys: not reached


@numba.njit(**_KERNEL)
def _key(data: np.ndarray, start: np.uint64, length: np.uint64) -> np.uint64:
    """Up to 8 bytes from ``start`` as a little-endian key (``length`` clipped to 0..8)."""
    value = _ZERO
    if start + _EIGHT <= np.uint64(len(data)):  # branch-free: 8 loads, then mask
        for k in range(8):
            value |= np.uint64(data[start + np.uint64(k)]) << np.uint64(8 * k)
        return value & _MASKS[min(length, _EIGHT)]
    k = _ZERO
    while k < min(length, _EIGHT):
        value |= np.uint64(data[start + k]) << (_EIGHT * k)
        k += _ONE
    return value


@numba.njit(**_KERNEL)
def vocabulary_flags(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, low: np.ndarray, high: np.ndarray,
                     short_slots: np.ndarray, seed_shift: np.ndarray, longest: np.uint64,
                     words: np.ndarray, offsets: np.ndarray, slots: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Whether each span ``data[starts[i]:ends[i]]`` is a vocabulary word (exact bytes).

    One loop with the lookup written out: a helper taking the tables would be a call, with its array
    reference counting, per span (it made this pass 10× slower)."""
    out = np.zeros(len(starts), dtype=np.bool_)
    seed_low, seed_high, shift = seed_shift[0], seed_shift[1], seed_shift[2]
    for i in range(len(starts)):
        start, end = np.uint64(starts[i]), np.uint64(ends[i])
        length = end - start
        if length <= _SHORT:
            key_low = _key(data, start, length)
            key_high = (_key(data, start + _EIGHT, max(length, _EIGHT) - _EIGHT) << _FIVE) | length
            entry = short_slots[((key_low * seed_low) ^ (key_high * seed_high)) >> shift]
            out[i] = (low[entry] == key_low) & (high[entry] == key_high)
        elif longest > _SHORT:
            out[i] = _known(data, start, end, words, offsets, slots, hashes, longest)
    return out


@numba.njit(**_KERNEL)
def vocabulary_hits(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, low: np.ndarray,
                    high: np.ndarray, short_slots: np.ndarray, seed_shift: np.ndarray,
                    longest: np.uint64, words: np.ndarray, offsets: np.ndarray, slots: np.ndarray,
                    hashes: np.ndarray) -> np.ndarray:
    """Per row, how many of its spans (``counts`` per row, in turn) are vocabulary words."""
    flags = vocabulary_flags(data, starts, ends, low, high, short_slots, seed_shift, longest, words,
                             offsets, slots, hashes)
    hits = np.zeros(len(counts), dtype=np.int64)
    span = _ZERO
    for row in range(len(counts)):
        found = 0
        for _ in range(counts[row]):
            found += flags[span]
            span += _ONE
        hits[row] = found
    return hits
