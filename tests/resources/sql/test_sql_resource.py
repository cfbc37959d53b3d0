"""The execution-database resource on real files: catalog, schema introspection, result comparison, DuckDB,
parallel batches and a database added while the resource lives."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from operators.services.sql import ExecResult, same_result
from resources.sql import SQLDatabaseResource, sql_from_env
from tests.conftest import REPO

SHIPPED = REPO / "data" / "databases"


def test_the_shipped_catalog_and_its_schemas() -> None:
    session = SQLDatabaseResource(root=str(SHIPPED)).session()
    assert session.db_ids() == ["bookstore", "clinic", "transit", "university"]
    schema = session.schema("bookstore")
    assert schema.engine == "SQLite" and len(schema.create_statements) == 8
    assert [c.name for c in schema.tables["books"]][:3] == ["book_id", "title", "publisher_id"]
    assert schema.tables["books"][0].primary_key and len(schema.tables["books"][1].samples) == 3
    keys = {(k.table, k.column, k.ref_table, k.ref_column) for k in schema.foreign_keys}
    assert ("books", "publisher_id", "publishers", "publisher_id") in keys and len(keys) == 8
    text = schema.describe()
    assert "CREATE TABLE reviews" in text and "books.publisher_id -> publishers.publisher_id" in text
    assert "-- sample values of books" in text and "-- sample values" not in schema.describe(sample_values=False)
    with pytest.raises(KeyError, match="atlantis"):
        session.schema("atlantis")


def test_results_compare_as_multisets_unless_a_statement_orders() -> None:
    session = SQLDatabaseResource(root=str(SHIPPED)).session()
    a, b, c, d, e, f = session.execute([
        ("bookstore", "SELECT country FROM publishers"),
        ("bookstore", "SELECT country FROM (SELECT country FROM publishers ORDER BY country DESC)"),
        ("bookstore", "SELECT DISTINCT country FROM publishers"),
        ("bookstore", "SELECT name FROM publishers ORDER BY name"),
        ("bookstore", "SELECT name FROM publishers ORDER BY name DESC"),
        ("bookstore", "SELECT p.name FROM publishers AS p WHERE p.publisher_id > 0 ORDER BY p.name ASC"),
    ])
    assert not a.ordered and not b.ordered and d.ordered and e.ordered  # only a top-level ORDER BY orders
    assert a.rows != b.rows and same_result(a, b)  # other order, same multiset
    assert not same_result(a, c)  # duplicates count
    assert not same_result(d, e) and same_result(d, f)  # ordered results compare in order
    assert not same_result(ExecResult(reason="timeout"), ExecResult(reason="timeout"))
    assert same_result(ExecResult(rows=((1, 2.0),)), ExecResult(rows=((1.0, 2),)))  # 1 and 1.0 are one value


def test_duckdb_databases_are_read_only_sealed_and_time_limited(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    with duckdb.connect(str(tmp_path / "shop" / "shop.duckdb")) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR, price DECIMAL(8, 2))")
        conn.execute("CREATE TABLE sales (item_id INTEGER REFERENCES items(id), qty INTEGER)")
        conn.execute("INSERT INTO items VALUES (1, 'lamp', 19.99), (2, 'desk', 120.00)")
        conn.execute("INSERT INTO sales VALUES (1, 3), (2, 1), (1, 2)")
    resource = SQLDatabaseResource(root=str(tmp_path), timeout_s=0.5)
    session = resource.session()
    assert session.db_ids() == ["shop"]
    schema = session.schema("shop")
    assert schema.engine == "DuckDB" and [k.ref_table for k in schema.foreign_keys] == ["items"]
    ok, write, union, external, slow = session.execute([
        ("shop", "SELECT name, sum(qty) FROM items JOIN sales ON id = item_id GROUP BY name ORDER BY name"),
        ("shop", "DELETE FROM sales"),
        ("shop", "SELECT * FROM items WHERE id IN (SELECT 1) UNION ALL SELECT 1, 'x', 1 FROM items"),
        ("shop", "SELECT * FROM read_csv('/etc/passwd')"),
        ("shop", "SELECT count(*) FROM range(100000000) AS a, range(100000) AS b WHERE a.range + b.range < 0"),
    ])
    assert ok.rows == (("desk", 1), ("lamp", 5)) and ok.ordered
    assert write.reason == "not_read_only: DELETE" and union.ok and len(union.rows) == 3
    assert external.reason is not None and external.reason.startswith("execution_error: ")
    assert "external access" in external.reason.lower() or "disabled" in external.reason.lower()
    assert slow.reason == "timeout"
    connection_check = resource.session().check([("shop", "SELECT nope FROM items")])
    assert connection_check[0] is not None and connection_check[0].startswith("execution_error: ")


def test_parallel_batches_answer_in_order_and_match_a_single_thread() -> None:
    pairs = [(db, f"SELECT count(*) + {i} FROM {table}") for i in range(200)
             for db, table in (("bookstore", "books"), ("clinic", "patients"), ("transit", "trips"))]
    pairs.insert(17, ("atlantis", "SELECT 1"))
    one = SQLDatabaseResource(root=str(SHIPPED), workers=1).session().execute(pairs)
    two = SQLDatabaseResource(root=str(SHIPPED), workers=2).session()
    answers = two.execute(pairs)
    assert [(r.reason, r.rows) for r in answers] == [(r.reason, r.rows) for r in one]
    assert one[17].reason == "unknown_db_id" and one[0].rows == ((500,),) and one[-1].rows == ((3000 + 199,),)
    metrics = two.metrics()
    assert metrics["sql_statements"] == len(pairs) and metrics["sql_unknown_db_id"] == 1


def test_a_database_added_later_is_found_by_the_next_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAFLOW_SQL_DATABASES", str(tmp_path))
    resource = sql_from_env()
    assert resource.session().db_ids() == [] and resource.session().execute([("fresh", "SELECT 1")])[0].reason == (
        "unknown_db_id")
    (tmp_path / "fresh").mkdir()
    shutil.copyfile(SHIPPED / "clinic" / "clinic.sqlite", tmp_path / "fresh" / "fresh.sqlite")
    (tmp_path / "notes").mkdir()  # a folder without a database is not a db_id
    session = resource.session()
    assert session.db_ids() == ["fresh"]
    assert session.execute([("fresh", "SELECT count(*) FROM departments")])[0].rows == ((7,),)


def test_a_damaged_database_file_is_that_row_s_reason(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "broken.sqlite").write_bytes(b"this is not a database" * 100)
    result = SQLDatabaseResource(root=str(tmp_path)).session().execute([("broken", "SELECT 1 FROM t")])[0]
    assert result.reason is not None and result.reason.startswith("execution_error: ")


def test_ids_that_leave_the_catalog_are_unknown(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copyfile(SHIPPED / "clinic" / "clinic.sqlite", outside / "escape.sqlite")
    root = tmp_path / "databases"
    (root / "escape").mkdir(parents=True)
    (root / "escape" / "escape.sqlite").symlink_to(outside / "escape.sqlite")  # a link out of the root
    (root / "clinic").mkdir()
    shutil.copyfile(SHIPPED / "clinic" / "clinic.sqlite", root / "clinic" / "clinic.sqlite")
    (root / "alias").mkdir()
    (root / "alias" / "alias.sqlite").symlink_to(root / "clinic" / "clinic.sqlite")  # a link within the root: fine
    catalog = SQLDatabaseResource(root=str(root)).catalog()
    assert catalog.resolve("escape") is None and catalog.resolve("..") is None and catalog.resolve("/etc") is None
    assert catalog.db_ids() == ["alias", "clinic"]
