"""Vocabulary lookup for the rule filters (stop words, blocklists) in one compiled pass (C in ``kernels/words.c``,
called through ctypes, no GIL held).

A span of up to 15 bytes is read as two little-endian 64-bit keys, branch-free (16 byte loads, masked to its
length; the high key carries the length in its low 5 bits, so distinct words have distinct keys). Two
multipliers, chosen so that no two short vocabulary words share a slot (a perfect hash, found by trying seeds
on a table of at least 32 slots a word), hash the keys, and the span is compared with the one word its slot
names: no probing, no per-byte hash chain, no branch that a text's words could mispredict. Longer spans go to
the FNV table of the long words (FNV-1a, ``kernels.words.fnv_of``; linear probing), and only when the vocabulary
has words that long.
"""

from __future__ import annotations

import numpy as np

from operators.text.kernels.native import address, as_int64, as_uint8, i64, kernel, pointer, u64

SHORT = 15  # bytes a short word may have: 8 in the low key, 7 and the length in the high key
_TABLES = (pointer, pointer, pointer, i64, pointer, u64, pointer, pointer, pointer, pointer, i64)  # vocabulary_table
_flags = kernel("words", "dfk_vocab_flags", None, pointer, i64, pointer, pointer, i64, *_TABLES, pointer)
_hits = kernel("words", "dfk_vocab_hits", None, pointer, i64, pointer, pointer, pointer, i64, *_TABLES, pointer)


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


def _tables(low: np.ndarray, high: np.ndarray, short_slots: np.ndarray, seed_shift: np.ndarray, longest: np.uint64,
            words: np.ndarray, offsets: np.ndarray, slots: np.ndarray, hashes: np.ndarray
            ) -> tuple[list[np.ndarray], list[int]]:
    """A vocabulary's tables (``scan.vocabulary.vocabulary_table``) as C-contiguous arrays of the kernel's dtypes
    (kept alive by the caller for the call) and the kernel arguments that describe them."""
    if short_slots.dtype not in (np.uint16, np.uint32):
        short_slots = short_slots.astype(np.uint32)
    arrays = [np.ascontiguousarray(low, dtype=np.uint64), np.ascontiguousarray(high, dtype=np.uint64),
              np.ascontiguousarray(short_slots), np.ascontiguousarray(seed_shift, dtype=np.uint64),
              as_uint8(words), as_int64(offsets),
              as_int64(slots), np.ascontiguousarray(hashes, dtype=np.uint64)]
    low, high, short_slots, seed_shift, words, offsets, slots, hashes = arrays
    if len(seed_shift) != 3 or not len(slots) or len(slots) & (len(slots) - 1):
        raise ValueError("seed_shift holds two multipliers and a shift; slots is a power of two long")
    args = [address(low), address(high), address(short_slots), short_slots.itemsize, address(seed_shift),
            int(longest), address(words), address(offsets), address(slots), address(hashes), len(slots)]
    return arrays, args


def vocabulary_flags(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, low: np.ndarray, high: np.ndarray,
                     short_slots: np.ndarray, seed_shift: np.ndarray, longest: np.uint64,
                     words: np.ndarray, offsets: np.ndarray, slots: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Whether each span ``data[starts[i]:ends[i]]`` is a vocabulary word (exact bytes).

    One C loop with the lookup inlined: the short words' perfect hash, else (spans longer than ``SHORT``, when
    ``longest`` is too) the FNV table of the long words ``words[offsets[j]:offsets[j + 1]]``, whose ``slots``
    (word index + 1, 0: empty; a power of two long) and ``hashes`` (their FNV-1a) are probed in turn."""
    data = as_uint8(data)
    starts, ends = as_int64(starts), as_int64(ends)
    tables, args = _tables(low, high, short_slots, seed_shift, longest, words, offsets, slots, hashes)
    out = np.empty(len(starts), dtype=np.bool_)
    _flags(address(data), len(data), address(starts), address(ends), len(starts), *args, address(out))
    del tables  # held through the call
    return out


def vocabulary_hits(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, low: np.ndarray,
                    high: np.ndarray, short_slots: np.ndarray, seed_shift: np.ndarray,
                    longest: np.uint64, words: np.ndarray, offsets: np.ndarray, slots: np.ndarray,
                    hashes: np.ndarray) -> np.ndarray:
    """Per row, how many of its spans (``counts`` per row, in turn) are vocabulary words (``vocabulary_flags``'
    lookup, counted in the same C loop)."""
    data = as_uint8(data)
    starts, ends = as_int64(starts), as_int64(ends)
    counts = as_int64(counts)
    tables, args = _tables(low, high, short_slots, seed_shift, longest, words, offsets, slots, hashes)
    hits = np.empty(len(counts), dtype=np.int64)
    _hits(address(data), len(data), address(starts), address(ends), address(counts), len(counts), *args,
          address(hits))
    del tables  # held through the call
    return hits
