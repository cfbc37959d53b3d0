"""Which strings may reach a database: exactly one read-only statement, judged from sqlglot's tokens.

A string is split into statements on ``;`` tokens (a ``;`` inside a string literal, quoted name or comment is
not a separator); more than one non-empty statement is ``multiple_statements``. A statement is read-only when it
starts as a query (``SELECT``, ``WITH``, ``VALUES`` or a parenthesis) and no token anywhere in it is a write or
an engine command (``INSERT``, ``UPDATE``, ``DELETE``, ``DROP``, ``CREATE``, ``ALTER``, ``ATTACH``, ``PRAGMA``,
``VACUUM``, ``COPY``…), so a write hidden in a CTE is caught; otherwise it is ``not_read_only: <KIND>``. This is
the first of three guards: connections are also read-only and SQLite's authorizer refuses any write action.
Syntax errors are the engine's to report (its own parser is the authority), so this module never parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

QUERY_STARTS = {TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.L_PAREN}
WRITE_NAMES = ("INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "ATTACH", "DETACH", "PRAGMA", "COMMAND",
               "MERGE", "TRUNCATE", "COPY", "ANALYZE", "BEGIN", "COMMIT", "ROLLBACK", "REPLACE", "SET", "USE",
               "INSTALL", "LOAD", "EXPORT", "GRANT", "REVOKE", "CACHE", "UNCACHE", "REFRESH", "DECLARE")
WRITES = {getattr(TokenType, name) for name in WRITE_NAMES if hasattr(TokenType, name)}
NOT_KEYWORDS = {TokenType.VAR, TokenType.IDENTIFIER, TokenType.NUMBER, TokenType.STRING, TokenType.R_PAREN,
                TokenType.COMMA, TokenType.DOT, TokenType.STAR}
FUNCTION_NAMES = {TokenType.REPLACE}  # also a scalar function: a write only when not followed by "("


@dataclass(frozen=True)
class StatementCheck:
    """The verdict on one string: ``reason`` None when it may run; ``ordered`` when it has a top-level ORDER BY."""

    reason: str | None
    ordered: bool = False
    sql: str = ""  # the single statement, without a trailing ";"


@lru_cache(maxsize=4)
def _tokenizer(dialect: str) -> object:
    return Dialect.get_or_raise(dialect).tokenizer_class()


def _kind(token: Token) -> str:
    return token.text.split()[0].upper() if token.text.strip() else token.token_type.name


def _write_in(tokens: list[Token]) -> str | None:
    for index, token in enumerate(tokens):
        if token.token_type in WRITES:
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if token.token_type in FUNCTION_NAMES and following is not None and (
                    following.token_type == TokenType.L_PAREN):
                continue
            return _kind(token)
    return None


def _top_level_order(tokens: list[Token]) -> bool:
    depth = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and token.token_type == TokenType.ORDER_BY:
            return True
    return False


@lru_cache(maxsize=4)
def _write_words(dialect: str) -> frozenset[str]:
    tokenizer = _tokenizer(dialect)
    return frozenset(word.lower() for key, kind in tokenizer.KEYWORDS.items()  # type: ignore[attr-defined]
                     if kind in WRITES for word in key.split())


QUERY_PREFIX = re.compile(r"\s*(?:(?:select|with|values)\b|\()")
WORD = re.compile(r"[a-z_]+")


def check_statement(sql: str, dialect: str = "sqlite", need_order: bool = True) -> StatementCheck:
    """Whether ``sql`` is exactly one read-only statement (see the module docstring).

    A string that starts as a query and contains no ``;`` and none of the words the tokenizer maps to a write or
    command token cannot tokenize to anything else, so it is passed without tokenizing (unless ``need_order``
    and it mentions ORDER); every other string is judged on its tokens.
    """
    if isinstance(sql, str) and ";" not in sql:
        lowered = sql.lower()
        if (QUERY_PREFIX.match(lowered) and not (need_order and "order" in lowered)
                and _write_words(dialect).isdisjoint(WORD.findall(lowered))):
            return StatementCheck(None, False, sql)
    return check_tokens(sql, dialect)


def check_tokens(sql: str, dialect: str = "sqlite") -> StatementCheck:
    """``check_statement`` from sqlglot's tokens, always."""
    if not isinstance(sql, str) or not sql.strip():
        return StatementCheck("syntax_error: empty statement")
    try:
        tokens = _tokenizer(dialect).tokenize(sql)  # type: ignore[attr-defined]
    except TokenError as exc:
        return StatementCheck(f"syntax_error: {str(exc).splitlines()[0][:200]}")
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    statements = [s for s in statements if s]
    if not statements:
        return StatementCheck("syntax_error: empty statement")
    if len(statements) > 1:
        return StatementCheck("multiple_statements")
    body = statements[0]
    if body[0].token_type in NOT_KEYWORDS:
        return StatementCheck(f'syntax_error: near "{body[0].text}": not the start of a statement')
    if body[0].token_type not in QUERY_STARTS:
        return StatementCheck(f"not_read_only: {_kind(body[0])}")
    write = _write_in(body)
    if write is not None:
        return StatementCheck(f"not_read_only: {write}")
    end = body[-1].end + 1
    return StatementCheck(None, _top_level_order(body), sql[:end])
