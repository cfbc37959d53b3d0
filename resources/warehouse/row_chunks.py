"""A partition's rows as a sequence of Arrow tables, in memory or spilled to disk, for bounded-memory steps.

A small partition is one in-memory table (the common case; nothing changes). A larger one (a raw file above
``DATAFLOW_CHUNK_BYTES``, a stored partition above ``DATAFLOW_CHUNK_ROWS``) is a list of chunks. Chunks of a
raw file up to ``DATAFLOW_SPILL_ABOVE`` stay in memory; above it (and for a large stored partition) each chunk is
an Arrow IPC file under the spill folder (``DATAFLOW_SPILL_DIR``, default: the system temp folder), so a step
holds one chunk at a time. Spill files are written behind, on one background thread, while the step goes
on. A chunk may carry a row selection over its file, so a filter's kept rows are its input's files plus
positions, not a copy. Spill files are deleted when no ``RowChunks`` refers to them any more, and at process
exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

DEFAULT_CHUNK_ROWS = 65536
DEFAULT_CHUNK_BYTES = 64 << 20
DEFAULT_SPILL_ABOVE = 256 << 20
_SPILL_ROOT: Path | None = None
COALESCE_ROWS = 65536  # a batch handed to DuckDB or a file writer: at least this many rows ...
COALESCE_BYTES = 8 << 20  # ... or this many bytes (see ``coalesced_batches``)
SPILL_BEHIND = 2  # spill writes that may wait for the disk at once
SPILL_BUFFER_BYTES = 1 << 20  # bytes gathered before each write(2) of a spill file
_SPILL_THREAD: tuple[int, ThreadPoolExecutor, threading.BoundedSemaphore] | None = None
_SPILL_LOCK = threading.Lock()


def chunk_rows() -> int:
    """Rows per chunk when a stored partition is read back in chunks (``DATAFLOW_CHUNK_ROWS``)."""
    return max(1, int(os.environ.get("DATAFLOW_CHUNK_ROWS", DEFAULT_CHUNK_ROWS)))


def chunk_bytes() -> int:
    """Bytes of raw file per chunk (``DATAFLOW_CHUNK_BYTES``): a larger raw file is ingested in chunks."""
    return max(1, int(os.environ.get("DATAFLOW_CHUNK_BYTES", DEFAULT_CHUNK_BYTES)))


def spill_above() -> int:
    """Raw file bytes above which its chunks are spilled to disk (``DATAFLOW_SPILL_ABOVE``, default 256 MiB).

    Spilling costs more than the memory it saves at the size of a typical batch: on the project's 2-core VM
    the 100k-document corpus (94 MB, 2 chunks) spent ~1 s of CPU, almost all in the kernel, writing ~400 MB of
    spill files, and ran 5.67 s instead of 6.04 s (median of 5) with its chunks in memory, peak RSS +80 MB.
    """
    return max(0, int(os.environ.get("DATAFLOW_SPILL_ABOVE", DEFAULT_SPILL_ABOVE)))


def spill_root() -> Path:
    """This process's spill folder (created on first use, removed at exit)."""
    global _SPILL_ROOT
    if _SPILL_ROOT is None or not _SPILL_ROOT.exists():
        base = os.environ.get("DATAFLOW_SPILL_DIR") or None
        if base:
            Path(base).mkdir(parents=True, exist_ok=True)
        _SPILL_ROOT = Path(tempfile.mkdtemp(prefix=f"dataflow-spill-{os.getpid()}-", dir=base))
        atexit.register(shutil.rmtree, str(_SPILL_ROOT), True)
    return _SPILL_ROOT


