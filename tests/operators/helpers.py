"""Helpers shared by the operator tests: run an operator on hand-made rows and read its answer."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from operators.base import REASON_COLUMN, Operator, OperatorContext, OperatorResult


def outcomes(op: Operator, texts: list[str | None]) -> list[str | None]:
    """Run ``op`` on one row per text; per row, None if kept or else the drop reason. Checks counts."""
    table = pa.table({"id": list(range(len(texts))), "text": pa.array(texts, pa.string())})
    result = op.run(table, OperatorContext())
    found: list[str | None] = [None] * len(texts)
    dropped = result.dropped
    for row_id, reason in zip(dropped["id"].to_pylist(), dropped[REASON_COLUMN].to_pylist(), strict=True):
        found[row_id] = reason
    assert sorted(result.table["id"].to_pylist()) == [i for i, r in enumerate(found) if r is None]
    assert result.drop_counts == dict(Counter(r for r in found if r is not None))
    return found


def reasons(result: OperatorResult) -> dict[int, str]:
    """Drop reason by the ``id`` column of each dropped row."""
    dropped = result.dropped
    return dict(zip(dropped.column("id").to_pylist(), dropped.column(REASON_COLUMN).to_pylist(), strict=True))


def refine(op: Operator, rows: list[str | None]) -> tuple[list[str | None], int]:
    """Run a refiner on one row per text: the refined texts and how many rows it changed."""
    result = op.run(pa.table({"text": pa.array(rows, pa.string())}), OperatorContext())
    return result.table.column("text").to_pylist(), result.metrics["rows_changed"]
