"""Compiled passes behind ``ByteScan`` and the byte-level refiners (numba, no GIL held): the whitespace mask,
word bounds, per-row counts of segments, token runs and flagged bytes, multi-needle row search, and collapsing
whitespace.

Each replaces several whole-array numpy passes (masks, ``flatnonzero``, ``searchsorted``) with one loop over
the bytes, row by row. The loops are branch-free where the data decides (a candidate is always stored, the
position only advances when it qualifies) and index with unsigned integers: numba wraps negative signed
indices, a check per access that here halves the speed. Compiled on first use and cached next to this module.
"""

from __future__ import annotations

import numba
import numpy as np

from operators.text.rule_filters_unicode import PY_SPACES

_KERNEL = {"nogil": True, "cache": True, "boundscheck": False}
_ONE = np.uint64(1)
ASCII_SPACE = np.array([chr(byte).isspace() for byte in range(128)] + [False] * 128, dtype=np.uint8)
BMP_SPACE = np.zeros(0x10000, dtype=np.uint8)
BMP_SPACE[list(PY_SPACES)] = 1  # every non-ASCII whitespace character is in the BMP


@numba.njit(**_KERNEL)
def space_mask(data: np.ndarray, ascii_space: np.ndarray, bmp_space: np.ndarray) -> np.ndarray:
    """Per byte of UTF-8 ``data``, whether it belongs to a whitespace character (uint8 0/1): ASCII bytes from the
    256-entry ``ascii_space``, other characters decoded (2 and 3 bytes; no 4-byte character is whitespace) and
    looked up in the 65,536-entry ``bmp_space``."""
    size = np.uint64(len(data))
    out = np.empty(len(data), dtype=np.uint8)
    two, three = np.uint64(2), np.uint64(3)
    k = np.uint64(0)
    while k < size:
        byte = data[k]
        out[k] = ascii_space[byte]
        if byte >= 0xC2:  # a lead byte: rare in most text
            lead = np.uint64(byte)
            if lead < np.uint64(0xE0) and k + _ONE < size:
                point = ((lead & np.uint64(0x1F)) << np.uint64(6)) | (np.uint64(data[k + _ONE]) & np.uint64(0x3F))
                out[k] = out[k + _ONE] = bmp_space[point]
                k += two
                continue
            if np.uint64(0xE0) <= lead < np.uint64(0xF0) and k + two < size:
                point = (((lead & np.uint64(0x0F)) << np.uint64(12)) | ((np.uint64(data[k + _ONE]) & np.uint64(0x3F))
                         << np.uint64(6)) | (np.uint64(data[k + two]) & np.uint64(0x3F)))
                out[k] = out[k + _ONE] = out[k + two] = bmp_space[point]
                k += three
                continue
        k += _ONE
    return out


