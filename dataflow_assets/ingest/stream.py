"""Ingest a raw file in chunks: a file larger than ``DATAFLOW_CHUNK_BYTES`` is not parsed whole.

JSONL is read in blocks of whole lines (row ids stay the file's line numbers; an error names the file's line);
Parquet by row batches; CSV (quoted fields may span lines) is read whole. Chunks of a file above
``DATAFLOW_SPILL_ABOVE`` are spilled to disk (``resources/warehouse/row_chunks.py``), so it never sits whole in memory;
all are written to DuckDB in one transaction by the raw asset, so a bad line in the last block still stores
nothing for the partition.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from dataflow_assets.ingest.arrow_jsonl import is_blank
from dataflow_assets.ingest.columns import json_columns, same_types
from dataflow_assets.ingest.reader import (
    RawFileError,
    check_parquet_schema,
    file_format,
    is_json_array,
    jsonl_block,
    read_raw,
    sha256_of,
    with_row_ids,
)
from dataflow_assets.spec.model import RawSpec
from operators.parallel import parallel_map
from resources.warehouse.row_chunks import RowChunks, chunk_bytes, chunk_rows, spill_above


@dataclass
class RawChunks:
    """A validated raw file as chunks of rows (with ``_row_id``), its content hash and ingest notes."""

    rows: RowChunks
    sha256: str
    size_bytes: int
    replaced_lines: list[int] = field(default_factory=list)


def read_raw_chunks(
    path: Path, spec: RawSpec, block_bytes: int | None = None, spill_above_bytes: int | None = None
) -> RawChunks:
    """Read, decode and validate a raw file; in chunks when it is larger than ``block_bytes``, spilled when it is
    larger than ``spill_above_bytes`` (defaults: ``chunk_bytes()``, ``spill_above()``)."""
    block_bytes = block_bytes or chunk_bytes()
    spill_above_bytes = spill_above() if spill_above_bytes is None else spill_above_bytes
    fmt = file_format(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RawFileError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if size <= block_bytes or fmt not in ("jsonl", "parquet") or fmt not in spec.formats or _json_array(path):
        batch = read_raw(path, spec)
        return RawChunks(RowChunks.of(batch.table), batch.sha256, batch.size_bytes, batch.replaced_lines)
    spill = size > spill_above_bytes
    if fmt == "parquet":
        return _parquet_chunks(path, spec, size, spill)
    return _jsonl_chunks(path, spec, size, block_bytes, spill)


def _json_array(path: Path) -> bool:
    """A ``.json`` file holding one JSON array is read whole (it has no lines to cut it at)."""
    if path.suffix.lower() != ".json":
        return False
    with path.open("rb") as handle:
        return is_json_array(handle.read(4096))


def _jsonl_chunks(path: Path, spec: RawSpec, size: int, block_bytes: int, spill: bool) -> RawChunks:
    """Each block of lines is parsed while, on the shared pool, it is hashed and the block before it is stored
    (spilled when ``spill``)."""
    rows, replaced, digest = RowChunks(), [], hashlib.sha256()
    line, blank, parsed, schema = 1, True, None, None
    with path.open("rb") as handle:
        for data, end in _line_blocks(handle, block_bytes):
            tasks = [partial(_parse_block, path, data, end, spec, line), partial(digest.update, memoryview(data)[:end])]
            if parsed is not None:
                tasks.append(partial(rows.append, parsed, spill=spill))
            (parsed, lines, newlines), *_ = parallel_map(lambda task: task(), tasks)
            if parsed is not None:
                schema = same_types(path, schema, parsed)
            replaced += lines
            line += newlines
            if parsed is None and blank:
                blank = is_blank(data, end)
            del tasks, data  # the stored table and this block go before the next block is read
    if parsed is not None:
        rows.append(parsed, spill=spill)
    if rows.num_rows == 0:
        raise RawFileError(path, "file is empty: no records" if blank else "file has no records")
    return RawChunks(rows, digest.hexdigest(), size, replaced)


def _line_blocks(handle: BinaryIO, block_bytes: int) -> Iterator[tuple[bytes, int]]:
    """The file as blocks of whole lines ``data[:end]``, cut at the last newline before each multiple of
    ``block_bytes`` (a line longer than a block runs on to its newline). The bytes after ``end`` are read again
    with the next block, so no block is copied."""
    while True:
        into = handle.tell() % block_bytes  # no newline from here to the next multiple: read to the one after
        if not (data := handle.read(2 * block_bytes - into if into else block_bytes)):
            return
        end = data.rfind(b"\n") + 1
        if not end:  # one line longer than a block: read on to its newline or the end of the file
            longer = bytearray(data)
            while not end and (more := handle.read(block_bytes)):
                newline = more.rfind(b"\n")
                end = len(longer) + newline + 1 if newline >= 0 else 0
                longer += more
            data, end = bytes(longer), end or len(longer)
            del longer, more
        handle.seek(end - len(data), os.SEEK_CUR)
        yield data, end
        del data


def _parse_block(
    path: Path, data: bytes, end: int, spec: RawSpec, first_line: int
) -> tuple[pa.Table | None, list[int], int]:
    """``jsonl_block`` of the lines ``data[:end]``, and how many newlines they hold."""
    newlines = data.count(b"\n", 0, end)
    return (*jsonl_block(path, data, spec, first_line, end, newlines), newlines)


def _parquet_chunks(path: Path, spec: RawSpec, size: int, spill: bool) -> RawChunks:
    try:
        parquet = pq.ParquetFile(path)
        check_parquet_schema(path, parquet.schema_arrow, spec)
        rows, first = RowChunks(), 1
        for batch in parquet.iter_batches(batch_size=chunk_rows()):
            table = json_columns(pa.Table.from_batches([batch]), spec)
            rows.append(with_row_ids(table, range(first, first + table.num_rows)), spill=spill)
            first += table.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise RawFileError(path, f"not a readable Parquet file: {exc}") from exc
    if rows.num_rows == 0:
        raise RawFileError(path, "file has no records")
    return RawChunks(rows, sha256_of(path), size)
