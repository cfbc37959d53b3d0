"""The MinHash signature of each text in one compiled pass over its UTF-8 bytes (numba, no GIL held).

Same definition as ``minhash`` states: the units of a text are its code points (or, for word shingles, one hash
per whitespace-separated word: ``mix(sum(mix(code point * P + position in word)))``); each n-gram of units is
hashed as a polynomial in ``P`` (mod 2**64), then mixed by splitmix64's finaliser; its high 32 bits pick the bin,
its low 32 bits compete for the bin's minimum; empty bins take the next non-empty bin to the right (circularly)
plus ``distance * 0x9E3779B1``. A text shorter than n units is one shingle; an empty text keeps every bin empty.

One loop per text replaces a dozen whole-array numpy passes (and their fresh uint64 arrays) per piece. Compiled
on first use and cached next to this module (``cache=True``), so later processes load it.
"""

from __future__ import annotations

import numba
import numpy as np

EMPTY = np.uint32(0xFFFFFFFF)
_P = np.uint64(0x100000001B3)  # polynomial base (FNV prime)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B1)
_ONE = np.uint64(1)
_KERNEL = {"nogil": True, "cache": True, "boundscheck": False}


@numba.njit(**_KERNEL)
def _mix(x: np.uint64) -> np.uint64:
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    return x ^ (x >> _S31)


@numba.njit(**_KERNEL)
def _is_space(point: np.uint64) -> bool:
    if point <= 32:
        return point == 32 or 9 <= point <= 13
    if point < 0x85:
        return False
    return (point == 0x85 or point == 0xA0 or point == 0x1680 or 0x2000 <= point <= 0x200A or point == 0x2028
            or point == 0x2029 or point == 0x202F or point == 0x205F or point == 0x3000)


@numba.njit(**_KERNEL)
def _decode(data: np.ndarray, start: int, end: int, units: np.ndarray) -> int:
    """Code points of valid UTF-8 ``data[start:end]`` into ``units``; returns how many."""
    count, i, stop = np.uint64(0), np.uint64(start), np.uint64(end)  # unsigned: no negative-index wrap
    while i < stop:
        lead = np.uint64(data[i])
        if lead < 0x80:
            units[count] = lead
            count += _ONE
            i += _ONE
            continue
        if lead < 0xE0:
            value, size = lead & np.uint64(0x1F), np.uint64(2)
        elif lead < 0xF0:
            value, size = lead & np.uint64(0x0F), np.uint64(3)
        else:
            value, size = lead & np.uint64(0x07), np.uint64(4)
        k = _ONE
        while k < size:
            value = (value << np.uint64(6)) | (np.uint64(data[i + k]) & np.uint64(0x3F))
            k += _ONE
        units[count] = value
        count += _ONE
        i += size
    return np.int64(count)


@numba.njit(**_KERNEL)
def _word_units(units: np.ndarray, count: int) -> int:
    """Replace the first ``count`` code points in ``units`` by one hash per word; returns the number of words."""
    words, position, total = 0, np.uint64(0), np.uint64(0)
    for i in range(count):
        point = units[i]
        if _is_space(point):
            if position > 0:
                units[words] = _mix(total)
                words += 1
            position, total = np.uint64(0), np.uint64(0)
        else:
            total += _mix(point * _P + position)
            position += np.uint64(1)
    if position > 0:
        units[words] = _mix(total)
        words += 1
    return words


@numba.njit(**_KERNEL)
def _keep(signature: np.ndarray, value: np.uint64, num_perm: np.uint64) -> None:
    slot = ((value >> _S32) * num_perm) >> _S32
    low = np.uint32(value & _LOW32)
    signature[slot] = min(low, signature[slot])  # always stored: a taken-or-not branch here is a coin flip


@numba.njit(**_KERNEL)
def _shingle(signature: np.ndarray, units: np.ndarray, count: int, n: int) -> None:
    num_perm = np.uint64(len(signature))
    if count < n:  # the whole text is one shingle
        value = np.uint64(0)
        for i in range(count):
            value = value * _P + units[i]
        _keep(signature, _mix(value), num_perm)
        return
    top = np.uint64(1)  # P ** (n - 1): the weight of the unit leaving the window
    for _ in range(n - 1):
        top *= _P
    value = np.uint64(0)
    for i in range(n):
        value = value * _P + units[i]
    _keep(signature, _mix(value), num_perm)
    leaving, i, stop = np.uint64(0), np.uint64(n), np.uint64(count)  # unsigned: no negative-index wrap
    while i < stop:
        value = (value - units[leaving] * top) * _P + units[i]
        _keep(signature, _mix(value), num_perm)
        leaving += _ONE
        i += _ONE


@numba.njit(**_KERNEL)
def _densify(signature: np.ndarray) -> None:
    width = len(signature)
    first = -1
    for j in range(width):
        if signature[j] != EMPTY:
            first = j
            break
    if first < 0:
        return
    following = first + width  # the next non-empty bin, counted past the end for the wrap
    for j in range(width - 1, -1, -1):
        if signature[j] != EMPTY:
            following = j
        else:
            source = signature[following % width]
            signature[j] = (np.uint64(source) + np.uint64(following - j) * _GOLDEN) & _LOW32


@numba.njit(**_KERNEL)
def fill_signatures(data: np.ndarray, offsets: np.ndarray, n: int, words: bool, out: np.ndarray) -> None:
    """Signatures of the texts ``data[offsets[r]:offsets[r + 1]]`` (UTF-8) into the rows of ``out``."""
    widest = 0
    for row in range(len(offsets) - 1):
        widest = max(widest, offsets[row + 1] - offsets[row])
    units = np.empty(widest, dtype=np.uint64)
    for row in range(len(offsets) - 1):
        signature = out[row]
        signature[:] = EMPTY
        count = _decode(data, offsets[row], offsets[row + 1], units)
        if words:
            count = _word_units(units, count)
        if count == 0:
            continue
        _shingle(signature, units, count, n)
        _densify(signature)
