"""Compiled passes for the rule filters (C in ``kernels/words.c``, called through ctypes, no GIL held): distinct
words per row, all-uppercase words, the longest unpunctuated stretch per row, distinct n-grams of tokens per row;
and the FNV-1a word hash (``fnv_of``) and table size (``table_width``) of the vocabulary lookup by hash (long
words; the lookup itself, and short words: ``kernels.vocabulary``, in the same C file).

Words are byte spans (``ByteScan.words``: sorted, each row's words in turn, ``counts`` per row); masks are
``ByteScan``'s per-byte masks. Each wrapper allocates the outputs and the scratch tables with numpy and passes
pointers (``native``); the library is built with the package.
"""

from __future__ import annotations

import numpy as np

from operators.text.kernels.native import address, as_int64, as_uint8, f64, i64, kernel, pointer

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3

_distinct_share = kernel("words", "dfk_words_distinct_share_at_most", None,
                         pointer, i64, pointer, pointer, pointer, i64, f64, pointer, pointer, pointer, pointer)
_all_upper = kernel("words", "dfk_words_all_upper", None, pointer, pointer, pointer, pointer, i64, pointer)
_longest_unpunctuated = kernel("words", "dfk_words_longest_unpunctuated", None,
                               pointer, pointer, pointer, pointer, i64, pointer)
_distinct_ngrams = kernel("words", "dfk_words_distinct_ngrams", None, pointer, pointer, pointer, pointer, pointer,
                          pointer, i64, i64, pointer, pointer, pointer, pointer)


def table_width(count: int) -> int:
    """The power of two at least twice ``count``: an open-addressing table that is at most half full."""
    width = 1
    while width < 2 * count:
        width *= 2
    return width


def fnv_of(word: bytes) -> int:
    """FNV-1a of a byte string (the kernels' word hash), in Python (to build a vocabulary's table)."""
    value = _FNV_OFFSET
    for byte in word:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return value


def distinct_share_at_most(
    data: np.ndarray, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, threshold: float
) -> np.ndarray:
    """Per row, whether distinct words / words is at most ``threshold`` (exact: words are equal bytes; a row
    without words: 0 / 1). Each row's words go into an open-addressing table of its own (FNV-1a hashes), and a
    row stops as soon as its distinct words so far exceed the share (the full count can only be larger)."""
    data, starts, ends, counts = as_uint8(data), as_int64(starts), as_int64(ends), as_int64(counts)
    widest = int(counts.max()) if len(counts) else 0
    slots = np.zeros(table_width(widest), dtype=np.uint64)  # word index + 1; 0: empty (a row clears what it took)
    hashes = np.empty(len(slots), dtype=np.uint64)
    touched = np.empty(max(widest, 1), dtype=np.uint64)  # the slots a row took
    out = np.empty(len(counts), dtype=np.bool_)
    _distinct_share(address(data), len(data), address(starts), address(ends), address(counts), len(counts),
                    float(threshold), address(slots), address(hashes), address(touched), address(out))
    return out


def all_upper(upper: np.ndarray, lower: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per span, ``str.isupper()`` from per-byte masks: some byte of an uppercase character, none of a lowercase
    one."""
    upper, lower, starts, ends = as_uint8(upper), as_uint8(lower), as_int64(starts), as_int64(ends)
    out = np.empty(len(starts), dtype=np.bool_)
    _all_upper(address(upper), address(lower), address(starts), address(ends), len(starts), address(out))
    return out


def longest_unpunctuated(data: np.ndarray, space: np.ndarray, ascii_marks: np.ndarray, offsets: np.ndarray
                         ) -> np.ndarray:
    """Per row, the most words (runs of bytes neither space nor mark) between two punctuation marks: the ASCII
    bytes flagged in ``ascii_marks`` (uint8 0/1, 256 entries) and the characters – • … (E2 80 93/A2/A6). Each
    mark, and each row, starts a new stretch. ``space``: uint8 0/1 per byte."""
    data, space, offsets = as_uint8(data), as_uint8(space), as_int64(offsets)
    marks = as_uint8(ascii_marks)
    if len(marks) != 256:
        raise ValueError("ascii_marks must have 256 entries, one per byte value")
    out = np.empty(max(len(offsets) - 1, 0), dtype=np.int64)
    _longest_unpunctuated(address(data), address(space), address(marks), address(offsets), len(out), address(out))
    return out


def distinct_ngrams(data: np.ndarray, keep: np.ndarray, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray,
                    rows_on: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row flagged in ``rows_on`` (uint8 0/1; others: 0 and 0), its tokens and its distinct n-grams of tokens
    (``n`` at least 1). A token is a span's ``keep`` bytes (uint8 0/1; a span keeping none is no token),
    identified by a 64-bit hash of them (FNV-1a, mixed with its byte count by splitmix64's finaliser); an n-gram
    by a hash of its n token hashes (a rolling polynomial, mixed by splitmix64's finaliser), counted in a per-row
    open-addressing table (exact up to 64-bit hash collisions)."""
    if n < 1:
        raise ValueError(f"n-grams need n >= 1, not {n}")
    data, keep, rows_on = as_uint8(data), as_uint8(keep), as_uint8(rows_on)
    starts, ends, counts = as_int64(starts), as_int64(ends), as_int64(counts)
    rows = len(counts)
    widest = max(int(counts.max()) if rows else 0, 1)
    tokens = np.empty(widest, dtype=np.uint64)
    table = np.empty(table_width(widest), dtype=np.uint64)  # n-gram hash | 1 (0: empty), cleared per row
    tokens_per_row = np.zeros(rows, dtype=np.int64)
    distinct = np.zeros(rows, dtype=np.int64)
    _distinct_ngrams(address(data), address(keep), address(starts), address(ends), address(counts), address(rows_on),
                     rows, int(n), address(tokens), address(table), address(tokens_per_row), address(distinct))
    return tokens_per_row, distinct
