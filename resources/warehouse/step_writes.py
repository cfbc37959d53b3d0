"""Writing step outputs: one transaction per write, in the storage shape of the step (see ``step_store``).

A step's output is stored as one of three shapes: its kept rows (a table, ``<step>``, plus ``<step>__dropped``
for a filter that adds columns); only its drop list (``<step>__drops``: row id, reason and any column the filter
adds to a dropped row, such as a duplicate's original; the step is a view ``upstream ANTI JOIN drops`` and
``<step>__dropped`` a view ``upstream JOIN drops``, so a dropped document's text is stored once, upstream); only
the rows an in-place refiner changed (``<step>__changes``, the step a patch view over ``upstream``). Consecutive
steps may be written in one transaction (``write_step_outputs``: a filter chain).

Nothing stale: a write also removes, in its transaction, the partition's output of every step after it
(``downstream``: tables, drop lists, patches, side tables and stats rows), and the views show only partitions with
a stats row (``completed_partitions``). A run that stops part-way (killed, disk full, a failed blocking check)
leaves the later steps of that partition not materialized, never showing rows of an older version or of none.
Each stats row records the upstream step and the write id of the input it was computed from.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from resources.warehouse.catalog import SchemaCatalog
from resources.warehouse.connection import registered, replace_in_open_transaction, table_name, transaction
from resources.warehouse.partitions import PartitionSource, register_partition
from resources.warehouse.row_chunks import batch_reader, coalesced, unified_schema
from resources.warehouse.step_shapes import (
    drop_list_names,
    ensure_drop_list,
    ensure_filter_views,
    ensure_patch_view,
    ensure_table_slot,
)
from resources.warehouse.step_store import (
    STATS_DDL,
    STATS_TABLE,
    Rows,
    StaleInputError,
    current_write_id,
    database_path,
    hand_off,
)


def _incoming(name: str, rows: Rows, columns: list[str] | None = None) -> dict[str, pa.Table | pa.RecordBatchReader]:
    """Relations to register for one input of a write: the rows (only ``columns``, if given), and for a stream
    (which can be scanned only once) an empty table of its shape, ``<name>_shape``."""
    if isinstance(rows, pa.Table):
        return {name: coalesced(rows.select(columns) if columns is not None else rows)}
    schema = _schema(rows) or pa.schema([])
    if columns is not None:
        schema = pa.schema([schema.field(column) for column in columns])
    return {name: batch_reader(rows.tables(columns), schema), name + "_shape": schema.empty_table()}


def _schema(rows: Rows) -> pa.Schema | None:
    """The columns of ``rows`` (None for chunks without any chunk)."""
    return rows.schema if isinstance(rows, pa.Table) else unified_schema(chunk.schema for chunk in rows.chunks)


def drop_list_columns(dropped: Rows, kept: Rows) -> list[str]:
    """The columns of a pure filter's ``dropped`` rows that its drop list stores (``kept``: the upstream's)."""
    dropped_schema, kept_schema = _schema(dropped), _schema(kept)
    return drop_list_names(dropped_schema.names if dropped_schema else [], kept_schema.names if kept_schema else [])


@dataclass(frozen=True)
class StepWrite:
    """One step's output for a partition, as ``write_step_output`` stores it (see there for the fields)."""

    step: str
    kept: Rows
    dropped: Rows | None
    stats: Mapping[str, Any]
    view_of: str | None = None
    side_tables: Mapping[str, Rows] | None = None
    patch_of: str | None = None
    changes: Rows | None = None
    write_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    downstream: tuple[str, ...] = ()  # the steps after this one: their output of the partition is removed
    source: PartitionSource | None = None  # raw: the file the rows came from (registers the partition)

    @property
    def upstream(self) -> str | None:
        """The step this one's view or patch is over (None: a copying step, whose upstream the caller names)."""
        return self.view_of or self.patch_of

    def incoming(self, pipeline: str, prefix: str = "__") -> dict[str, pa.Table | pa.RecordBatchReader]:
        """The relations the write registers, named ``<prefix>kept`` etc. (checked: the write is one of the
        three storage shapes)."""
        where = f"{pipeline}.{self.step}"
        if {"dropped", "drops"} & set(self.side_tables or {}):
            raise ValueError(f"{where}: a side table may not be named 'dropped' or 'drops'")
        if self.view_of is not None and self.patch_of is not None:
            raise ValueError(f"{where}: a step is a filter view or a patch view, not both")
        if self.patch_of is not None and self.changes is None:
            raise ValueError(f"{where}: a patch-view step needs its changed rows")
        if self.view_of is not None and self.dropped is None:
            raise ValueError(f"{where}: a view-backed filter step needs its dropped rows")
        incoming = _incoming(prefix + "kept", self.kept) if self.view_of is None and self.patch_of is None else {}
        incoming |= _incoming(prefix + "changes", self.changes) if self.changes is not None and self.patch_of else {}
        if self.view_of is not None:
            incoming |= _incoming(prefix + "drops", self.dropped, drop_list_columns(self.dropped, self.kept))
        elif self.dropped is not None:
            incoming |= _incoming(prefix + "dropped", self.dropped)
        for name, rows in (self.side_tables or {}).items():
            incoming |= _incoming(f"{prefix}side_{name}", rows)
        return incoming


