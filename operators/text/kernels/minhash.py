"""The MinHash signature of each text in one compiled pass over its UTF-8 bytes (C through ctypes, no GIL held).

Same definition as ``minhash`` states: the units of a text are its code points (or, for word shingles, one hash
per whitespace-separated word: ``mix(sum(mix(code point * P + position in word)))``); each n-gram of units is
hashed as a polynomial in ``P`` (mod 2**64), then mixed by splitmix64's finaliser; its high 32 bits pick the bin,
its low 32 bits compete for the bin's minimum; empty bins take the next non-empty bin to the right (circularly)
plus ``distance * 0x9E3779B1``. A text shorter than n units is one shingle; an empty text keeps every bin empty.

One loop per text replaces a dozen whole-array numpy passes (and their fresh uint64 arrays) per piece. The loop is
C (``kernels/minhash.c``, compiled with the package into ``_minhash``; ``native`` loads it), called through ctypes,
which releases the GIL, so pieces run side by side on the thread pool.
"""

from __future__ import annotations

import numpy as np

from operators.text.kernels.native import address, as_int64, as_uint8, i64, kernel, pointer

EMPTY = np.uint32(0xFFFFFFFF)


_fill = kernel("minhash", "dfk_minhash_fill_signatures", None, pointer, pointer, i64, i64, i64, pointer, pointer, i64)


def fill_signatures(data: np.ndarray, offsets: np.ndarray, n: int, words: bool, out: np.ndarray) -> None:
    """Signatures of the texts ``data[offsets[r]:offsets[r + 1]]`` (UTF-8) into the rows of ``out``."""
    data = as_uint8(data)
    offsets = as_int64(offsets)
    rows = max(len(offsets) - 1, 0)
    if out.ndim != 2 or out.shape[0] < rows:
        raise ValueError(f"out must be a 2-D array of at least {rows} rows, not of shape {out.shape}")
    if rows == 0:
        return
    lengths = np.diff(offsets)
    if int(offsets[0]) < 0 or int(offsets[-1]) > len(data) or (lengths < 0).any():
        raise ValueError("offsets must be non-decreasing positions inside data")
    units = np.empty(max(int(lengths.max()), 1), dtype=np.uint64)  # code points of the longest text
    direct = out.dtype == np.uint32 and out.flags.c_contiguous and out.flags.writeable
    target = out if direct else np.empty((rows, out.shape[1]), dtype=np.uint32)
    _fill(address(data), address(offsets), rows, int(n), int(bool(words)), address(units), address(target),
                   target.shape[1])
    if not direct:
        out[:rows] = target
