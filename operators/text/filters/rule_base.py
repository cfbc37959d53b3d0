"""Shared pieces of the rule-based filters: the ``RuleFilter`` base, whitespace classes, helpers."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.base import Filter, OperatorContext, Verdict
from operators.parallel import parallel_map
from operators.text.scan.cache import memo, shared_scans
from operators.text.scan.columns import SCAN_SLICE_BYTES, SLICE_BYTES, TextColumn, filled, text_slices, to_numpy

# Python's ``str.isspace`` set as an RE2 class body (RE2's own ``\s`` is ASCII-only and lacks \v).
WS_NO_NL = r"\t\x0b\x0c\r\x1c-\x1f\x85\p{Z}"
WS = r"[\n" + WS_NO_NL + "]"
NON_WS = r"[^\n" + WS_NO_NL + "]"

EMPTY = "empty_text"
NULL_TEXT = "null_text"  # a null text: every rule filter drops it first, with this reason
JOINT_SLICE_BYTES = SCAN_SLICE_BYTES  # filters judging together share one slice's scans

Checks = list[tuple[np.ndarray, str]]


def empty_rows(text: TextColumn) -> np.ndarray:
    """Rows whose text is null or ``""`` (DataFlow's ``if text:`` is false and the row is dropped); read-only."""
    return memo("empty_rows", text, _empty_rows)


def _empty_rows(text: TextColumn) -> np.ndarray:
    empty = to_numpy(pc.binary_length(filled(text))) == 0  # no bytes: no characters (offsets only, no decoding)
    empty.flags.writeable = False  # shared between filters inside ``shared_scans()``
    return empty


def python_lower(text: TextColumn) -> pa.ChunkedArray:
    """``str.lower`` of each row, nulls as ``""``: Arrow's lowercasing plus Python's İ -> i̇ mapping."""
    return memo("python_lower", text, _python_lower)


def _python_lower(text: TextColumn) -> pa.ChunkedArray:
    column = filled(text)
    if any(_has_byte(chunk, 0xC4) for chunk in column.chunks):  # U+0130 is UTF-8 C4 B0
        column = pc.replace_substring(column, "\u0130", "i\u0307")
    return pc.utf8_lower(column)


def _has_byte(strings: pa.Array, value: int) -> bool:
    """Whether any value of a string array holds the byte ``value`` (a scan of its data buffer, no copy)."""
    data = strings.buffers()[2]
    if data is None or len(strings) == 0:
        return False
    width = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    offsets = np.frombuffer(strings.buffers()[1], dtype=width)
    first, last = offsets[strings.offset], offsets[strings.offset + len(strings)]
    return bool((np.frombuffer(data, dtype=np.uint8)[first:last] == value).any())


def decide(num_rows: int, checks: Checks) -> Verdict:
    """Drop a row for the first check whose mask is True there; keep rows no check hits."""
    keep = np.ones(num_rows, dtype=bool)
    reason = np.full(num_rows, None, dtype=object)
    for drop, why in checks:
        hit = keep & np.asarray(drop, dtype=bool)
        reason[hit] = why
        keep &= ~hit
    return Verdict(keep=keep, reason=reason)


class RuleFilter(Filter):
    """A rule filter on one text column, judged slice by slice to bound memory and stay in cache."""

    inputs = ("text",)
    slice_bytes: ClassVar[int] = SLICE_BYTES  # judged alone; SCAN_SLICE_BYTES for filters built on ByteScan

    @abstractmethod
    def checks(self, text: pa.ChunkedArray) -> Checks:
        """Drop masks with their reasons, first match wins, for one slice of the text column."""

    @classmethod
    def reasons(cls) -> tuple[str, ...]:
        """``null_text``, then the filter's own reasons."""
        return (NULL_TEXT, *cls.drop_reasons)

    def judge(self, piece: pa.ChunkedArray) -> Verdict:
        """The verdict on one slice: a null text is dropped as ``null_text``, then ``checks`` decide."""
        nulls = pc.is_null(piece).to_numpy(zero_copy_only=False)
        return decide(len(piece), [(nulls, NULL_TEXT), *self.checks(piece)] if nulls.any() else self.checks(piece))

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Run ``judge`` over slices of the text column (on the shared thread pool) and join the answers."""
        pieces = text_slices(self.text(batch), self.slice_bytes)
        return _joined(parallel_map(self.judge, pieces))

    def joins(self, other: Filter) -> bool:
        """Rule filters that judge the same column with their own ``checks`` answer together."""
        return (isinstance(other, RuleFilter) and type(other).verdict is RuleFilter.verdict
                and type(self).verdict is RuleFilter.verdict and other.col("text") == self.col("text"))

    def joint_verdicts(
        self, others: Sequence[Filter], batch: pa.Table, ctx: OperatorContext
    ) -> list[tuple[np.ndarray, str | np.ndarray]]:
        """All the filters' ``checks`` slice by slice, each slice scanned once for all (``shared_scans``)."""
        filters = [self, *others]
        if not all(self.joins(f) for f in others):
            return super().joint_verdicts(others, batch, ctx)

        def judge(piece: pa.ChunkedArray) -> list[Verdict]:
            with shared_scans():
                return [f.judge(piece) for f in filters]  # type: ignore[attr-defined]

        parts = parallel_map(judge, text_slices(self.text(batch), JOINT_SLICE_BYTES))
        return [f.checked(_joined([part[i] for part in parts]), batch.num_rows) for i, f in enumerate(filters)]


def _joined(parts: list[Verdict]) -> Verdict:
    """The verdicts of consecutive slices as one."""
    if not parts:
        return Verdict(keep=np.zeros(0, dtype=bool), reason=np.zeros(0, dtype=object))
    return Verdict(
        keep=np.concatenate([part.keep for part in parts]),
        reason=np.concatenate([part.reason for part in parts]),
    )
