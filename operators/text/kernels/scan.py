"""Compiled passes behind ``ByteScan`` and the byte-level refiners (C in ``kernels/scan.c``, called through ctypes,
no GIL held): the whitespace mask, word bounds, per-row counts of segments, token runs and flagged bytes,
multi-needle row search, and collapsing whitespace.

Each replaces several whole-array numpy passes (masks, ``flatnonzero``, ``searchsorted``) with one loop over
the bytes, row by row. The loops are branch-free where the data decides (a candidate is always stored, the
position only advances when it qualifies); on x86-64 CPUs with AVX2 the passes that look bytes up in a 256-entry
table (segments, flagged bytes, row search) test 32 bytes at a time instead, with the same answers. The wrappers
allocate the outputs with numpy and pass pointers and lengths; the C checks that the row offsets rise within the
arrays it reads (``ValueError`` if not), so no pass reaches outside them. Inputs that already are C-contiguous
arrays of the right dtype are passed without a copy (bool masks as uint8 views).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from operators.text.kernels.native import address, as_int64, as_uint8, i64, kernel, pointer, u64

# The C functions ``dfk_scan_<name>``, typed: result type, then argument types (see kernels/scan.c).
_C: dict[str, Callable[..., Any]] = {name: kernel("scan", f"dfk_scan_{name}", *signature) for name, signature in {
    "space_mask": (None, pointer, u64, pointer, pointer, pointer),
    "word_bounds": (i64, pointer, i64, pointer, i64, pointer, pointer, pointer),
    "collapse_spaces": (i64, pointer, pointer, i64, pointer, i64, pointer, pointer),
    "count_segments": (i64, pointer, pointer, i64, pointer, i64, pointer, i64, pointer),
    "class_runs": (i64, pointer, pointer, i64, pointer, i64, pointer),
    "count_per_row": (i64, pointer, pointer, pointer, i64, i64, pointer, i64, pointer),
    "rows_with": (i64, pointer, i64, pointer, i64, pointer, i64, pointer, i64, pointer, pointer),
}.items()}


def _table(array: np.ndarray, entries: int, what: str) -> np.ndarray:
    """``array`` as a uint8 lookup table of at least ``entries`` entries (the C indexes it unchecked)."""
    table = as_uint8(array)
    if len(table) < entries:
        raise ValueError(f"{what} needs {entries} entries, not {len(table)}")
    return table


def _checked(result: int) -> int:
    """A kernel's result: -1 says the row offsets do not rise within the arrays (or a needle table is bad)."""
    if result < 0:
        raise ValueError("the row offsets (or the needle table) do not rise within the arrays they index")
    return result


def space_mask(data: np.ndarray, ascii_space: np.ndarray, bmp_space: np.ndarray) -> np.ndarray:
    """Per byte of UTF-8 ``data``, whether it belongs to a whitespace character (uint8 0/1): ASCII bytes from the
    256-entry ``ascii_space``, other characters decoded (2 and 3 bytes; no 4-byte character is whitespace) and
    looked up in the 65,536-entry ``bmp_space``."""
    data = as_uint8(data)
    ascii_table, bmp_table = _table(ascii_space, 256, "ascii_space"), _table(bmp_space, 0x10000, "bmp_space")
    out = np.empty(len(data), dtype=np.uint8)
    _C["space_mask"](address(data), len(data), address(ascii_table), address(bmp_table), address(out))
    return out


