"""Vectorised column helpers shared by the text operators (pyarrow compute over whole columns)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.text.scan.cache import memo

TextColumn = pa.Array | pa.ChunkedArray

SLICE_BYTES = 8 << 20  # regex passes: each Arrow regex call compiles its pattern and warms its DFA anew
SCAN_SLICE_BYTES = 2 << 20  # byte scans: a slice's masks and word spans stay in the CPU cache


def filled(text: TextColumn) -> pa.ChunkedArray:
    """The column with nulls replaced by empty strings, as one chunked string array."""
    if isinstance(text, pa.Array):
        text = pa.chunked_array([text], type=text.type)
    return pc.fill_null(text, "")


def to_numpy(values: TextColumn) -> np.ndarray:
    """A numeric or boolean arrow column as a numpy array (no nulls expected)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values.to_numpy(zero_copy_only=False)


def char_lengths(text: TextColumn) -> np.ndarray:
    """Characters per row (code points); null counts as 0. Read-only: filters may share it (``scan.cache``)."""
    return memo("char_lengths", text, _char_lengths)


def _char_lengths(text: TextColumn) -> np.ndarray:
    lengths = to_numpy(pc.utf8_length(filled(text))).astype(np.int64)
    lengths.flags.writeable = False
    return lengths


def count_regex(text: TextColumn, pattern: str, ignore_case: bool = False) -> np.ndarray:
    """Non-overlapping matches of a RE2 pattern per row.

    Arrow re-anchors ``^`` after every match (``^\\.`` counts 4 in ``....``): anchor patterns with care.
    """
    return to_numpy(pc.count_substring_regex(filled(text), pattern, ignore_case=ignore_case)).astype(np.int64)


def matches_regex(text: TextColumn, pattern: str, ignore_case: bool = False) -> np.ndarray:
    """Whether each row contains a match of a RE2 pattern."""
    return to_numpy(pc.match_substring_regex(filled(text), pattern, ignore_case=ignore_case)).astype(bool)


def count_regex_in(text: TextColumn, pattern: str, rows: np.ndarray) -> np.ndarray:
    """``count_regex`` evaluated on the rows flagged in ``rows`` only (0 elsewhere): for a pattern that can only
    match in those rows (each row is matched on its own, so its count is the same)."""
    return _on_rows(text, rows, lambda part: count_regex(part, pattern), np.int64)


def matches_regex_in(text: TextColumn, pattern: str, rows: np.ndarray) -> np.ndarray:
    """``matches_regex`` evaluated on the rows flagged in ``rows`` only (False elsewhere)."""
    return _on_rows(text, rows, lambda part: matches_regex(part, pattern), bool)


def _on_rows(text: TextColumn, rows: np.ndarray, answer: Callable[[pa.ChunkedArray], np.ndarray],
             dtype: type) -> np.ndarray:
    """``answer`` for the flagged rows of ``text``, zero for the others."""
    found = np.zeros(len(text), dtype=dtype)
    if rows.any():
        found[rows] = answer(filled(text).filter(pa.array(rows)))
    return found


def text_slices(text: pa.ChunkedArray, slice_bytes: int | None = None) -> Iterator[pa.ChunkedArray]:
    """Consecutive row slices of about ``slice_bytes`` (default ``SLICE_BYTES``) of text each (a longer row gets
    its own)."""
    slice_bytes = slice_bytes or SLICE_BYTES
    ends = np.cumsum(to_numpy(pc.binary_length(filled(text))).astype(np.int64))
    start = 0
    while start < len(text):
        before = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, before + slice_bytes, side="right")), start + 1)
        yield text.slice(start, stop - start)
        start = stop
