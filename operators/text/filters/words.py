"""DataFlow's word-based rule filters (word count, symbols, alphabetic words, word length, stop words, capitals,
unique words, unpunctuated runs), computed from byte spans of whole columns (see ``ByteScan``).

Words are ``str.split()`` words (Python whitespace). ``use_tokenizer=True`` selects the built-in
offline tokenizer (``\\w+|'\\w+|[^\\w\\s]``) in place of NLTK's ``word_tokenize``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from operators.base import OperatorConfig
from operators.registry import register
from operators.text.filters.rule_base import EMPTY, Checks, RuleFilter, empty_rows, python_lower
from operators.text.scan.byte_scan import ALL_BYTES, ByteScan
from operators.text.scan.columns import SCAN_SLICE_BYTES, char_lengths, count_regex_in
from operators.text.scan.vocabulary import distinct_share_at_most, english_stopwords, member_counts

_TOKENIZER = (
    "Split words with the built-in tokenizer (punctuation as separate tokens, NLTK word_tokenize "
    "stand-in, works offline) instead of on whitespace."
)


class WordNumberConfig(OperatorConfig):
    min_words: int = Field(20, description="Fewest whitespace-separated words a kept text may have.")
    max_words: int = Field(100000, description="Keep a text while its word count is below this (exclusive).")


@register
class WordNumberFilter(RuleFilter):
    """Keep texts whose ``str.split()`` word count is in [min_words, max_words), as DataFlow does."""

    name: ClassVar[str] = "WordNumberFilter"
    description = "Keeps texts whose whitespace-separated word count is within [min_words, max_words)."
    drop_reasons = ("word_count_below_min", "word_count_above_max")
    Config = WordNumberConfig
    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(text)
        words = scan.word_counts
        return [
            (words < self.config.min_words, "word_count_below_min"),
            (words >= self.config.max_words, "word_count_above_max"),
        ]


class _WordFilter(RuleFilter):
    """A rule filter on words: ``str.split()`` words, or tokens when the config has ``use_tokenizer``."""

    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def spans(self, scan: ByteScan) -> tuple[np.ndarray, np.ndarray]:
        """Start and end byte of each word (or token, with ``use_tokenizer``)."""
        return scan.tokens if self._tokens else scan.words

    def span_counts(self, scan: ByteScan) -> np.ndarray:
        """Words (or tokens, with ``use_tokenizer``) per row."""
        return scan.per_row(scan.token_starts) if self._tokens else scan.word_counts

    @property
    def _tokens(self) -> bool:
        return bool(getattr(self.config, "use_tokenizer", False))


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.where(whole > 0, part / np.maximum(whole, 1), 0.0)


class SymbolWordRatioConfig(OperatorConfig):
    threshold: float = Field(0.4, description="Keep a text while ('#', '...', '…') count / tokens is below this.")


@register
class SymbolWordRatioFilter(_WordFilter):
    """Drop texts where symbols ('#', '...', '…') per WordPunct token reach the threshold."""

    name: ClassVar[str] = "SymbolWordRatioFilter"
    description = "Drops texts with too many '#', '...' or '…' symbols per word."
    drop_reasons = ("empty_text", "symbol_word_ratio_above_max")
    Config = SymbolWordRatioConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        # Tokens as NLTK's WordPunctTokenizer: runs of \w or runs of [^\w\s].
        from operators.text.kernels.scan import class_runs

        scan = ByteScan.of(text)
        tokens = class_runs(scan.word.view(np.uint8), scan.space.view(np.uint8), scan.offsets)
        symbols = count_regex_in(text, r"#|\.\.\.|…", scan.rows_containing(b"#", b"...", "…".encode()))
        return [
            (tokens == 0, EMPTY),
            (symbols / np.maximum(tokens, 1) >= self.config.threshold, "symbol_word_ratio_above_max"),
        ]


class AlphaWordsConfig(OperatorConfig):
    threshold: float = Field(0.6, description="Keep a text if words containing [a-zA-Z] / words is above this.")
    use_tokenizer: bool = Field(False, description=_TOKENIZER)


@register
class AlphaWordsFilter(_WordFilter):
    """Keep texts where the share of words containing an ASCII letter is above the threshold."""

    name: ClassVar[str] = "AlphaWordsFilter"
    description = "Keeps texts where more than threshold of the words contain a Latin letter."
    drop_reasons = ("empty_text", "alpha_word_ratio_below_min")
    Config = AlphaWordsConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(text)
        starts, ends = self.spans(scan)
        # Only words that do not start with a letter need a look at their other bytes.
        alpha = scan.ascii_alpha[starts]
        check = np.flatnonzero(~alpha)
        alpha[check] = scan.span_any(scan.ascii_alpha, starts[check], ends[check])
        words = self.span_counts(scan)
        alpha = scan.per_row(starts, alpha)
        return [
            (words == 0, EMPTY),
            (alpha / np.maximum(words, 1) <= self.config.threshold, "alpha_word_ratio_below_min"),
        ]


class MeanWordLengthConfig(OperatorConfig):
    min_length: float = Field(3, description="Smallest mean word length (characters) a kept text may have.")
    max_length: float = Field(10, description="Keep a text while its mean word length is below this.")


@register
class MeanWordLengthFilter(_WordFilter):
    """Keep texts whose mean word length, rounded to 2 decimals, is in [min_length, max_length)."""

    name: ClassVar[str] = "MeanWordLengthFilter"
    description = "Keeps texts whose mean word length is within [min_length, max_length)."
    drop_reasons = ("empty_text", "mean_word_length_below_min", "mean_word_length_above_max")
    Config = MeanWordLengthConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(text)
        words = scan.word_counts
        chars = char_lengths(text) - scan.count_per_row(ALL_BYTES, scan.space, characters=True)
        mean = np.round(chars / np.maximum(words, 1), 2)
        config = self.config
        return [
            (words == 0, EMPTY),
            (mean < config.min_length, "mean_word_length_below_min"),
            (mean >= config.max_length, "mean_word_length_above_max"),
        ]


class StopWordConfig(OperatorConfig):
    threshold: float = Field(0.06, description="Keep a text if stop words / words is above this (and > 2 stop words).")
    use_tokenizer: bool = Field(False, description=_TOKENIZER)


@register
class StopWordFilter(_WordFilter):
    """Keep natural-language texts: stop-word share above threshold and more than two stop words."""

    name: ClassVar[str] = "StopWordFilter"
    description = "Keeps texts whose share of English stop words is above threshold (and more than 2 of them)."
    drop_reasons = ("empty_text", "stop_word_ratio_below_min", "stop_word_count_below_min")
    Config = StopWordConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(python_lower(text))
        starts, ends = self.spans(scan)
        words = self.span_counts(scan)
        stop = member_counts(scan, starts, ends, words, english_stopwords())
        return [
            (words == 0, EMPTY),
            (_ratio(stop, words) <= self.config.threshold, "stop_word_ratio_below_min"),
            (stop <= 2, "stop_word_count_below_min"),
        ]


class CapitalWordsConfig(OperatorConfig):
    threshold: float = Field(0.2, description="Keep a text while all-uppercase words / words is at most this.")
    use_tokenizer: bool = Field(False, description=_TOKENIZER)


@register
class CapitalWordsFilter(_WordFilter):
    """Drop shouting texts: the share of all-uppercase words (``str.isupper``) is above the threshold."""

    name: ClassVar[str] = "CapitalWordsFilter"
    description = "Drops texts where more than threshold of the words are all uppercase."
    drop_reasons = ("empty_text", "capital_word_ratio_above_max")
    Config = CapitalWordsConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        from operators.text.kernels.words import all_upper

        scan = ByteScan.of(text)
        starts, ends = self.spans(scan)
        upper = all_upper(scan.upper, scan.lower, starts, ends)
        ratio = _ratio(scan.per_row(starts, upper), self.span_counts(scan))
        return [
            (empty_rows(text), EMPTY),
            (ratio > self.config.threshold, "capital_word_ratio_above_max"),
        ]


class UniqueWordsConfig(OperatorConfig):
    threshold: float = Field(0.1, description="Keep a text if distinct words / words (lowercased) is above this.")


@register
class UniqueWordsFilter(_WordFilter):
    """Drop repetitive texts: distinct lowercased words / words at or below the threshold."""

    name: ClassVar[str] = "UniqueWordsFilter"
    description = "Drops repetitive texts whose share of distinct (lowercased) words is at most threshold."
    drop_reasons = ("empty_text", "unique_word_ratio_below_min")
    Config = UniqueWordsConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(python_lower(text))
        starts, ends = scan.words
        words = scan.word_counts
        repetitive = distinct_share_at_most(scan, starts, ends, words, self.config.threshold)
        return [(words == 0, EMPTY), (repetitive, "unique_word_ratio_below_min")]


class NoPuncConfig(OperatorConfig):
    threshold: int = Field(112, description="Most words a kept text may have between two punctuation marks.")


_ASCII_MARKS = np.zeros(256, dtype=np.uint8)
_ASCII_MARKS[np.frombuffer(b"\n.!?,;/|", dtype=np.uint8)] = 1  # and – • …, in the kernel


@register
class NoPuncFilter(_WordFilter):
    """Drop texts with a run of more than threshold words without punctuation (. ! ? , ; / | – • …)."""

    name: ClassVar[str] = "NoPuncFilter"
    description = "Drops texts with an unpunctuated stretch of more than threshold words."
    drop_reasons = ("empty_text", "unpunctuated_words_above_max")
    Config = NoPuncConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        from operators.text.kernels.words import longest_unpunctuated

        scan = ByteScan.of(text)
        longest = longest_unpunctuated(scan.data, scan.space.view(np.uint8), _ASCII_MARKS, scan.offsets)
        too_long = longest > self.config.threshold
        return [(empty_rows(text), EMPTY), (too_long, "unpunctuated_words_above_max")]
