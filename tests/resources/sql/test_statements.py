"""The statement check: one read-only statement per string, judged on sqlglot's tokens, and its shortcut (strings
that cannot hold a write or a second statement skip the tokenizer) giving the same verdicts."""

from __future__ import annotations

import pytest

from benchmarks.sql_corpus import rows
from resources.sql.statements import check_statement, check_tokens
from tests.operators.sql.test_component_classifier import TABLE

CASES = [
    ("SELECT 1", None), ("select 1;", None), ("  WITH a AS (SELECT 1) SELECT * FROM a", None),
    ("(SELECT 1) UNION SELECT 2", None), ("VALUES (1), (2)", None),
    ("SELECT 'DROP TABLE books; --' FROM books", None),  # a write inside a literal is text
    ('SELECT "update" FROM t', None),  # a quoted name
    ("SELECT replace(title, 'a', 'b') FROM books", None),  # replace() is a function
    ("SELECT 1 -- ; DELETE FROM books", None),  # a comment
    ("DELETE FROM books", "not_read_only: DELETE"), ("delete from books", "not_read_only: DELETE"),
    ("INSERT INTO t VALUES (1)", "not_read_only: INSERT"), ("REPLACE INTO t VALUES (1)", "not_read_only: REPLACE"),
    ("WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x", "not_read_only: UPDATE"),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "not_read_only: INSERT"),
    ("SELECT 1; SELECT 2", "multiple_statements"), ("SELECT ';'; DROP TABLE t", "multiple_statements"),
    ("PRAGMA table_info(books)", "not_read_only: PRAGMA"), ("VACUUM", "not_read_only: VACUUM"),
    ("ATTACH 'x.db' AS x", "not_read_only: ATTACH"), ("DETACH x", "not_read_only: DETACH"),
    ("CREATE TABLE t (a)", "not_read_only: CREATE"), ("ALTER TABLE t ADD b", "not_read_only: ALTER"),
    ("BEGIN", "not_read_only: BEGIN"), ("EXPLAIN SELECT 1", "not_read_only: EXPLAIN"),
    ("", "syntax_error: empty statement"), (" ;; ", "syntax_error: empty statement"),
    ("books WHERE 1", 'syntax_error: near "books": not the start of a statement'),
]


@pytest.mark.parametrize(("sql", "reason"), CASES)
def test_statement_verdicts(sql: str, reason: str | None) -> None:
    assert check_statement(sql).reason == reason
    assert check_tokens(sql).reason == reason


def test_unterminated_literal_is_a_syntax_error() -> None:
    assert (check_tokens("SELECT 'abc").reason or "").startswith("syntax_error: ")


def test_top_level_order_is_found_and_nested_order_is_not() -> None:
    assert check_statement("SELECT a FROM t ORDER BY a").ordered
    assert check_statement("SELECT 1 UNION SELECT 2 ORDER BY 1").ordered
    assert not check_statement("SELECT a FROM (SELECT a FROM t ORDER BY a)").ordered
    assert not check_statement("SELECT a, rank() OVER (ORDER BY a) FROM t").ordered
    assert not check_statement("SELECT a FROM t ORDER BY a", need_order=False).ordered  # not asked: not looked for


def test_the_shortcut_agrees_with_the_tokens_on_real_statements() -> None:
    statements = [sql for _, sql, _ in TABLE] + [r["SQL"] for r in rows(3000, seed=7)] + [sql for sql, _ in CASES]
    for sql in statements:
        for need_order in (False, True):
            fast, slow = check_statement(sql, need_order=need_order), check_tokens(sql)
            assert fast.reason == slow.reason, sql
            if need_order and fast.reason is None:
                assert fast.ordered == slow.ordered, sql
