"""DataFlow's ``NgramFilter``: drops repetitive texts by their distinct / total n-gram ratio, vectorised.

Same name, parameters and defaults as ``dataflow.operators.general_text`` (``ngram_filter.py``). Words are
``str.split()`` words (Python whitespace), found with ``ByteScan``; word n-grams are hashed and counted per row in one
compiled pass (``kernels.words.distinct_ngrams``), Han-character n-grams as 64-bit hashes counted with one sort.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from operators.base import OperatorConfig
from operators.registry import register
from operators.text.filters.rule_base import Checks, RuleFilter, python_lower
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.columns import SCAN_SLICE_BYTES
from operators.text.scan.word_ids import codepoints, distinct_per_row, han_rows, ngram_hashes


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
    drop_reasons = ("ngram_score_below_min", "ngram_score_above_max")
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
