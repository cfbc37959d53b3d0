"""The two SQL filters on hand-written rows over the shipped databases: exact verdicts and reasons."""

from __future__ import annotations

import pyarrow as pa
import pytest

from operators.base import REASON_COLUMN, OperatorContext
from operators.sql.filters import OVER_ROW_LIMIT, SQLExecutabilityFilter, SQLExecutionFilter
from resources.sql import SQLDatabaseResource
from tests.conftest import REPO

ROWS = [  # db_id, SQL, executability verdict, execution verdict (None: kept)
    ("bookstore", "SELECT title FROM books WHERE genre = 'poetry'", None, None),
    ("clinic", "select count(*) from appointments where status = 'no-show';", None, None),
    ("university", "SELECT name FROM students", None, OVER_ROW_LIMIT),  # 800 rows, row limit 500
    ("transit", "SELECT name FROM drivers WHERE license_date > 5 +", "syntax_error: incomplete input",
     "syntax_error: incomplete input"),
    ("transit", "SELECT name FROM drivers JOIN nowhere", "execution_error: no such table: nowhere",
     "execution_error: no such table: nowhere"),
    ("bookstore", "SELECT abs(-9223372036854775807 - 1)", None, "execution_error: integer overflow"),
    ("bookstore", None, "syntax_error: empty statement", "syntax_error: empty statement"),
    (None, "SELECT 1", "unknown_db_id", "unknown_db_id"),
    ("bookstore", "EXPLAIN SELECT 1", "not_read_only: EXPLAIN", "not_read_only: EXPLAIN"),
    ("bookstore", "REPLACE INTO books (book_id) VALUES (1)", "not_read_only: REPLACE", "not_read_only: REPLACE"),
    ("bookstore", "SELECT replace(title, 'The ', '') FROM books WHERE book_id = 1", None, None),
]


@pytest.mark.parametrize(("op_class", "column"), [(SQLExecutabilityFilter, 2), (SQLExecutionFilter, 3)])
def test_filters_keep_working_sql_and_say_why_they_drop(op_class: type, column: int) -> None:
    table = pa.table({"id": list(range(len(ROWS))), "db_id": pa.array([r[0] for r in ROWS], pa.string()),
                      "SQL": pa.array([r[1] for r in ROWS], pa.string())})
    resource = SQLDatabaseResource(root=str(REPO / "data" / "databases"), max_rows=500)
    result = op_class().run(table, OperatorContext(sql=resource.session()))
    found = dict(zip(result.dropped["id"].to_pylist(), result.dropped[REASON_COLUMN].to_pylist(), strict=True))
    assert [found.get(i) for i in range(len(ROWS))] == [r[column] for r in ROWS]
    assert result.table["id"].to_pylist() == [i for i, r in enumerate(ROWS) if r[column] is None]
    assert result.metrics == {"sql_rows": len(ROWS), "sql_kept": result.kept}


def test_keeping_results_over_the_row_limit_is_a_setting() -> None:
    table = pa.table({"db_id": ["university"], "SQL": ["SELECT name FROM students"]})
    resource = SQLDatabaseResource(root=str(REPO / "data" / "databases"), max_rows=500)
    result = SQLExecutionFilter({"drop_over_row_limit": False}).run(table, OperatorContext(sql=resource.session()))
    assert result.kept == 1


def test_a_step_without_the_sql_resource_fails_clearly() -> None:
    with pytest.raises(RuntimeError, match="needs the execution databases"):
        SQLExecutabilityFilter().run(pa.table({"db_id": ["x"], "SQL": ["SELECT 1"]}), OperatorContext())
