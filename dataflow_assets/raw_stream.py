"""Ingest a raw file in chunks: a file larger than ``DATAFLOW_CHUNK_BYTES`` never sits whole in memory.

JSONL is read in blocks of whole lines (row ids stay the file's line numbers; an error names the file's line);
Parquet by row batches; CSV (quoted fields may span lines) is read whole. Chunks are spilled to disk
(``resources/row_chunks.py``) and written to DuckDB in one transaction by the raw asset, so a bad line in the
last block still stores nothing for the partition.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dataflow_assets.raw_reader import (
    RawFileError,
    check_parquet_schema,
    file_format,
    jsonl_block,
    read_raw,
    sha256_of,
    with_row_ids,
)
from dataflow_assets.spec import RawSpec
from resources.row_chunks import RowChunks, chunk_bytes, chunk_rows


@dataclass
class RawChunks:
    """A validated raw file as chunks of rows (with ``_row_id``), its content hash and ingest notes."""

    rows: RowChunks
    sha256: str
    size_bytes: int
    replaced_lines: list[int] = field(default_factory=list)


def read_raw_chunks(path: Path, spec: RawSpec, block_bytes: int | None = None) -> RawChunks:
    """Read, decode and validate a raw file; in spilled chunks when it is larger than ``block_bytes``."""
    block_bytes = block_bytes or chunk_bytes()
    fmt = file_format(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RawFileError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if size <= block_bytes or fmt not in ("jsonl", "parquet") or fmt not in spec.formats:
        batch = read_raw(path, spec)
        return RawChunks(RowChunks.of(batch.table), batch.sha256, batch.size_bytes, batch.replaced_lines)
    if fmt == "parquet":
        return _parquet_chunks(path, spec, size)
    return _jsonl_chunks(path, spec, size, block_bytes)


def _jsonl_chunks(path: Path, spec: RawSpec, size: int, block_bytes: int) -> RawChunks:
    rows, replaced, digest = RowChunks(), [], hashlib.sha256()
    line, carry, blank = 1, b"", True
    with path.open("rb") as handle:
        while True:
            block = handle.read(block_bytes)
            digest.update(block)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if cut == 0 and block:  # one line longer than a block: read on
                carry = data
                continue
            whole, carry = data[:cut], data[cut:]
            if whole:
                blank = blank and not whole.strip()
                table, lines = jsonl_block(path, whole, spec, first_line=line)
                replaced += lines
                if table is not None:
                    rows.append(table, spill=True)
                line += whole.count(b"\n")
            if not block:
                break
    if rows.num_rows == 0:
        raise RawFileError(path, "file is empty: no records" if blank else "file has no records")
    return RawChunks(rows, digest.hexdigest(), size, replaced)


def _parquet_chunks(path: Path, spec: RawSpec, size: int) -> RawChunks:
    try:
        parquet = pq.ParquetFile(path)
        check_parquet_schema(path, parquet.schema_arrow, spec)
        rows, first = RowChunks(), 1
        for batch in parquet.iter_batches(batch_size=chunk_rows()):
            table = pa.Table.from_batches([batch])
            rows.append(with_row_ids(table, range(first, first + table.num_rows)), spill=True)
            first += table.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise RawFileError(path, f"not a readable Parquet file: {exc}") from exc
    if rows.num_rows == 0:
        raise RawFileError(path, "file has no records")
    return RawChunks(rows, sha256_of(path), size)
