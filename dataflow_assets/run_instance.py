"""The Dagster instance ``dataflow run`` materializes in: Dagster's ephemeral instance, on held connections.

Dagster's ephemeral instance keeps runs and events in in-memory SQLite databases, but opens a new connection for
every query (and sets two pragmas on it): ~170 event writes and ~200 lookups in a run of a 26-asset job. These
storages open one more connection to each database when they are made and run every query on it, one query at
a time, each in its own transaction as before. Everything else (tables, queries, the instance) is Dagster's own,
pinned with ``dagster``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy
from dagster import DagsterInstance
from dagster._core.instance.types import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import StaticPool


class _HeldConnection:
    """One connection to a storage's in-memory database, usable from any thread, one caller at a time."""

    def __init__(self, engine: Engine) -> None:
        # Dagster's engine makes connections bound to the thread that opened them; this one is not (SQLite is
        # built serialized, and the lock keeps to one caller at a time)
        self.engine = sqlalchemy.create_engine(engine.url, poolclass=StaticPool,
                                               connect_args={"check_same_thread": False})
        self.conn = self.engine.connect()
        self.conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # as Dagster sets it per query
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """The connection in a transaction (a caller already inside one, on this thread, shares it)."""
        with self.lock:
            if self.conn.in_transaction():
                yield self.conn
            else:
                with self.conn.begin():
                    yield self.conn

    def has_table(self, name: str) -> bool:
        """Whether the database has table ``name``."""
        with self.lock:
            return bool(self.engine.dialect.has_table(self.conn, name))

    def close(self) -> None:
        """Close the connection and its engine."""
        self.conn.close()
        self.engine.dispose()


class HeldConnectionEventLogStorage(InMemoryEventLogStorage):
    """Dagster's in-memory event log, every query on one held connection."""

    def __init__(self) -> None:
        super().__init__()
        self._held = _HeldConnection(self._engine)

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._held.transaction() as conn:
            yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the event log database has the table."""
        return self._held.has_table(table_name)

    def dispose(self) -> None:
        """Close the held connection, then Dagster's."""
        self._held.close()
        super().dispose()


class HeldConnectionRunStorage(InMemoryRunStorage):
    """Dagster's in-memory run storage, every query on one held connection."""

    def __init__(self) -> None:
        super().__init__()
        self._held = _HeldConnection(self._engine)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._held.transaction() as conn:
            yield conn

    def dispose(self) -> None:
        """Close the held connection, then Dagster's."""
        self._held.close()
        super().dispose()


def run_instance() -> DagsterInstance:
    """A new in-memory instance, as ``DagsterInstance.ephemeral()`` builds it, with held-connection storages."""
    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=HeldConnectionRunStorage(),
        event_storage=HeldConnectionEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