def word_bounds(space: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (exclusive) and per-row count of the runs of non-``space`` bytes (``str.split()`` words, when
    ``space`` marks whitespace); runs never cross rows. ``space``: uint8 0/1 per byte (any non-zero value counts as
    1); ``offsets``: row bounds.

    The returned starts and ends (int64) are views of buffers sized for the most words the bytes can hold
    (``(len(space) + rows) // 2 + 1``; pages past the words are never touched, so they cost no memory)."""
    space, offsets = as_uint8(space), as_int64(offsets)
    rows = len(offsets) - 1
    capacity = (len(space) + rows) // 2 + 1
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    counts = np.empty(rows, dtype=np.int64)
    found = _checked(_C["word_bounds"](address(space), len(space), address(offsets), rows, address(starts),
                                       address(ends), address(counts)))
    return starts[:found], ends[:found], counts


def collapse_spaces(data: np.ndarray, space: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row with its whitespace runs collapsed to one space and both ends stripped (``" ".join(text.split())``,
    ``space``: uint8 0/1 per byte, non-zero as 1): the new UTF-8 bytes and row offsets (int64). Branch-free: every
    byte is stored, the output position only advances for a kept byte or the one space before a row's later words.
    The bytes are a view of a buffer of ``len(data)`` bytes (the output is never longer)."""
    data, space, offsets = as_uint8(data), as_uint8(space), as_int64(offsets)
    rows = len(offsets) - 1
    out = np.empty(len(data), dtype=np.uint8)  # never longer than the input
    new_offsets = np.zeros(rows + 1, dtype=np.int64)
    size = min(len(data), len(space))
    written = _checked(_C["collapse_spaces"](address(data), address(space), size, address(offsets), rows,
                                             address(out), address(new_offsets)))
    return out[:written], new_offsets


def count_segments(data: np.ndarray, mask: np.ndarray, content_when: np.uint8, kinds: np.ndarray,
                   offsets: np.ndarray) -> np.ndarray:
    """Per row, the segments (pieces between separator bytes, and between rows) that hold a content byte: one
    where ``mask`` (uint8 0/1) equals ``content_when`` and whose value may be content. ``kinds`` (256 entries)
    tells per byte value: bit 0, a separator; bit 1, may be content (one table: one load a byte)."""
    data, mask, offsets = as_uint8(data), as_uint8(mask), as_int64(offsets)
    kinds_table = _table(kinds, 256, "kinds")
    counts = np.empty(len(offsets) - 1, dtype=np.int64)
    _checked(_C["count_segments"](address(data), address(mask), int(content_when), address(kinds_table),
                                  min(len(data), len(mask)), address(offsets), len(counts), address(counts)))
    return counts


def class_runs(word: np.ndarray, space: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per row, the runs of word bytes and the runs of other non-space bytes (NLTK's WordPunct tokens: ``\\w+`` and
    ``[^\\w\\s]+``), from the uint8 0/1 masks ``word`` and ``space``; branch-free."""
    word, space, offsets = as_uint8(word), as_uint8(space), as_int64(offsets)
    counts = np.empty(len(offsets) - 1, dtype=np.int64)
    _checked(_C["class_runs"](address(word), address(space), min(len(word), len(space)), address(offsets),
                              len(counts), address(counts)))
    return counts


def count_per_row(data: np.ndarray, mask: np.ndarray, table: np.ndarray, characters: bool, offsets: np.ndarray
                  ) -> np.ndarray:
    """Per row, the bytes whose value is flagged in the 256-entry ``table`` and that are set in ``mask`` (uint8 0/1;
    an empty mask: all); with ``characters``, only bytes that start a character (no UTF-8 continuation byte)."""
    data, mask, offsets = as_uint8(data), as_uint8(mask), as_int64(offsets)
    flags = _table(table, 256, "table")
    counts = np.empty(len(offsets) - 1, dtype=np.int64)
    whole = len(mask) == 0
    size = len(data) if whole else min(len(data), len(mask))
    _checked(_C["count_per_row"](address(data), None if whole else address(mask), address(flags), int(bool(characters)),
                                 size, address(offsets), len(counts), address(counts)))
    return counts


def rows_with(data: np.ndarray, offsets: np.ndarray, needles: np.ndarray, bounds: np.ndarray, first: np.ndarray
              ) -> np.ndarray:
    """Per row, whether it holds one of the byte strings ``needles[bounds[j]:bounds[j + 1]]`` (sorted by first
    byte; ``first[b]:first[b + 1]`` are the ones starting with byte ``b``). A row stops at its first match."""
    data, offsets, needles = as_uint8(data), as_int64(offsets), as_uint8(needles)
    bounds, first = as_int64(bounds), as_int64(first)
    if len(first) < 257:
        raise ValueError(f"first needs 257 entries, not {len(first)}")
    found = np.zeros(len(offsets) - 1, dtype=np.bool_)
    _checked(_C["rows_with"](address(data), len(data), address(offsets), len(found), address(needles), len(needles),
                             address(bounds), len(bounds), address(first), address(found)))
    return found
