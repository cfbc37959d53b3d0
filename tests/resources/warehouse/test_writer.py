"""The op's warehouse writer: ordered jobs off the caller's thread, refusal after a failure, idle close."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster_duckdb import DuckDBResource

from resources.warehouse.connection import connect, registered
from resources.warehouse.writer import EarlierWriteFailedError, WarehouseWriter


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.sql(sql).fetchall()


def test_jobs_run_in_order_off_the_callers_thread(tmp_path: Path) -> None:
    resource = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    release = threading.Event()
    with WarehouseWriter(resource) as writer:
        first = writer.submit(lambda conn: (release.wait(10), conn.execute("CREATE TABLE t (i INT)")))
        later = [writer.submit(lambda conn, i=i: conn.execute("INSERT INTO t VALUES (?)", [i])) for i in range(5)]
        assert not first.done()  # submit returned while the job waits: the caller computes meanwhile
        release.set()
        assert writer.call(lambda conn: conn.sql("SELECT count(*) FROM t").fetchall()) == [(5,)]
        assert all(job.done() for job in later)
    assert rows(tmp_path / "w.duckdb", "SELECT i FROM t") == [(i,) for i in range(5)]  # in submission order


def test_a_failed_job_refuses_every_later_one(tmp_path: Path) -> None:
    resource = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    with WarehouseWriter(resource) as writer:
        writer.submit(lambda conn: conn.execute("CREATE TABLE t AS SELECT 1 AS i"))
        failed = writer.submit(lambda conn: conn.execute("INSERT INTO missing VALUES (1)"))
        refused = writer.submit(lambda conn: conn.execute("INSERT INTO t VALUES (2)"))
        with pytest.raises(duckdb.CatalogException):
            failed.result()
        with pytest.raises(EarlierWriteFailedError, match="missing"):
            refused.result()
    assert rows(tmp_path / "w.duckdb", "SELECT i FROM t") == [(1,)]


def test_an_idle_writer_lets_another_process_open_the_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with WarehouseWriter(DuckDBResource(database=str(path)), idle_seconds=0.2) as writer:
        writer.call(lambda conn: conn.execute("CREATE TABLE t AS SELECT 1 AS i"))
        time.sleep(0.8)
        other = subprocess.run(  # read-write: fails while any connection of this process holds the file
            [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).execute('INSERT INTO t VALUES (2)')"],
            capture_output=True, text=True, timeout=60)
        assert other.returncode == 0, other.stderr
        writer.call(lambda conn: conn.execute("INSERT INTO t VALUES (3)"))
        assert writer.connections_opened == 2
    assert rows(path, "SELECT i FROM t ORDER BY i") == [(1,), (2,), (3,)]


def test_threads_opening_connections_to_one_file_at_once(tmp_path: Path) -> None:
    """DuckDB's client loses its Arrow scan when two threads open or close connections at once; connect() must not."""
    resource = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    errors: list[str] = []

    def work() -> None:
        for _ in range(120):
            try:
                with connect(resource) as conn, registered(conn, {"probe": pa.table({"a": [1]})}):
                    conn.execute("SELECT * FROM probe").fetchall()
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(error))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_large_write_skips_the_log(tmp_path: Path) -> None:
    """A write that DuckDB estimates past ``DATAFLOW_DUCKDB_CHECKPOINT`` (1MB: 16 bytes a value) is checkpointed by
    its commit, never logged: 25k rows of 4 text columns (30 MB, 100k values) go straight to the database file,
    which DuckDB's own 16MB would have logged first. Small writes are logged, and checkpointed by a later commit."""
    path = tmp_path / "w.duckdb"
    wal = Path(str(path) + ".wal")
    with WarehouseWriter(DuckDBResource(database=str(path)), idle_seconds=60) as writer:
        writer.call(lambda conn: conn.execute("CREATE TABLE t (a VARCHAR, b VARCHAR, c VARCHAR, d VARCHAR)"))
        writer.call(lambda conn: conn.execute("INSERT INTO t VALUES ('small', 's', 's', 's')"))
        assert wal.exists() and 0 < wal.stat().st_size < (1 << 20)  # logged, not yet checkpointed
        text = "repeat(i::VARCHAR, 60)"  # ~300 bytes
        large = f"INSERT INTO t SELECT {text}, {text}, {text}, {text} FROM range(25000) r(i)"
        writer.call(lambda conn: conn.execute(large))
        assert not wal.exists() or wal.stat().st_size < (1 << 20)  # the 30 MB were never logged
        assert path.stat().st_size > (8 << 20)  # they are in the file (compressed), the connection still open
        writer.call(lambda conn: conn.execute("INSERT INTO t VALUES ('small', 's', 's', 's')"))
        assert wal.exists() and 0 < wal.stat().st_size < (1 << 20)
    assert not wal.exists() or wal.stat().st_size == 0
    assert rows(path, "SELECT count(*) FROM t") == [(25002,)]


@pytest.mark.parametrize("idle_bytes", [8 << 20, 0])
def test_an_idle_writer_checkpoints_a_large_log_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        idle_bytes: int) -> None:
    """A write of few long strings is logged; when no job waits and the log holds ``IDLE_CHECKPOINT_BYTES``, the
    writer checkpoints right after it, connection still open (0: it waits for a later commit or the close)."""
    import resources.warehouse.writer as module

    monkeypatch.setattr(module, "IDLE_CHECKPOINT_BYTES", idle_bytes)
    path = tmp_path / "w.duckdb"
    wal = Path(str(path) + ".wal")
    with WarehouseWriter(DuckDBResource(database=str(path)), idle_seconds=60) as writer:
        writer.call(lambda conn: conn.execute("CREATE TABLE t (s VARCHAR)"))
        writer.call(lambda conn: conn.execute("INSERT INTO t SELECT repeat(i::VARCHAR, 400) FROM range(6000) r(i)"))
        deadline = time.monotonic() + 10  # the checkpoint runs on the writer's thread after the job's result
        while idle_bytes and writer.idle_checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        logged = wal.stat().st_size if wal.exists() else 0
        assert writer.connections_opened == 1
        if idle_bytes:
            assert logged < (1 << 20) and writer.idle_checkpoints == 1
            assert path.stat().st_size > (4 << 20)  # the rows are in the file (compressed)
        else:
            assert logged > (8 << 20) and writer.idle_checkpoints == 0
    assert rows(path, "SELECT count(*) FROM t") == [(6000,)]
