"""Spill files are written behind, on one thread: reads wait for their file, a failed write raises at the read,
a file dropped before its write finished is still deleted, and at most ``SPILL_BEHIND`` writes hold their tables."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from resources.warehouse import row_chunks
from resources.warehouse.row_chunks import SpillFile


def _drain() -> None:
    """Wait until the spill thread has done everything queued so far."""
    SpillFile(pa.table({"x": [0]})).read()


def test_many_spills_in_a_row_read_back_whole() -> None:
    tables = [pa.table({"i": list(range(n, n + 500)), "text": [f"row {n}" * 50] * 500}) for n in range(12)]
    files = [SpillFile(table) for table in tables]  # more than SPILL_BEHIND: the caller waits for slots
    assert all(file.read().equals(table) for file, table in zip(files, tables, strict=True))
    assert all(file.path.exists() for file in files)


def test_a_failed_spill_write_raises_at_the_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_chunks, "spill_root", lambda: tmp_path / "gone")  # a folder that does not exist
    broken = SpillFile(pa.table({"x": [1, 2]}))
    with pytest.raises(OSError, match="gone"):
        broken.read()


def test_a_file_dropped_while_its_write_waits_is_deleted() -> None:
    release = threading.Event()
    row_chunks.write_behind(row_chunks.spill_root() / "blocker.arrow", _BlockingTable(release))  # holds the thread
    dropped = SpillFile(pa.table({"x": list(range(1000))}))
    path = dropped.path
    del dropped
    gc.collect()
    assert not path.exists()  # not written yet
    release.set()
    _drain()
    assert not path.exists()  # written, then deleted behind it
    (row_chunks.spill_root() / "blocker.arrow").unlink(missing_ok=True)


def test_at_most_spill_behind_writes_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    row_chunks.write_behind(row_chunks.spill_root() / "blocker.arrow", _BlockingTable(release))
    waiting = [SpillFile(pa.table({"x": [n]})) for n in range(row_chunks.SPILL_BEHIND - 1)]  # fill the slots
    started = threading.Event()
    finished = threading.Event()

    def one_more() -> None:
        started.set()
        waiting.append(SpillFile(pa.table({"x": [99]})))
        finished.set()

    threading.Thread(target=one_more, daemon=True).start()
    assert started.wait(5)
    assert not finished.wait(0.3)  # no slot: the caller waits for the disk
    release.set()
    assert finished.wait(10)
    assert [file.read().column("x").to_pylist() for file in waiting] == [[n] for n in
                                                                          range(row_chunks.SPILL_BEHIND - 1)] + [[99]]
    (row_chunks.spill_root() / "blocker.arrow").unlink(missing_ok=True)


class _BlockingTable:
    """Fault injection: a stand-in table whose write blocks the spill thread until released (then fails)."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    @property
    def schema(self) -> pa.Schema:
        assert self.release.wait(30)
        raise RuntimeError("blocker: never written")
