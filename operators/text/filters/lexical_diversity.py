"""DataFlow's ``LexicalDiversityFilter``: MTLD and HD-D of ``str.split()`` words, vectorised.

As DataFlow's ``LexicalDiversitySampleEvaluator``: words are split on whitespace, each word is
compared with ``string.punctuation`` removed and lowercased (a word of punctuation only is the
empty type); MTLD needs more than 50 words, HD-D more than 50 and fewer than 1000. A metric that
does not apply (NaN in DataFlow) never drops a row.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from operators.base import Filter, OperatorConfig, OperatorContext, Verdict
from operators.registry import register
from operators.text.filters.mtld import Types, hdd, mtld
from operators.text.filters.rule_base import python_lower
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.word_ids import ascii_punct, encode_spans, removed_per_span, slices

METRICS = ("mtld", "hdd")
_MIN_WORDS = 50  # both metrics need more than this many words
_HDD_MAX_WORDS = 1000  # HD-D needs fewer than this many words


class LexicalDiversityConfig(OperatorConfig):
    min_scores: dict[str, float] = Field(
        {"mtld": 50, "hdd": 0.8},
        description="Lowest score per metric ('mtld', 'hdd') a kept text may have.",
    )
    max_scores: dict[str, float] = Field(
        {"mtld": 99999, "hdd": 1.0},
        description="Highest score per metric a kept text may have; same keys as min_scores.",
    )

    @model_validator(mode="after")
    def _same_metrics(self) -> LexicalDiversityConfig:
        if set(self.min_scores) != set(self.max_scores):
            raise ValueError("min_scores and max_scores must have the same keys")
        unknown = set(self.min_scores) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}; known: {list(METRICS)}")
        return self


def _words(piece: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the normalised words (punctuation removed, lowercased) of a slice, and words per row."""
    scan = ByteScan(python_lower(piece))
    starts, ends = scan.words
    punct = ascii_punct(scan.data)
    lengths = (ends - starts) - removed_per_span(np.flatnonzero(punct), starts)
    return encode_spans(scan.data, ~scan.space & ~punct, starts, lengths)[0], scan.per_row(starts)


def lexical_scores(text: pa.ChunkedArray, metrics: tuple[str, ...] = METRICS) -> dict[str, np.ndarray]:
    """DataFlow's MTLD and HD-D per row (NaN where the metric does not apply)."""
    scores = {metric: np.full(len(text), np.nan) for metric in metrics}
    for first, piece in slices(text):
        ids, counts = _words(piece)
        long_enough = counts > _MIN_WORDS
        if not long_enough.any():
            continue
        types = Types(ids[np.repeat(long_enough, counts)], counts[long_enough])
        rows = first + np.flatnonzero(long_enough)
        if "mtld" in metrics:
            scores["mtld"][rows] = mtld(types)
        if "hdd" in metrics:
            short = types.counts < _HDD_MAX_WORDS
            scores["hdd"][rows[short]] = hdd(types)[short]
    return scores


@register
class LexicalDiversityFilter(Filter):
    """Keep texts whose MTLD and HD-D lexical diversity lie within [min, max] (short texts pass)."""

    name: ClassVar[str] = "LexicalDiversityFilter"
    description = "Drops texts whose lexical diversity (MTLD, HD-D) is outside [min_scores, max_scores]."
    drop_reasons = ("mtld_below_min", "mtld_above_max", "hdd_below_min", "hdd_above_max")
    inputs = ("text",)
    Config = LexicalDiversityConfig

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Check each configured metric in DataFlow's order (mtld, then hdd); NaN passes."""
        metrics = tuple(m for m in METRICS if m in self.config.min_scores)
        scores = lexical_scores(self.text(batch), metrics)
        keep = np.ones(batch.num_rows, dtype=bool)
        reason = np.full(batch.num_rows, None, dtype=object)
        for metric in metrics:
            values = scores[metric]
            with np.errstate(invalid="ignore"):
                low = values < self.config.min_scores[metric]
                high = values > self.config.max_scores[metric]
            for mask, why in ((low, f"{metric}_below_min"), (high, f"{metric}_above_max")):
                hit = keep & mask
                reason[hit] = why
                keep &= ~hit
        return Verdict(keep=keep, reason=reason)
