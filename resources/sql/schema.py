"""Schema introspection for prompts: CREATE statements, columns with a few distinct sample values, foreign keys.

Only the project's own catalog queries run here (never a row's SQL), on a read-only connection.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import duckdb

from operators.services.sql import ColumnInfo, DatabaseSchema, ForeignKey
from resources.sql.catalog import DatabaseFile

SAMPLE_CHARS = 60


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sample(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SAMPLE_CHARS:
        return value[:SAMPLE_CHARS] + "…"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value if isinstance(value, int | float | str) or value is None else str(value)


def _samples(conn: Any, table: str, column: str, count: int) -> tuple[Any, ...]:
    if count <= 0:
        return ()
    rows = conn.execute(f"SELECT DISTINCT {_quote(column)} FROM {_quote(table)} WHERE {_quote(column)} IS NOT NULL "
                        f"LIMIT {int(count)}").fetchall()
    return tuple(_sample(row[0]) for row in rows)


def sqlite_schema(entry: DatabaseFile, sample_values: int) -> DatabaseSchema:
    """The schema of a SQLite database."""
    conn = sqlite3.connect(f"{entry.path.as_uri()}?mode=ro", uri=True)
    with closing(conn):
        conn.execute("PRAGMA query_only = ON")
        found = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                             "ORDER BY rowid").fetchall()
        tables: dict[str, tuple[ColumnInfo, ...]] = {}
        keys: list[ForeignKey] = []
        for table, _ in found:
            info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
            tables[table] = tuple(ColumnInfo(row[1], row[2] or "", bool(row[5]),
                                             _samples(conn, table, row[1], sample_values)) for row in info)
            for row in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchall():
                keys.append(ForeignKey(table, row[3], row[2], row[4] or row[3]))
        return DatabaseSchema(entry.db_id, "SQLite", tuple(sql for _, sql in found if sql), tables, tuple(keys))


def duckdb_schema(entry: DatabaseFile, sample_values: int) -> DatabaseSchema:
    """The schema of a DuckDB database."""
    conn = duckdb.connect(str(entry.path), read_only=True, config={"enable_external_access": False})
    with closing(conn):
        found = conn.execute("SELECT table_name, sql FROM duckdb_tables() WHERE NOT internal "
                             "ORDER BY table_oid").fetchall()
        tables: dict[str, tuple[ColumnInfo, ...]] = {}
        for table, _ in found:
            columns = conn.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
                                   "ORDER BY column_index", [table]).fetchall()
            primary = {name for row in conn.execute(
                "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ? "
                "AND constraint_type = 'PRIMARY KEY'", [table]).fetchall() for name in row[0]}
            tables[table] = tuple(ColumnInfo(name, kind, name in primary, _samples(conn, table, name, sample_values))
                                  for name, kind in columns)
        keys = [ForeignKey(table, column, ref_table, ref_column)
                for table, cols, ref_table, ref_cols in conn.execute(
                    "SELECT table_name, constraint_column_names, referenced_table, referenced_column_names "
                    "FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'").fetchall()
                for column, ref_column in zip(cols, ref_cols, strict=False)]
        return DatabaseSchema(entry.db_id, "DuckDB", tuple(sql for _, sql in found if sql), tables, tuple(keys))


def read_schema(entry: DatabaseFile, sample_values: int = 3) -> DatabaseSchema:
    """The schema of a catalog database with ``sample_values`` distinct values per column."""
    return duckdb_schema(entry, sample_values) if entry.engine == "DuckDB" else sqlite_schema(entry, sample_values)
