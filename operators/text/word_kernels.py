"""Compiled passes for the rule filters (numba, no GIL held): distinct words per row, vocabulary lookup by
hash (long words; short ones: ``vocab_kernel``), all-uppercase words, the longest unpunctuated stretch per row.

Words are byte spans (``ByteScan.words``: sorted, each row's words in turn, ``counts`` per row); masks are
``ByteScan``'s per-byte masks. Compiled on first use and cached next to this module, like ``minhash_kernel``.
"""

from __future__ import annotations

import numba
import numpy as np

from operators.text.minhash_kernel import _mix

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _same(left: np.ndarray, a: int, a_end: int, right: np.ndarray, b: int, b_end: int) -> bool:
    """Whether ``left[a:a_end]`` and ``right[b:b_end]`` hold the same bytes."""
    if a_end - a != b_end - b:
        return False
    for k in range(a_end - a):
        if left[a + k] != right[b + k]:
            return False
    return True


@numba.njit(nogil=True, cache=True, boundscheck=False)
def table_width(count: int) -> int:
    """The power of two at least twice ``count``: an open-addressing table that is at most half full."""
    width = 1
    while width < 2 * count:
        width *= 2
    return width


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _fnv(data: np.ndarray, start: int, end: int) -> np.uint64:
    """FNV-1a of ``data[start:end]``."""
    value = _FNV_OFFSET
    k, stop = np.uint64(start), np.uint64(end)  # unsigned: numba wraps negative signed indices, a check per byte
    while k < stop:
        value = (value ^ np.uint64(data[k])) * _FNV_PRIME
        k += np.uint64(1)
    return value


def fnv_of(word: bytes) -> int:
    """``_fnv`` of a byte string, in Python (to build a vocabulary's table)."""
    value = int(_FNV_OFFSET)
    for byte in word:
        value = ((value ^ byte) * int(_FNV_PRIME)) & 0xFFFFFFFFFFFFFFFF
    return value


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _known(data: np.ndarray, start: np.uint64, end: np.uint64, words: np.ndarray, offsets: np.ndarray,
           slots: np.ndarray, hashes: np.ndarray, longest: np.uint64) -> bool:
    """Whether ``data[start:end]`` is one of the vocabulary words ``words[offsets[j]:offsets[j + 1]]``, found through
    the open-addressing table ``slots`` (word index + 1, 0: empty; a power of two long) whose ``hashes`` are the
    words' ``_fnv``; a span longer than the ``longest`` word is not, unhashed."""
    if end - start > longest:
        return False
    value = _fnv(data, start, end)
    mask = np.uint64(len(slots) - 1)
    slot = value & mask
    while slots[slot] != 0:
        word = np.uint64(slots[slot] - 1)
        first, last = np.uint64(offsets[word]), np.uint64(offsets[word + np.uint64(1)])
        if hashes[slot] == value and _same(words, first, last, data, start, end):
            return True
        slot = (slot + np.uint64(1)) & mask
    return False


@numba.njit(nogil=True, cache=True, boundscheck=False)
def distinct_share_at_most(
    data: np.ndarray, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, threshold: float
) -> np.ndarray:
    """Per row, whether distinct words / words is at most ``threshold`` (exact: words are equal bytes; a row
    without words: 0 / 1). Each row's words go into an open-addressing table of its own, and a row stops as
    soon as its distinct words so far exceed the share (the full count can only be larger)."""
    size = table_width(counts.max() if len(counts) else 0)
    slots = np.zeros(size, dtype=np.uint64)  # word index + 1; 0: empty
    hashes = np.zeros(size, dtype=np.uint64)
    out = np.zeros(len(counts), dtype=np.bool_)
    one, first = np.uint64(1), np.uint64(0)
    for row in range(len(counts)):
        count = counts[row]
        if count == 0:
            out[row] = 0.0 <= threshold
            continue
        mask = np.uint64(table_width(count) - 1)
        slots[: mask + one] = 0
        distinct, exceeded = 0, False
        word, last = first, first + np.uint64(count)
        while word < last:
            start, end = np.uint64(starts[word]), np.uint64(ends[word])
            value = _fnv(data, start, end)
            slot = value & mask
            while True:
                held = slots[slot]
                if held == 0:
                    slots[slot], hashes[slot] = word + one, value
                    distinct += 1
                    exceeded = distinct / count > threshold
                    break
                before = held - one
                if hashes[slot] == value and _same(data, np.uint64(starts[before]), np.uint64(ends[before]), data,
                                                   start, end):
                    break
                slot = (slot + one) & mask
            if exceeded:
                break
            word += one
        out[row] = not exceeded and distinct / count <= threshold
        first += np.uint64(count)
    return out


