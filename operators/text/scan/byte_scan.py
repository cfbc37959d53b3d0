"""Byte-level column scanner for the word- and line-based rule filters.

Counting many small regex matches per row costs ~100 ns a match in RE2, too slow for word-level
statistics. ``ByteScan`` instead works on the UTF-8 data buffer of a whole string column with numpy:
per-byte masks (whitespace, word character, upper/lower case), word and token boundaries, and
per-row counts from sorted positions; word bounds and per-row segment counts come from compiled passes
(``kernels.scan``). Characters are classified with Python's own ``str``
predicates (``isspace``, ``isalnum``, ``isupper``, ``islower``), the ones DataFlow's code uses
(see ``scan.unicode_classes``).
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np
import pyarrow as pa

from operators.text.scan.cache import memo
from operators.text.scan.columns import TextColumn, filled
from operators.text.scan.unicode_classes import (
    ASCII_SPACE,
    BMP_SPACE,
    LOWER,
    UPPER,
    WORD,
    lead_flags,
    lead_sizes,
)


def _string_array(text: TextColumn) -> pa.Array:
    column = filled(text)
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_large_string(array.type) or pa.types.is_string(array.type):
        return array
    return array.cast(pa.string())


ALL_BYTES = np.ones(256, dtype=np.uint8)  # a ``count_per_row`` table that flags every byte value


@lru_cache(maxsize=64)
def _needle_table(needles: tuple[bytes, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``needles`` (non-empty, sorted by first byte) for ``kernels.scan.rows_with``: their bytes, their bounds, and
    per first byte the range of needles starting with it."""
    ordered = sorted({needle for needle in needles if needle})
    joined = np.frombuffer(b"".join(ordered), dtype=np.uint8) if ordered else np.zeros(0, dtype=np.uint8)
    bounds = np.zeros(len(ordered) + 1, dtype=np.int64)
    bounds[1:] = np.cumsum([len(needle) for needle in ordered])
    first = np.searchsorted(np.array([needle[0] for needle in ordered], dtype=np.int64), np.arange(257))
    return joined, bounds, first.astype(np.int64)


