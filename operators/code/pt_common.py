"""Shared pieces of the code-pretraining filters: score bands, columns by logical name, per-list reductions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from operators.base import Filter, OperatorConfig, Verdict


class ScoreBandConfig(OperatorConfig):
    """DataFlow's score band: a row scores 1.0 when it passes the rule and 0.0 otherwise; kept within the band."""

    min_score: float = Field(1.0, description="Lowest kept score (the rule's score is 0.0 or 1.0)")
    max_score: float = Field(1.0, description="Highest kept score")


def band_verdict(config: ScoreBandConfig, passes: np.ndarray, reasons: np.ndarray) -> Verdict:
    """Keep rows whose 0/1 score lies in ``[min_score, max_score]``; a dropped row gets its rule's reason."""
    score = passes.astype(np.float64)
    keep = (score >= config.min_score) & (score <= config.max_score)
    reason = np.where(passes, "score_out_of_band", reasons).astype(object)
    reason[keep] = None
    return Verdict(keep=keep, reason=reason)


def strings(batch: pa.Table, column: str) -> pa.ChunkedArray:
    """A column as strings with nulls as ``""``."""
    values = batch.column(column)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.string())
    return pc.fill_null(values, "")


def optional_strings(batch: pa.Table, column: str) -> np.ndarray:
    """A column's strings (``""`` for nulls), or all ``""`` when the batch has no such column."""
    if column not in batch.column_names:
        return np.full(batch.num_rows, "", dtype=object)
    return np.asarray(strings(batch, column).to_pylist(), dtype=object)


def to_numpy(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An Arrow numeric column as a numpy array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy(zero_copy_only=False)


def list_lengths(lines: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of a ``list<string>`` column: number of lines, mean and largest line length (characters)."""
    lines = pc.fill_null(lines.combine_chunks(), pa.scalar([], lines.type))
    counts = to_numpy(pc.list_value_length(lines)).astype(np.int64)
    widths = to_numpy(pc.fill_null(pc.utf8_length(pc.list_flatten(lines)), 0)).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
    total = np.add.reduceat(widths, starts) if widths.size else np.zeros(len(counts), np.int64)
    longest = np.maximum.reduceat(widths, starts) if widths.size else np.zeros(len(counts), np.int64)
    empty = counts == 0
    total[empty], longest[empty] = 0, 0
    return counts, total / np.maximum(counts, 1), longest


def lines_column(op: Filter, batch: pa.Table) -> pa.ChunkedArray:
    """The ``lines`` input as ``list<string>``: the bound column, split at newlines when it holds text (a batch
    without it: its ``text`` column split)."""
    column = op.col("lines")
    values = batch.column(column if column in batch.column_names or "text" not in batch.column_names else "text")
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        return values
    return pc.split_pattern(pc.fill_null(values.cast(pa.string()), ""), "\n")
