"""``SQLSession``: one step's handle on the execution databases (``ctx.sql``), running batches in parallel.

A batch of ``(db_id, sql)`` pairs is cut into slices run on the resource's thread pool (SQLite and DuckDB release
the GIL while they compile and run a statement). Each slice opens its own read-only connections, one per database
it meets, and closes them when done, so no connection outlives a batch. Every pair is answered, in order: a
statement that is not exactly one read-only query, an unknown ``db_id``, an error or a timeout comes back as a
reason, never as an exception.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from operators.services.sql import DatabaseSchema, ExecResult
from resources.sql.catalog import DatabaseCatalog
from resources.sql.engines import Connection, Limits, open_connection
from resources.sql.schema import read_schema
from resources.sql.statements import check_statement

Answer = TypeVar("Answer")
SLICES_PER_WORKER = 4


@dataclass
class SQLSession:
    """The execution databases for one step: checks, runs, schemas, and the step's counters."""

    catalog: DatabaseCatalog
    limits: Limits
    pool: ThreadPoolExecutor | None
    workers: int
    sample_values: int = 3
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    _schemas: dict[str, DatabaseSchema] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def db_ids(self) -> list[str]:
        """The catalog's database ids, sorted."""
        return self.catalog.db_ids()

    def schema(self, db_id: str) -> DatabaseSchema:
        """The schema of one database, read once per session (``KeyError`` for an unknown id)."""
        with self._lock:
            if db_id in self._schemas:
                return self._schemas[db_id]
        entry = self.catalog.resolve(db_id)
        if entry is None:
            raise KeyError(f"unknown db_id {db_id!r} (catalog: {self.catalog.root})")
        found = read_schema(entry, self.sample_values)
        with self._lock:
            self._schemas[db_id] = found
        return found

    def check(self, pairs: Sequence[tuple[str, str]]) -> list[str | None]:
        """For each pair: None when it is one read-only statement whose plan succeeds, else the reason. Runs on
        the calling thread: planning is short and mostly GIL-bound work, and a second thread made it slower
        (`make bench-sql`: 42k rows/s on 2 threads, 69k on 1)."""
        def plan(conn: Connection, sql: str, ordered: bool) -> str | None:
            return conn.plan(sql, self.limits)
        return self._batch(pairs, plan, lambda reason: reason, need_order=False, parallel=False)

    def execute(self, pairs: Sequence[tuple[str, str]], need_order: bool = True,
                keep_rows: bool = True) -> list[ExecResult]:
        """Run each pair within the limits; ``need_order`` False skips finding whether the SQL orders, ``keep_rows``
        False answers without the rows (only whether it ran and was cut), which keeps a large batch small."""
        def run(conn: Connection, sql: str, ordered: bool) -> ExecResult:
            result = conn.run(sql, self.limits)
            if result.ok and (ordered or not keep_rows):
                return ExecResult(result.rows if keep_rows else (), result.columns, None, ordered, result.truncated,
                                  result.seconds)
            return result
        return self._batch(pairs, run, lambda reason: ExecResult(reason=reason), need_order)

    def _batch(self, pairs: Sequence[tuple[str, str]], work: Callable[[Connection, str, bool], Answer],
               refuse: Callable[[str], Answer], need_order: bool, parallel: bool = True) -> list[Answer]:
        started = time.perf_counter()
        pairs = list(pairs)
        size = max(1, -(-len(pairs) // (self.workers * SLICES_PER_WORKER)))
        slices = [pairs[i: i + size] for i in range(0, len(pairs), size)]

        def run_slice(part: list[tuple[str, str]]) -> list[Answer]:
            connections: dict[str, Connection] = {}
            answers: list[Answer] = []
            try:
                for db_id, sql in part:
                    answers.append(self._one(db_id, sql, work, refuse, need_order, connections))
            finally:
                for conn in connections.values():
                    conn.close()
            return answers

        if self.pool is None or len(slices) < 2 or not parallel:
            parts = [run_slice(part) for part in slices]
        else:
            parts = list(self.pool.map(run_slice, slices))
        answers = [answer for part in parts for answer in part]
        with self._lock:
            self.seconds += time.perf_counter() - started
            self.counts["statements"] += len(pairs)
        return answers

    def _one(self, db_id: str, sql: str, work: Callable[[Connection, str, bool], Answer],
             refuse: Callable[[str], Answer], need_order: bool, connections: dict[str, Connection]) -> Answer:
        entry = self.catalog.resolve(db_id)
        if entry is None:
            return self._refused(refuse, "unknown_db_id")
        verdict = check_statement(sql, "duckdb" if entry.engine == "DuckDB" else "sqlite", need_order)
        if verdict.reason is not None:
            return self._refused(refuse, verdict.reason)
        conn = connections.get(entry.db_id)
        if conn is None:
            try:
                conn = connections[entry.db_id] = open_connection(entry.path, entry.engine)
            except Exception as exc:  # a damaged or unreadable file: that row's reason, not the batch's end
                return self._refused(refuse, f"execution_error: cannot open database: {exc}")
        answer = work(conn, verdict.sql, verdict.ordered)
        reason = answer if isinstance(answer, str) else getattr(answer, "reason", None)
        if reason is not None:
            self._count(reason)
        return answer

    def _refused(self, refuse: Callable[[str], Answer], reason: str) -> Answer:
        self._count(reason)
        return refuse(reason)

    def _count(self, reason: str) -> None:
        with self._lock:
            self.counts[reason.split(":")[0]] += 1

    def metrics(self) -> dict[str, float | int | str]:
        """Counters for the step's metadata (``sql_statements``, ``sql_timeouts``, ``sql_per_s``…)."""
        with self._lock:
            total = self.counts["statements"]
            found: dict[str, float | int | str] = {f"sql_{name}": count for name, count in sorted(self.counts.items())}
            found["sql_seconds"] = round(self.seconds, 3)
            found["sql_per_s"] = round(total / self.seconds, 1) if self.seconds else 0.0
        return found
