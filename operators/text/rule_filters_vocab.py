"""Word identity for the rule filters: exact per-word keys, stop-word lookup, distinct words per row.

Words (byte spans from ``ByteScan``) of at most 7 bytes are packed, with their length, into one
uint64 key; longer words are hashed exactly by Arrow (``dictionary_encode`` / ``is_in``) over a
zero-copy string array of the spans. Keys of both kinds never collide (the top bit tells them apart).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.text.columns import to_numpy
from operators.text.rule_filters_scan import ByteScan

_SHORT = 7
_LONG_TAG = np.uint64(1 << 63)
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(_SHORT + 1)], dtype=np.uint64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's 179-word English stop-word list, shipped as operators/data/stopwords_en.txt."""
    text = resources.files("operators").joinpath("data/stopwords_en.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def span_strings(scan: ByteScan, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The spans as a string array: a zero-copy view (spans and gaps interleaved) then a take."""
    if len(starts) == 0:
        return pa.array([], pa.string())
    large = len(scan.data) >= 2**31 - 1
    offsets = np.empty(2 * len(starts), dtype=np.int64 if large else np.int32)
    offsets[0::2], offsets[1::2] = starts, ends
    interleaved = pa.Array.from_buffers(
        pa.large_string() if large else pa.string(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets), pa.py_buffer(scan.data)],
    )
    return interleaved.take(pa.array(np.arange(0, len(offsets), 2, dtype=np.int64)))


def _packed(scan: ByteScan, starts: np.ndarray) -> np.ndarray:
    """The 8 bytes from each (sorted) start as a little-endian uint64, zero past the end of the data."""
    data = scan.data
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint64)
    if len(data) < 8 or starts[-1] > len(data) - 8:
        data = np.concatenate((data, np.zeros(8, dtype=np.uint8)))  # a start near the end: pad a copy
    view = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    return view[starts]


def short_keys(scan: ByteScan, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact uint64 keys of spans of at most 7 bytes, and which spans those are (others: garbage)."""
    lengths = ends - starts
    size = np.minimum(lengths, _SHORT)
    keys = _packed(scan, starts) & _MASKS[size]
    keys |= size.astype(np.uint64) << np.uint64(56)
    return keys, lengths <= _SHORT


def _pack_word(word: str) -> int | None:
    data = word.encode("utf-8")
    return int.from_bytes(data, "little") | (len(data) << 56) if 0 < len(data) <= _SHORT else None


@lru_cache(maxsize=8)
def _key_table(vocabulary: frozenset[str]) -> tuple[np.ndarray, np.uint64, np.uint64]:
    """A collision-free multiplicative hash table of the short words' keys (0 marks empty slots)."""
    return _table_of(np.array(sorted(k for k in map(_pack_word, vocabulary) if k is not None), dtype=np.uint64))


@lru_cache(maxsize=8)
def _prefix_table(vocabulary: frozenset[str]) -> tuple[np.ndarray, np.uint64, np.uint64]:
    """The same kind of table for the first 8 bytes (little-endian) of the words longer than a short key."""
    heads = {int.from_bytes(word.encode("utf-8")[:8], "little") for word in vocabulary
             if len(word.encode("utf-8")) > _SHORT}
    return _table_of(np.array(sorted(heads), dtype=np.uint64))


def _table_of(keys: np.ndarray) -> tuple[np.ndarray, np.uint64, np.uint64]:
    """A collision-free multiplicative hash table of distinct ``keys`` (0 marks empty slots)."""
    for bits in range(max(4, 2 * int(len(keys)).bit_length()), 31):
        for multiplier in (_GOLDEN, np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)):
            slots = (keys * multiplier) >> np.uint64(64 - bits)
            if len(np.unique(slots)) == len(keys):
                table = np.zeros(1 << bits, dtype=np.uint64)
                table[slots.astype(np.int64)] = keys
                return table, multiplier, np.uint64(64 - bits)
    raise ValueError("no collision-free key table found")  # pragma: no cover - 2^30 slots always suffice


def _in_table(keys: np.ndarray, table: tuple[np.ndarray, np.uint64, np.uint64]) -> np.ndarray:
    """Whether each key is in a table of ``_table_of``."""
    slots, multiplier, shift = table
    return slots[((keys * multiplier) >> shift).astype(np.int64)] == keys


def is_member(scan: ByteScan, starts: np.ndarray, ends: np.ndarray, vocabulary: frozenset[str]) -> np.ndarray:
    """Whether each span's text is one of ``vocabulary``.

    Long spans are compared as strings only when their first 8 bytes begin a long vocabulary word.
    """
    keys, short = short_keys(scan, starts, ends)
    member = short & _in_table(keys, _key_table(vocabulary))
    long_words = _long_words(vocabulary)
    long_index = np.flatnonzero(~short)
    if len(long_words) and len(long_index):
        long_index = long_index[_in_table(_packed(scan, starts[long_index]), _prefix_table(vocabulary))]
    if len(long_words) and len(long_index):
        strings = span_strings(scan, starts[long_index], ends[long_index])
        member[long_index] = to_numpy(pc.is_in(strings, value_set=long_words)).astype(bool)
    return member


