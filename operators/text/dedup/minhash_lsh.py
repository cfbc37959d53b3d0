"""MinHash signatures and LSH banding, with no Python loop per document or per shingle.

Shingles are character n-grams over code points (DataFlow's ``use_n_gram``/``ngram``) or word n-grams. Each
shingle gets one 64-bit hash (a polynomial over its units, then a splitmix64 finaliser); the signature is a
one-permutation MinHash: the hash picks one of ``num_perm`` bins and the bin keeps the smallest value, with
rotation densification for empty bins (Shrivastava & Li, 2014). This costs one pass over the shingles instead
of ``num_perm`` passes, and estimates Jaccard similarity like classic MinHash. The hashes are fixed constants, so
signatures are stable across runs and partitions. The signatures are computed by a C kernel (``kernels.minhash``,
through ctypes) on pieces of about ``CHUNK_UNITS`` bytes on the shared thread pool (the call releases the GIL),
so memory stays bounded for any batch and both cores work; the answer does not depend on the cut. The
numpy n-gram hashes below (``_ngrams``) serve SimHash's features.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.parallel import parallel_map
from operators.text.scan.utf8 import text_bytes

CHUNK_UNITS = 1 << 19  # text bytes per piece of work: large enough that the GIL is rarely contended
_P = np.uint64(0x100000001B3)  # polynomial base (FNV prime)
_MIX = ((np.uint64(30), np.uint64(0xBF58476D1CE4E5B9)), (np.uint64(27), np.uint64(0x94D049BB133111EB)),
        (np.uint64(31), None))


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place on a uint64 array (returned)."""
    shifted = np.empty_like(x)  # one scratch array for the three shifts
    for shift, factor in _MIX:
        np.right_shift(x, shift, out=shifted)
        x ^= shifted
        if factor is not None:
            x *= factor
    return x


def _windows(units: np.ndarray, n: int) -> np.ndarray:
    """``h[i] = sum(units[i + k] * P**(n - 1 - k) for k < n)`` (mod 2**64) for every ``i <= len(units) - n``.

    Built by doubling (width w -> 2w -> 2w + 1, following the bits of n): about 2·log2(n) passes over the
    array instead of 2·(n - 1). Entries past ``len(units) - n`` are left unspecified.
    """
    total = len(units)
    current = units.astype(np.uint64)
    if n == 1 or total < n:
        return current
    spare, width = np.empty_like(current), 1
    for bit in bin(n)[3:]:
        count = total - 2 * width + 1  # windows of width 2w that fit
        np.multiply(current[:count], _P ** np.uint64(width), out=spare[:count])
        spare[:count] += current[width: width + count]
        current, spare, width = spare, current, 2 * width
        if bit == "1":
            count = total - width
            current[:count] *= _P
            current[:count] += units[width: width + count]
            width += 1
    return current


def _position_hashes(units: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A mixed hash at every unit position: of the n-gram starting there (a text shorter than n is one shingle,
    hashed at its first position), and ``tails``: the positions whose n-gram runs past the end of its text."""
    hashes = _windows(units, n)
    starts = np.cumsum(lengths) - lengths
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if len(short):  # the whole text as one shingle
        whole = np.zeros(len(short), np.uint64)
        for k in range(n - 1):
            inside = k < lengths[short]
            whole[inside] = whole[inside] * _P + units[starts[short][inside] + k]
        hashes[starts[short]] = whole
    ends = starts + lengths
    tails = [ends[ends - k > starts] - k for k in range(1, n)]
    return mix64(hashes), np.concatenate(tails) if tails else np.zeros(0, np.int64)


def _ngrams(units: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A hash per n-gram of units inside each text (a text shorter than n is one shingle) and its text index."""
    hashes, tails = _position_hashes(units, lengths, n)
    valid = np.ones(len(units), dtype=bool)
    valid[tails] = False
    return hashes[valid], np.repeat(np.arange(len(lengths)), lengths)[valid]


def _fill(block: np.ndarray, texts: pa.Array, ngram: int, words: bool) -> None:
    """Signatures of ``texts`` into ``block``, their rows of the output (C: ``kernels.minhash``).

    The kernel module is imported here, with the first signatures, not with every import of the operators
    (the code server, the CLI)."""
    from operators.text.kernels.minhash import fill_signatures
    data, offsets = text_bytes(texts)
    fill_signatures(data, offsets, ngram, words, block)


def signatures(texts: pa.Array | pa.ChunkedArray, num_perm: int, ngram: int, words: bool = False) -> np.ndarray:
    """MinHash signatures (rows × num_perm, uint32) of texts; null and empty texts get the all-empty signature.

    The texts are cut into pieces of about ``CHUNK_UNITS`` bytes, computed on the shared thread pool.
    """
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    out = np.empty((len(texts), num_perm), dtype=np.uint32)  # each piece fills its rows
    pieces, first = [], 0
    for chunk in chunks:  # read in place: no copy of the column
        chunk = chunk if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type) else (
            chunk.cast(pa.large_string()))
        cumulative = np.cumsum(pc.fill_null(pc.binary_length(chunk), 0).to_numpy(zero_copy_only=False))
        total = int(cumulative[-1]) if len(chunk) else 0
        edges = np.unique(np.r_[0, np.searchsorted(cumulative, np.arange(CHUNK_UNITS, total, CHUNK_UNITS)),
                                len(chunk)])
        pieces += [(out[first + a: first + b], chunk.slice(a, b - a))
                   for a, b in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True) if b > a]
        first += len(chunk)
    parallel_map(lambda piece: _fill(piece[0], piece[1], ngram, words), pieces)
    return out


@functools.lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, false_negative_weight: float = 0.5) -> tuple[int, int]:
    """Bands and rows per band minimising weighted false positive + negative areas (datasketch's rule); the
    first best pair in (bands, rows) order, all pairs evaluated at once."""
    grid_low, grid_high = np.linspace(0.0, threshold, 200), np.linspace(threshold, 1.0, 200)
    pairs = np.array([(bands, rows) for bands in range(1, num_perm + 1) for rows in range(1, num_perm // bands + 1)])
    bands, rows = pairs[:, :1], pairs[:, 1:]
    false_positive = np.trapezoid(1 - (1 - grid_low**rows) ** bands, grid_low, axis=1)
    false_negative = np.trapezoid((1 - grid_high**rows) ** bands, grid_high, axis=1)
    error = (1 - false_negative_weight) * false_positive + false_negative_weight * false_negative
    best = int(np.argmin(error))
    return int(pairs[best, 0]), int(pairs[best, 1])


def band_hashes(signature: np.ndarray, bands: int, rows: int, chunk: int = 4096) -> np.ndarray:
    """One signed 64-bit hash per (document, band) of ``rows`` consecutive signature values."""
    width = signature.shape[1]
    out = np.empty((signature.shape[0], bands), dtype=np.uint64)
    present = [min(bands, max(0, -(-(width - column) // rows))) for column in range(rows)]  # bands reaching it

    def hash_rows(first: int) -> None:
        block = signature[first: first + chunk]
        values = np.zeros((len(block), bands * rows), dtype=np.uint64)
        values[:, : min(width, bands * rows)] = block[:, : bands * rows]
        values = values.reshape(-1, bands, rows)
        acc = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), values.shape[:2]).copy()
        for column, reach in enumerate(present):
            acc[:, :reach] *= _P
            acc[:, :reach] += values[:, :reach, column]
        out[first: first + chunk] = mix64(acc)

    parallel_map(hash_rows, range(0, signature.shape[0], chunk))
    return out.view(np.int64)
