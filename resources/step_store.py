"""Step outputs in the warehouse: kept rows (a table, or a view for pure filters), dropped rows, stats.

Storage economy: a filter that adds no columns stores only its dropped rows; its output is a view
``upstream ANTI JOIN <step>__dropped`` with the same rows, schema and order as a copy, so a 20-filter chain
does not copy the corpus 20 times. Hand-off: the rows a step just wrote stay in this process, tagged with the
write id committed with them, so the next step of the same run reads them without a round trip through DuckDB;
any other reader, or a stale id, goes to DuckDB. Rows may be ``RowChunks`` (a large partition in spilled chunks,
``resources/row_chunks.py``): they are inserted as one stream, in the same single transaction, and a large
partition read back from DuckDB comes in spilled chunks too.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from resources.row_chunks import RowChunks, batch_reader, chunk_rows, unified_schema
from resources.warehouse import (
    quote,
    read_partition,
    registered,
    replace_in_open_transaction,
    table_exists,
    table_name,
    transaction,
)

STATS_TABLE = '"_dataflow"."step_stats"'
STATS_DDL = f"""
CREATE SCHEMA IF NOT EXISTS "_dataflow";
CREATE TABLE IF NOT EXISTS {STATS_TABLE} (
    pipeline VARCHAR, step VARCHAR, _partition VARCHAR, input_rows BIGINT, output_rows BIGINT,
    dropped_rows BIGINT, drop_counts JSON, metrics JSON, written_at TIMESTAMPTZ, write_id VARCHAR
)"""
_HANDOFF: OrderedDict[tuple[str, str, str, str], tuple[str, RowChunks]] = OrderedDict()
Rows = pa.Table | RowChunks
SYSTEM = ("_partition", "_row_id")
_HANDOFF_ENTRIES = 1  # only the last write: the next step's input (older ones only cost memory)


class StaleInputError(RuntimeError):
    """The upstream partition a step read was rewritten before the step wrote its output."""


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


def _incoming(name: str, rows: Rows) -> dict[str, pa.Table | pa.RecordBatchReader]:
    """Relations to register for one input of a write: the rows (a stream for chunks) and an empty shape."""
    if isinstance(rows, pa.Table):
        return {name: rows, name + "_shape": rows.schema.empty_table()}
    schema = unified_schema(chunk.schema for chunk in rows.chunks) or pa.schema([])
    return {name: batch_reader(rows.tables(), schema), name + "_shape": schema.empty_table()}


def _database_path(conn: duckdb.DuckDBPyConnection) -> str:
    rows = conn.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return os.path.realpath(rows[0][0]) if rows and rows[0][0] else ":memory:"


def _current_write_id(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, partition: str) -> str | None:
    """The write id recorded for a step's partition (the stats table must exist: ``STATS_DDL``)."""
    rows = conn.execute(
        f"SELECT write_id FROM {STATS_TABLE} WHERE pipeline = ? AND step = ? AND _partition = ?",
        [pipeline, step, partition],
    ).fetchall()
    return rows[0][0] if rows else None


def _relation_kind(conn: duckdb.DuckDBPyConnection, pipeline: str, name: str) -> str | None:
    rows = conn.execute(
        "SELECT 'BASE TABLE' FROM duckdb_tables() WHERE schema_name = $s AND table_name = $n "
        "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE schema_name = $s AND view_name = $n",
        {"s": pipeline, "n": name},
    ).fetchall()
    return rows[0][0] if rows else None


def _ensure_filter_view(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, upstream: str) -> None:
    if _relation_kind(conn, pipeline, step) == "BASE TABLE":  # the step was a copying step before
        conn.execute(f"DROP TABLE {table_name(pipeline, step)}")
    conn.execute(
        f"CREATE OR REPLACE VIEW {table_name(pipeline, step)} AS SELECT u.* FROM {table_name(pipeline, upstream)} u "
        f"ANTI JOIN {table_name(pipeline, step + '__dropped')} d USING (_partition, _row_id)"
    )


def _ensure_patch_view(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, upstream: str) -> None:
    if _relation_kind(conn, pipeline, step) == "BASE TABLE":  # the step was a copying step before
        conn.execute(f"DROP TABLE {table_name(pipeline, step)}")
    changes = table_name(pipeline, step + "__changes")
    columns = [row[0] for row in conn.execute(f"DESCRIBE {changes}").fetchall() if row[0] not in SYSTEM]
    patched = ", ".join(f"CASE WHEN c._row_id IS NULL THEN u.{quote(name)} ELSE c.{quote(name)} END AS {quote(name)}"
                        for name in columns)
    conn.execute(
        f"CREATE OR REPLACE VIEW {table_name(pipeline, step)} AS SELECT u.* REPLACE ({patched}) "
        f"FROM {table_name(pipeline, upstream)} u LEFT JOIN {changes} c "
        "ON u._partition = c._partition AND u._row_id = c._row_id"
    )