class SpillFile:
    """One Arrow IPC file on disk, written behind (see ``write_behind``), deleted when the last reference goes."""

    def __init__(self, table: pa.Table) -> None:
        self.path = spill_root() / f"{uuid.uuid4().hex}.arrow"
        self.num_rows, self.schema = table.num_rows, table.schema
        self._written = write_behind(self.path, table)
        weakref.finalize(self, _unlink_when_written, str(self.path), self._written)

    def read(self, columns: list[str] | None = None) -> pa.Table:
        """The table, memory-mapped (no copy; the mapping goes with the last reference to the table); waits for
        the file to be written, and raises the write's error if it failed."""
        self._written.result()
        with pa.memory_map(str(self.path), "r") as source:
            table = pa.ipc.open_file(source).read_all()
        return table.select(columns) if columns is not None else table


def write_behind(path: Path, table: pa.Table) -> Future[None]:
    """Write ``table`` to ``path`` on this process's spill thread, so the caller goes on computing (Arrow writes
    without the GIL). At most ``SPILL_BEHIND`` writes wait at a time (each holds its table): a caller faster than
    the disk waits here."""
    global _SPILL_THREAD
    with _SPILL_LOCK:
        if _SPILL_THREAD is None or _SPILL_THREAD[0] != os.getpid():  # a forked child starts its own
            _SPILL_THREAD = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="dataflow-spill"),
                             threading.BoundedSemaphore(SPILL_BEHIND))
        _, pool, slots = _SPILL_THREAD
    slots.acquire()

    def write() -> None:
        try:  # buffered: Arrow's IPC writer makes a few tiny writes per buffer (55k syscalls for 100k documents)
            with pa.output_stream(str(path), buffer_size=SPILL_BUFFER_BYTES) as sink, \
                    pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        finally:
            slots.release()

    return pool.submit(write)


def _unlink_when_written(path: str, written: Future[None]) -> None:
    written.add_done_callback(lambda _: _unlink(path))  # at once when written; else on the spill thread after


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@dataclass(frozen=True)
class Chunk:
    """An in-memory table, or a spill file with an optional selection of row positions."""

    table: pa.Table | None = None
    file: SpillFile | None = None
    rows: np.ndarray | None = None

    @property
    def num_rows(self) -> int:
        """Rows in the chunk."""
        if self.rows is not None:
            return len(self.rows)
        return self.table.num_rows if self.table is not None else self.file.num_rows  # type: ignore[union-attr]

    @property
    def schema(self) -> pa.Schema:
        """The chunk's columns."""
        return self.table.schema if self.table is not None else self.file.schema  # type: ignore[union-attr]

    def base(self) -> pa.Table:
        """The table the chunk's rows are selected from (all of it when there is no selection), not copied."""
        return self.table if self.table is not None else self.file.read()  # type: ignore[union-attr]

    def read(self, columns: list[str] | None = None) -> pa.Table:
        """The chunk's rows as a table (only ``columns``, if given: selected before the rows, so the other
        columns are not copied)."""
        if columns is None:
            table = self.base()
        else:
            table = self.table.select(columns) if self.table is not None else self.file.read(columns)  # type: ignore[union-attr]
        return select_rows(table, self.rows) if self.rows is not None else table


def select_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """The rows at ``rows`` of ``table``: a filter when they are increasing (Arrow filters chunk by chunk, where
    ``take`` first joins each many-chunk column whole), else a take."""
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        return table.take(pa.array(rows, pa.int64()))
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    return table.filter(pa.array(mask))


