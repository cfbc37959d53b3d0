"""What one write transaction knows of a pipeline's schema, read in one query instead of a statement per table.

A step's write replaces partitions of a few tables and (re)defines its view. Asking DuckDB, for every table,
whether the schema exists, whether the table exists, what columns it has and whether the view is already the
right one costs a statement each (~2-4 ms): a 21-filter chain's write ran ~170 of them around ~20 small
INSERTs. ``SchemaCatalog`` reads the schema's tables, their columns and its views once, when the transaction
starts; the transaction's own DDL keeps it current (``note_*``). Views carry a fingerprint of their definition
as their comment, so an unchanged view is not replaced. It is valid inside the transaction that read it: it
holds that transaction's snapshot, and DDL another connection commits meanwhile on the same tables conflicts
with this transaction's at commit, as it did when each statement asked DuckDB.
"""

from __future__ import annotations

import hashlib

import duckdb

_IN_SCHEMA = "database_name = current_database() AND schema_name = $s"
_READ = f"""
SELECT 'schema', NULL, NULL, NULL, 0 FROM duckdb_schemas() WHERE {_IN_SCHEMA}
UNION ALL SELECT 'table', table_name, NULL, NULL, 0 FROM duckdb_tables() WHERE {_IN_SCHEMA}
UNION ALL SELECT 'view', view_name, NULL, comment, 0 FROM duckdb_views() WHERE {_IN_SCHEMA}
UNION ALL SELECT 'column', table_name, column_name, data_type, column_index FROM duckdb_columns() WHERE {_IN_SCHEMA}
ORDER BY 1, 2, 5
"""


def view_fingerprint(definition: str) -> str:
    """The comment a view defined by the SQL ``definition`` carries."""
    return "dataflow:" + hashlib.sha1(definition.encode("utf-8")).hexdigest()


class SchemaCatalog:
    """One schema's tables (columns and their types, in order) and views (with their fingerprint)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, schema: str) -> None:
        self.schema = schema
        self.has_schema = False
        self.tables: dict[str, dict[str, str]] = {}
        self.views: dict[str, str | None] = {}
        columns: dict[str, dict[str, str]] = {}
        for kind, name, column, value, _ in conn.execute(_READ, {"s": schema}).fetchall():
            if kind == "schema":
                self.has_schema = True
            elif kind == "table":
                self.tables[name] = {}
            elif kind == "view":
                self.views[name] = value
            else:
                columns.setdefault(name, {})[column] = value
        for name in self.tables:
            self.tables[name] = columns.get(name, {})

    def kind(self, name: str) -> str | None:
        """``"BASE TABLE"``, ``"VIEW"`` or None (neither)."""
        return "BASE TABLE" if name in self.tables else "VIEW" if name in self.views else None

    def columns(self, table: str) -> dict[str, str] | None:
        """The table's columns and their DuckDB types (as ``DESCRIBE`` writes them), None if there is no table."""
        return self.tables.get(table)

    def has_view(self, name: str, definition: str) -> bool:
        """Whether view ``name`` exists with this definition (its fingerprint)."""
        return self.views.get(name, "") == view_fingerprint(definition)

    def note_table(self, name: str, columns: dict[str, str]) -> None:
        """The transaction created (or changed the columns of) table ``name``."""
        self.views.pop(name, None)
        self.tables[name] = dict(columns)

    def note_view(self, name: str, definition: str) -> None:
        """The transaction (re)defined view ``name``."""
        self.tables.pop(name, None)
        self.views[name] = view_fingerprint(definition)

    def note_dropped(self, name: str) -> None:
        """The transaction dropped table or view ``name``."""
        self.tables.pop(name, None)
        self.views.pop(name, None)