@numba.njit(nogil=True, cache=True, boundscheck=False)
def all_upper(upper: np.ndarray, lower: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per span, ``str.isupper()`` from per-byte masks: some byte of an uppercase character, none of a lowercase
    one."""
    out = np.zeros(len(starts), dtype=np.bool_)
    for i in range(len(starts)):
        seen = False
        for k in range(starts[i], ends[i]):
            if lower[k]:
                seen = False
                break
            seen = seen or upper[k]
        out[i] = seen
    return out


@numba.njit(nogil=True, cache=True, boundscheck=False)
def longest_unpunctuated(data: np.ndarray, space: np.ndarray, ascii_marks: np.ndarray, offsets: np.ndarray
                         ) -> np.ndarray:
    """Per row, the most words (runs of bytes neither space nor mark) between two punctuation marks: the ASCII
    bytes flagged in ``ascii_marks`` (uint8 0/1) and the characters – • … (E2 80 93/A2/A6). Each mark, and each
    row, starts a new stretch. ``space``: uint8 0/1 per byte."""
    out = np.zeros(len(offsets) - 1, dtype=np.int64)
    one = np.uint64(1)
    for row in range(len(offsets) - 1):
        longest, words, inside = 0, 0, np.uint8(0)
        k, end = np.uint64(offsets[row]), np.uint64(offsets[row + 1])
        while k < end:
            byte = data[k]
            if byte == 0xE2 and k + np.uint64(2) < end and data[k + one] == 0x80 and (
                    data[k + np.uint64(2)] == 0x93 or data[k + np.uint64(2)] == 0xA2
                    or data[k + np.uint64(2)] == 0xA6):
                longest, words, inside = max(longest, words), 0, np.uint8(0)
                k += np.uint64(3)
                continue
            mark = ascii_marks[byte]
            longest = max(longest, words)
            apart = space[k] | mark  # a mark separates words too
            words = words * (1 - mark) + ((inside | apart) ^ 1)  # branch-free: reset at a mark, +1 at a word start
            inside = apart ^ np.uint8(1)
            k += one
        out[row] = max(longest, words)
    return out


@numba.njit(nogil=True, cache=True, boundscheck=False)
def distinct_ngrams(data: np.ndarray, keep: np.ndarray, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray,
                    rows_on: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row flagged in ``rows_on`` (uint8 0/1; others: 0 and 0), its tokens and its distinct n-grams of tokens.
    A token is a span's ``keep`` bytes (uint8 0/1; a span keeping none is no token), identified by a 64-bit hash
    of them; an n-gram by a hash of its n token hashes (a rolling polynomial, mixed by splitmix64's finaliser),
    counted in a per-row open-addressing table (exact up to 64-bit hash collisions)."""
    rows = len(counts)
    tokens_per_row = np.zeros(rows, dtype=np.int64)
    distinct = np.zeros(rows, dtype=np.int64)
    widest = 0
    for row in range(rows):
        widest = max(widest, counts[row])
    tokens = np.empty(max(widest, 1), dtype=np.uint64)
    table = np.zeros(table_width(max(widest, 1)), dtype=np.uint64)  # n-gram hash | 1 (0: empty)
    one, span = np.uint64(1), np.uint64(0)
    top = np.uint64(1)  # P ** (n - 1): the weight of the token leaving the window
    for _ in range(n - 1):
        top *= _FNV_PRIME
    for row in range(rows):
        found = 0
        if not rows_on[row]:
            span += np.uint64(counts[row])
            continue
        for _ in range(counts[row]):
            value, kept = _FNV_OFFSET, np.uint64(0)
            k, stop = np.uint64(starts[span]), np.uint64(ends[span])
            while k < stop:
                if keep[k]:
                    value = (value ^ np.uint64(data[k])) * _FNV_PRIME
                    kept += one
                k += one
            if kept:
                tokens[found] = _mix(value ^ kept)
                found += 1
            span += one
        tokens_per_row[row] = found
        grams = found - n + 1
        if grams <= 0:
            continue
        mask = np.uint64(table_width(grams) - 1)
        table[: mask + one] = 0
        rolling = np.uint64(0)  # the window's polynomial sum(token * P**(n - 1 - i)), kept in O(1) per step
        for j in range(n - 1):
            rolling = rolling * _FNV_PRIME + tokens[j]
        for first in range(grams):
            rolling = rolling * _FNV_PRIME + tokens[first + n - 1]
            value = _mix(rolling) | one  # never 0, the empty mark
            rolling -= tokens[first] * top
            slot = value & mask
            while table[slot] != 0 and table[slot] != value:
                slot = (slot + one) & mask
            if table[slot] == 0:
                table[slot] = value
                distinct[row] += 1
    return tokens_per_row, distinct