def write_step_output(
    conn: duckdb.DuckDBPyConnection,
    pipeline: str,
    step: str,
    partition: str,
    kept: Rows,
    dropped: Rows | None,
    stats: Mapping[str, Any],
    view_of: str | None = None,
    read_from: tuple[str, str | None] | None = None,
    side_tables: Mapping[str, Rows] | None = None,
    patch_of: str | None = None,
    changes: Rows | None = None,
    write_id: str | None = None,
    database: str | None = None,
    downstream: Sequence[str] = (),
    source: PartitionSource | None = None,
) -> str:
    """Write a step's output for one partition in one transaction; returns the write id (``write_id``, or a new
    one: a caller that hands the rows on before the write commits names the id its next step will check).

    With ``view_of`` (pure filters) only the dropped rows are stored and the step is a view over ``view_of``.
    With ``patch_of`` (in-place refiners) only the ``changes`` (``_row_id`` + rewritten columns of the rows that
    changed) are stored, as ``<step>__changes``, and the step is a view: ``patch_of`` with those rows patched.
    With ``read_from`` = (upstream step, write id of the input), the write is refused (``StaleInputError``,
    nothing stored) when that upstream partition was rewritten since it was read. ``side_tables`` (e.g. a
    dedup step's index) are replaced for the partition in the same transaction, as ``<step>__<name>``.
    ``database``: the DuckDB file ``conn`` is open on, when the caller knows it (saves a lookup). ``downstream``:
    the steps after this one, whose output of the partition the write removes (see the module docstring).
    ``source``: raw's file and hash, which register the partition in the warehouse's ingest order.
    """
    write = StepWrite(step, kept, dropped, stats, view_of, side_tables, patch_of, changes,
                      write_id or uuid.uuid4().hex, tuple(downstream), source)
    write_step_outputs(conn, pipeline, partition, [write], read_from, database)
    return write.write_id


def write_step_outputs(
    conn: duckdb.DuckDBPyConnection, pipeline: str, partition: str, writes: Sequence[StepWrite],
    read_from: tuple[str, str | None] | None = None, database: str | None = None,
) -> None:
    """Consecutive steps' outputs for one partition (each step's input is the one before it) in one transaction.

    A filter chain's drop lists commit together: one transaction instead of one per step. ``read_from`` checks
    the first step's input, as in ``write_step_output``; all or none of the writes are stored.
    """
    database = os.path.realpath(database) if database else database_path(conn)
    prefixes = [f"__w{position}_" for position in range(len(writes))]
    incoming = {name: rows for write, prefix in zip(writes, prefixes, strict=True)
                for name, rows in write.incoming(pipeline, prefix).items()}
    with registered(conn, incoming), transaction(conn):
        conn.execute(STATS_DDL)
        if read_from is not None and current_write_id(conn, pipeline, read_from[0], partition) != read_from[1]:
            step = writes[0].step
            raise StaleInputError(f"{pipeline}.{read_from[0]} partition {partition!r} was rewritten while "
                                  f"{step} ran on it; materialize {step} again")
        catalog = SchemaCatalog(conn, pipeline)
        for write, prefix in zip(writes, prefixes, strict=True):
            remove_outputs(conn, catalog, partition, write.downstream)
            _store(conn, catalog, partition, write, prefix, incoming)
        _record_stats(conn, pipeline, partition, writes, read_from)
        for write in writes:
            if write.source is not None:
                register_partition(conn, pipeline, partition, write.source)
    hand_off(database, pipeline, writes[-1].step, partition, writes[-1].write_id, writes[-1].kept)


