"""The LLM response cache: SQLite in WAL mode, keyed by a hash of everything that determines an answer.

Why SQLite and not the DuckDB warehouse: several runs (one process each) generate at the same time and every
one of them writes answers as they arrive. DuckDB allows one writer process per file, and holding the warehouse
during an LLM call would serialise the whole project. SQLite in WAL mode lets many processes read while one
writes, each write is a short transaction, and a busy timeout makes concurrent writers wait instead of fail.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created_at REAL NOT NULL
)"""


def cache_key(parts: Mapping[str, Any]) -> str:
    """A stable hash of the request parts (backend, model, messages, sampling, schema, sample index, attempt)."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedResponse:
    """A stored answer and its token usage."""

    text: str
    prompt_tokens: int
    completion_tokens: int


class ResponseCache:
    """A process-safe response store; one connection per thread, short write transactions."""

    def __init__(self, path: str | Path, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        with self._connection() as conn:
            conn.execute(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        """The stored answers among ``keys``."""
        keys = list(keys)
        found: dict[str, CachedResponse] = {}
        conn = self._connection()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT key, text, prompt_tokens, completion_tokens FROM responses WHERE key IN ({marks})", chunk
            ).fetchall()
            found.update({key: CachedResponse(text, pt, ct) for key, text, pt, ct in rows})
        return found

    def put(self, key: str, model: str, response: CachedResponse) -> None:
        """Store one answer (a concurrent writer of the same key wins harmlessly: answers are equivalent)."""
        self._write([(key, model, response)])

    def put_many(self, items: Iterable[tuple[str, str, CachedResponse]]) -> None:
        """Store several answers in one transaction."""
        self._write(list(items))

    def _write(self, items: list[tuple[str, str, CachedResponse]]) -> None:
        if not items:
            return
        now = time.time()
        rows = [(key, model, r.text, r.prompt_tokens, r.completion_tokens, now) for key, model, r in items]
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        return self._connection().execute("SELECT count(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
