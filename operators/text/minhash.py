"""MinHash signatures and LSH banding, vectorised with numpy (no Python loop per document or per shingle).

Shingles are character n-grams over code points (DataFlow's ``use_n_gram``/``ngram``) or word n-grams. Each
shingle gets one 64-bit hash (a polynomial over its units, then a splitmix64 finaliser); the signature is a
one-permutation MinHash: the hash picks one of ``num_perm`` bins and the bin keeps the smallest value
(``np.minimum.at``), with rotation densification for empty bins (Shrivastava & Li, 2014). This costs one pass
over the shingles instead of ``num_perm`` passes, and estimates Jaccard similarity like classic MinHash. The
hashes are fixed constants, so signatures are stable across runs and partitions. Documents are processed in
chunks of about ``CHUNK_UNITS`` code points, so memory stays bounded for any batch.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EMPTY = np.uint32(0xFFFFFFFF)
CHUNK_UNITS = 8_000_000
_P = np.uint64(0x100000001B3)  # polynomial base (FNV prime)
_WHITESPACE = np.array([9, 10, 11, 12, 13, 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                        0x202F, 0x205F, 0x3000], dtype=np.uint32)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place on a uint64 array (returned)."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x  # (in-place operators: no temporaries beyond one shifted copy per step)


def _codepoints(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Code points of every text (concatenated, uint32) and the number per text."""
    lengths = pc.fill_null(pc.utf8_length(texts), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=width)[texts.offset: texts.offset + len(texts) + 1]
    data = texts.buffers()[2]
    text = "" if data is None else str(memoryview(data)[offsets[0]: offsets[-1]], "utf-8")
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return points, lengths


def _words(points: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One 64-bit hash per whitespace-separated word, and the number of words per text."""
    doc = np.repeat(np.arange(len(lengths)), lengths)
    space = np.isin(points, _WHITESPACE)
    first = np.ones(len(points), dtype=bool)
    first[1:] = space[:-1] | (doc[1:] != doc[:-1])
    starts = np.flatnonzero(first & ~space)
    if len(starts) == 0:
        return np.zeros(0, np.uint64), np.zeros(len(lengths), np.int64)
    inside = np.flatnonzero(~space)
    word = np.searchsorted(starts, inside, side="right") - 1
    position = (inside - starts[word]).astype(np.uint64)
    values = mix64(points[inside].astype(np.uint64) * _P + position)
    hashes = mix64(np.add.reduceat(values, np.searchsorted(inside, starts)))
    counts = np.bincount(doc[starts], minlength=len(lengths)).astype(np.int64)
    return hashes, counts


def _ngrams(units: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A hash per n-gram of units inside each text (a text shorter than n is one shingle) and its text index."""
    total = len(units)
    hashes = units.astype(np.uint64)
    for k in range(1, min(n, total)):
        hashes[: total - k] *= _P
        hashes[: total - k] += units[k:]
    starts = np.cumsum(lengths) - lengths
    valid = np.ones(total, dtype=bool)
    for k in range(1, n):  # windows running past the end of their text
        ends = starts + lengths - k
        valid[ends[ends >= starts]] = False
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if len(short):  # the whole text as one shingle
        whole = np.zeros(len(short), np.uint64)
        for k in range(n - 1):
            inside = k < lengths[short]
            whole[inside] = whole[inside] * _P + units[starts[short][inside] + k]
        hashes[starts[short]] = whole
        valid[starts[short]] = True
    doc = np.repeat(np.arange(len(lengths)), lengths)
    return mix64(hashes[valid]), doc[valid]


def _densify(signature: np.ndarray, chunk: int = 32768) -> None:
    """Fill empty bins from the next non-empty bin to the right (circularly), offset by the distance."""
    width = signature.shape[1]
    bins = np.arange(width, dtype=np.int32)
    for first in range(0, signature.shape[0], chunk):  # a block of rows at a time: bounded memory
        block = signature[first: first + chunk]
        empty = block == EMPTY
        rows = np.flatnonzero(empty.any(axis=1) & ~empty.all(axis=1))
        if len(rows) == 0:
            continue
        filled_at = np.where(empty[rows], np.int32(3 * width), bins)
        doubled = np.concatenate([filled_at, filled_at + np.int32(width)], axis=1)
        nearest = np.minimum.accumulate(doubled[:, ::-1], axis=1)[:, ::-1][:, :width]
        source = block[rows[:, None], nearest % width]
        offset = ((nearest - bins).astype(np.uint32) * np.uint32(0x9E3779B1)).astype(np.uint32)
        block[rows] = np.where(empty[rows], source + offset, block[rows])


def signatures(texts: pa.Array | pa.ChunkedArray, num_perm: int, ngram: int, words: bool = False) -> np.ndarray:
    """MinHash signatures (rows × num_perm, uint32) of texts; null and empty texts get the all-empty signature."""
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    out = np.full((len(texts), num_perm), EMPTY, dtype=np.uint32)
    pieces, first = [], 0
    for chunk in chunks:  # read in place: no copy of the column
        chunk = chunk if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type) else (
            chunk.cast(pa.large_string()))
        cumulative = np.cumsum(pc.fill_null(pc.binary_length(chunk), 0).to_numpy(zero_copy_only=False))
        total = int(cumulative[-1]) if len(chunk) else 0
        edges = np.unique(np.r_[0, np.searchsorted(cumulative, np.arange(CHUNK_UNITS, total, CHUNK_UNITS)),
                                len(chunk)])
        pieces += [(chunk, first, a, b) for a, b in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True)]
        first += len(chunk)
    for chunk, base, a, b in pieces:
        start, stop = base + a, base + b
        points, lengths = _codepoints(chunk.slice(a, b - a))
        units = points
        if words:
            units, lengths = _words(points, lengths)
        hashes, doc = _ngrams(units, lengths, ngram)
        chunk = out[start:stop].reshape(-1)
        slot = ((hashes >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)
        np.minimum.at(chunk, doc * num_perm + slot.astype(np.int64), (hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    _densify(out)
    return out


@functools.lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, false_negative_weight: float = 0.5) -> tuple[int, int]:
    """Bands and rows per band minimising weighted false positive + negative areas (datasketch's rule)."""
    grid_low, grid_high = np.linspace(0.0, threshold, 200), np.linspace(threshold, 1.0, 200)
    best, best_error = (1, num_perm), np.inf
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            false_positive = np.trapezoid(1 - (1 - grid_low**rows) ** bands, grid_low)
            false_negative = np.trapezoid((1 - grid_high**rows) ** bands, grid_high)
            error = (1 - false_negative_weight) * false_positive + false_negative_weight * false_negative
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def band_hashes(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One signed 64-bit hash per (document, band) of ``rows`` consecutive signature values."""
    out = np.zeros((signature.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        acc = np.full(signature.shape[0], band + 1, dtype=np.uint64)
        for value in signature[:, band * rows: (band + 1) * rows].T:
            acc = acc * _P + value.astype(np.uint64)
        out[:, band] = mix64(acc)
    return out.view(np.int64)