def _store(conn: duckdb.DuckDBPyConnection, catalog: SchemaCatalog, partition: str, write: StepWrite, prefix: str,
           registered_names: Mapping[str, object]) -> None:
    """One step's tables for the partition from its relations registered as ``<prefix>...`` (in the caller's
    transaction)."""
    step = write.step

    def replace(table: str, relation: str) -> None:
        shape = f"{prefix}{relation}_shape"
        replace_in_open_transaction(conn, catalog.schema, table, partition, prefix + relation,
                                    shape if shape in registered_names else None, catalog=catalog)

    if write.view_of is not None:
        ensure_drop_list(conn, catalog, step, write.view_of)
        replace(f"{step}__drops", "drops")
        ensure_filter_views(conn, catalog, step, write.view_of)
    elif write.patch_of is not None:
        replace(f"{step}__changes", "changes")
        ensure_patch_view(conn, catalog, step, write.patch_of)
    else:
        ensure_table_slot(conn, catalog, step)
        replace(step, "kept")
        if write.dropped is not None:
            replace(f"{step}__dropped", "dropped")
    for name in write.side_tables or {}:
        replace(f"{step}__{name}", f"side_{name}")


def remove_outputs(conn: duckdb.DuckDBPyConnection, catalog: SchemaCatalog, partition: str,
                   steps: Sequence[str]) -> list[str]:
    """Remove the partition's output of ``steps`` (every table of each step: ``<step>`` and ``<step>__*``) and
    their stats rows, in the caller's transaction; the steps that had output."""
    if not steps:
        return []
    pipeline = catalog.schema
    found = [row[0] for row in conn.execute(
        f"SELECT step FROM {STATS_TABLE} WHERE pipeline = ? AND _partition = ? AND list_contains(?, step)",
        [pipeline, partition, list(steps)]).fetchall()]
    for step in found:
        for table in catalog.tables:
            if table == step or table.startswith(step + "__"):
                conn.execute(f"DELETE FROM {table_name(pipeline, table)} WHERE _partition = ?", [partition])
    if found:
        conn.execute(f"DELETE FROM {STATS_TABLE} WHERE pipeline = ? AND _partition = ? AND list_contains(?, step)",
                     [pipeline, partition, found])
    return found


def _record_stats(conn: duckdb.DuckDBPyConnection, pipeline: str, partition: str, writes: Sequence[StepWrite],
                  read_from: tuple[str, str | None] | None) -> None:
    """Replace the steps' rows of ``_dataflow.step_stats`` for the partition (one delete, one insert), each with
    the upstream step and write id its output was computed from."""
    steps = [write.step for write in writes]
    conn.execute(f"DELETE FROM {STATS_TABLE} WHERE pipeline = ? AND _partition = ? AND list_contains(?, step)",
                 [pipeline, partition, steps])
    values, now = [], datetime.now(UTC)
    upstream, upstream_write = read_from or (writes[0].upstream, None)
    for write in writes:
        drop_counts = dict(write.stats.get("drop_counts", {}))
        values += [pipeline, write.step, partition, write.stats.get("input_rows"), write.kept.num_rows,
                   sum(drop_counts.values()), json.dumps(drop_counts), json.dumps(dict(write.stats.get("metrics", {}))),
                   now, write.write_id, upstream, upstream_write]
        upstream, upstream_write = write.step, write.write_id
    rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(writes))
    conn.execute(f"INSERT INTO {STATS_TABLE} (pipeline, step, _partition, input_rows, output_rows, dropped_rows, "
                 f"drop_counts, metrics, written_at, write_id, upstream, upstream_write_id) VALUES {rows}", values)
