"""Vectorised column helpers shared by the text operators (pyarrow compute over whole columns)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TextColumn = pa.Array | pa.ChunkedArray


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
    """Characters per row (code points); null counts as 0."""
    return to_numpy(pc.utf8_length(filled(text))).astype(np.int64)


def flat_words(text: TextColumn) -> tuple[pa.Array, np.ndarray]:
    """All whitespace-separated words of the column, flat, with the row index of each word."""
    split = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(filled(text)))
    split = split.combine_chunks() if isinstance(split, pa.ChunkedArray) else split
    flat = pc.list_flatten(split)
    rows = to_numpy(pc.list_parent_indices(split)).astype(np.int64)
    nonempty = to_numpy(pc.greater(pc.binary_length(flat), 0)).astype(bool)
    return flat.filter(pa.array(nonempty)), rows[nonempty]


def per_row_count(rows: np.ndarray, num_rows: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights``) per row from a row index per element."""
    return np.bincount(rows, weights=weights, minlength=num_rows)[:num_rows]


def word_counts(text: TextColumn) -> np.ndarray:
    """Whitespace-separated words per row."""
    return count_regex(text, r"\S+")


def lines(text: TextColumn) -> pa.ChunkedArray:
    """Lines per row (split on newline), a list column."""
    return pc.split_pattern(filled(text), "\n")


def count_regex(text: TextColumn, pattern: str, ignore_case: bool = False) -> np.ndarray:
    """Non-overlapping matches of a RE2 pattern per row."""
    return to_numpy(pc.count_substring_regex(filled(text), pattern, ignore_case=ignore_case)).astype(np.int64)


def matches_regex(text: TextColumn, pattern: str, ignore_case: bool = False) -> np.ndarray:
    """Whether each row contains a match of a RE2 pattern."""
    return to_numpy(pc.match_substring_regex(filled(text), pattern, ignore_case=ignore_case)).astype(bool)
