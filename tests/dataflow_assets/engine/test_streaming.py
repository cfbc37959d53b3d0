"""Large partitions run in spilled chunks: the stored result is the same as a run on the whole partition.

The chunk sizes are set tiny (``DATAFLOW_CHUNK_BYTES`` / ``DATAFLOW_CHUNK_ROWS``, and ``DATAFLOW_SPILL_ABOVE``
0) so the ~300-document samples go through the streaming path: raw file in line blocks, every step chunk by
chunk, dedup keyed per chunk, one write transaction per step, export streamed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet  # noqa: F401  (pa.parquet)
import pytest
from dagster import instance_for_test

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.ingest.reader import RawFileError
from dataflow_assets.ingest.stream import read_raw_chunks
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from operators.base import OperatorContext
from operators.text.dedup.exact import HashDeduplicateFilter
from operators.text.dedup.minhash import MinHashDeduplicateFilter
from resources.warehouse import step_store
from resources.warehouse.row_chunks import RowChunks, spill_root
from tests.conftest import SAMPLES, Project
from tests.operators.text.dedup.corpus import make_corpus

SPEC = load_spec(builtin_spec("text_pretrain_filter"))
SAMPLE = "web_sample.jsonl"


def stored(project: Project) -> dict[str, list[tuple]]:
    """Every table of the pipeline schema, rows in a fixed order (step stats without run-specific columns)."""
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        names = [row[0] for row in conn.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'text_pretrain_filter'").fetchall()]
        tables = {name: conn.sql(f'SELECT * FROM text_pretrain_filter."{name}" ORDER BY ALL').fetchall()
                  for name in names}
        tables["stats"] = conn.sql("SELECT step, input_rows, output_rows, dropped_rows, drop_counts FROM "
                                   "_dataflow.step_stats ORDER BY step").fetchall()
    return tables


def materialize(root: Path, monkeypatch: pytest.MonkeyPatch, chunked: bool, spill: bool = True) -> Project:
    """The sample materialized whole, or in 14 chunks: spilled, or (``spill=False``) kept in memory."""
    if chunked:
        monkeypatch.setenv("DATAFLOW_CHUNK_BYTES", "20000")  # the 277 kB sample in ~14 blocks
        monkeypatch.setenv("DATAFLOW_CHUNK_ROWS", "17")
    else:
        monkeypatch.delenv("DATAFLOW_CHUNK_BYTES", raising=False)
        monkeypatch.delenv("DATAFLOW_CHUNK_ROWS", raising=False)
    if chunked and spill:
        monkeypatch.setenv("DATAFLOW_SPILL_ABOVE", "0")
    else:
        monkeypatch.delenv("DATAFLOW_SPILL_ABOVE", raising=False)  # the default: 256 MiB
    with instance_for_test() as instance:
        project = Project(root, instance)
        project.add_raw(SPEC.name, SAMPLE, SAMPLES / SAMPLE)
        result = project.materialize(SPEC, SAMPLE)
        assert result.success, failure_messages(result)
        [raw_meta] = [event.materialization.metadata for event in result.get_asset_materialization_events()
                      if event.asset_key.path == [SPEC.name, "raw"]]
        assert raw_meta["chunks"].value == (14 if chunked else 1)
        return project


@pytest.mark.parametrize("spill", [True, False], ids=["spilled", "in-memory"])
def test_chunked_run_stores_exactly_what_a_whole_partition_run_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill: bool
) -> None:
    whole = materialize(tmp_path / "whole", monkeypatch, chunked=False)
    chunked = materialize(tmp_path / "chunked", monkeypatch, chunked=True, spill=spill)
    expected, got = stored(whole), stored(chunked)
    assert set(got) == set(expected)
    for name in expected:
        assert got[name] == expected[name], name
    dropped = sum(row[3] for row in expected["stats"])
    assert dropped > 50  # the sample exercises drops in many steps, near duplicates included
    for kind in ("jsonl", "parquet"):
        stem = SAMPLE.removesuffix(".jsonl")
        out = [project.files.export_dir(SPEC.name) / f"{stem}.{kind}" for project in (whole, chunked)]
        if kind == "jsonl":
            assert out[0].read_bytes() == out[1].read_bytes()
        else:
            assert pa.parquet.read_table(out[0]).equals(pa.parquet.read_table(out[1]))


def test_raw_chunks_are_spilled_only_above_the_spill_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    size = (SAMPLES / SAMPLE).stat().st_size
    for spill_above, spilled in ((size, False), (size - 1, True)):
        monkeypatch.setenv("DATAFLOW_SPILL_ABOVE", str(spill_above))
        batch = read_raw_chunks(SAMPLES / SAMPLE, SPEC.raw, block_bytes=20000)
        assert len(batch.rows.chunks) == 14
        assert all((chunk.file is not None) == spilled for chunk in batch.rows.chunks), spill_above


def test_rerun_of_a_chunked_step_reads_its_input_back_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = materialize(tmp_path, monkeypatch, chunked=True)
    before = stored(project)
    step_store._HANDOFF.clear()  # a later run in another process: the input comes from DuckDB
    with duckdb.connect(str(project.root / "warehouse.duckdb")) as conn:
        rows = step_store.read_step_input(conn, SPEC.name, "strip_html_urls", SAMPLE).rows
    assert rows.spilled and len(rows.chunks) > 5 and all(chunk.num_rows <= 17 for chunk in rows.chunks)
    ids = np.concatenate([table.column("_row_id").to_numpy() for table in rows.tables()])
    assert (np.diff(ids) > 0).all()
    with instance_for_test() as instance:
        again = Project(project.root, instance)
        result = again.materialize(SPEC, SAMPLE)
        assert result.success, failure_messages(result)
    assert stored(again) == before


def test_bad_line_in_a_late_block_names_its_line_and_stores_nothing(tmp_path: Path) -> None:
    lines = (SAMPLES / SAMPLE).read_text(encoding="utf-8").splitlines()
    bad = len(lines) - 3
    lines[bad - 1] = '{"text": "unterminated'
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RawFileError) as error:
        read_raw_chunks(path, SPEC.raw, block_bytes=20000)
    assert error.value.line == bad and str(path) in str(error.value)


def test_raw_blocks_keep_line_numbers_across_blank_lines_and_a_line_longer_than_a_block(tmp_path: Path) -> None:
    long_text = "word " * 3000
    content = f'{{"text": "a"}}\n\n{{"text": "{long_text}"}}\n{{"text": "c"}}\n\n\n{{"text": "d"}}'
    path = tmp_path / "mixed.jsonl"
    path.write_text(content, encoding="utf-8")
    batch = read_raw_chunks(path, SPEC.raw, block_bytes=64, spill_above_bytes=0)
    table = batch.rows.to_table()
    assert table.column("_row_id").to_pylist() == [1, 3, 4, 7]
    assert table.column("text").to_pylist() == ["a", long_text, "c", "d"]
    assert batch.rows.spilled


def test_dedup_in_chunks_decides_as_on_the_whole_batch() -> None:
    texts = make_corpus(originals=300, seed=5).texts
    batch = pa.table({"text": texts, "_row_id": pa.array(range(1, len(texts) + 1), pa.int64())})
    for op in (MinHashDeduplicateFilter({"threshold": 0.8}), HashDeduplicateFilter()):
        whole = op.run(batch, OperatorContext())
        pieces = [batch.slice(start, 37) for start in range(0, batch.num_rows, 37)]

        def chunks(columns: list[str] | None, pieces: list[pa.Table] = pieces) -> Iterator[pa.Table]:
            return iter([p.select(columns) if columns else p for p in pieces])

        answers = list(op.run_chunks(chunks, OperatorContext()))
        assert len(answers) == len(pieces)
        assert pa.concat_tables([a.table for a in answers]).equals(whole.table)
        assert pa.concat_tables([a.dropped for a in answers]).equals(whole.dropped)
        assert answers[0].metrics == whole.metrics and all(not a.metrics for a in answers[1:])
        assert whole.dropped.num_rows > 0


def test_spill_files_go_when_nothing_refers_to_them() -> None:
    rows = RowChunks()
    for start in range(3):
        rows.append(pa.table({"_row_id": [start * 2, start * 2 + 1]}), spill=True)
    kept = rows.select([np.array([1]), np.array([], dtype=np.int64), np.array([0, 1])])
    assert kept.to_table().column("_row_id").to_pylist() == [1, 4, 5]
    files = [chunk.file.path for chunk in rows.chunks]
    del rows
    gc.collect()
    assert all(path.exists() for path in files)  # the selection still reads them
    del kept
    gc.collect()
    assert not any(path.exists() for path in files) and spill_root().exists()


def test_parquet_is_ingested_in_row_batches_with_the_same_rows_and_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataflow_assets.ingest.reader import read_raw

    monkeypatch.setenv("DATAFLOW_CHUNK_ROWS", "40")
    path = tmp_path / "docs.parquet"
    pa.parquet.write_table(pa.table({"text": [f"document {i} " * 20 for i in range(150)]}), path)
    streamed = read_raw_chunks(path, SPEC.raw, block_bytes=1024, spill_above_bytes=0)
    whole = read_raw(path, SPEC.raw)
    assert streamed.rows.spilled and [c.num_rows for c in streamed.rows.chunks] == [40, 40, 40, 30]
    assert streamed.rows.to_table().equals(whole.table) and streamed.sha256 == whole.sha256
