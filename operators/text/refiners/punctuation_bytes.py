"""Byte-level rewrite for DataFlow's ``([^\\w\\s_])\\1+|(_)\\2+`` (collapse repeated punctuation).

RE2 has no backreferences, so "the same character again" cannot be a pattern. Instead, on the
UTF-8 data buffer of each chunk: a character repeats its predecessor exactly when its k bytes equal
the k bytes before it (same lead byte, so the predecessor is one whole character of the same
length). Those repeats are dropped when the character is neither alphanumeric nor whitespace in
Python's sense (``_`` included), which collapses every run to its first character, as the regex does.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.text.refiners.base import single_chunk


def _collapsible(char: str) -> bool:
    """A character DataFlow's regex collapses when repeated: not ``\\w`` minus ``_``, not ``\\s``."""
    return not char.isalnum() and not char.isspace()


_ASCII_COLLAPSIBLE = np.array([_collapsible(chr(cp)) for cp in range(128)], dtype=bool)


def _decode(data: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Code points of the ``length``-byte UTF-8 characters starting at ``starts``."""
    lead_bits = {2: 0x1F, 3: 0x0F, 4: 0x07}[length]
    cp = data[starts].astype(np.int64) & lead_bits
    for j in range(1, length):
        cp = (cp << 6) | (data[starts + j].astype(np.int64) & 0x3F)
    return cp


def _in_row(starts: np.ndarray, length: int, row_starts: np.ndarray) -> np.ndarray:
    """Keep the starts whose predecessor (``length`` bytes back) lies in the same row."""
    row = np.searchsorted(row_starts, starts, side="right") - 1
    return starts[starts - length >= row_starts[row]]


def _repeats(data: np.ndarray, offsets: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Start positions (with byte length) of characters that repeat their collapsible predecessor."""
    found: list[tuple[np.ndarray, int]] = []
    row_starts = offsets[:-1]
    # ASCII: a byte below 0x80 equal to the byte before it.
    same = np.flatnonzero((data[1:] == data[:-1]) & (data[1:] < 0x80)) + 1
    same = same[_ASCII_COLLAPSIBLE[data[same]]]
    if len(same):
        found.append((_in_row(same, 1, row_starts), 1))
    leads = np.flatnonzero(data >= 0xC0)
    for length, low, high in ((2, 0xC0, 0xE0), (3, 0xE0, 0xF0), (4, 0xF0, 0x100)):
        lead = data[leads]
        starts = leads[(lead >= low) & (lead < high) & (leads >= length) & (leads + length <= len(data))]
        for j in range(length):
            starts = starts[data[starts + j] == data[starts + j - length]]
        starts = _in_row(starts, length, row_starts)
        if len(starts) == 0:
            continue
        distinct, inverse = np.unique(_decode(data, starts, length), return_inverse=True)
        # Python per distinct code point (not per row or character): Unicode classes via str methods.
        keep = np.array([_collapsible(chr(int(cp))) for cp in distinct], dtype=bool)[inverse]
        found.append((starts[keep], length))
    return found


def _collapse_chunk(chunk: pa.Array) -> pa.Array:
    """Collapse repeated collapsible characters in one string array."""
    large = pa.types.is_large_string(chunk.type)
    offset_type = np.int64 if large else np.int32
    buffers = chunk.buffers()
    if buffers[2] is None or len(chunk) == 0:
        return chunk
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]
    offsets = offsets.astype(np.int64)
    base = int(offsets[0])
    data = np.frombuffer(buffers[2], dtype=np.uint8)[base : int(offsets[-1])]
    offsets = offsets - base
    found = [(starts, length) for starts, length in _repeats(data, offsets) if len(starts)]
    if not found:
        return chunk
    removed = np.sort(np.concatenate([starts[:, None] + np.arange(length) for starts, length in found], axis=None))
    keep = np.ones(len(data), dtype=bool)
    keep[removed] = False
    new_offsets = (offsets - np.searchsorted(removed, offsets)).astype(offset_type)
    new_data = data[keep]
    result = pa.Array.from_buffers(chunk.type, len(chunk), [None, pa.py_buffer(new_offsets), pa.py_buffer(new_data)])
    if chunk.null_count:
        result = pc.if_else(chunk.is_valid(), result, pa.scalar(None, chunk.type))
    return result


def collapse_repeated_punctuation(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Every run of one repeated non-alphanumeric, non-space character (``_`` too) becomes one."""
    return pa.chunked_array([_collapse_chunk(single_chunk(chunk)) for chunk in text.chunks], type=text.type)