class RowChunks:
    """The rows of one partition, chunk by chunk, in order."""

    def __init__(self, chunks: Iterable[Chunk] = ()) -> None:
        self.chunks: list[Chunk] = list(chunks)

    @classmethod
    def of(cls, table: pa.Table) -> RowChunks:
        """One in-memory table."""
        return cls([Chunk(table=table)])

    @property
    def spilled(self) -> bool:
        """Whether any chunk lives on disk."""
        return any(chunk.file is not None for chunk in self.chunks)

    @property
    def num_rows(self) -> int:
        """Rows in all chunks."""
        return sum(chunk.num_rows for chunk in self.chunks)

    def append(self, table: pa.Table, spill: bool) -> None:
        """Add a chunk: written to a spill file when ``spill``, else kept in memory."""
        self.chunks.append(Chunk(file=SpillFile(table)) if spill else Chunk(table=table))

    def tables(self, columns: list[str] | None = None) -> Iterator[pa.Table]:
        """Each chunk as a table, read when reached."""
        for chunk in self.chunks:
            yield chunk.read(columns)

    def to_table(self) -> pa.Table:
        """All rows as one table (reads every chunk: for small partitions and whole-partition operators)."""
        if len(self.chunks) == 1 and self.chunks[0].table is not None and self.chunks[0].rows is None:
            return self.chunks[0].table
        tables = list(self.tables())
        return pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})

    def select(self, rows_per_chunk: list[np.ndarray]) -> RowChunks:
        """A subset of the rows: per chunk, the positions to keep (spilled chunks share their files)."""
        if len(rows_per_chunk) != len(self.chunks):
            raise ValueError(f"{len(rows_per_chunk)} selections for {len(self.chunks)} chunks")
        selected = []
        for chunk, rows in zip(self.chunks, rows_per_chunk, strict=True):
            rows = np.asarray(rows, dtype=np.int64)
            if chunk.table is not None and chunk.rows is None:
                selected.append(Chunk(table=select_rows(chunk.table, rows)))
            else:
                base = chunk.rows[rows] if chunk.rows is not None else rows
                selected.append(Chunk(table=chunk.table, file=chunk.file, rows=base))
        return RowChunks(selected)


def unified_schema(schemas: Iterable[pa.Schema]) -> pa.Schema | None:
    """One schema for all chunks (a column that was all-null in one chunk takes the type of the others)."""
    schemas = list(schemas)
    return pa.unify_schemas(schemas, promote_options="permissive") if schemas else None


def batch_reader(tables: Iterable[pa.Table], schema: pa.Schema) -> pa.RecordBatchReader:
    """A streaming reader over tables cast to one schema (for DuckDB scans and file writers), in batches of at
    least ``COALESCE_ROWS`` rows or ``COALESCE_BYTES`` bytes (see ``coalesced_batches``)."""

    def batches() -> Iterator[pa.RecordBatch]:
        for table in tables:
            for name in schema.names:
                if name not in table.column_names:
                    table = table.append_column(name, pa.nulls(table.num_rows, schema.field(name).type))
            yield from table.select(schema.names).cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, coalesced_batches(batches(), schema))


def coalesced_batches(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Consecutive small batches merged until a batch holds ``COALESCE_ROWS`` rows or ``COALESCE_BYTES`` bytes.

    A filter's output keeps its input's batches, so a few hundred dropped rows of a parsed file come as ~100
    batches of a few rows each, and DuckDB's Arrow scan pays per batch (a 1,000-row drop list in 90 batches
    inserts 4x slower than in one). Batches already that large pass through without a copy."""
    pending: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in batches:
        if not pending and (batch.num_rows >= COALESCE_ROWS or batch.nbytes >= COALESCE_BYTES):
            yield batch
            continue
        pending.append(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if rows >= COALESCE_ROWS or size >= COALESCE_BYTES:
            yield from _merged(pending, schema)
            pending, rows, size = [], 0, 0
    if pending:
        yield from _merged(pending, schema)


def _merged(batches: list[pa.RecordBatch], schema: pa.Schema) -> list[pa.RecordBatch]:
    return batches if len(batches) == 1 else pa.Table.from_batches(batches, schema).combine_chunks().to_batches()


def coalesced(table: pa.Table) -> pa.Table:
    """``table`` with its small batches merged (``coalesced_batches``); the same table when nothing merges."""
    if table.num_rows == 0 or all(
        batch.num_rows >= COALESCE_ROWS or batch.nbytes >= COALESCE_BYTES for batch in table.to_batches()
    ):
        return table
    return pa.Table.from_batches(list(coalesced_batches(table.to_batches(), table.schema)), table.schema)
