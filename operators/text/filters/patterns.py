"""DataFlow's rule-based text filters (pattern and character rules), vectorised over whole columns.

Same names, parameters, defaults and keep/drop rules as ``dataflow.operators.general_text`` (its
``rule_based_filter.py``). As there, a null or empty text is always dropped (reason ``empty_text``).
Word-based filters live in ``filters.words``, line-based ones in ``filters.lines``.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from operators.base import OperatorConfig
from operators.registry import register
from operators.text.filters.rule_base import EMPTY, NON_WS, WS, Checks, RuleFilter, empty_rows
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.columns import (
    SCAN_SLICE_BYTES,
    char_lengths,
    count_regex,
    filled,
    matches_regex,
    matches_regex_in,
    to_numpy,
)


@register
class ColonEndFilter(RuleFilter):
    """Drop texts ending with a colon (an unfinished question or lead-in)."""

    name: ClassVar[str] = "ColonEndFilter"
    description = "Drops texts that end with ':' (incomplete questions or lead-ins) and empty texts."
    drop_reasons = ("empty_text", "colon_end")

    def checks(self, text: pa.ChunkedArray) -> Checks:
        colon = to_numpy(pc.ends_with(filled(text), ":")).astype(bool)
        return [(empty_rows(text), EMPTY), (colon, "colon_end")]


_TERMINATORS = np.zeros(256, dtype=np.uint8)
_TERMINATORS[np.frombuffer(b".!?\n", dtype=np.uint8)] = 1


class SentenceNumberConfig(OperatorConfig):
    min_sentences: int = Field(3, description="Fewest sentences a kept text may have.")
    max_sentences: int = Field(7500, description="Most sentences a kept text may have.")


@register
class SentenceNumberFilter(RuleFilter):
    """Keep texts whose sentence count lies in [min_sentences, max_sentences]."""

    name: ClassVar[str] = "SentenceNumberFilter"
    description = "Keeps texts whose number of sentences (split on . ! ? and newlines) is within a range."
    drop_reasons = ("empty_text", "sentence_count_below_min", "sentence_count_above_max")
    Config = SentenceNumberConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        # DataFlow counts findall(r"\b[^.!?\n]+[.!?]*"): one match per run of non-terminator
        # characters that holds a word character. Count those runs from the bytes.
        scan = ByteScan.of(text)
        count = scan.segments_with(scan.word, _TERMINATORS)
        config = self.config
        return [
            (empty_rows(text), EMPTY),
            (count < config.min_sentences, "sentence_count_below_min"),
            (count > config.max_sentences, "sentence_count_above_max"),
        ]


@register
class ContentNullFilter(RuleFilter):
    """Drop null, empty and whitespace-only texts."""

    name: ClassVar[str] = "ContentNullFilter"
    description = "Drops null, empty and whitespace-only texts."
    drop_reasons = ("empty_text",)

    def checks(self, text: pa.ChunkedArray) -> Checks:
        return [(~matches_regex(text, NON_WS), EMPTY)]


_HTML_ENTITIES = "nbsp|lt|gt|amp|quot|apos|hellip|ndash|mdash|lsquo|rsquo|ldquo|rdquo"


@register
class HtmlEntityFilter(RuleFilter):
    """Drop texts containing an HTML entity such as ``&nbsp;`` or ``&amp`` (also full-width ＆ or ；)."""

    name: ClassVar[str] = "HtmlEntityFilter"
    description = "Drops texts that contain HTML entities (&nbsp, &lt, &amp, &mdash, ...; half- or full-width)."
    drop_reasons = ("empty_text", "html_entity")

    def checks(self, text: pa.ChunkedArray) -> Checks:
        # DataFlow also lists "&nbsp;" etc., but the bare "&nbsp" it lists covers those.
        candidates = ByteScan.of(text).rows_containing(b"&", "＆".encode())
        entity = matches_regex_in(text, f"[&＆](?:{_HTML_ENTITIES})", candidates)
        return [(empty_rows(text), EMPTY), (entity, "html_entity")]


_ID_TERMS = (
    r"(?i)身{s}份|id{s}number{s}|identification|identity|{s}ID{s}No{s}|id{s}card{s}|NRIC{s}number{s}"
    r"|IC{s}number{s}|resident{s}registration{s}|I.D.{s}Number{s}"
).replace("{s}", WS + "{0,10}")


class IDCardConfig(OperatorConfig):
    threshold: int = Field(3, description="Drop a text with at least this many identity-document terms.")


@register
class IDCardFilter(RuleFilter):
    """Drop texts mentioning identity-document terms (ID number, 身份, NRIC, ...) threshold times or more."""

    name: ClassVar[str] = "IDCardFilter"
    description = "Drops texts with many identity-document terms (ID number, ID card, NRIC, 身份, ...)."
    drop_reasons = ("empty_text", "id_card")
    Config = IDCardConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        terms = count_regex(text, _ID_TERMS)
        return [(empty_rows(text), EMPTY), (terms >= self.config.threshold, "id_card")]


_SPECIAL = (
    r"u200e|&#247;|\? :|[�□]|\{/U\}"
    r"|U\+26[0-F][0-D]|U\+273[3-4]|U\+1F[3-6][0-4][0-F]|U\+1F6[8-F][0-F]"
)
_SPECIAL_MARKERS = tuple(marker.encode() for marker in ("u200e", "&#247;", "? :", "\ufffd", "\u25a1", "{/U}", "U+"))


@register
class SpecialCharacterFilter(RuleFilter):
    """Drop texts with garbage markers: U+FFFD, □, '{/U}', '&#247;', literal 'u200e' or 'U+26xx' codes."""

    name: ClassVar[str] = "SpecialCharacterFilter"
    description = "Drops texts with special-character garbage (U+FFFD, □, escaped code points like U+1F600)."
    drop_reasons = ("empty_text", "special_character")

    def checks(self, text: pa.ChunkedArray) -> Checks:
        special = matches_regex_in(text, _SPECIAL, ByteScan.of(text).rows_containing(*_SPECIAL_MARKERS))
        return [(empty_rows(text), EMPTY), (special, "special_character")]


class WatermarkConfig(OperatorConfig):
    watermarks: list[str] = Field(
        default_factory=lambda: ["Copyright", "Watermark", "Confidential"],
        min_length=1,
        description="Case-sensitive patterns (RE2 regex, as DataFlow joins them with '|'); any match drops.",
    )

    @field_validator("watermarks")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        try:
            pc.match_substring_regex(pa.array([""]), "|".join(value))
        except pa.ArrowInvalid as exc:
            raise ValueError(f"watermarks do not form a valid RE2 pattern: {exc}") from exc
        return value


@register
class WatermarkFilter(RuleFilter):
    """Drop texts that contain any of the watermark patterns."""

    name: ClassVar[str] = "WatermarkFilter"
    description = "Drops texts containing watermark words (default: Copyright, Watermark, Confidential)."
    drop_reasons = ("empty_text", "watermark")
    Config = WatermarkConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        watermarks = self.config.watermarks
        if all(re.escape(mark) == mark for mark in watermarks):  # plain words: a byte search, no regex pass
            marked = ByteScan.of(text).rows_containing(*(mark.encode() for mark in watermarks))
        else:
            marked = matches_regex(text, "|".join(watermarks))
        return [(empty_rows(text), EMPTY), (marked, "watermark")]


class CurlyBracketConfig(OperatorConfig):
    threshold: float = Field(0.025, description="Keep a text while ('{' + '}') count / characters is below this.")


@register
class CurlyBracketFilter(RuleFilter):
    """Drop texts whose share of curly brackets reaches the threshold (code, templates)."""

    name: ClassVar[str] = "CurlyBracketFilter"
    description = "Drops texts where curly brackets make up threshold or more of the characters."
    drop_reasons = ("empty_text", "curly_bracket_ratio_above_max")
    Config = CurlyBracketConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(text)
        brackets = scan.per_row(np.flatnonzero((scan.data == 123) | (scan.data == 125)))
        length = char_lengths(text)
        ratio = brackets / np.maximum(length, 1)
        return [
            (length == 0, EMPTY),
            (ratio >= self.config.threshold, "curly_bracket_ratio_above_max"),
        ]


class LoremIpsumConfig(OperatorConfig):
    threshold: float = Field(3e-8, description="Keep a text while 'lorem ipsum' count / characters is at most this.")


@register
class LoremIpsumFilter(RuleFilter):
    """Drop placeholder texts: 'lorem ipsum' (any case) occurring above threshold per character."""

    name: ClassVar[str] = "LoremIpsumFilter"
    description = "Drops texts containing 'lorem ipsum' placeholder text (any case)."
    drop_reasons = ("empty_text", "lorem_ipsum")
    Config = LoremIpsumConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        length = char_lengths(text)
        ratio = count_regex(text, "lorem ipsum", ignore_case=True) / np.maximum(length, 1)
        return [(length == 0, EMPTY), (ratio > self.config.threshold, "lorem_ipsum")]


class CharNumberConfig(OperatorConfig):
    threshold: int = Field(100, description="Fewest characters (whitespace excluded) a kept text may have.")


@register
class CharNumberFilter(RuleFilter):
    """Keep texts with at least threshold characters once whitespace is removed."""

    name: ClassVar[str] = "CharNumberFilter"
    description = "Keeps texts with at least threshold non-whitespace characters."
    drop_reasons = ("empty_text", "char_count_below_min")
    Config = CharNumberConfig
    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def checks(self, text: pa.ChunkedArray) -> Checks:
        # DataFlow: len(text.strip() minus ' ', '\n', '\t'). Other whitespace (\r, \xa0, ...) counts
        # unless it sits in the leading/trailing run that strip() removes.
        scan = ByteScan.of(text)
        data = scan.data
        plain = (data == 32) | (data == 9) | (data == 10)
        count = char_lengths(text) - scan.per_row(np.flatnonzero(plain))
        other = np.flatnonzero(scan.space & ~plain & scan.char_start)
        if len(other):
            first, last = scan.row_span(*scan.words)
            row = scan.row_of(other)
            in_edge = (other < first[row]) | (other >= last[row])
            count -= scan.per_row(other[in_edge])
        return [
            (empty_rows(text), EMPTY),
            (count < self.config.threshold, "char_count_below_min"),
        ]


__all__ = [
    "CharNumberFilter",
    "ColonEndFilter",
    "ContentNullFilter",
    "CurlyBracketFilter",
    "HtmlEntityFilter",
    "IDCardFilter",
    "LoremIpsumFilter",
    "SentenceNumberFilter",
    "SpecialCharacterFilter",
    "WatermarkFilter",
]