@lru_cache(maxsize=8)
def _long_words(vocabulary: frozenset[str]) -> pa.Array:
    """The words of ``vocabulary`` longer than a short key holds, as the value set for ``is_in``."""
    return pa.array(sorted(word for word in vocabulary if len(word.encode("utf-8")) > _SHORT), pa.string())


def word_keys(scan: ByteScan, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """An exact nonzero uint64 key per span: equal keys if and only if equal text."""
    keys, short = short_keys(scan, starts, ends)
    long_index = np.flatnonzero(~short)
    if len(long_index):
        encoded = pc.dictionary_encode(span_strings(scan, starts[long_index], ends[long_index]))
        keys[long_index] = encoded.indices.to_numpy().astype(np.uint64) | _LONG_TAG
    return keys


def distinct_share_at_most(
    scan: ByteScan, starts: np.ndarray, ends: np.ndarray, counts: np.ndarray, threshold: float
) -> np.ndarray:
    """Per row, whether distinct words / words (``counts`` per row) is at most ``threshold``.

    Only a prefix of each row's words is keyed first, about twice the distinct words the threshold asks
    for: a row whose prefix already holds more than ``threshold × words`` distinct words is not at most (the
    full count can only be larger), and only the other rows are counted in full. Same answer, a fraction of
    the work on ordinary (non-repetitive) text.
    """
    first = np.cumsum(counts) - counts  # each row's first word
    prefix = counts
    if np.isfinite(threshold) and 0 <= threshold < 0.5:
        prefix = np.minimum(counts, (2 * threshold * counts).astype(np.int64) + 8)
    share = _distinct_share(scan, starts, ends, first, prefix, counts)
    rest = np.flatnonzero(~(share > threshold) & (prefix < counts))  # undecided by their prefix
    if len(rest):
        share[rest] = _distinct_share(scan, starts, ends, first[rest], counts[rest], counts[rest])
    return share <= threshold


def _distinct_share(
    scan: ByteScan, starts: np.ndarray, ends: np.ndarray, first: np.ndarray, take: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Distinct words among the ``take`` words from index ``first`` of each row, divided by ``counts``."""
    index = np.repeat(first - (np.cumsum(take) - take), take) + np.arange(int(take.sum()))
    distinct = distinct_per_row(word_keys(scan, starts[index], ends[index]), take)
    return distinct / np.maximum(counts, 1)


_BLOCK_SLOTS = 1 << 20  # hash slots per block of rows: 8 MB, stays in cache


def distinct_per_row(keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Distinct keys per row; ``keys`` holds each row's keys in turn (``counts`` of them per row).

    Every row gets an open-addressing hash table of at least twice its key count. Rows are handled
    in blocks whose tables fit ``_BLOCK_SLOTS`` (a Python loop per block, not per row).
    """
    size = np.where(counts > 0, 1 << np.ceil(np.log2(np.maximum(2 * counts, 1))).astype(np.int64), 0)
    table_offsets = np.concatenate(([0], np.cumsum(size)))
    key_offsets = np.concatenate(([0], np.cumsum(counts)))
    buffer = np.zeros(max(_BLOCK_SLOTS, int(size.max(initial=0))), dtype=np.uint64)
    distinct = np.zeros(len(counts), dtype=np.int64)
    row = 0
    while row < len(counts):
        end = int(np.searchsorted(table_offsets, table_offsets[row] + _BLOCK_SLOTS, side="right")) - 1
        end = min(max(end, row + 1), len(counts))
        table = buffer[: table_offsets[end] - table_offsets[row]]
        table.fill(0)
        block_keys = keys[key_offsets[row] : key_offsets[end]]
        distinct[row:end] = _distinct_block(block_keys, counts[row:end], size[row:end], table)
        row = end
    return distinct


def _distinct_block(keys: np.ndarray, counts: np.ndarray, size: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Insert all keys of a block at once, probing in vectorised rounds.

    Copies of one key walk the same probe sequence in lockstep, so the copy that lands first also
    deduplicates the others; a key that loses a slot to a different key probes on.
    """
    base = np.concatenate(([0], np.cumsum(size)))
    row_base, row_mask = np.repeat(base[:-1], counts), np.repeat(size - 1, counts)
    slot = row_base + (((keys * _GOLDEN) >> np.uint64(32)).astype(np.int64) & row_mask)
    table[slot] = keys  # first round: every slot is empty
    pending = np.flatnonzero(table[slot] != keys)
    while len(pending):
        slot[pending] = row_base[pending] + ((slot[pending] - row_base[pending] + 1) & row_mask[pending])
        at = slot[pending]
        current = table[at]
        empty = current == 0
        candidates = pending[empty]
        table[slot[candidates]] = keys[candidates]
        lost = candidates[table[slot[candidates]] != keys[candidates]]
        pending = np.concatenate((pending[~empty & (current != keys[pending])], lost))
    return np.diff(np.searchsorted(np.flatnonzero(table), base))
