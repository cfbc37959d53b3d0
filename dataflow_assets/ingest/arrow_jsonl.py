"""The fast path of JSONL ingest: Arrow's multi-threaded JSON reader on a block of clean lines.

A block is clean when it is UTF-8, has no blank line (so row ids are its line numbers), every declared column is
present with its type, no column name is reserved and no value would turn into a timestamp. Anything else answers
None and the caller takes the exact, line-checking path, so both paths give the same rows and the same errors.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from dataflow_assets.spec.model import RawSpec

ARROW_CHECKS = {
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
    "integer": pa.types.is_integer,
    "number": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
    "boolean": pa.types.is_boolean,
    "list": pa.types.is_list,
    "object": pa.types.is_struct,
}
_BOM = b"\xef\xbb\xbf"
_BLANK_LINE = re.compile(rb"\n[ \t\r]*(?:\n|$)")  # starts with a literal: a fast scan
_BLANK_START = re.compile(rb"[ \t\r]*(?:\n|$)")
_NOT_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what ``bytes.strip()`` keeps


def is_blank(data: bytes, end: int | None = None) -> bool:
    """Whether ``data[:end]`` is only ASCII whitespace, as ``not data[:end].strip()`` but without a copy."""
    return _NOT_SPACE.search(data, 0, len(data) if end is None else end) is None


def is_utf8(buffer: pa.Buffer) -> bool:
    """Whether the bytes are strict UTF-8 (as ``bytes.decode``), checked by Arrow's vectorised validator, no copy."""
    offsets = pa.py_buffer(np.array([0, buffer.size], dtype=np.int64))
    as_binary = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, buffer])
    try:
        as_binary.cast(pa.large_string())  # zero-copy, but validates every byte
    except pa.ArrowInvalid:
        return False
    return True


def arrow_jsonl(data: bytes, end: int, newlines: int, spec: RawSpec, allow_bom: bool) -> pa.Table | None:
    """The rows of the clean JSONL lines ``data[:end]`` (holding ``newlines`` newlines), or None when not clean
    (or when the spec has a ``json`` column: its values keep their JSON text through the exact path)."""
    if "json" in spec.columns.values():
        return None
    body = end  # the lines without trailing newlines
    while body and data[body - 1] == 0x0A:
        body -= 1
    if (allow_bom and data.startswith(_BOM)) or _BLANK_START.match(data, 0, body) or (
            _BLANK_LINE.search(data, 0, body)):
        return None
    buffer = pa.py_buffer(data)
    buffer = buffer if end == len(data) else buffer.slice(0, end)
    if not is_utf8(buffer):  # Arrow's JSON reader does not validate UTF-8 inside strings
        return None
    try:
        table = pa_json.read_json(pa.BufferReader(buffer))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    lines = newlines + (0 if data[end - 1] == 0x0A else 1)
    if table.num_rows != lines or any(name.startswith("_") for name in table.column_names):
        return None
    if any(pa.types.is_timestamp(field.type) for field in table.schema):
        return None
    if any(_non_finite(column) for column in table.columns):  # NaN / Infinity: not JSON, the exact path says where
        return None
    for column, kind in spec.columns.items():
        if column not in table.column_names or table.column(column).null_count:
            return None
        check = ARROW_CHECKS.get(kind)
        if check is not None and not check(table.schema.field(column).type):
            return None
    return table


def _non_finite(values: pa.ChunkedArray | pa.Array) -> bool:
    """Whether a column holds a NaN or an infinity anywhere (inside lists and structs too)."""
    kind = values.type
    if pa.types.is_floating(kind):
        return not pc.all(pc.is_finite(values), skip_nulls=True).as_py() if len(values) else False
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _non_finite(pc.list_flatten(values))
    if pa.types.is_struct(kind):
        chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
        return any(_non_finite(chunk.field(index)) for chunk in chunks for index in range(kind.num_fields))
    return False
