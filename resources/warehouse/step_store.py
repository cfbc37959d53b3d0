"""Step outputs in the warehouse: reading them back, the per-step stats, the hand-off (writes: ``step_writes``).

Storage economy: a filter that adds no columns stores only its drop list (``<step>__drops``: row ids, reasons);
its output is a view ``upstream ANTI JOIN <step>__drops`` with the same rows, schema and order as a copy, and
its dropped rows a view ``<step>__dropped`` (``upstream JOIN <step>__drops``), so a 20-filter chain neither
copies the corpus 20 times nor its dropped documents once more. Hand-off: the rows a step just wrote stay in
this process, tagged with the write id committed with them, so the next step of the same run reads them without
a round trip through DuckDB; any other reader, or a stale id, goes to DuckDB. Rows may be ``RowChunks`` (a
large partition in spilled chunks, ``resources/warehouse/row_chunks.py``): they are inserted as one stream, in the same
single transaction, and a large partition read back from DuckDB comes in spilled chunks too.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from resources.warehouse.connection import (
    read_partition,
    table_exists,
    table_name,
    transaction,
)
from resources.warehouse.row_chunks import RowChunks, chunk_rows

STATS_TABLE = '"_dataflow"."step_stats"'
STATS_DDL = f"""
CREATE SCHEMA IF NOT EXISTS "_dataflow";
CREATE TABLE IF NOT EXISTS {STATS_TABLE} (
    pipeline VARCHAR, step VARCHAR, _partition VARCHAR, input_rows BIGINT, output_rows BIGINT,
    dropped_rows BIGINT, drop_counts JSON, metrics JSON, written_at TIMESTAMPTZ, write_id VARCHAR,
    upstream VARCHAR, upstream_write_id VARCHAR
);
ALTER TABLE {STATS_TABLE} ADD COLUMN IF NOT EXISTS upstream VARCHAR;
ALTER TABLE {STATS_TABLE} ADD COLUMN IF NOT EXISTS upstream_write_id VARCHAR"""
_HANDOFF: OrderedDict[tuple[str, str, str, str], tuple[str, RowChunks]] = OrderedDict()
Rows = pa.Table | RowChunks
SYSTEM = ("_partition", "_row_id")
_HANDOFF_ENTRIES = 1  # only the last write: the next step's input (older ones only cost memory)


class StaleInputError(RuntimeError):
    """The upstream partition a step read was rewritten before the step wrote its output."""


class NotMaterializedError(LookupError):
    """A step's partition has no current output: never written, or invalidated when its upstream was rewritten."""


def completed_partitions(pipeline: str, step: str) -> str:
    """SQL for the partitions whose output of ``step`` is current: those with a row in the step stats.

    A step's stats row is written in the transaction that stores its output, and deleted, with that output, in the
    transaction that rewrites any step before it (``step_writes``): a partition a run has not (re)computed since its
    upstream changed has none, so a view of the step shows nothing for it."""
    return (f"(SELECT _partition FROM {STATS_TABLE} WHERE pipeline = '{_literal(pipeline)}' "
            f"AND step = '{_literal(step)}')")


def _literal(text: str) -> str:
    return text.replace("'", "''")


@dataclass(frozen=True)
class StepInput:
    """A step's input rows and the upstream write they come from (None: upstream has no recorded write)."""

    rows: RowChunks
    write_id: str | None

    @property
    def table(self) -> pa.Table:
        """All input rows as one table."""
        return self.rows.to_table()


def _as_chunks(rows: Rows) -> RowChunks:
    return rows if isinstance(rows, RowChunks) else RowChunks.of(rows)


def database_path(conn: duckdb.DuckDBPyConnection) -> str:
    rows = conn.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return os.path.realpath(rows[0][0]) if rows and rows[0][0] else ":memory:"


def current_write_id(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, partition: str) -> str | None:
    """The write id recorded for a step's partition (the stats table must exist: ``STATS_DDL``)."""
    rows = conn.execute(
        f"SELECT write_id FROM {STATS_TABLE} WHERE pipeline = ? AND step = ? AND _partition = ?",
        [pipeline, step, partition],
    ).fetchall()
    return rows[0][0] if rows else None


def hand_off(database: str, pipeline: str, step: str, partition: str, write_id: str, rows: Rows) -> None:
    """Keep the rows a write just stored for the next step of this process (only the last write is kept)."""
    _HANDOFF[(database, pipeline, step, partition)] = (write_id, _as_chunks(rows))
    while len(_HANDOFF) > _HANDOFF_ENTRIES:
        _HANDOFF.popitem(last=False)


def handed_off(database: str, pipeline: str, step: str, partition: str) -> StepInput | None:
    """The rows this process last wrote for a step's partition, without touching DuckDB (verify on write)."""
    cached = _HANDOFF.get((os.path.realpath(database), pipeline, step, partition))
    return StepInput(cached[1], cached[0]) if cached is not None else None


def _read_rows(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, partition: str) -> RowChunks:
    """A stored partition: one table, or spilled chunks of ``chunk_rows()`` rows when it is larger."""
    if not table_exists(conn, pipeline, step):
        raise LookupError(f"table {pipeline}.{step} does not exist: materialize it first")
    size = chunk_rows()
    where = f"FROM {table_name(pipeline, step)} WHERE _partition = $partition"
    count = conn.sql(f"SELECT count(*) {where}", params={"partition": partition}).fetchall()[0][0]
    if count <= size:
        return RowChunks.of(read_partition(conn, pipeline, step, partition))
    reader = conn.sql(f"SELECT * EXCLUDE (_partition) {where} ORDER BY _row_id",
                      params={"partition": partition}).to_arrow_reader(size)
    rows = RowChunks()
    for batch in reader:
        rows.append(pa.Table.from_batches([batch]), spill=True)
    return rows


def read_step_input(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, partition: str) -> StepInput:
    """One partition of a step's output, with its write id: the hand-off when still current, else DuckDB.

    ``NotMaterializedError`` when the partition has no current output of ``step`` (never written, or its upstream was
    rewritten since)."""
    conn.execute(STATS_DDL)
    with transaction(conn):  # rows and write id from one snapshot
        write_id = current_write_id(conn, pipeline, step, partition)
        if write_id is None:
            raise NotMaterializedError(
                f"{pipeline}.{step} has no current output for partition {partition!r}: it was never materialized, "
                "or a step before it was rewritten since; materialize it first")
        cached = _HANDOFF.get((database_path(conn), pipeline, step, partition))
        if cached is not None and write_id is not None and cached[0] == write_id:
            return StepInput(cached[1], write_id)
        return StepInput(_read_rows(conn, pipeline, step, partition), write_id)


def step_stats(
    conn: duckdb.DuckDBPyConnection, pipeline: str, partition: str, steps: Sequence[str]
) -> list[dict[str, Any]]:
    """Per-step counts recorded for one partition, for the given steps in the given order."""
    conn.execute(STATS_DDL)
    cursor = conn.execute(
        f"SELECT step, input_rows, output_rows, dropped_rows, drop_counts, metrics FROM {STATS_TABLE} "
        "WHERE pipeline = ? AND _partition = ?",
        [pipeline, partition],
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["drop_counts"] = json.loads(row["drop_counts"] or "{}")
        row["metrics"] = json.loads(row["metrics"] or "{}")
    by_step = {row["step"]: row for row in rows}
    return [by_step[step] for step in steps if step in by_step]