class ByteScan:
    """The UTF-8 bytes of a string column (nulls as empty) with row offsets and per-byte masks."""

    def __init__(self, text: TextColumn) -> None:
        array = _string_array(text)
        offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
        _, offsets_buf, data_buf = array.buffers()
        offsets = np.zeros(1, dtype=np.int64)
        if offsets_buf is not None and len(array):
            raw = np.frombuffer(offsets_buf, dtype=offset_type)[array.offset : array.offset + len(array) + 1]
            offsets = raw.astype(np.int64)
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
        self.data: np.ndarray = data[offsets[0] : offsets[-1]]
        self.offsets: np.ndarray = offsets - offsets[0]
        self.num_rows = len(array)

    @classmethod
    def of(cls, text: TextColumn) -> ByteScan:
        """The scan of ``text``: shared by the filters that judge the same slice inside ``shared_scans()``."""
        return memo("byte_scan", text, cls)

    @cached_property
    def row_starts(self) -> np.ndarray:
        """First byte of every non-empty row."""
        starts, ends = self.offsets[:-1], self.offsets[1:]
        return starts[ends > starts]

    @cached_property
    def row_lasts(self) -> np.ndarray:
        """Last byte of every non-empty row."""
        starts, ends = self.offsets[:-1], self.offsets[1:]
        return ends[ends > starts] - 1

    @cached_property
    def _lead(self) -> np.ndarray:
        """Lead byte positions of all non-ASCII characters."""
        return np.flatnonzero(self.data >= 0xC0)

    @cached_property
    def _lead_size(self) -> np.ndarray:
        return lead_sizes(self.data, self._lead)

    @cached_property
    def _lead_flags(self) -> np.ndarray:
        return lead_flags(self.data, self._lead)

    def paint(self, mask: np.ndarray, lead: np.ndarray) -> np.ndarray:
        """Set ``mask`` on every byte of the non-ASCII characters whose lead bytes are at ``lead``."""
        if len(lead) == 0:
            return mask
        mask[lead] = True
        if 16 * len(lead) < len(mask):  # few characters: set their continuation bytes directly
            size = lead_sizes(self.data, lead)
            for k in (1, 2, 3):
                mask[np.minimum(lead[size > k] + k, len(mask) - 1)] = True
            return mask
        # Many: continuation bytes take the value of the byte before them (at most 3 per character).
        for _ in range(int(self._lead_size.max()) - 1):
            mask[1:] |= self._continuation[1:] & mask[:-1]
        return mask

    @cached_property
    def _continuation(self) -> np.ndarray:
        return (self.data & np.uint8(0xC0)) == 0x80

    def flag_mask(self, ascii_mask: np.ndarray, bit: int) -> np.ndarray:
        """``ascii_mask`` (False on non-ASCII bytes) plus all bytes of non-ASCII chars with ``bit``."""
        return self.paint(ascii_mask, self._lead[(self._lead_flags & bit) != 0])

    @cached_property
    def space(self) -> np.ndarray:
        """Bytes of whitespace characters (``str.isspace``): one compiled pass (``kernels.scan.space_mask``)."""
        from operators.text.kernels.scan import space_mask

        return space_mask(self.data, ASCII_SPACE, BMP_SPACE).view(np.bool_)

    @cached_property
    def word(self) -> np.ndarray:
        """Bytes of word characters (Python regex ``\\w``: letters, digits, underscore)."""
        data = self.data
        lower = data | np.uint8(0x20)
        ascii_word = ((lower - np.uint8(97)) < 26) | ((data - np.uint8(48)) < 10) | (data == 95)
        return self.flag_mask(ascii_word, WORD)

    @cached_property
    def ascii_alpha(self) -> np.ndarray:
        """Bytes that are ASCII letters ``[a-zA-Z]``."""
        return ((self.data | np.uint8(0x20)) - np.uint8(97)) < 26

    @cached_property
    def upper(self) -> np.ndarray:
        """Bytes of uppercase characters."""
        return self.flag_mask((self.data - np.uint8(65)) < 26, UPPER)

    @cached_property
    def lower(self) -> np.ndarray:
        """Bytes of lowercase or titlecase characters (either makes ``str.isupper`` false)."""
        return self.flag_mask((self.data - np.uint8(97)) < 26, LOWER)

    @cached_property
    def char_start(self) -> np.ndarray:
        """Bytes that start a character (not UTF-8 continuation bytes)."""
        return (self.data < 0x80) | (self.data >= 0xC0)

    def run_ends(self, mask: np.ndarray, breaks: np.ndarray | None = None) -> np.ndarray:
        """Exclusive end positions of runs of ``mask`` bytes; ``breaks`` marks extra run starts."""
        ends = np.empty_like(mask)
        if len(mask):
            np.greater(mask[:-1], mask[1:], out=ends[:-1])
            if breaks is not None:
                ends[:-1] |= mask[:-1] & breaks[1:]
            ends[-1] = mask[-1]
            ends[self.row_lasts] = mask[self.row_lasts]
        return np.flatnonzero(ends) + 1

    @cached_property
    def _word_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from operators.text.kernels.scan import word_bounds

        return word_bounds(self.space.view(np.uint8), self.offsets)

    @property
    def word_starts(self) -> np.ndarray:
        """First byte of every whitespace-separated word (``str.split()``)."""
        return self._word_bounds[0]

    @property
    def words(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end (exclusive) byte of every whitespace-separated word."""
        return self._word_bounds[0], self._word_bounds[1]

    @property
    def word_counts(self) -> np.ndarray:
        """Whitespace-separated words per row (``len(str.split())``)."""
        return self._word_bounds[2]

    def segments_with(self, mask: np.ndarray, separators: np.ndarray, excluded: np.ndarray | None = None,
                      content_when: bool = True) -> np.ndarray:
        """Per row, the segments (split at the bytes flagged in the 256-entry ``separators`` table) holding a
        content byte: one where ``mask`` is ``content_when`` and, given ``excluded`` (256 entries), whose value
        is not flagged there."""
        from operators.text.kernels.scan import count_segments

        allowed = np.ones(256, dtype=np.uint8) if excluded is None else (excluded == 0).astype(np.uint8)
        kinds = (separators != 0).astype(np.uint8) | (allowed << np.uint8(1))
        return count_segments(self.data, mask.view(np.uint8), np.uint8(content_when), kinds, self.offsets)

    @cached_property
    def _token_start_mask(self) -> np.ndarray:
        word, space = self.word, self.space
        punct = ~word & ~space
        if len(self._lead):
            punct &= self.char_start
        prev_word = np.zeros_like(word)
        np.logical_or(word[:-1], self.data[:-1] == 39, out=prev_word[1:])
        prev_word[self.row_starts] = False
        return punct | (word & ~prev_word)

    @cached_property
    def token_starts(self) -> np.ndarray:
        """First byte of every token of the built-in word tokenizer.

        Tokens follow the regex ``\\w+|'\\w+|[^\\w\\s]``: runs of word characters, an apostrophe with
        the word characters after it (``'s``, ``'t``) and single punctuation characters. This is
        the offline stand-in for NLTK's ``word_tokenize``.
        """
        return np.flatnonzero(self._token_start_mask)

    @cached_property
    def tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end (exclusive) byte of every token of the built-in tokenizer."""
        return self.token_starts, self.run_ends(~self.space, breaks=self._token_start_mask)

    def rows_containing(self, *needles: bytes) -> np.ndarray:
        """Per row, whether its bytes hold any of ``needles`` (within the row).

        Needles with one or two first bytes: numpy finds those bytes (a vectorised pass each) and checks the rest;
        more: one compiled pass that tests every byte against a table and stops a row at its first match."""
        needles = tuple(needle for needle in needles if needle)
        firsts = {needle[0] for needle in needles}
        if len(firsts) > 2:
            from operators.text.kernels.scan import rows_with

            return rows_with(self.data, self.offsets, *_needle_table(needles))
        data, found = self.data, np.zeros(self.num_rows, dtype=bool)
        for first in firsts:
            starts = np.flatnonzero(data == first)
            row_end = self.offsets[np.searchsorted(self.offsets, starts, side="right")]
            for needle in (needle for needle in needles if needle[0] == first):
                at = starts[starts + len(needle) <= row_end]
                for k in range(1, len(needle)):
                    at = at[data[at + k] == needle[k]]
                found |= self.per_row(at) > 0
        return found

    def count_per_row(self, table: np.ndarray, mask: np.ndarray | None = None, characters: bool = False
                      ) -> np.ndarray:
        """Per row, the bytes whose value is flagged in the 256-entry ``table`` (and set in ``mask``, if given);
        with ``characters``, only those that start a character. One compiled pass."""
        from operators.text.kernels.scan import count_per_row

        flags = np.zeros(0, dtype=np.uint8) if mask is None else mask.view(np.uint8)
        return count_per_row(self.data, flags, table.astype(np.uint8), characters, self.offsets)

    def per_row(self, positions: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """Count sorted byte positions per row (only those flagged in ``where``, if given)."""
        if where is not None:
            positions = positions[where]
        return np.diff(np.searchsorted(positions, self.offsets))

    def span_any(self, mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """For sorted, disjoint, non-empty spans [start, end): whether any byte is in ``mask``."""
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(len(starts), dtype=bool)
        if 8 * total < len(mask):  # few bytes: gather them
            offsets = np.cumsum(lengths) - lengths
            gathered = mask[np.arange(total) + np.repeat(starts - offsets, lengths)]
            return np.logical_or.reduceat(gathered, offsets)
        bounds = np.empty(2 * len(starts), dtype=np.int64)
        bounds[0::2], bounds[1::2] = starts, ends
        bounds = bounds[:-1] if bounds[-1] == len(mask) else bounds  # the last span then runs to the end
        return np.logical_or.reduceat(mask, bounds)[0::2]

    def row_span(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the first start and last end of sorted spans (int64 max / -1 for rows without)."""
        bounds = np.searchsorted(starts, self.offsets)
        first = np.full(self.num_rows, np.iinfo(np.int64).max)
        last = np.full(self.num_rows, -1)
        has = bounds[1:] > bounds[:-1]
        first[has] = starts[bounds[:-1][has]]
        last[has] = ends[bounds[1:][has] - 1]
        return first, last

    def row_of(self, positions: np.ndarray) -> np.ndarray:
        """Row index of each (sorted) byte position."""
        return np.repeat(np.arange(self.num_rows), self.per_row(positions))
