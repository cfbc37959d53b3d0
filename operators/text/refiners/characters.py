"""DataFlow's character-level refiners: spaces, emoji, emoticons, case, digits, repeated punctuation.

Same names and behaviour as ``dataflow.operators.general_text`` refiners, vectorised with Arrow
compute (RE2) over the whole column. Nulls stay null; ``rows_changed`` counts rewritten rows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.registry import register
from operators.text.refiners.base import TextRefiner, data_lines, py_class, re2_escape, regex_replace
from operators.text.refiners.punctuation_bytes import collapse_repeated_punctuation
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.columns import SCAN_SLICE_BYTES


@register
class RemoveExtraSpacesRefiner(TextRefiner):
    """Collapse every whitespace run to one space and strip both ends (``" ".join(text.split())``)."""

    name: ClassVar[str] = "RemoveExtraSpacesRefiner"
    description = "Collapses runs of whitespace (spaces, tabs, newlines) into single spaces and trims the text."
    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        # " ".join(text.split()) in one compiled pass over the bytes and their whitespace mask (ByteScan).
        from operators.text.kernels.scan import collapse_spaces

        scan = ByteScan(text)
        data, offsets = collapse_spaces(scan.data, scan.space.view(np.uint8), scan.offsets)
        large = pa.types.is_large_string(text.type)  # the output is never longer than the input
        joined = pa.Array.from_buffers(pa.large_string() if large else pa.string(), len(text), [
            None, pa.py_buffer(offsets if large else offsets.astype(np.int32)), pa.py_buffer(data)])
        if text.null_count:
            joined = pc.if_else(pc.is_valid(text), joined, pa.scalar(None, joined.type))
        return joined if joined.type == text.type else joined.cast(text.type)


# DataFlow's ranges: emoticons, pictographs, transport/map, regional-indicator flags, dingbats.
_EMOJI = r"[\x{1F600}-\x{1F64F}\x{1F300}-\x{1F5FF}\x{1F680}-\x{1F6FF}\x{1F1E0}-\x{1F1FF}\x{2702}-\x{27B0}]+"


@register
class RemoveEmojiRefiner(TextRefiner):
    """Remove emoji code points (U+1F300-1F64F, U+1F680-1F6FF, flags U+1F1E0-1F1FF, dingbats U+2702-27B0)."""

    name: ClassVar[str] = "RemoveEmojiRefiner"
    description = "Removes Unicode emoji (smileys, pictographs, transport symbols, flags, dingbats) from text."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        return regex_replace(text, _EMOJI, "", sparse=True)


@lru_cache(maxsize=1)
def emoticons() -> tuple[str, ...]:
    """DataFlow's emoticon list (operators/text/data/emoticons.txt: one per line, no comments), distinct."""
    return tuple(dict.fromkeys(data_lines("emoticons.txt", comment=None)))


@lru_cache(maxsize=1)
def _emoticon_pattern() -> str:
    # Longest first, so that ':-)))' is removed whole rather than leaving ')' behind.
    ordered = sorted(emoticons(), key=len, reverse=True)
    return "|".join(re2_escape(item) for item in ordered)


@register
class RemoveEmoticonsRefiner(TextRefiner):
    """Remove text emoticons such as ':-)', ':D', 'XD' or '(^_^)' (DataFlow's 221-entry list)."""

    name: ClassVar[str] = "RemoveEmoticonsRefiner"
    description = "Removes text emoticons (':-)', ':D', ';)', '(^_^)', ...) from a fixed list of 221 entries."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        return regex_replace(text, _emoticon_pattern(), "", sparse=True)


# str.lower differs from Arrow's simple lowercase mapping only for 'İ' (-> 'i̇', two code points) and
# for 'Σ', which Python lowers to final 'ς' at the end of a word.
_CONTEXT_LOWER = "[\u0130\u03a3]"


@register
class LowercaseRefiner(TextRefiner):
    """Lowercase the text (Python ``str.lower`` semantics)."""

    name: ClassVar[str] = "LowercaseRefiner"
    description = "Converts all text to lowercase."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        lowered = pc.utf8_lower(text)
        special = pc.fill_null(pc.match_substring_regex(text, _CONTEXT_LOWER), False)
        if not pc.any(special).as_py():
            return lowered
        # Python str.lower per row, only for rows holding 'İ' or 'Σ': final-sigma is context dependent.
        rows = text.filter(special).to_pylist()
        fixed = pa.array([row.lower() for row in rows], text.type)
        lowered, special = lowered.combine_chunks(), special.combine_chunks()
        return pa.chunked_array([pc.replace_with_mask(lowered, special, fixed)])


@register
class RemoveNumberRefiner(TextRefiner):
    """Remove every character for which Python's ``str.isdigit`` is true (0-9, other scripts' digits, ², ①)."""

    name: ClassVar[str] = "RemoveNumberRefiner"
    description = "Removes digit characters (any script, including superscripts and circled digits) from text."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        return regex_replace(text, f"[{py_class('isdigit')}]+", "")


@register
class RemoveRepetitionsPunctuationRefiner(TextRefiner):
    """Collapse runs of one repeated punctuation/symbol character or underscore: '!!!' -> '!', '__' -> '_'."""

    name: ClassVar[str] = "RemoveRepetitionsPunctuationRefiner"
    description = "Collapses repeated punctuation or symbols ('!!!' -> '!', '....' -> '.', '___' -> '_')."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        return collapse_repeated_punctuation(text)


__all__ = [
    "LowercaseRefiner",
    "RemoveEmojiRefiner",
    "RemoveEmoticonsRefiner",
    "RemoveExtraSpacesRefiner",
    "RemoveNumberRefiner",
    "RemoveRepetitionsPunctuationRefiner",
    "emoticons",
]
