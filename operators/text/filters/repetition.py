"""DataFlow's word-count, n-gram repetition and blocklist filters, vectorised over whole columns.

Same names, parameters and defaults as ``dataflow.operators.general_text`` (``word_number_filter.py``,
``ngram_filter.py``, ``blocklist_filter.py``). Words are ``str.split()`` words (Python whitespace),
found with ``ByteScan``; word n-grams are hashed and counted per row in one compiled pass
(``word_kernels.distinct_ngrams``), Han-character n-grams as 64-bit hashes counted with one sort.
``LexicalDiversityFilter`` lives in ``quality_lexical`` and is registered through this module.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator, model_validator

from operators.base import OperatorConfig
from operators.registry import register
from operators.text.filters.lexical_diversity import LexicalDiversityFilter
from operators.text.filters.rule_base import EMPTY, SCAN_SLICE_BYTES, Checks, RuleFilter, empty_rows, python_lower
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.vocabulary import member_counts
from operators.text.scan.word_ids import (
    codepoints,
    distinct_per_row,
    encode_spans,
    han_rows,
    ngram_hashes,
)

__all__ = ["BlocklistFilter", "LexicalDiversityFilter", "NgramFilter", "WordNumberFilter"]


class WordNumberConfig(OperatorConfig):
    min_words: int = Field(20, description="Fewest whitespace-separated words a kept text may have.")
    max_words: int = Field(100000, description="Keep a text while its word count is below this (exclusive).")


@register
class WordNumberFilter(RuleFilter):
    """Keep texts whose ``str.split()`` word count is in [min_words, max_words), as DataFlow does."""

    name: ClassVar[str] = "WordNumberFilter"
    description = "Keeps texts whose whitespace-separated word count is within [min_words, max_words)."
    Config = WordNumberConfig
    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(text)
        words = scan.word_counts
        return [
            (words < self.config.min_words, "word_count_below_min"),
            (words >= self.config.max_words, "word_count_above_max"),
        ]


class NgramConfig(OperatorConfig):
    min_score: float = Field(0.8, description="Smallest distinct/total n-gram ratio a kept text may have.")
    max_score: float = Field(1.0, description="Largest distinct/total n-gram ratio a kept text may have.")
    ngrams: int = Field(5, ge=1, description="n, the number of tokens per n-gram.")
    language: Literal["zh", "en", "auto"] = Field(
        "en",
        description="'en': whitespace words; 'zh': single characters; 'auto': characters for rows "
        "containing a Han character, words otherwise.",
    )


@register
class NgramFilter(RuleFilter):
    """Keep texts whose distinct / total n-gram ratio is in [min_score, max_score] (low repetition).

    As DataFlow's ``NgramSampleEvaluator``: lowercase, remove ``[^\\w\\s]``, then tokens are words
    (or characters); a text with fewer than ``ngrams`` tokens scores 0.
    """

    name: ClassVar[str] = "NgramFilter"
    description = "Drops repetitive texts: distinct n-grams / all n-grams outside [min_score, max_score]."
    Config = NgramConfig
    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scores = self.scores(text)
        return [
            (scores < self.config.min_score, "ngram_score_below_min"),
            (scores > self.config.max_score, "ngram_score_above_max"),
        ]

    def scores(self, text: pa.ChunkedArray) -> np.ndarray:
        """DataFlow's NgramScore of every row."""
        n, language = self.config.ngrams, self.config.language
        scan = ByteScan.of(python_lower(text))
        num_rows = len(text)
        tokens, distinct = np.zeros(num_rows, dtype=np.int64), np.zeros(num_rows, dtype=np.int64)
        han = han_rows(scan) if language == "auto" else np.full(num_rows, language == "zh")
        if not han.all():  # words of the rows without Han characters: one compiled pass
            from operators.text.kernels.words import distinct_ngrams

            starts, ends = scan.words  # [^\w\s] is removed before splitting: a word keeps its \w bytes
            tokens, distinct = distinct_ngrams(scan.data, scan.word.view(np.uint8), starts, ends, scan.word_counts,
                                               (~han).view(np.uint8), n)
        if han.any():  # characters of the others
            chars = np.flatnonzero(scan.word & scan.char_start)
            chars = chars[han[scan.row_of(chars)]]
            counts = scan.per_row(chars)
            tokens += counts
            h, r = ngram_hashes(codepoints(scan.data, chars), np.repeat(np.arange(num_rows), counts), n)
            distinct += distinct_per_row(r, h, num_rows)
        total = tokens - n + 1
        return np.where(total > 0, distinct / np.maximum(total, 1), 0.0)