def _ensure_table_slot(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str) -> None:
    if _relation_kind(conn, pipeline, step) == "VIEW":  # the step was a view-backed filter before
        conn.execute(f"DROP VIEW {table_name(pipeline, step)}")


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
) -> str:
    """Write a step's output for one partition in one transaction; returns the write id (``write_id``, or a new
    one: a caller that hands the rows on before the write commits names the id its next step will check).

    With ``view_of`` (pure filters) only the dropped rows are stored and the step is a view over ``view_of``.
    With ``patch_of`` (in-place refiners) only the ``changes`` (``_row_id`` + rewritten columns of the rows that
    changed) are stored, as ``<step>__changes``, and the step is a view: ``patch_of`` with those rows patched.
    With ``read_from`` = (upstream step, write id of the input), the write is refused (``StaleInputError``,
    nothing stored) when that upstream partition was rewritten since it was read. ``side_tables`` (e.g. a
    dedup step's index) are replaced for the partition in the same transaction, as ``<step>__<name>``.
    ``database``: the DuckDB file ``conn`` is open on, when the caller knows it (saves a lookup).
    """
    database = os.path.realpath(database) if database else _database_path(conn)
    write_id = write_id or uuid.uuid4().hex
    side = dict(side_tables or {})
    if "dropped" in side:
        raise ValueError(f"{pipeline}.{step}: a side table may not be named 'dropped'")
    if view_of is not None and patch_of is not None:
        raise ValueError(f"{pipeline}.{step}: a step is a filter view or a patch view, not both")
    if patch_of is not None and changes is None:
        raise ValueError(f"{pipeline}.{step}: a patch-view step needs its changed rows")
    incoming = _incoming("__kept", kept) if view_of is None and patch_of is None else {}
    incoming |= _incoming("__changes", changes) if patch_of is not None and changes is not None else {}
    incoming |= _incoming("__dropped", dropped) if dropped is not None else {}
    for name, rows in side.items():
        incoming |= _incoming(f"__side_{name}", rows)
    with registered(conn, incoming), transaction(conn):
        conn.execute(STATS_DDL)
        if read_from is not None and _current_write_id(conn, pipeline, read_from[0], partition) != read_from[1]:
            raise StaleInputError(f"{pipeline}.{read_from[0]} partition {partition!r} was rewritten while "
                                  f"{step} ran on it; materialize {step} again")
        if view_of is not None:
            if dropped is None:
                raise ValueError(f"{pipeline}.{step}: a view-backed filter step needs its dropped rows")
            replace_in_open_transaction(conn, pipeline, f"{step}__dropped", partition, "__dropped", "__dropped_shape")
            _ensure_filter_view(conn, pipeline, step, view_of)
        elif patch_of is not None:
            replace_in_open_transaction(conn, pipeline, f"{step}__changes", partition, "__changes", "__changes_shape")
            _ensure_patch_view(conn, pipeline, step, patch_of)
        else:
            _ensure_table_slot(conn, pipeline, step)
            replace_in_open_transaction(conn, pipeline, step, partition, "__kept", "__kept_shape")
            if dropped is not None:
                replace_in_open_transaction(conn, pipeline, f"{step}__dropped", partition, "__dropped",
                                            "__dropped_shape")
        for name in side:
            replace_in_open_transaction(conn, pipeline, f"{step}__{name}", partition, f"__side_{name}",
                                        f"__side_{name}_shape")
        conn.execute(f"DELETE FROM {STATS_TABLE} WHERE pipeline = ? AND step = ? AND _partition = ?",
                     [pipeline, step, partition])
        drop_counts = dict(stats.get("drop_counts", {}))
        conn.execute(
            f"INSERT INTO {STATS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [pipeline, step, partition, stats.get("input_rows"), kept.num_rows, sum(drop_counts.values()),
             json.dumps(drop_counts), json.dumps(dict(stats.get("metrics", {}))), datetime.now(UTC), write_id],
        )
    _HANDOFF[(database, pipeline, step, partition)] = (write_id, _as_chunks(kept))
    while len(_HANDOFF) > _HANDOFF_ENTRIES:
        _HANDOFF.popitem(last=False)
    return write_id


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
    """One partition of a step's output, with its write id: the hand-off when still current, else DuckDB."""
    conn.execute(STATS_DDL)
    with transaction(conn):  # rows and write id from one snapshot
        write_id = _current_write_id(conn, pipeline, step, partition)
        cached = _HANDOFF.get((_database_path(conn), pipeline, step, partition))
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
