"""The Dagster instance ``dataflow run`` materializes in: Dagster's ephemeral instance, on held connections.

Dagster's ephemeral instance keeps runs and events in in-memory SQLite databases, but opens a new connection for
every query (and sets two pragmas on it): ~170 event writes and ~200 lookups in a run of a 26-asset job. These
storages are Dagster's own in-memory storages, built by their own constructors; after construction each opens one
more connection to its database, and the storages' public connection hooks (``run_connection`` /
``index_connection`` of the event log, ``connect`` of the run storage) hand out that connection, one caller at a
time, each in its own transaction as before. Tables and the asset keys table's columns are looked up once each, and a
pipeline's dynamic partition keys once (then kept in step with the storage's own adds and deletes).

Dagster's private modules are imported here because the in-memory storages, the run launcher and the instance type
have no public import path (``DagsterInstance.ephemeral()`` builds them the same way). The fast path was verified on
Dagster ``VERIFIED_DAGSTER`` (``tests/dataflow_assets/cli/test_run_instance.py`` fails on any other release until it
is checked again); if building it fails on some release, ``run_instance`` logs a warning and returns Dagster's own
ephemeral instance, which is slower but the same for every result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

import sqlalchemy
from dagster import DagsterInstance

# no public import path for these (see the module docstring)
from dagster._core.instance.types import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import StaticPool

VERIFIED_DAGSTER = "1.13.27"
log = logging.getLogger("dataflow.run")


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
        self.tables: dict[str, bool] = {}

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
            if name not in self.tables:
                self.tables[name] = bool(self.engine.dialect.has_table(self.conn, name))
            return self.tables[name]

    def close(self) -> None:
        """Close the connection and its engine."""
        self.conn.close()
        self.engine.dispose()


class _HeldStorage:
    """What both storages add to Dagster's: a held connection to the database Dagster's constructor made.

    Mixed in before Dagster's storage class: ``dispose`` closes the held connection, then Dagster's."""

    _held: _HeldConnection

    def _hold(self) -> None:
        # the storage's engine is only reachable as Dagster's attribute; a release without it fails here, and
        # run_instance falls back to the plain ephemeral instance
        self._held = _HeldConnection(self._engine)  # type: ignore[attr-defined]

    def dispose(self) -> None:
        """Close the held connection, then Dagster's."""
        self._held.close()
        super().dispose()  # type: ignore[misc]  # the storage class mixed in after this one


class HeldConnectionEventLogStorage(_HeldStorage, InMemoryEventLogStorage):
    """Dagster's in-memory event log, every query on one held connection."""

    def __init__(self) -> None:
        super().__init__()
        self._hold()
        self._columns: dict[str, bool] = {}
        self._partitions: dict[str, dict[str, None]] = {}

    def run_connection(self, run_id: str | None = None) -> AbstractContextManager[Connection]:
        """A transaction on the held connection (the event log's hook for run-sharded reads and writes)."""
        return self._held.transaction()

    def index_connection(self) -> AbstractContextManager[Connection]:
        """A transaction on the held connection (the event log's hook for its index tables)."""
        return self._held.transaction()

    def has_table(self, table_name: str) -> bool:
        """Whether the event log database has the table (its tables never change: asked once each)."""
        return self._held.has_table(table_name)

    def has_asset_key_col(self, column_name: str) -> bool:
        """Whether the asset keys table has the column (asked once each, not reflected per call)."""
        if column_name not in self._columns:
            self._columns[column_name] = super().has_asset_key_col(column_name)
        return self._columns[column_name]

    # Dynamic partitions: read once per definition, kept in step with this storage's own adds and deletes (no
    # other process can reach an in-memory database). Dagster asks ``has_dynamic_partition`` for every asset's
    # partition subset, several times per step.
    def _partition_keys(self, partitions_def_name: str) -> dict[str, None]:
        with self._held.lock:
            if partitions_def_name not in self._partitions:
                keys = super().get_dynamic_partitions(partitions_def_name)
                self._partitions[partitions_def_name] = dict.fromkeys(keys)
            return self._partitions[partitions_def_name]

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        """The partition keys of a definition, in the order they were added."""
        return list(self._partition_keys(partitions_def_name))

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        """Whether the definition has the partition key."""
        return partition_key in self._partition_keys(partitions_def_name)

    def get_existing_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> set[str]:
        """The keys of ``partition_keys`` the definition has."""
        known = self._partition_keys(partitions_def_name)
        return {key for key in partition_keys if key in known}

    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        """Add the keys (those it has are left alone)."""
        with self._held.lock:
            self._partitions.pop(partitions_def_name, None)
            super().add_dynamic_partitions(partitions_def_name, partition_keys)

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        """Delete a key."""
        with self._held.lock:
            self._partitions.pop(partitions_def_name, None)
            super().delete_dynamic_partition(partitions_def_name, partition_key)

    def wipe(self) -> None:
        """Delete every event, asset and partition key."""
        with self._held.lock:
            self._partitions.clear()
            super().wipe()


class HeldConnectionRunStorage(_HeldStorage, InMemoryRunStorage):
    """Dagster's in-memory run storage, every query on one held connection."""

    def __init__(self) -> None:
        super().__init__()
        self._hold()

    def connect(self) -> AbstractContextManager[Connection]:
        """A transaction on the held connection (the run storage's connection hook)."""
        return self._held.transaction()


def _fast_instance() -> DagsterInstance:
    """A new in-memory instance, as ``DagsterInstance.ephemeral()`` builds it, with held-connection storages."""
    run_storage = HeldConnectionRunStorage()
    try:
        event_storage = HeldConnectionEventLogStorage()
    except Exception:
        run_storage.dispose()
        raise
    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=run_storage,
        event_storage=event_storage,
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )


def run_instance() -> DagsterInstance:
    """The in-memory instance of a run: the held-connection one, or Dagster's own if that cannot be built."""
    try:
        return _fast_instance()
    except Exception as error:  # noqa: BLE001 - any failure of the fast path falls back to Dagster's own instance
        import dagster

        log.warning("dataflow run: the held-connection instance could not be built on Dagster %s (verified on %s): "
                    "%s: %s; using DagsterInstance.ephemeral() (slower, same results)",
                    dagster.__version__, VERIFIED_DAGSTER, type(error).__name__, error)
        return DagsterInstance.ephemeral()