_DATA = resources.files("operators.text").joinpath("data")


@lru_cache(maxsize=8)
def load_blocklist(language: str) -> frozenset[str]:
    """The lowercased entries of operators/text/data/blocklist_<language>.txt ('#' lines are comments)."""
    text = _DATA.joinpath(f"blocklist_{language}.txt").read_text(encoding="utf-8")
    entries = (line.strip().lower() for line in text.splitlines())
    return frozenset(entry for entry in entries if entry and not entry.startswith("#"))


@lru_cache(maxsize=8)
def _single_words(language: str) -> frozenset[str]:
    """The one-word blocklist entries."""
    return frozenset(entry for entry in load_blocklist(language) if len(entry.split()) == 1)


def blocklist_languages() -> list[str]:
    """Languages with a shipped blocklist."""
    names = [item.name for item in _DATA.iterdir()]
    return sorted(n[10:-4] for n in names if n.startswith("blocklist_") and n.endswith(".txt"))


class BlocklistConfig(OperatorConfig):
    language: str = Field("en", description="Blocklist to use: operators/text/data/blocklist_<language>.txt.")
    threshold: int = Field(1, description="Keep a text while its count of blocklisted words is at most this.")
    use_tokenizer: bool = Field(
        False,
        description="Split words with the built-in tokenizer (punctuation as separate tokens, NLTK "
        "word_tokenize stand-in, works offline) instead of on whitespace.",
    )
    match_phrases: bool = Field(
        False,
        description="Also count multi-word entries ('ball gag') as runs of consecutive words. DataFlow "
        "compares single words only, so its multi-word entries never match.",
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in blocklist_languages():
            raise ValueError(
                f"no blocklist for language {value!r}; available: {', '.join(blocklist_languages())}"
            )
        return value

    @model_validator(mode="after")
    def _load(self) -> BlocklistConfig:
        load_blocklist(self.language)
        return self


@register
class BlocklistFilter(RuleFilter):
    """Drop texts with more than ``threshold`` blocklisted words (lowercased, whole words) and empty texts."""

    name: ClassVar[str] = "BlocklistFilter"
    description = (
        "Drops texts containing more than threshold words from a language's blocklist, and empty texts."
    )
    Config = BlocklistConfig
    slice_bytes: ClassVar[int] = SCAN_SLICE_BYTES

    def checks(self, text: pa.ChunkedArray) -> Checks:
        hits = self.hits(text)
        return [(empty_rows(text), EMPTY), (hits > self.config.threshold, "blocklist_count_above_threshold")]

    def hits(self, text: pa.ChunkedArray) -> np.ndarray:
        """Blocklisted words (and, with ``match_phrases``, phrases) per row."""
        scan = ByteScan.of(python_lower(text))
        starts, ends = scan.tokens if self.config.use_tokenizer else scan.words
        if len(starts) == 0:
            return np.zeros(len(text), dtype=np.int64)
        counts = scan.per_row(starts) if self.config.use_tokenizer else scan.word_counts
        hits = member_counts(scan, starts, ends, counts, _single_words(self.config.language))
        if self.config.match_phrases:
            ids, dictionary = encode_spans(scan.data, ~scan.space, starts, ends - starts)
            entries = load_blocklist(self.config.language)
            hits += self._phrase_hits(dictionary, ids, scan.row_of(starts), entries, len(text))
        return hits

    @staticmethod
    def _phrase_hits(
        dictionary: pa.Array, ids: np.ndarray, rows: np.ndarray, entries: frozenset[str], num_rows: int
    ) -> np.ndarray:
        """Occurrences of multi-word entries as runs of consecutive words, per row."""
        hits = np.zeros(num_rows, dtype=np.int64)
        by_length: dict[int, list[np.ndarray]] = {}
        for entry in entries:  # a Python loop over the (small) blocklist, not over rows
            parts = entry.split()
            if len(parts) > 1:
                found = pc.index_in(
                    pa.array([p.encode("utf-8") for p in parts], pa.binary()), value_set=dictionary
                )
                if found.null_count == 0:  # every word of the phrase occurs in this slice
                    by_length.setdefault(len(parts), []).append(found.to_numpy().astype(np.int64))
        for n, phrases in by_length.items():
            wanted = np.concatenate([ngram_hashes(p, np.zeros(n, dtype=np.int64), n)[0] for p in phrases])
            h, r = ngram_hashes(ids, rows, n)
            hits += np.bincount(r[np.isin(h, wanted)], minlength=num_rows)
        return hits
