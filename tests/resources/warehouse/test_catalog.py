"""A write reads the schema's catalog once: no DDL for tables and views that are already right, and the right
DDL when they are not (a new column, a view over another upstream, a view defined by someone else)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from resources.warehouse.catalog import SchemaCatalog
from resources.warehouse.connection import read_partition
from resources.warehouse.step_store import STATS_DDL
from resources.warehouse.step_writes import write_step_output


class RecordingConnection:
    """A real DuckDB connection that records the SQL it is given (to count DDL); everything else passes on."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.statements: list[str] = []

    def execute(self, query: str, *args: object) -> duckdb.DuckDBPyConnection:
        self.statements.append(query)
        return self.conn.execute(query, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


def rows(texts: list[str], start: int = 1, **extra: list) -> pa.Table:
    table = pa.table({"text": texts, "_row_id": pa.array(range(start, start + len(texts)), pa.int64())})
    for name, values in extra.items():
        table = table.append_column(name, pa.array(values))
    return table


def dropped(table: pa.Table) -> pa.Table:
    return table.append_column("_drop_reason", pa.array(["r"] * table.num_rows, pa.string()))


def ddl(statements: list[str]) -> list[str]:
    """The statements that define or describe the step's tables and views (not the incoming relations'
    ``DESCRIBE __w...``, nor the stats table's ``CREATE ... IF NOT EXISTS``)."""
    return [s for s in statements if s.split()[0] in ("CREATE", "ALTER", "DROP", "COMMENT", "DESCRIBE")
            and s != STATS_DDL and not s.startswith("DESCRIBE __w")]


def test_a_second_partition_of_a_view_step_runs_no_ddl(tmp_path: Path) -> None:
    conn = RecordingConnection(duckdb.connect(str(tmp_path / "w.duckdb")))
    for partition in ("x", "y"):
        write_step_output(conn, "p", "raw", partition, rows(["a", "b"]), None, {})
        conn.statements.clear()
        write_step_output(conn, "p", "s", partition, rows(["a"]), dropped(rows(["b"], 2)), {}, view_of="raw")
    assert ddl(conn.statements) == [], conn.statements  # the statements of partition y's write
    assert read_partition(conn.conn, "p", "s", "y").column("text").to_pylist() == ["a"]


def test_the_first_write_creates_the_tables_and_the_view(tmp_path: Path) -> None:
    conn = RecordingConnection(duckdb.connect(str(tmp_path / "w.duckdb")))
    write_step_output(conn, "p", "raw", "x", rows(["a", "b"]), None, {})
    conn.statements.clear()
    write_step_output(conn, "p", "s", "x", rows(["a"]), dropped(rows(["b"], 2)), {}, view_of="raw")
    kinds = [" ".join(s.split()[:3]) for s in ddl(conn.statements)]
    assert kinds == ["CREATE TABLE IF", *["CREATE OR REPLACE", "COMMENT ON VIEW"] * 2]  # the step, its __dropped


def test_a_view_over_another_upstream_is_redefined(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "x", rows(["a", "b", "c"]), None, {})
    write_step_output(conn, "p", "other", "x", rows(["A", "B", "C"]), None, {})
    write_step_output(conn, "p", "s", "x", rows(["a", "c"]), dropped(rows(["b"], 2)), {}, view_of="raw")
    write_step_output(conn, "p", "s", "x", rows(["A", "C"]), dropped(rows(["B"], 2)), {}, view_of="other")
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["A", "C"]


def test_a_view_defined_by_someone_else_is_replaced(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "x", rows(["a", "b"]), None, {})
    write_step_output(conn, "p", "s", "x", rows(["a"]), dropped(rows(["b"], 2)), {}, view_of="raw")
    conn.execute('CREATE OR REPLACE VIEW p.s AS SELECT * FROM p.raw WHERE false')  # no fingerprint
    write_step_output(conn, "p", "s", "x", rows(["a"]), dropped(rows(["b"], 2)), {}, view_of="raw")
    assert read_partition(conn, "p", "s", "x").column("text").to_pylist() == ["a"]


def test_a_patch_view_takes_a_new_changed_column(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "x", rows(["a  b", "c"], lang=["?", "?"]), None, {})
    changes = rows(["a b"])
    write_step_output(conn, "p", "s", "x", rows(["a b", "c"], lang=["?", "?"]), None, {}, patch_of="raw",
                      changes=changes)
    both = rows(["a b"], lang=["en"])  # the refiner now also rewrites ``lang``
    write_step_output(conn, "p", "s", "x", rows(["a b", "c"], lang=["en", "?"]), None, {}, patch_of="raw",
                      changes=both)
    table = read_partition(conn, "p", "s", "x")
    assert table.column("text").to_pylist() == ["a b", "c"]
    assert table.column("lang").to_pylist() == ["en", "?"]


def test_the_catalog_reads_tables_columns_and_views_of_one_schema(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("CREATE SCHEMA p; CREATE SCHEMA q; CREATE TABLE p.t (a INTEGER, b VARCHAR); "
                 "CREATE TABLE q.u (c INTEGER); CREATE VIEW p.v AS SELECT a FROM p.t")
    catalog = SchemaCatalog(conn, "p")
    assert catalog.has_schema and not SchemaCatalog(conn, "none").has_schema
    assert catalog.columns("t") == {"a": "INTEGER", "b": "VARCHAR"} and list(catalog.columns("t")) == ["a", "b"]
    assert catalog.kind("t") == "BASE TABLE" and catalog.kind("v") == "VIEW" and catalog.kind("u") is None
    assert catalog.columns("v") is None and not catalog.has_view("v", "SELECT a FROM p.t")  # no fingerprint
