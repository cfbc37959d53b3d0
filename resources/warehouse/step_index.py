"""A dedup step's index in the warehouse, as ``ctx.state``: lookups against partitions earlier in ingest order.

A global dedup step stores, with its output and in the same transaction, one index row per kept row
(``<step>__index``) and, for near-duplicate methods, extra key tables (e.g. ``<step>__bands``); see
``operators/text/dedup/base.py`` for the semantics. ``StepIndex`` is the read side for one step run: it joins
keys the operator computed for its batch against the stored tables of the partitions that come before the
current one in ingest order (the order the partitions were added to the pipeline's dynamic partitions), in
DuckDB, with a short connection per lookup, so no connection is held while the operator computes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import xxhash

from resources.warehouse.connection import connect, quote, registered, table_exists, table_name
from resources.warehouse.step_store import STATS_TABLE

if TYPE_CHECKING:  # the storage engine needs no Dagster: the resource is only a type here
    from dagster_duckdb import DuckDBResource

SYSTEM = ("_partition", "_row_id", "_rank")


class StepIndex:
    """Read-only lookups in one step's index tables, restricted to partitions before ``partition``."""

    def __init__(
        self, warehouse: DuckDBResource, pipeline: str, step: str, partition: str, ingest_order: Sequence[str]
    ) -> None:
        order = list(ingest_order)
        self.warehouse, self.pipeline, self.step, self.partition = warehouse, pipeline, step, partition
        self.earlier = order[: order.index(partition)] if partition in order else order
        self.missing_earlier: list[str] | None = None  # earlier partitions this step had not written yet
        self.earlier_digest: int | None = None  # digest of the earlier partitions' indexes this run saw

    def matches(self, table: str, probe: pa.Table, on: Sequence[str], fetch: Sequence[str] = ()) -> pa.Table:
        """Stored rows of ``<step>__<table>`` (earlier partitions) equal to a probe row on ``on``.

        Returns the probe's columns, then ``_partition``, ``_row_id`` and ``_rank`` (ingest position of the
        stored row's partition) of the stored row, then its ``fetch`` columns; empty when nothing matches.
        """
        keep = [name for name in probe.column_names if name not in SYSTEM]
        select = [f"p.{quote(name)}" for name in keep]
        select += ["s._partition", "s._row_id", "e._rank", *(f"s.{quote(name)}" for name in fetch)]
        condition = " AND ".join(f"p.{quote(name)} = s.{quote(name)}" for name in on)
        if not self.earlier:  # the first partition in ingest order: nothing to look up, no connection needed
            self.missing_earlier, self.earlier_digest = [], combined_digest([], {})
            return _empty(probe.select(keep), fetch)
        earlier = pa.table({"_partition": pa.array(self.earlier, pa.string()),
                            "_rank": pa.array(range(len(self.earlier)), pa.int64())})
        with connect(self.warehouse) as conn, registered(conn, {"__probe": probe, "__earlier": earlier}):
            if self.missing_earlier is None:
                digests = index_digests(conn, self.pipeline, self.step)
                self.missing_earlier = [name for name in self.earlier if name not in digests]
                self.earlier_digest = combined_digest(self.earlier, digests)
            stored = table_exists(conn, self.pipeline, f"{self.step}__{table}")
            if not self.earlier or probe.num_rows == 0 or not stored:
                return _empty(probe.select(keep), fetch)
            return conn.sql(
                f"SELECT {', '.join(select)} FROM __probe p JOIN {table_name(self.pipeline, f'{self.step}__{table}')} "
                f"s ON {condition} JOIN __earlier e ON s._partition = e._partition"
            ).to_arrow_table()


def _empty(probe: pa.Table, fetch: Sequence[str]) -> pa.Table:
    fields = [*probe.schema, pa.field("_partition", pa.string()), pa.field("_row_id", pa.int64()),
              pa.field("_rank", pa.int64()), *(pa.field(name, pa.null()) for name in fetch)]
    return pa.schema(fields).empty_table()


def index_consistency(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, partition: str) -> dict[str, int]:
    """For one partition of a dedup step: kept rows, index rows, and dropped rows whose copy is not indexed.

    ``orphaned_provenance`` counts dropped rows whose ``duplicate_of`` row is no longer in the index, which
    happens when an earlier partition was re-materialized with different contents after this one.
    """
    index = table_name(pipeline, f"{step}__index")
    drop_list = f"{step}__drops" if table_exists(conn, pipeline, f"{step}__drops") else f"{step}__dropped"
    dropped = table_name(pipeline, drop_list)  # a pure filter's drop list holds the duplicates' originals
    counts = {"kept_rows": 0, "index_rows": 0, "orphaned_provenance": 0}
    if table_exists(conn, pipeline, step):
        counts["kept_rows"] = _count(conn, f"SELECT count(*) FROM {table_name(pipeline, step)} WHERE _partition = ?",
                                     partition)
    if table_exists(conn, pipeline, f"{step}__index"):
        counts["index_rows"] = _count(conn, f"SELECT count(*) FROM {index} WHERE _partition = ?", partition)
        if table_exists(conn, pipeline, drop_list):
            counts["orphaned_provenance"] = _count(
                conn, f"SELECT count(*) FROM {dropped} d WHERE d._partition = ? AND NOT EXISTS (SELECT 1 FROM "
                f"{index} i WHERE i._partition = d.duplicate_of_partition AND i._row_id = d.duplicate_of_row_id)",
                partition,
            )
    return counts


def index_digests(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str) -> dict[str, int]:
    """The ``index_digest`` metric recorded by each written partition of a step."""
    if not table_exists(conn, "_dataflow", "step_stats"):
        return {}
    rows = conn.execute(f"SELECT _partition, metrics FROM {STATS_TABLE} WHERE pipeline = ? AND step = ?",
                        [pipeline, step]).fetchall()
    return {partition: int(json.loads(metrics or "{}").get("index_digest", 0)) for partition, metrics in rows}


def combined_digest(partitions: Sequence[str], digests: dict[str, int]) -> int:
    """One digest of the indexes of the given partitions (missing ones count as absent)."""
    state = xxhash.xxh3_64()
    for name in partitions:
        state.update(f"{name}\0{digests.get(name, 'missing')}\0".encode())
    return state.intdigest() & (2**63 - 1)


def stale_partitions(
    conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, ingest_order: Sequence[str]
) -> list[str]:
    """Written partitions of a dedup step whose earlier partitions' indexes changed since they ran.

    Such a partition was compared with indexes that no longer exist (an earlier partition was re-materialized
    with other contents, or was materialized after it): re-materialize it, in ingest order, to refresh it.
    """
    if not table_exists(conn, "_dataflow", "step_stats"):
        return []
    rows = conn.execute(f"SELECT _partition, metrics FROM {STATS_TABLE} WHERE pipeline = ? AND step = ?",
                        [pipeline, step]).fetchall()
    seen = {partition: json.loads(metrics or "{}").get("earlier_index_digest") for partition, metrics in rows}
    digests = index_digests(conn, pipeline, step)
    order = list(ingest_order)
    return [name for position, name in enumerate(order)
            if name in seen and seen[name] != combined_digest(order[:position], digests)]


def _count(conn: duckdb.DuckDBPyConnection, sql: str, partition: str) -> int:
    return int(conn.execute(sql, [partition]).fetchall()[0][0])
