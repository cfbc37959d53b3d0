"""Small Arrow batches are merged before DuckDB scans them (its scan pays per batch); big ones pass untouched."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from resources.warehouse.connection import read_partition
from resources.warehouse.row_chunks import COALESCE_BYTES, COALESCE_ROWS, RowChunks, batch_reader, coalesced
from resources.warehouse.step_writes import write_step_output


def many_small_batches(rows: int, per_batch: int) -> pa.Table:
    """A table split into batches of ``per_batch`` rows, as a filter's kept rows of a parsed file come."""
    table = pa.table({"_row_id": pa.array(range(rows), pa.int64()), "text": [f"row {i}" for i in range(rows)]})
    return pa.Table.from_batches(table.to_batches(max_chunksize=per_batch))


def test_small_batches_merge_in_order_and_big_ones_pass_without_a_copy() -> None:
    small = many_small_batches(COALESCE_ROWS + 500, 100)
    merged = coalesced(small)
    assert merged.equals(small)
    sizes = [batch.num_rows for batch in merged.to_batches()]
    assert len(sizes) == 2 and COALESCE_ROWS <= sizes[0] < COALESCE_ROWS + 100  # whole batches are merged
    big = many_small_batches(2 * COALESCE_ROWS, COALESCE_ROWS)
    assert coalesced(big) is big
    text = pa.array(["x" * 1024] * (COALESCE_BYTES // 1024 + 1))  # one batch over the byte bound, few rows
    wide = pa.table({"text": text})
    assert coalesced(wide) is wide
    assert coalesced(small.slice(0, 0)).num_rows == 0


def test_a_stream_of_chunks_is_read_in_merged_batches() -> None:
    chunks = [many_small_batches(300, 7), many_small_batches(200, 3).drop_columns(["text"])]  # second lacks a column
    schema = chunks[0].schema
    reader = batch_reader(chunks, schema)
    batches = list(reader)
    assert len(batches) == 1
    read = pa.Table.from_batches(batches, schema)
    assert read.column("_row_id").to_pylist() == list(range(300)) + list(range(200))
    assert read.column("text").null_count == 200


def test_writes_of_many_small_batches_store_every_row(tmp_path: Path) -> None:
    table = many_small_batches(5000, 11)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "a", table, None, {})
    write_step_output(conn, "p", "raw", "b", RowChunks([*RowChunks.of(table).chunks]), None, {})
    for partition in ("a", "b"):
        assert read_partition(conn, "p", "raw", partition).sort_by("_row_id").equals(table.sort_by("_row_id"))
