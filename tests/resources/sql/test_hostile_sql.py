"""Hostile SQL is harmless: each statement is dropped with its reason, the database stays byte-identical, no file
appears beside it, and the step ends within its limits. Run on a copy of a shipped database."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pytest

from operators.base import REASON_COLUMN, OperatorContext
from operators.sql.filters import OVER_ROW_LIMIT, SQLExecutabilityFilter, SQLExecutionFilter
from resources.sql import SQLDatabaseResource
from resources.sql.engines import Limits, SQLiteConnection
from tests.conftest import REPO

SHIPPED = REPO / "data" / "databases" / "bookstore" / "bookstore.sqlite"
TIMEOUT_S = 1.0
NEVER_ENDS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
HUGE = "SELECT * FROM order_items AS a CROSS JOIN order_items AS b CROSS JOIN books AS c"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "databases"
    (root / "bookstore").mkdir(parents=True)
    shutil.copyfile(SHIPPED, root / "bookstore" / "bookstore.sqlite")
    return root


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def cases(root: Path) -> list[tuple[str, str, str | None, str | None]]:
    """(db_id, SQL, executability reason, execution reason); a reason ending in ": " is a prefix."""
    outside = root.parent
    return [
        ("bookstore", "DROP TABLE books", "not_read_only: DROP", "not_read_only: DROP"),
        ("bookstore", "DELETE FROM reviews WHERE rating < 3", "not_read_only: DELETE", "not_read_only: DELETE"),
        ("bookstore", "UPDATE books SET price = 0", "not_read_only: UPDATE", "not_read_only: UPDATE"),
        ("bookstore", "INSERT INTO publishers (name) VALUES ('Evil')", "not_read_only: INSERT",
         "not_read_only: INSERT"),
        ("bookstore", f"ATTACH DATABASE '{outside}/evil.db' AS evil", "not_read_only: ATTACH",
         "not_read_only: ATTACH"),
        ("bookstore", "PRAGMA writable_schema = ON", "not_read_only: PRAGMA", "not_read_only: PRAGMA"),
        ("bookstore", f"VACUUM INTO '{outside}/stolen.db'", "not_read_only: VACUUM", "not_read_only: VACUUM"),
        ("bookstore", "WITH gone AS (DELETE FROM books RETURNING *) SELECT count(*) FROM gone",
         "not_read_only: DELETE", "not_read_only: DELETE"),
        ("bookstore", "SELECT 1; DROP TABLE books", "multiple_statements", "multiple_statements"),
        ("bookstore", NEVER_ENDS, None, "timeout"),
        ("bookstore", HUGE, None, OVER_ROW_LIMIT),
        ("bookstore", "SELEC title FORM books", "syntax_error: ", "syntax_error: "),
        ("bookstore", "SELECT title FROM books WHERE", "syntax_error: ", "syntax_error: "),
        ("bookstore", "SELECT nope FROM books", "execution_error: no such column: nope",
         "execution_error: no such column: nope"),
        ("atlantis", "SELECT 1", "unknown_db_id", "unknown_db_id"),
        ("../bookstore", "SELECT 1", "unknown_db_id", "unknown_db_id"),
        ("bookstore/../bookstore", "SELECT 1", "unknown_db_id", "unknown_db_id"),
        (str(root / "bookstore"), "SELECT 1", "unknown_db_id", "unknown_db_id"),
        (str(root / "bookstore" / "bookstore.sqlite"), "SELECT 1", "unknown_db_id", "unknown_db_id"),
        ("bookstore", "SELECT title FROM books WHERE price > 55 ORDER BY price DESC", None, None),
        ("bookstore", "SELECT genre, count(*) FROM books GROUP BY genre;", None, None),
    ]


def judged(op: SQLExecutabilityFilter | SQLExecutionFilter, rows: list[tuple[str, str, str | None, str | None]],
           resource: SQLDatabaseResource) -> tuple[list[str | None], float]:
    table = pa.table({"id": list(range(len(rows))), "db_id": [r[0] for r in rows], "SQL": [r[1] for r in rows]})
    started = time.perf_counter()
    result = op.run(table, OperatorContext(sql=resource.session()))
    elapsed = time.perf_counter() - started
    found: list[str | None] = [None] * len(rows)
    for row_id, reason in zip(result.dropped["id"].to_pylist(), result.dropped[REASON_COLUMN].to_pylist(),
                              strict=True):
        found[row_id] = reason
    assert result.table["id"].to_pylist() == [i for i, r in enumerate(found) if r is None]
    return found, elapsed


def matches(found: str | None, expected: str | None) -> bool:
    if expected is None or found is None:
        return found == expected
    return found.startswith(expected) if expected.endswith(": ") else found == expected


@pytest.mark.parametrize("op_class", [SQLExecutabilityFilter, SQLExecutionFilter])
def test_hostile_statements_are_dropped_and_the_database_is_untouched(catalog: Path, op_class: type) -> None:
    before, listing = digest(catalog / "bookstore" / "bookstore.sqlite"), files_under(catalog.parent)
    rows = cases(catalog)
    resource = SQLDatabaseResource(root=str(catalog), timeout_s=TIMEOUT_S, max_rows=1000, workers=2)
    found, elapsed = judged(op_class(), rows, resource)
    column = 2 if op_class is SQLExecutabilityFilter else 3
    wrong = [(row[1], got, row[column]) for row, got in zip(rows, found, strict=True) if not matches(got, row[column])]
    assert not wrong
    assert elapsed < TIMEOUT_S + 4.0  # one statement may use its whole time limit; the rest are quick
    assert digest(catalog / "bookstore" / "bookstore.sqlite") == before
    assert files_under(catalog.parent) == listing  # no attached, vacuumed-into or journal file appeared


@pytest.mark.parametrize("statement", [
    "DELETE FROM books", "DROP TABLE reviews", "UPDATE books SET price = 0", "CREATE TEMP TABLE t (x)",
    "ATTACH DATABASE 'evil.db' AS evil", "PRAGMA query_only = OFF", "PRAGMA writable_schema = ON",
    "VACUUM INTO 'stolen.db'", "BEGIN IMMEDIATE", "INSERT INTO publishers (name) VALUES ('x') RETURNING *",
])
def test_the_connection_refuses_writes_even_without_the_statement_check(catalog: Path, statement: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(catalog.parent)  # relative file names would land here
    path = catalog / "bookstore" / "bookstore.sqlite"
    before, listing = digest(path), files_under(catalog.parent)
    conn = SQLiteConnection(path)
    try:
        result = conn.run(statement, Limits(TIMEOUT_S, 10))
    finally:
        conn.close()
    assert result.reason is not None and result.reason.startswith("not_read_only: refused by the database")
    assert digest(path) == before and files_under(catalog.parent) == listing


def test_limits_stop_a_runaway_statement_and_cut_a_huge_result(catalog: Path) -> None:
    conn = SQLiteConnection(catalog / "bookstore" / "bookstore.sqlite")
    try:
        started = time.perf_counter()
        assert conn.run(NEVER_ENDS, Limits(0.5, 10)).reason == "timeout"
        assert time.perf_counter() - started < 1.5
        cut = conn.run(HUGE, Limits(5.0, 250))
        assert cut.ok and cut.truncated and len(cut.rows) == 250
        whole = conn.run("SELECT publisher_id FROM publishers", Limits(5.0, 30))
        assert whole.ok and not whole.truncated and len(whole.rows) == 30  # exactly the limit: not cut
    finally:
        conn.close()
