"""Code points of Arrow string arrays, decoded with numpy (no Python string per row or per batch).

Numpy releases the GIL in its loops, so pieces of a column decode in parallel on the shared thread pool;
Python's own decoder would hold it. Input must be valid UTF-8, which Arrow string arrays are.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_LEAD_MASKS = (np.uint32(0x1F), np.uint32(0x0F), np.uint32(0x07))  # payload of a 2-, 3- and 4-byte lead


def text_bytes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of all values of a string array, concatenated (a zero-copy view), and the row offsets
    into them (int64, ``len(texts) + 1``). Null rows are empty."""
    if texts.null_count:
        texts = pc.fill_null(texts, "")
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=width)[texts.offset: texts.offset + len(texts) + 1]
    data = texts.buffers()[2]
    if data is None or len(texts) == 0:
        return np.zeros(0, np.uint8), np.zeros(len(texts) + 1, np.int64)
    return np.frombuffer(data, dtype=np.uint8)[offsets[0]: offsets[-1]], (offsets - offsets[0]).astype(np.int64)


def decode_utf8(raw: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code points (uint32) of valid UTF-8 bytes, and the number of them in each row of ``offsets``."""
    lengths = np.diff(offsets)
    leads = np.flatnonzero(raw >= 0xC0)  # multi-byte characters: few in most text
    if len(leads) == 0:
        return raw.astype(np.uint32), lengths
    first = raw[leads].astype(np.uint32)
    size = 2 + (first >= 0xE0) + (first >= 0xF0)
    value = first & np.choose(size - 2, _LEAD_MASKS)
    for k in (1, 2, 3):
        more = size > k
        value[more] = (value[more] << 6) | (raw[leads[more] + k] & 0x3F)
    points = raw[raw.view(np.int8) >= -64].astype(np.uint32)  # continuation bytes (0x80-0xBF) dropped
    extra = size - 1  # continuation bytes of each multi-byte character
    points[leads - (np.cumsum(extra) - extra)] = value
    rows = np.searchsorted(offsets, leads, side="right") - 1
    lengths -= np.bincount(rows, weights=extra, minlength=len(lengths)).astype(np.int64)
    return points, lengths


def codepoints(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Code points of every text (concatenated, uint32) and the number per text (null: 0)."""
    return decode_utf8(*text_bytes(texts))
