"""Read-only connections with a time and a row limit: SQLite and DuckDB behind one small interface.

SQLite: opened as ``file:<path>?mode=ro`` (the file cannot be written through it), ``PRAGMA query_only``, no
attached databases (``SQLITE_LIMIT_ATTACHED`` = 0) and an authorizer that allows only reading (SELECT, READ,
FUNCTION, RECURSIVE): any write, DDL, PRAGMA, ATTACH or transaction action is refused while the statement is
compiled. A progress handler stops a statement at its deadline. DuckDB: ``read_only=True`` with external access
off (no file reads or writes, no extension loading) and the configuration locked; a timer interrupts a statement
at its deadline. Both fetch at most ``max_rows + 1`` rows, so a huge result is cut, never materialized.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb

from operators.services.sql import ExecResult

PROGRESS_STEPS = 20_000  # SQLite VM instructions between deadline checks (well under a millisecond)
SQLITE_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                  getattr(sqlite3, "SQLITE_RECURSIVE", 33)}


@dataclass(frozen=True)
class Limits:
    """Per-statement limits."""

    timeout_s: float = 5.0
    max_rows: int = 10_000


class Connection(Protocol):
    """A read-only connection to one execution database."""

    def run(self, sql: str, limits: Limits) -> ExecResult:
        """Run one checked statement within the limits."""
        ...

    def plan(self, sql: str, limits: Limits) -> str | None:
        """None when the statement compiles and plans, else the reason."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def _read_only_authorizer(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in SQLITE_ALLOWED else sqlite3.SQLITE_DENY


def sqlite_reason(exc: BaseException) -> str:
    """A dropped row's reason for a SQLite error."""
    message = str(exc).strip() or type(exc).__name__
    lowered = message.lower()
    if "interrupted" in lowered:
        return "timeout"
    if any(word in lowered for word in ("not authorized", "authorization denied", "readonly", "read-only")):
        return "not_read_only: refused by the database"
    if "one statement at a time" in lowered:
        return "multiple_statements"
    if "syntax error" in lowered or "unrecognized token" in lowered or "incomplete input" in lowered:
        return f"syntax_error: {message}"
    return f"execution_error: {message}"


class SQLiteConnection:
    """A read-only SQLite connection (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA query_only = ON")
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        self.conn.set_authorizer(_read_only_authorizer)
        self.deadline = 0.0
        self.conn.set_progress_handler(self._past_deadline, PROGRESS_STEPS)

    def _past_deadline(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0

    def run(self, sql: str, limits: Limits) -> ExecResult:
        """Run one statement, fetching at most ``max_rows + 1`` rows before the deadline."""
        started = time.monotonic()
        self.deadline = started + limits.timeout_s
        cursor = None
        try:
            cursor = self.conn.execute(sql)
            rows = cursor.fetchmany(limits.max_rows + 1)
            columns = tuple(d[0] for d in cursor.description or ())
        except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError) as exc:
            return ExecResult(reason=sqlite_reason(exc), seconds=time.monotonic() - started)
        finally:
            if cursor is not None:
                cursor.close()
        truncated = len(rows) > limits.max_rows
        return ExecResult(tuple(rows[: limits.max_rows]), columns, None, False, truncated, time.monotonic() - started)

    def plan(self, sql: str, limits: Limits) -> str | None:
        """Compile and plan the statement (``EXPLAIN QUERY PLAN``) without running it."""
        self.deadline = time.monotonic() + limits.timeout_s
        try:
            self.conn.execute(f"EXPLAIN QUERY PLAN {sql}").close()
        except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError) as exc:
            return sqlite_reason(exc)
        return None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def duckdb_reason(exc: BaseException) -> str:
    """A dropped row's reason for a DuckDB error."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, duckdb.InterruptException) or "interrupted" in message.lower():
        return "timeout"
    if isinstance(exc, duckdb.ParserException):
        return f"syntax_error: {message}"
    if "read-only" in message.lower() or "read only" in message.lower():
        return f"not_read_only: refused by the database ({message})"
    return f"execution_error: {message}"


class DuckDBConnection:
    """A read-only DuckDB connection with external access off (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.conn = duckdb.connect(str(path), read_only=True, config={
            "enable_external_access": False, "autoload_known_extensions": False,
            "autoinstall_known_extensions": False, "lock_configuration": True, "threads": 1})

    def _timed(self, sql: str, limits: Limits, fetch: bool) -> tuple[Any, ...]:
        timer = threading.Timer(limits.timeout_s, self.conn.interrupt)
        timer.start()
        try:
            cursor = self.conn.execute(sql)
            if not fetch:
                return ()
            rows = cursor.fetchmany(limits.max_rows + 1)
            return rows, tuple(d[0] for d in cursor.description or ())
        finally:
            timer.cancel()

    def run(self, sql: str, limits: Limits) -> ExecResult:
        """Run one statement, fetching at most ``max_rows + 1`` rows before the deadline."""
        started = time.monotonic()
        try:
            rows, columns = self._timed(sql, limits, fetch=True)
        except (duckdb.Error, OverflowError, ValueError) as exc:
            return ExecResult(reason=duckdb_reason(exc), seconds=time.monotonic() - started)
        truncated = len(rows) > limits.max_rows
        return ExecResult(tuple(tuple(r) for r in rows[: limits.max_rows]), columns, None, False, truncated,
                          time.monotonic() - started)

    def plan(self, sql: str, limits: Limits) -> str | None:
        """Bind and plan the statement (``EXPLAIN``) without running it."""
        try:
            self._timed(f"EXPLAIN {sql}", limits, fetch=False)
        except (duckdb.Error, OverflowError, ValueError) as exc:
            return duckdb_reason(exc)
        return None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def open_connection(path: Path, engine: str) -> Connection:
    """A read-only connection to a catalog database."""
    return DuckDBConnection(path) if engine == "DuckDB" else SQLiteConnection(path)
