"""Partition writes are one transaction: a re-run replaces, a failed write leaves the old rows intact."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.json  # noqa: F401  (pa.json)
import pytest
from dagster_duckdb import DuckDBResource

from resources.warehouse.column_types import SchemaDriftError
from resources.warehouse.connection import LONG_TEXT_BYTES, connect, read_partition
from resources.warehouse.row_chunks import RowChunks
from resources.warehouse.step_store import step_stats
from resources.warehouse.step_writes import write_step_output
from tests.conftest import SAMPLES


def rows(texts: list[str]) -> pa.Table:
    return pa.table({"text": texts, "_row_id": pa.array(range(1, len(texts) + 1), pa.int64())})


def test_rewrite_replaces_never_duplicates(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "raw", "a", rows(["x", "y"]), None, {})
    write_step_output(conn, "p", "raw", "b", rows(["z"]), None, {})
    write_step_output(conn, "p", "raw", "a", rows(["x2", "y2", "w2"]), None, {})
    assert read_partition(conn, "p", "raw", "a").column("text").to_pylist() == ["x2", "y2", "w2"]
    assert conn.sql("SELECT count(*) FROM p.raw").fetchall()[0][0] == 4


def test_failed_write_keeps_previous_contents(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "s", "a", rows(["keep"]), None, {"input_rows": 1})
    bad_dropped = pa.table({"text": ["d"], "_row_id": ["not-a-number"]})
    write_step_output(conn, "p", "s", "b", rows(["other"]), rows(["d"]), {"input_rows": 2})
    with pytest.raises(SchemaDriftError, match="_row_id"):  # kept rows are written first, then this insert fails
        write_step_output(conn, "p", "s", "a", rows(["new"]), bad_dropped, {"input_rows": 1})
    assert read_partition(conn, "p", "s", "a").column("text").to_pylist() == ["keep"]
    assert [s["input_rows"] for s in step_stats(conn, "p", "a", ["s"])] == [1]


def test_new_output_columns_are_added(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_step_output(conn, "p", "s", "a", rows(["x"]), None, {})
    write_step_output(conn, "p", "s", "b", rows(["y"]).append_column("score", pa.array([0.5])), None, {})
    assert read_partition(conn, "p", "s", "b").column("score").to_pylist() == [0.5]
    assert read_partition(conn, "p", "s", "a").column("score").to_pylist() == [None]


def test_reading_a_missing_table_says_what_to_do(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(LookupError, match="materialize it first"):
        read_partition(conn, "p", "nothing", "a")


def test_binary_columns_are_stored_uncompressed_and_read_back(tmp_path: Path) -> None:
    """Hashes and signatures do not compress: their column skips DuckDB's compression analysis, the rows are intact."""
    path = tmp_path / "w.duckdb"
    signatures = [bytes([i % 256]) * 64 + i.to_bytes(8, "little") for i in range(3000)]
    index = pa.table({"_row_id": pa.array(range(3000), pa.int64()), "signature": pa.array(signatures, pa.binary())})
    conn = duckdb.connect(str(path))
    write_step_output(conn, "p", "dedup", "a", rows(["x"]), None, {}, side_tables={"index": index})
    write_step_output(conn, "p", "dedup", "a", rows(["x"]), None, {}, side_tables={"index": index})  # a re-run
    conn.execute("CHECKPOINT")
    ddl = conn.sql("SELECT sql FROM duckdb_tables() WHERE table_name = 'dedup__index'").fetchall()[0][0]
    assert "signature BLOB USING COMPRESSION Uncompressed" in ddl
    methods = {row[0] for row in conn.sql("SELECT compression FROM pragma_storage_info('p.dedup__index') "
                                          "WHERE column_name = 'signature' AND segment_type = 'BLOB'").fetchall()}
    assert methods == {"Uncompressed"}
    stored = conn.sql("SELECT signature FROM p.dedup__index WHERE _partition = 'a' ORDER BY _row_id").fetchall()
    assert [row[0] for row in stored] == signatures
    text_ddl = conn.sql("SELECT sql FROM duckdb_tables() WHERE table_name = 'dedup'").fetchall()[0][0]
    assert "COMPRESSION" not in text_ddl  # other columns keep DuckDB's choice


def _compression(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> set[str]:
    conn.execute("CHECKPOINT")
    return {row[0] for row in conn.sql(f"SELECT compression FROM pragma_storage_info('{table}') WHERE column_name = "
                                       f"'{column}' AND segment_type = 'VARCHAR'").fetchall()}


def _documents() -> list[str]:
    """The web sample's documents (real-looking text, one of 17 kB: DuckDB's default stores them uncompressed)."""
    return pa.json.read_json(SAMPLES / "web_sample.jsonl").column("text").to_pylist()


def test_long_text_is_stored_zstd_and_short_strings_keep_duckdbs_choice(tmp_path: Path) -> None:
    """Documents are ZSTD-compressed (DuckDB's default leaves long unique text uncompressed); labels are not; the
    text reads back intact, from an in-memory table and from spilled chunks, in a table made before too."""
    warehouse = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    docs = _documents()
    assert sum(len(doc) for doc in docs) >= LONG_TEXT_BYTES * len(docs)
    table = rows(docs).append_column("label", pa.array(["spam", "ham", "code"] * (len(docs) // 3)))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as plain:  # a table created without the setting
        write_step_output(plain, "p", "old", "a", rows(["short"]), None, {})
    spilled = RowChunks()
    for start in (0, 150):
        spilled.append(table.slice(start, 150), spill=True)
    with connect(warehouse) as conn:
        write_step_output(conn, "p", "raw", "a", table, None, {})
        write_step_output(conn, "p", "copy", "a", spilled, None, {})
        write_step_output(conn, "p", "old", "b", table, None, {})
        for name in ("raw", "copy", "old"):
            assert "ZSTD" in _compression(conn, f"p.{name}", "text"), name
            assert "ZSTD" not in _compression(conn, f"p.{name}", "label"), name
            assert read_partition(conn, "p", name, "b" if name == "old" else "a").column("text").to_pylist() == docs
