"""Whole-dataset distributions (DataFlow's reasoning dataset evaluators): topics, difficulty grades and token
lengths of a partition, as step metrics (``metric/…`` in the UI, plotted across materializations) plus the
histograms of their numeric columns. Rows pass through unchanged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from operators.base import ChunkReader, Operator, OperatorContext, OperatorKind, OperatorResult, set_column
from operators.registry import register
from operators.services.llm import require_llm


def spread(prefix: str, values: np.ndarray) -> dict[str, float]:
    """Mean, median, min and max of ``values`` as ``<prefix>_mean`` …; nothing for no values."""
    if not values.size:
        return {}
    return {f"{prefix}_{name}": round(float(fn(values)), 3)
            for name, fn in (("mean", np.mean), ("median", np.median), ("min", np.min), ("max", np.max))}


class _DatasetEvaluator(Operator):
    """A pass-through over the whole partition that reports metrics."""

    kind = OperatorKind.EVALUATE
    row_wise = False  # a distribution is of the whole partition: one answer, metrics reported once

    def run_chunks(self, chunks: ChunkReader, ctx: OperatorContext) -> Iterator[OperatorResult]:
        """The whole partition in one answer; nothing for a partition without rows (as a row-wise step)."""
        tables = list(chunks(None))
        if tables:
            yield self.run(pa.concat_tables(tables, promote_options="permissive"), ctx)


@register
class ReasoningCategoryDatasetEvaluator(_DatasetEvaluator):
    """Count the partition's problems per primary (and secondary) category."""

    name = "ReasoningCategoryDatasetEvaluator"
    description = ("Topic distribution of the partition: categorized_rows, categories, and category/<primary> "
                   "counts as step metrics (DataFlow).")
    inputs = ("primary_category", "secondary_category")

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Rows pass; the counts are metrics."""
        primaries = self.text(batch, "primary_category").to_pylist()
        secondaries = self.text(batch, "secondary_category").to_pylist()
        counts = Counter(p for p in primaries if p)
        pairs = {(p, s) for p, s in zip(primaries, secondaries, strict=True) if p and s}
        metrics: dict[str, float | int] = {"categorized_rows": sum(counts.values()), "categories": len(counts),
                                           "secondary_categories": len(pairs)}
        metrics |= {f"category/{name}": count for name, count in counts.most_common()}
        return OperatorResult(table=batch, metrics=metrics)


@register
class ReasoningDifficultyDatasetEvaluator(_DatasetEvaluator):
    """Count the partition's problems per difficulty grade; histogram of the grades."""

    name = "ReasoningDifficultyDatasetEvaluator"
    description = ("Difficulty distribution of the partition: difficulty_scored_rows, difficulty_mean …, and "
                   "difficulty/<grade> counts as step metrics, with a histogram (DataFlow).")
    inputs = ("difficulty_score",)
    histogram_outputs = ("difficulty_score",)

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Rows pass; the grade counts and spread are metrics."""
        column = batch.column(self.col("difficulty_score")).cast(pa.float64()).to_numpy(zero_copy_only=False)
        grades = column[np.isfinite(column)]
        metrics: dict[str, float | int] = {"difficulty_scored_rows": int(grades.size), **spread("difficulty", grades)}
        metrics |= {f"difficulty/{g:g}": int(c) for g, c in zip(*np.unique(grades, return_counts=True), strict=True)}
        return OperatorResult(table=batch, metrics=metrics)


@register
class ReasoningTokenDatasetEvaluator(_DatasetEvaluator):
    """Token lengths of questions and answers by the serving model's tokenizer: per-row columns and spreads."""

    name = "ReasoningTokenDatasetEvaluator"
    description = ("Token lengths (serving model's tokenizer) of each question and answer in question_tokens / "
                   "answer_tokens, and their mean, median, min and max as step metrics, with histograms (DataFlow).")
    inputs = ("instruction", "generated_cot")
    outputs = ("question_tokens", "answer_tokens")
    requires = ("llm",)

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Count every non-empty text in one call per column; empty texts count as no value."""
        llm = require_llm(ctx.llm, self.name)
        table, metrics = batch, {}
        for logical, output in (("instruction", "question_tokens"), ("generated_cot", "answer_tokens")):
            texts = self.text(batch, logical).to_pylist()
            present = [i for i, text in enumerate(texts) if text and text.strip()]
            counts: list[int | None] = [None] * len(texts)
            for i, count in zip(present, llm.count_tokens([texts[i] for i in present]) if present else [],
                                strict=True):
                counts[i] = count
            table = set_column(table, self.out(output), pa.array(counts, pa.int64()))
            metrics |= spread(output, np.array([c for c in counts if c is not None], dtype=np.float64))
        return OperatorResult(table=table, metrics=metrics)
