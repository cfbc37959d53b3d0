"""Classes of non-ASCII characters straight from UTF-8 bytes, with Python's ``str`` semantics.

DataFlow's rules use ``str.isspace``, ``str.split``, regex ``\\w`` and ``str.isupper``; the flags here
reproduce those per character. Most characters are classified by a 64k-entry table indexed by their
first two bytes (exact for 2-byte characters, and for 3-byte characters whose block of 64 code points
is uniform); only the rest are fully decoded.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SPACE, WORD, UPPER, LOWER = 1, 2, 4, 8
_MIXED = 128

# Every non-ASCII code point that str.isspace() accepts (all in the BMP).
PY_SPACES = tuple(cp for cp in range(0x80, 0x10000) if chr(cp).isspace())
# ``str.isspace`` as lookup tables for ``kernels.scan.space_mask``: ASCII bytes, and BMP code points
ASCII_SPACE = np.array([chr(byte).isspace() for byte in range(128)] + [False] * 128, dtype=np.uint8)
BMP_SPACE = np.zeros(0x10000, dtype=np.uint8)
BMP_SPACE[list(PY_SPACES)] = 1  # every non-ASCII whitespace character is in the BMP


def _flags(char: str) -> int:
    """Class bits of one character, with Python's semantics (``\\s``, ``\\w``, ``isupper``)."""
    bits = SPACE if char.isspace() else 0
    bits |= WORD if char.isalnum() or char == "_" else 0
    bits |= UPPER if char.isupper() else 0
    bits |= LOWER if char.islower() or (char.istitle() and not char.isupper()) else 0
    return bits


@lru_cache(maxsize=1)
def _bmp_table() -> np.ndarray:
    """Class bits for every code point of the Basic Multilingual Plane (built once, ~65k chars)."""
    return np.array([_flags(chr(cp)) for cp in range(0x10000)], dtype=np.uint8)


@lru_cache(maxsize=1)
def _prefix_table() -> np.ndarray:
    """Class bits by (lead byte, first continuation byte); ``_MIXED`` where two bytes do not decide."""
    bmp = _bmp_table()
    table = np.full(1 << 16, _MIXED, dtype=np.uint8)
    cont = np.arange(0x80, 0xC0)
    for lead in range(0xC2, 0xE0):  # 2-byte characters: exact
        table[(lead << 8) | cont] = bmp[((lead & 0x1F) << 6) | (cont & 0x3F)]
    blocks = bmp.reshape(-1, 64)
    uniform = (blocks == blocks[:, :1]).all(axis=1)
    for lead in range(0xE0, 0xF0):  # 3-byte characters: a block of 64 code points per prefix
        block = ((lead & 0x0F) << 6) | (cont & 0x3F)
        table[(lead << 8) | cont] = np.where(uniform[block], blocks[block, 0], _MIXED)
    return table


def char_flags(codepoints: np.ndarray) -> np.ndarray:
    """Class bits for an array of code points; astral ones are classified per distinct value."""
    out = np.zeros(codepoints.shape, dtype=np.uint8)
    bmp = codepoints < 0x10000
    out[bmp] = _bmp_table()[codepoints[bmp]]
    if not bmp.all():
        astral, inverse = np.unique(codepoints[~bmp], return_inverse=True)
        # Python loop per distinct astral code point (emoji, rare scripts): no columnar form.
        out[~bmp] = np.array([_flags(chr(int(cp))) for cp in astral], dtype=np.uint8)[inverse]
    return out


def _byte(data: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return data[np.minimum(positions, len(data) - 1)].astype(np.int64)


def lead_sizes(data: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Byte length of the characters whose lead bytes are at ``lead``."""
    first = data[lead]
    return 2 + (first >= 0xE0).astype(np.int64) + (first >= 0xF0)


def decode(data: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Code points of the characters whose lead bytes are at ``lead``."""
    size = lead_sizes(data, lead)
    b0 = _byte(data, lead)
    b1, b2, b3 = (_byte(data, lead + k) & 0x3F for k in (1, 2, 3))
    cp2 = ((b0 & 0x1F) << 6) | b1
    cp3 = ((b0 & 0x0F) << 12) | (b1 << 6) | b2
    cp4 = ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3
    return np.where(size == 2, cp2, np.where(size == 3, cp3, cp4))


def lead_flags(data: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Class bits of the characters whose lead bytes are at ``lead``."""
    if len(lead) == 0:
        return np.zeros(0, dtype=np.uint8)
    padded = data if lead[-1] < len(data) - 1 else np.concatenate((data, np.zeros(1, dtype=np.uint8)))
    pairs = np.ndarray(shape=(len(padded) - 1,), dtype=">u2", buffer=padded, strides=(1,))
    flags = _prefix_table()[pairs[lead]]
    mixed = np.flatnonzero(flags & _MIXED)
    if len(mixed):
        flags[mixed] = char_flags(decode(data, lead[mixed]))
    return flags
