"""Warehouse work of one Dagster op, in order, on one thread: writes overlap the op's next compute.

A pipeline segment runs its steps one after another in one op. Each step hands its DuckDB write (and any read
that must see earlier writes) to a ``WarehouseWriter`` and goes on computing the next step while DuckDB (C++,
GIL released) writes. Jobs run strictly in submission order on one connection, so each write is still its own
transaction, committed before the next starts; once a job fails, every later job is refused, so a write never
lands on top of a failed one. The connection is kept between jobs that come in quick succession and closed
after ``idle_seconds`` without work, so a long step (an LLM call, a large dedup) never holds the DuckDB file,
which other processes (other runs, ``dataflow show``) must be able to open. A commit runs DuckDB's checkpoint
instead of writing its rows to the write-ahead log once the log plus DuckDB's estimate of the write passes
``DATAFLOW_DUCKDB_CHECKPOINT`` (default 1MB): its rows are compressed and written to the database file once, not
logged and then checkpointed. DuckDB estimates a write at 16 bytes a value, whatever a string's length, so at its
own default (16MB) a write of text rows had to reach about a million values (150k rows of 7 columns, 1 GB of
text) before it skipped the log; at 1MB a write of about 65k values (10k such rows) does, and smaller writes are
logged and checkpointed with a later commit, a few milliseconds each. A write of few long strings is still
logged, so when no job waits and the log holds ``DATAFLOW_DUCKDB_IDLE_CHECKPOINT`` bytes (default 8 MiB), the
writer checkpoints at once: on this thread, while the op's next steps compute, not inside the next commit that
the op's report waits for.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

from resources.warehouse.connection import connect

if TYPE_CHECKING:  # the storage engine needs no Dagster: the resource is only a type here
    from dagster_duckdb import DuckDBResource

T = TypeVar("T")
Job = Callable[[duckdb.DuckDBPyConnection], object]
IDLE_SECONDS = float(os.environ.get("DATAFLOW_DUCKDB_IDLE_SECONDS", "0.5"))
# a writer with no job waiting checkpoints once the log holds this many bytes (0: never)
IDLE_CHECKPOINT_BYTES = int(os.environ.get("DATAFLOW_DUCKDB_IDLE_CHECKPOINT", str(8 << 20)))
CHECKPOINT_WAL = os.environ.get("DATAFLOW_DUCKDB_CHECKPOINT", "1MB")  # log + estimated write size that checkpoints


class EarlierWriteFailedError(RuntimeError):
    """A warehouse job refused because a job submitted before it failed."""


class WarehouseWriter:
    """Runs warehouse jobs ``job(conn)`` one at a time, in submission order, off the caller's thread."""

    def __init__(self, resource: DuckDBResource, idle_seconds: float = IDLE_SECONDS, name: str = "warehouse") -> None:
        self.resource = resource
        self.idle_seconds = idle_seconds
        self.connections_opened = 0
        self.idle_checkpoints = self.idle_checkpoints_skipped = 0
        self._jobs: queue.Queue[tuple[Job, Future] | None] = queue.Queue()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name=f"{name}-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[duckdb.DuckDBPyConnection], T]) -> Future[T]:
        """Queue ``job``; its future holds what it returned or raised."""
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    def call(self, job: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``job`` after every job queued before it, and return its result."""
        return self.submit(job).result()

    def close(self) -> None:
        """Finish the queued jobs, close the connection and stop the thread."""
        self._jobs.put(None)
        self._thread.join()

    def __enter__(self) -> WarehouseWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _checkpoint_when_idle(self, conn: duckdb.DuckDBPyConnection) -> None:
        """With no job waiting, move a log of ``IDLE_CHECKPOINT_BYTES`` or more into the file now, while the op
        computes, rather than in the next commit, which the op's report waits for."""
        if not IDLE_CHECKPOINT_BYTES:
            return
        try:
            logged = Path(self.resource.database + ".wal").stat().st_size
        except (OSError, ValueError):  # an in-memory or remote database, or nothing logged
            return
        if logged >= IDLE_CHECKPOINT_BYTES:
            try:
                conn.execute("CHECKPOINT")
            except duckdb.Error:  # another connection's transaction is open: the next commit checkpoints instead
                self.idle_checkpoints_skipped += 1
            else:
                self.idle_checkpoints += 1

    def _serve(self) -> None:
        held = ExitStack()
        conn: duckdb.DuckDBPyConnection | None = None
        while True:
            try:
                item = self._jobs.get(timeout=self.idle_seconds if conn is not None else None)
            except queue.Empty:  # idle: let other processes open the file
                held.close()
                conn = None
                continue
            if item is None:
                break
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            if self._failure is not None:
                future.set_exception(EarlierWriteFailedError(f"not run: an earlier warehouse job failed "
                                                             f"({type(self._failure).__name__}: {self._failure})"))
                continue
            try:
                if conn is None:
                    conn = held.enter_context(connect(self.resource))
                    conn.execute("SET checkpoint_threshold = ?", [CHECKPOINT_WAL])
                    self.connections_opened += 1
                future.set_result(job(conn))
            except BaseException as error:  # noqa: BLE001 - handed to the submitter through the future
                self._failure = error
                future.set_exception(error)
                held.close()  # a failed transaction may leave the connection unusable
                conn = None
            if conn is not None and self._jobs.empty():  # not part of the job: its failure fails no job
                self._checkpoint_when_idle(conn)
        held.close()
