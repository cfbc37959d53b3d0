"""Token identities for the quality filters: dense per-slice ids of normalised words, n-gram hashes.

Texts are handled in row slices (``text_slices``, a few MB each) so every array stays small. Within a
slice each token gets an integer id, equal ids if and only if the (normalised) token text is equal:
words through Arrow's hash-based ``dictionary_encode`` over the bytes kept from each word, characters
through their code point. Ids are only compared within one row. N-grams are 64-bit hashes of ids.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.columns import text_slices

# CJK ideographs (the Han ranges DataFlow's NgramSampleEvaluator looks for), as code point bounds.
HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F), (0x30000, 0x323AF))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


def slices(text: pa.ChunkedArray) -> Iterator[tuple[int, pa.ChunkedArray]]:
    """The row slices of ``text_slices``, with the index of their first row."""
    first = 0
    for piece in text_slices(text):
        yield first, piece
        first += len(piece)


def ascii_punct(data: np.ndarray) -> np.ndarray:
    """Bytes that are ``string.punctuation`` characters (ASCII 33-47, 58-64, 91-96, 123-126)."""
    mask = (data - np.uint8(33)) < 15
    mask |= (data - np.uint8(58)) < 7
    mask |= (data - np.uint8(91)) < 6
    mask |= (data - np.uint8(123)) < 4
    return mask


def removed_per_span(removed: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """How many of the sorted byte positions ``removed`` fall in each span (all lie inside one)."""
    return np.bincount(np.searchsorted(starts, removed, side="right") - 1, minlength=len(starts))


def encode_spans(
    data: np.ndarray, keep: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, pa.Array]:
    """A dense id per span of the kept bytes of ``data``, and the dictionary of distinct spans.

    ``keep`` selects exactly the bytes of the spans, which follow each other in ``data`` order;
    span ``i`` starts at ``starts[i]`` and keeps ``lengths[i]`` bytes (it may keep none).
    Equal ids iff equal bytes: Arrow's hash-based ``dictionary_encode`` over the compacted bytes.
    """
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64), pa.array([], pa.binary())
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    large = offsets[-1] >= 2**31 - 1
    strings = pa.Array.from_buffers(
        pa.large_binary() if large else pa.binary(),
        len(starts),
        [None, pa.py_buffer(offsets.astype(np.int64 if large else np.int32)), pa.py_buffer(data[keep])],
    )
    encoded = pc.dictionary_encode(strings)
    return encoded.indices.to_numpy().astype(np.int64), encoded.dictionary


def codepoints(data: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Code point of the UTF-8 characters starting at byte ``positions`` of ``data``."""
    lead = data[positions].astype(np.int64)
    size = 1 + (lead >= 0xC0) + (lead >= 0xE0) + (lead >= 0xF0)
    padded = np.concatenate((data, np.zeros(3, dtype=np.uint8)))
    points = np.where(size == 1, lead, lead & (0x7F >> size))
    for k in (1, 2, 3):
        more = size > k
        points[more] = (points[more] << 6) | (padded[positions[more] + k].astype(np.int64) & 0x3F)
    return points


def han_rows(scan: ByteScan) -> np.ndarray:
    """Rows containing a Han character (all Han code points take 3 or 4 UTF-8 bytes)."""
    lead = np.flatnonzero(scan.data >= 0xE3)
    points = codepoints(scan.data, lead)
    han = np.zeros(len(points), dtype=bool)
    for low, high in HAN_RANGES:
        han |= (points >= low) & (points <= high)
    return scan.per_row(lead, han) > 0


def distinct_per_row(rows: np.ndarray, keys: np.ndarray, num_rows: int) -> np.ndarray:
    """Distinct ``keys`` per row, from one sort of (row, key) packed in 64 bits.

    The row takes the high bits and the key's top bits the rest (at least 44 bits for slices of up
    to a million rows), so keys must be well-mixed hashes: two of a row's m keys collide with
    probability about m**2 / 2**(65 - row bits), e.g. 5e-6 for the 150k n-grams of a 1 MB text
    sharing a slice with 8k other rows.
    """
    if len(keys) == 0:
        return np.zeros(num_rows, dtype=np.int64)
    row_bits = max(int(num_rows - 1).bit_length(), 1)
    packed = (rows.astype(np.uint64) << np.uint64(64 - row_bits)) | (
        keys.astype(np.uint64) >> np.uint64(row_bits)
    )
    packed.sort()
    first = np.ones(len(packed), dtype=bool)
    np.not_equal(packed[1:], packed[:-1], out=first[1:])
    return np.bincount((packed[first] >> np.uint64(64 - row_bits)).astype(np.int64), minlength=num_rows)


def mix(keys: np.ndarray) -> np.ndarray:
    """A 64-bit mix (splitmix64 finaliser) of integer keys."""
    h = keys.astype(np.uint64) * _MIX
    h ^= h >> np.uint64(31)
    h *= _MIX2
    h ^= h >> np.uint64(29)
    return h


def ngram_hashes(ids: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of every run of ``n`` consecutive tokens that stays in one row, and that row.

    Multiply-xorshift rounds over the token ids (FNV-like, on 64-bit words), then a full mix.
    """
    count = len(ids) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    h = ids[:count].astype(np.uint64) * _MIX
    for k in range(1, n):
        h ^= h >> np.uint64(32)
        h ^= ids[k : k + count].astype(np.uint64)
        h *= _MIX
    h = mix(h)
    same_row = rows[:count] == rows[n - 1 :]
    return h[same_row], rows[:count][same_row]
