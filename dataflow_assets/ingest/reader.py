"""Read and validate one raw file (JSONL, CSV, Parquet) into an Arrow table with stable row ids.

``_row_id`` is the 1-based line of the record in the file (JSONL, CSV) or its 1-based row (Parquet), so a row
can always be traced back to its source. Any problem raises ``RawFileError`` naming file, line and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dataflow_assets.ingest.arrow_jsonl import ARROW_CHECKS, arrow_jsonl, is_blank
from dataflow_assets.ingest.columns import check_column_names, json_columns, json_text, mixed_types
from dataflow_assets.ingest.errors import RawFileError
from dataflow_assets.spec.model import RawSpec
from operators.parallel import parallel_map

FORMAT_BY_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "list": (list,),
    "object": (dict,),
}


@dataclass
class RawBatch:
    """A validated raw file: rows (with ``_row_id``), its content hash and ingest notes."""

    table: pa.Table
    sha256: str
    size_bytes: int
    replaced_lines: list[int] = field(default_factory=list)


def file_format(path: Path) -> str | None:
    """The raw format of a file by suffix, or None when unsupported."""
    return FORMAT_BY_SUFFIX.get(path.suffix.lower())


def sha256_of(path: Path) -> str:
    """Content hash of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_raw(path: Path, spec: RawSpec) -> RawBatch:
    """Read, decode and validate a raw file against the spec's raw section."""
    fmt = file_format(path)
    if fmt is None or fmt not in spec.formats:
        raise RawFileError(path, f"unsupported format {path.suffix!r}; this pipeline takes {spec.formats}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RawFileError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if is_blank(data):
        raise RawFileError(path, "file is empty: no records")
    tasks = [partial(_parse_whole, path, fmt, data, spec), partial(_sha256_hex, data)]
    (table, replaced), sha256 = parallel_map(lambda task: task(), tasks)
    return RawBatch(table, sha256, len(data), replaced)


def _parse_whole(path: Path, fmt: str, data: bytes, spec: RawSpec) -> tuple[pa.Table, list[int]]:
    """The rows of a whole raw file (with ``_row_id``) and the lines where invalid UTF-8 was replaced."""
    if fmt == "parquet":
        table = _read_parquet(path, data, spec)
        return with_row_ids(table, range(1, table.num_rows + 1)), []
    if path.suffix.lower() == ".json" and is_json_array(data):
        text, replaced = _decode(path, data, spec.encoding_errors)
        records, line_numbers = parse_json_array(path, text, spec)
        rows = with_row_ids(_records_to_table(path, records, line_numbers, spec), range(1, len(records) + 1)) \
            if records else None
    elif fmt == "jsonl":
        rows, replaced = jsonl_block(path, data, spec, first_line=1)
    else:
        text, replaced = _decode(path, data, spec.encoding_errors)
        records, line_numbers = _parse_csv(path, text, spec)
        rows = with_row_ids(_records_to_table(path, records, line_numbers, spec), line_numbers) if records else None
    if rows is None:
        raise RawFileError(path, "file has no records")
    return rows, replaced


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()  # hashlib releases the GIL: runs beside the parse on the shared pool


def jsonl_block(
    path: Path, data: bytes, spec: RawSpec, first_line: int, end: int | None = None, newlines: int | None = None
) -> tuple[pa.Table | None, list[int]]:
    """Parse the whole JSONL lines ``data[:end]``, line ``first_line`` of ``path`` onwards (``newlines``: their
    count, when known): rows with ``_row_id`` (None when no record) and the lines where invalid UTF-8 was replaced.

    Clean lines go through Arrow's reader; anything else through the exact path that names the bad line.
    """
    end = len(data) if end is None else end
    newlines = data.count(b"\n", 0, end) if newlines is None else newlines
    fast = arrow_jsonl(data, end, newlines, spec, allow_bom=first_line == 1)
    if fast is not None:
        check_column_names(path, fast.column_names)
        return with_row_ids(fast, range(first_line, first_line + fast.num_rows)), []
    text, replaced = _decode(path, data[:end], spec.encoding_errors, first_line)
    records, line_numbers = _parse_jsonl(path, text, spec, first_line)
    if not records:
        return None, replaced
    return with_row_ids(_records_to_table(path, records, line_numbers, spec), line_numbers), replaced


def _decode(path: Path, data: bytes, errors: str, first_line: int = 1) -> tuple[str, list[int]]:
    encoding = "utf-8-sig" if first_line == 1 else "utf-8"
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + first_line
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        if errors == "error":
            raise RawFileError(path, f"invalid UTF-8 byte 0x{data[exc.start]:02x}", line, column) from exc
    text = data.decode(encoding, errors="replace")
    replaced = [n for n, line_text in enumerate(text.split("\n"), first_line) if "\ufffd" in line_text]
    return text, replaced


def _check_types(path: Path, record: dict[str, Any], line: int, spec: RawSpec) -> None:
    for column, kind in spec.columns.items():
        if column not in record:
            raise RawFileError(path, f"record lacks required column {column!r}", line)
        value = record[column]
        expected = _PY_TYPES.get(kind)
        if value is None or expected is None:
            continue
        if not isinstance(value, expected) or (kind in ("integer", "number") and isinstance(value, bool)):
            raise RawFileError(path, f"column {column!r} must be {kind}, got {type(value).__name__}", line)


def _no_constant(name: str) -> Any:
    raise ValueError(name)


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def is_json_array(head: bytes) -> bool:
    """Whether a file's first bytes open a JSON array (DataFlow's ``.json`` files: one array of records; a ``.json``
    file of JSON Lines is read as JSON Lines)."""
    return head.lstrip(b"\xef\xbb\xbf").lstrip()[:1] == b"["


def _json_error(path: Path, text: str, exc: Exception, line: int, start: int) -> RawFileError:
    if isinstance(exc, json.JSONDecodeError):
        return RawFileError(path, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    return RawFileError(path, f"invalid JSON: {exc} is not a JSON number (write null, or a string)", line,
                        start - text.rfind("\n", 0, start))


def parse_json_array(path: Path, text: str, spec: RawSpec) -> tuple[list[dict[str, Any]], list[int]]:
    """The records of a JSON array file and the line each starts on; errors name the line and column."""
    decoder, records, lines = json.JSONDecoder(parse_constant=_no_constant), [], []
    pos, line, counted = text.index("[") + 1, 1, 0
    while True:
        pos = _JSON_SPACE.match(text, pos).end()  # type: ignore[union-attr]
        line, counted = line + text.count("\n", counted, pos), pos
        if pos >= len(text):
            raise RawFileError(path, "invalid JSON: the array is not closed with ']'", line)
        if text[pos] == "]" and not records:
            break
        try:
            record, end = decoder.raw_decode(text, pos)
        except ValueError as exc:
            raise _json_error(path, text, exc, line, pos) from exc
        if not isinstance(record, dict):
            raise RawFileError(path, f"expected a JSON object, got {type(record).__name__}", line,
                               pos - text.rfind("\n", 0, pos))
        for key in record:
            if key.startswith("_"):
                raise RawFileError(path, f"column {key!r}: names starting with '_' are reserved", line)
        _check_types(path, record, line, spec)
        records.append(record)
        lines.append(line)
        pos = _JSON_SPACE.match(text, end).end()  # type: ignore[union-attr]
        if text[pos:pos + 1] == ",":
            pos += 1
            continue
        line, counted = line + text.count("\n", counted, pos), pos
        if pos >= len(text):
            raise RawFileError(path, "invalid JSON: the array is not closed with ']'", line)
        if text[pos:pos + 1] != "]":
            raise RawFileError(path, "invalid JSON: expected ',' or ']' after a record", line,
                               pos - text.rfind("\n", 0, pos))
        if text[pos + 1:].strip():
            raise RawFileError(path, "invalid JSON: text after the closing ']'", line)
        break
    return records, lines


def _parse_jsonl(
    path: Path, text: str, spec: RawSpec, first_line: int = 1
) -> tuple[list[dict[str, Any]], list[int]]:
    records, lines = [], []
    for number, line in enumerate(text.split("\n"), first_line):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise RawFileError(path, f"invalid JSON: {exc.msg}", number, exc.colno) from exc
        except ValueError as exc:  # NaN, Infinity, -Infinity: Python reads them, JSON has no such numbers
            column = line.find(str(exc)) + 1 or None
            raise RawFileError(path, f"invalid JSON: {exc} is not a JSON number (write null, or a string)", number,
                               column) from exc
        if not isinstance(record, dict):
            raise RawFileError(path, f"expected a JSON object, got {type(record).__name__}", number, 1)
        for key in record:
            if key.startswith("_"):
                raise RawFileError(path, f"column {key!r}: names starting with '_' are reserved", number)
        _check_types(path, record, number, spec)
        records.append(record)
        lines.append(number)
    return records, lines


def _parse_csv(path: Path, text: str, spec: RawSpec) -> tuple[list[dict[str, Any]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise RawFileError(path, f"no CSV header: {exc}", 1) from exc
    check_column_names(path, header)
    records, lines = [], []
    start = reader.line_num + 1
    try:
        for row in reader:
            if not row:
                start = reader.line_num + 1
                continue
            if len(row) != len(header):
                raise RawFileError(path, f"expected {len(header)} fields (header), got {len(row)}", start)
            record: dict[str, Any] = dict(zip(header, row, strict=True))
            for column, kind in spec.columns.items():
                if column in record and kind in ("integer", "number"):
                    record[column] = _csv_number(path, record[column], kind, column, start)
                elif column in record and kind == "json":
                    record[column] = _csv_json(path, record[column], column, start)
            _check_types(path, record, start, spec)
            records.append(record)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise RawFileError(path, f"CSV syntax: {exc}", reader.line_num) from exc
    return records, lines


def _csv_json(path: Path, value: str, column: str, line: int) -> Any:
    if value == "":
        return None
    try:
        return json.loads(value, parse_constant=_no_constant)
    except ValueError as exc:
        raise RawFileError(path, f"column {column!r} is declared json, but {value[:40]!r} is not JSON", line) from exc


def _csv_number(path: Path, value: str, kind: str, column: str, line: int) -> int | float | None:
    if value == "":
        return None
    try:
        return int(value) if kind == "integer" else float(value)
    except ValueError as exc:
        raise RawFileError(path, f"column {column!r} must be {kind}, got {value[:40]!r}", line) from exc


def _records_to_table(path: Path, records: list[dict[str, Any]], lines: list[int], spec: RawSpec) -> pa.Table:
    columns: dict[str, None] = dict.fromkeys(spec.columns)
    for record in records:
        columns.update(dict.fromkeys(record))
    check_column_names(path, list(columns))
    arrays = {}
    for column in columns:
        values = [record.get(column) for record in records]
        if spec.columns.get(column) == "json":
            arrays[column] = json_text(values)
            continue
        try:
            arrays[column] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            raise mixed_types(path, column, values, lines) from None
    return pa.table(arrays)


def _read_parquet(path: Path, data: bytes, spec: RawSpec) -> pa.Table:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise RawFileError(path, f"not a readable Parquet file: {exc}") from exc
    check_parquet_schema(path, table.schema, spec)
    if table.num_rows == 0:
        raise RawFileError(path, "file has no records")
    return json_columns(table, spec)


def check_parquet_schema(path: Path, schema: pa.Schema, spec: RawSpec) -> None:
    """Raise ``RawFileError`` unless a Parquet schema has the spec's columns with their types and no reserved name."""
    for column, kind in spec.columns.items():
        if column not in schema.names:
            raise RawFileError(path, f"Parquet schema lacks required column {column!r} (has {schema.names})")
        column_type = schema.field(column).type
        check = ARROW_CHECKS.get(kind)
        if check is not None and not check(column_type):
            raise RawFileError(path, f"column {column!r} must be {kind}, Parquet type is {column_type}")
    reserved = [c for c in schema.names if c.startswith("_")]
    if reserved:
        raise RawFileError(path, f"columns {reserved}: names starting with '_' are reserved")
    check_column_names(path, schema.names)


def with_row_ids(table: pa.Table, line_numbers: list[int] | range) -> pa.Table:
    """The table with ``_row_id`` appended: the given line (or row) numbers."""
    ids = np.arange(line_numbers.start, line_numbers.stop, dtype=np.int64) if isinstance(line_numbers, range) else (
        np.asarray(line_numbers, dtype=np.int64))
    return table.append_column("_row_id", pa.array(ids, pa.int64()))
