"""The DuckDB warehouse: one schema per pipeline, one table per step, one transaction per partition write.

Every table carries ``_partition`` (the batch) and ``_row_id`` (stable id from the raw file). Writing a
partition deletes its old rows and inserts the new ones in one transaction, so a re-run replaces and never
duplicates, and a failed write leaves the previous contents intact.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from resources.warehouse.catalog import SchemaCatalog
from resources.warehouse.column_types import SchemaDriftError, drift_message, widened
from resources.warehouse.opening import WarehouseError, open_problem, open_warehouse

if TYPE_CHECKING:  # the storage engine needs no Dagster: the resource is only a type here
    from dagster_duckdb import DuckDBResource


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def table_name(pipeline: str, table: str) -> str:
    """The qualified name of a step table: ``"pipeline"."step"``."""
    return f"{quote(pipeline)}.{quote(table)}"


# DuckDB 2.0's Python client races when two threads open or close connections to one database file at once
# (a new connection may miss the Python table functions: "python_arrow_scan does not exist"), so this process
# opens and closes its connections one at a time. Queries on open connections still run concurrently.
_OPEN_CLOSE = threading.Lock()


LONG_TEXT_BYTES = 128  # mean bytes per string from which DuckDB stores a column segment ZSTD-compressed


@contextmanager
def connect(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection (waiting while another process holds the file: ``opening``), always closed.

    Its database stores strings that average ``LONG_TEXT_BYTES`` or more ZSTD-compressed (DuckDB's
    ``zstd_min_string_length``, 4096 by default). Below 4096, DuckDB's dictionary + FSST compression gives up on
    long unique text and stores it uncompressed, after paying for the analysis: 100k synthetic documents (76 MB
    of text) took 129 MB on disk, 217k 1 kB slices of Debian's docs (205 MB) 148 MB and a 3.7 s checkpoint.
    With ZSTD: 17 MB, and 71 MB in 1.3 s. Labels, ids and URLs keep DuckDB's dictionary compression.
    """
    if resource.database not in ("", ":memory:") and not resource.database.startswith(("md:", "motherduck:")):
        try:
            Path(resource.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WarehouseError(open_problem(resource.database, error.strerror or str(error))) from error
    with _OPEN_CLOSE:
        conn = open_warehouse(resource.database, config=dict(resource.connection_config))
    try:
        conn.execute(f"SET memory_limit = '{os.environ.get('DATAFLOW_DUCKDB_MEMORY_LIMIT', '1GB')}'")
        conn.execute(f"SET zstd_min_string_length = {LONG_TEXT_BYTES}")
        yield conn
    finally:
        with _OPEN_CLOSE:
            conn.close()


def table_exists(conn: duckdb.DuckDBPyConnection, pipeline: str, table: str) -> bool:
    """Whether a step table exists."""
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [pipeline, table],
    ).fetchall()
    return bool(row[0][0])


def read_partition(
    conn: duckdb.DuckDBPyConnection, pipeline: str, table: str, partition: str, columns: list[str] | None = None
) -> pa.Table:
    """The rows of one partition of a step table, in row-id order, without ``_partition``."""
    if not table_exists(conn, pipeline, table):
        raise LookupError(f"table {pipeline}.{table} does not exist: materialize it first")
    select = ", ".join(quote(c) for c in columns) if columns else "* EXCLUDE (_partition)"
    return conn.sql(
        f"SELECT {select} FROM {table_name(pipeline, table)} WHERE _partition = $partition ORDER BY _row_id",
        params={"partition": partition},
    ).to_arrow_table()


def _sync_columns(conn: duckdb.DuckDBPyConnection, target: str, existing: dict[str, str],
                  columns: list[tuple[str, str]], partition: str) -> dict[str, str]:
    """Add to ``target`` the ``columns`` (name, type) it lacks (a spec may add output columns), and widen a stored
    column losslessly where the incoming type needs it (``column_types.widened``; a column that only ever held
    nulls takes the incoming type). Returns the table's columns after the change (``existing``: before); a type
    the stored column cannot take is a ``SchemaDriftError`` naming ``partition``, the column and both types."""
    synced = dict(existing)
    for name, column_type in columns:
        if name not in existing:
            conn.execute(f"ALTER TABLE {target} ADD COLUMN {quote(name)} {column_type}")
        elif existing[name] == column_type:
            continue
        else:
            wide = widened(existing[name], column_type)
            if wide is None:
                raise SchemaDriftError(drift_message(target, partition, name, existing[name], column_type))
            if wide == existing[name]:
                continue
            conn.execute(f"ALTER TABLE {target} ALTER COLUMN {quote(name)} TYPE {wide}")
            column_type = wide
        synced[name] = column_type
    return synced


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One DuckDB transaction: committed on success, rolled back on any error."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, tables: Mapping[str, pa.Table]) -> Iterator[None]:
    """Arrow tables visible to SQL under the given names, for the duration of the block."""
    for name, rows in tables.items():
        conn.register(name, rows)
    try:
        yield
    finally:
        for name in tables:
            conn.unregister(name)


def replace_in_open_transaction(
    conn: duckdb.DuckDBPyConnection, pipeline: str, table: str, partition: str, incoming: str,
    shape: str | None = None, catalog: SchemaCatalog | None = None,
) -> None:
    """Replace one partition of ``table`` with the rows of the registered relation ``incoming`` (inside the
    caller's transaction). ``shape``: a registered empty relation with ``incoming``'s columns, for when
    ``incoming`` is a stream that can be scanned only once. ``catalog``: the transaction's view of the schema
    (read here when not given), kept current."""
    target = table_name(pipeline, table)
    catalog = catalog or SchemaCatalog(conn, pipeline)
    if not catalog.has_schema:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(pipeline)}")
        catalog.has_schema = True
    described = conn.execute(f"DESCRIBE {shape or incoming}").fetchall()
    columns = [(name, column_type) for name, column_type, *_ in described]
    existing = catalog.columns(table)
    if existing is None:
        conn.execute(_create_table_sql(target, shape or incoming, columns))
        catalog.note_table(table, {"_partition": "VARCHAR", **dict(columns)})
    else:
        synced = _sync_columns(conn, target, existing, columns, partition)
        if synced != existing:
            catalog.note_table(table, synced)
    conn.execute(f"DELETE FROM {target} WHERE _partition = ?", [partition])
    conn.execute(f"INSERT INTO {target} BY NAME SELECT ? AS _partition, * FROM {incoming}", [partition])


def _create_table_sql(target: str, shape: str, columns: list[tuple[str, str]]) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``target``: ``_partition`` and the ``columns`` of ``shape``.

    ``BLOB`` columns are stored uncompressed. They hold hashes, MinHash signatures and embeddings, which do not
    compress, and DuckDB's string compression analysis of them at checkpoint costs 4x the write itself (85k
    MinHash signatures: 0.57 s of CPU against 0.15 s uncompressed, the same file size).
    """
    if not any(column_type == "BLOB" for _, column_type in columns) or any(
        column_type == '"NULL"' for _, column_type in columns
    ):
        return (f"CREATE TABLE IF NOT EXISTS {target} AS "
                f"SELECT CAST(NULL AS VARCHAR) AS _partition, * FROM {shape} LIMIT 0")
    definitions = ", ".join(
        f"{quote(name)} {column_type}" + (" USING COMPRESSION uncompressed" if column_type == "BLOB" else "")
        for name, column_type in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {target} (_partition VARCHAR, {definitions})"
