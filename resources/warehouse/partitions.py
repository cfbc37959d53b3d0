"""The pipeline's partitions as the warehouse knows them: ingest order, source file and content hash.

A partition is registered when its raw rows are first written (in the same transaction) and keeps its position in
the ingest order; a later write of the same partition updates its source and hash. Global dedup compares a
partition with every partition before it in ingest order: Dagster's dynamic partitions give that order in a
deployment, and ``dataflow run --warehouse W`` takes it from here, so a batch run on its own is still deduplicated
against the batches already in ``W``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

PARTITIONS_TABLE = '"_dataflow"."partitions"'
PARTITIONS_DDL = f"""
CREATE SCHEMA IF NOT EXISTS "_dataflow";
CREATE TABLE IF NOT EXISTS {PARTITIONS_TABLE} (
    pipeline VARCHAR, _partition VARCHAR, position BIGINT, source VARCHAR, sha256 VARCHAR,
    first_written TIMESTAMPTZ, last_written TIMESTAMPTZ
)"""


@dataclass(frozen=True)
class PartitionSource:
    """Where a partition's raw rows came from: the file (as the user named it) and its content hash."""

    source: str
    sha256: str


def register_partition(conn: duckdb.DuckDBPyConnection, pipeline: str, partition: str, found: PartitionSource) -> None:
    """Record a partition's source (in the caller's transaction); a new one goes last in the ingest order."""
    conn.execute(PARTITIONS_DDL)
    now = datetime.now(UTC)
    updated = conn.execute(f"UPDATE {PARTITIONS_TABLE} SET source = ?, sha256 = ?, last_written = ? "
                           "WHERE pipeline = ? AND _partition = ? RETURNING position",
                           [found.source, found.sha256, now, pipeline, partition]).fetchall()
    if not updated:
        conn.execute(f"INSERT INTO {PARTITIONS_TABLE} SELECT ?, ?, coalesce(max(position), 0) + 1, ?, ?, ?, ? "
                     f"FROM {PARTITIONS_TABLE} WHERE pipeline = ?",
                     [pipeline, partition, found.source, found.sha256, now, now, pipeline])


def ingest_order(conn: duckdb.DuckDBPyConnection, pipeline: str) -> list[tuple[str, str]]:
    """The pipeline's partitions in ingest order, each with its source file."""
    conn.execute(PARTITIONS_DDL)
    return [(row[0], row[1]) for row in conn.execute(
        f"SELECT _partition, source FROM {PARTITIONS_TABLE} WHERE pipeline = ? ORDER BY position",
        [pipeline]).fetchall()]