@numba.njit(**_KERNEL)
def word_bounds(space: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (exclusive) and per-row count of the runs of non-``space`` bytes (``str.split()`` words, when
    ``space`` marks whitespace); runs never cross rows. ``space``: uint8 0/1 per byte; ``offsets``: row bounds.

    The returned starts and ends are views of buffers sized for the most words the bytes can hold (pages past
    the words are never touched, so they cost no memory)."""
    rows = len(offsets) - 1
    capacity = (len(space) + rows) // 2 + 1
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    counts = np.empty(rows, dtype=np.int64)
    found, closed = np.uint64(0), np.uint64(0)
    for row in range(rows):
        first, stop = np.uint64(offsets[row]), np.uint64(offsets[row + 1])
        before = found
        previous = np.uint8(1)
        k = first
        while k < stop:
            current = space[k]
            starts[found] = k
            found += np.uint64(previous > current)
            ends[closed] = k
            closed += np.uint64(current > previous)
            previous = current
            k += _ONE
        ends[closed] = stop
        closed += np.uint64(previous == 0)
        counts[row] = found - before
    return starts[:found], ends[:closed], counts


@numba.njit(**_KERNEL)
def collapse_spaces(data: np.ndarray, space: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row with its whitespace runs collapsed to one space and both ends stripped (``" ".join(text.split())``,
    ``space``: uint8 0/1 per byte): the new UTF-8 bytes and row offsets (int64). Branch-free: every byte is
    stored, the output position only advances for a kept byte or the one space before a row's later words."""
    rows = len(offsets) - 1
    out = np.empty(len(data), dtype=np.uint8)  # never longer than the input
    new_offsets = np.zeros(rows + 1, dtype=np.int64)
    at = np.uint64(0)
    for row in range(rows):
        k, stop = np.uint64(offsets[row]), np.uint64(offsets[row + 1])
        after_space, seen_word = np.uint8(1), np.uint8(0)
        while k < stop:
            is_space = space[k]
            out[at] = 32
            at += np.uint64(after_space & seen_word & (is_space ^ np.uint8(1)))  # a later word starts here
            out[at] = data[k]
            at += np.uint64(is_space ^ np.uint8(1))
            seen_word |= is_space ^ np.uint8(1)
            after_space = is_space
            k += _ONE
        new_offsets[row + 1] = at
    return out[:at], new_offsets


@numba.njit(**_KERNEL)
def count_segments(data: np.ndarray, mask: np.ndarray, content_when: np.uint8, kinds: np.ndarray,
                   offsets: np.ndarray) -> np.ndarray:
    """Per row, the segments (pieces between separator bytes, and between rows) that hold a content byte: one
    where ``mask`` (uint8 0/1) equals ``content_when`` and whose value may be content. ``kinds`` (256 entries)
    tells per byte value: bit 0, a separator; bit 1, may be content (one table: one load a byte)."""
    rows = len(offsets) - 1
    counts = np.zeros(rows, dtype=np.int64)
    for row in range(rows):
        k, stop = np.uint64(offsets[row]), np.uint64(offsets[row + 1])
        count, seen = np.int64(0), np.uint8(0)
        while k < stop:
            kind = kinds[data[k]]
            split = kind & np.uint8(1)
            seen |= np.uint8(mask[k] == content_when) & (kind >> np.uint8(1))
            count += np.int64(split & seen)
            seen &= split ^ np.uint8(1)
            k += _ONE
        counts[row] = count + np.int64(seen)
    return counts


@numba.njit(**_KERNEL)
def class_runs(word: np.ndarray, space: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per row, the runs of word bytes and the runs of other non-space bytes (NLTK's WordPunct tokens: ``\\w+`` and
    ``[^\\w\\s]+``), from the uint8 0/1 masks ``word`` and ``space``; branch-free."""
    rows = len(offsets) - 1
    counts = np.zeros(rows, dtype=np.int64)
    for row in range(rows):
        k, stop = np.uint64(offsets[row]), np.uint64(offsets[row + 1])
        count, previous = np.int64(0), np.uint8(0)  # class: 0 space, 1 word, 2 other
        while k < stop:
            is_word = word[k]
            kind = is_word | ((is_word | space[k]) ^ np.uint8(1)) << np.uint8(1)
            count += np.int64((kind != 0) & (kind != previous))
            previous = kind
            k += _ONE
        counts[row] = count
    return counts


@numba.njit(**_KERNEL)
def count_per_row(data: np.ndarray, mask: np.ndarray, table: np.ndarray, characters: bool, offsets: np.ndarray
                  ) -> np.ndarray:
    """Per row, the bytes whose value is flagged in the 256-entry ``table`` and that are set in ``mask`` (uint8 0/1;
    an empty mask: all); with ``characters``, only bytes that start a character (no UTF-8 continuation byte)."""
    rows = len(offsets) - 1
    counts = np.zeros(rows, dtype=np.int64)
    whole = len(mask) == 0
    any_byte = np.uint8(0) if characters else np.uint8(1)
    for row in range(rows):
        k, stop = np.uint64(offsets[row]), np.uint64(offsets[row + 1])
        count = np.int64(0)
        while k < stop:
            byte = data[k]
            flagged = table[byte] & (np.uint8(1) if whole else mask[k])
            starts = np.uint8((byte & np.uint8(0xC0)) != np.uint8(0x80))  # continuation bytes are 10xxxxxx
            count += np.int64(flagged & (starts | any_byte))
            k += _ONE
        counts[row] = count
    return counts


@numba.njit(**_KERNEL)
def rows_with(data: np.ndarray, offsets: np.ndarray, needles: np.ndarray, bounds: np.ndarray, first: np.ndarray
              ) -> np.ndarray:
    """Per row, whether it holds one of the byte strings ``needles[bounds[j]:bounds[j + 1]]`` (sorted by first
    byte; ``first[b]:first[b + 1]`` are the ones starting with byte ``b``). A row stops at its first match."""
    starts_one = np.zeros(256, dtype=np.uint8)
    for byte in range(256):
        starts_one[byte] = first[byte + 1] > first[byte]
    rows = len(offsets) - 1
    found = np.zeros(rows, dtype=np.bool_)
    for row in range(rows):
        k, stop = np.uint64(offsets[row]), np.uint64(offsets[row + 1])
        hit = False
        while k < stop:
            byte = data[k]
            if starts_one[byte]:
                j, last = np.uint64(first[byte]), np.uint64(first[byte + 1])
                while j < last and not hit:
                    at, end = np.uint64(bounds[j]), np.uint64(bounds[j + _ONE])
                    if k + (end - at) <= stop:
                        hit, i = True, _ONE
                        while hit and at + i < end:
                            hit = data[k + i] == needles[at + i]
                            i += _ONE
                    j += _ONE
                if hit:
                    break
            k += _ONE
        found[row] = hit
    return found
