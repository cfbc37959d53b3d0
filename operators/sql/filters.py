"""Keep the SQL that is safe and works: ``SQLExecutabilityFilter`` (it plans) and ``SQLExecutionFilter`` (it runs).

Both hand the whole batch of ``(db_id, SQL)`` pairs to ``ctx.sql``, which refuses anything but one read-only
statement and runs on read-only connections within a time and a row limit, in parallel. A dropped row says why:
``not_read_only: <KIND>``, ``multiple_statements``, ``syntax_error: …``, ``timeout``, ``unknown_db_id`` or
``execution_error: …`` (a result over the row limit is ``execution_error: more rows than the row limit``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from operators.base import Filter, OperatorConfig, OperatorContext, OperatorResult, Verdict
from operators.registry import register
from operators.services.sql import require_sql

SQL_REASONS = ("not_read_only", "multiple_statements", "syntax_error", "timeout", "unknown_db_id", "execution_error")
OVER_ROW_LIMIT = "execution_error: more rows than the row limit"


def sql_pairs(op: Filter, batch: pa.Table) -> list[tuple[str, str]]:
    """The batch's ``(db_id, SQL)`` pairs (nulls stay None: unknown id, empty statement)."""
    db_ids = batch.column(op.col("db_id")).to_pylist()
    statements = batch.column(op.col("SQL")).to_pylist()
    return list(zip(db_ids, statements, strict=True))


def verdict_of(reasons: list[str | None]) -> Verdict:
    """Keep the rows without a reason."""
    keep = np.fromiter((reason is None for reason in reasons), dtype=bool, count=len(reasons))
    return Verdict(keep, np.array([reason or "" for reason in reasons], dtype=object))


class SQLFilterBase(Filter):
    """Shared by the two filters: columns, the service, metrics."""

    inputs = ("SQL", "db_id")
    requires = ("sql",)
    drop_reasons: ClassVar[tuple[str, ...]] = SQL_REASONS

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Filter, then report how many rows were judged and kept."""
        result = super().run(batch, ctx)
        result.metrics |= {"sql_rows": batch.num_rows, "sql_kept": result.kept}
        return result


@register
class SQLExecutabilityFilter(SQLFilterBase):
    """Keep one read-only statement per row whose query plan succeeds on its database (nothing is run)."""

    name = "SQLExecutabilityFilter"
    description = ("Keeps SQL that is one read-only statement and plans on its database (db_id); drops the rest "
                   "with the reason (not_read_only, multiple_statements, syntax_error, unknown_db_id, ...).")

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Plan every statement on its database."""
        return verdict_of(require_sql(ctx.sql, self.name).check(sql_pairs(self, batch)))


class ExecutionConfig(OperatorConfig):
    """SQLExecutionFilter settings."""

    drop_over_row_limit: bool = Field(True, description="Drop SQL whose result has more rows than the row limit")


@register
class SQLExecutionFilter(SQLFilterBase):
    """Keep SQL that runs on its database within the time limit (and, by default, the row limit)."""

    name = "SQLExecutionFilter"
    description = ("Runs each SQL on its database (read-only, time and row limits, in parallel) and keeps the rows "
                   "that succeed; drops the rest with the reason (timeout, execution_error: ..., ...).")
    Config = ExecutionConfig

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Run every statement; a failure or (optionally) a cut result drops the row."""
        results = require_sql(ctx.sql, self.name).execute(sql_pairs(self, batch), need_order=False, keep_rows=False)
        cut = self.config.drop_over_row_limit
        return verdict_of([r.reason if not r.ok else (OVER_ROW_LIMIT if cut and r.truncated else None)
                           for r in results])
