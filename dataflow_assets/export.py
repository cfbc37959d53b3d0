"""Export a partition's final rows for training: JSONL and Parquet plus a markdown dataset card."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dataflow_assets.spec import PipelineSpec
from operators.parallel import parallel_map
from resources.row_chunks import RowChunks, batch_reader, unified_schema


def _atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_stem(partition: str) -> str:
    """The export file name of a partition, without suffix: the raw file name's stem."""
    return Path(partition).stem


def export_path(out_dir: Path, partition: str, kind: str) -> Path:
    """Where a partition's export of one kind (jsonl, parquet, card.md) lives."""
    return out_dir / f"{export_stem(partition)}.{kind}"


def export_columns(table: pa.Table, spec: PipelineSpec) -> pa.Table:
    """The exported columns: the spec's list, or every non-system column."""
    names = spec.export.columns or [c for c in table.column_names if not c.startswith("_")]
    return table.select(names)


def write_jsonl(rows: pa.Table | pa.RecordBatchReader, path: Path) -> None:
    """Write rows as JSON lines (UTF-8, one object per line, DuckDB's vectorised writer), atomically."""

    def write(tmp: Path) -> None:
        with duckdb.connect() as conn:
            conn.register("export_rows", rows)
            target = tmp.as_posix().replace("'", "''")
            conn.execute(f"COPY export_rows TO '{target}' (FORMAT JSON)")

    _atomic_write(path, write)


def dataset_card(spec: PipelineSpec, partition: str, rows: int, stats: Sequence[dict[str, Any]]) -> str:
    """A short markdown card: what the data is, how many rows each step kept, and why rows were dropped."""
    lines = [
        f"# {spec.name} — partition `{partition}`",
        "",
        spec.description.strip(),
        "",
        f"- exported rows: **{rows}**",
        f"- exported at: {datetime.now(UTC).isoformat(timespec='seconds')}",
        "",
        "| step | input | kept | dropped | top drop reasons |",
        "|---|---:|---:|---:|---|",
    ]
    for row in stats:
        reasons = sorted(row["drop_counts"].items(), key=lambda kv: -kv[1])[:3]
        text = ", ".join(f"{reason} ({count})" for reason, count in reasons)
        lines.append(f"| {row['step']} | {row['input_rows']} | {row['output_rows']} | {row['dropped_rows']} | {text} |")
    return "\n".join(lines + llm_usage(stats)) + "\n"


def llm_usage(stats: Sequence[dict[str, Any]]) -> list[str]:
    """Card lines: the model each LLM step used and what it cost (empty when no step used an LLM)."""
    used = [row for row in stats if "llm_requests" in (row.get("metrics") or {})]
    if not used:
        return []
    lines = ["", "## Models and token usage", "",
             "| step | backend | model | requests | cache hits | failed rows | prompt tokens | completion tokens |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for row in used:
        m = row["metrics"]
        lines.append(f"| {row['step']} | {m.get('llm_backend', '')} | {m.get('llm_model', '')} | "
                     f"{m['llm_requests']} | {m.get('llm_cache_hits', 0)} | {m.get('llm_failures', 0)} | "
                     f"{m.get('llm_prompt_tokens', 0)} | {m.get('llm_completion_tokens', 0)} |")
    lines.append("")
    lines.append("Token counts are for requests sent in the run that wrote each step; cached answers cost none.")
    return lines


def _export_reader(rows: RowChunks, spec: PipelineSpec) -> pa.RecordBatchReader:
    """The exported columns of every chunk, as one stream with one schema."""
    schema = unified_schema(chunk.schema for chunk in rows.chunks) or pa.schema([])
    names = export_columns(schema.empty_table(), spec).schema
    return batch_reader(rows.tables(names.names), names)


def write_export(
    spec: PipelineSpec, partition: str, rows: pa.Table | RowChunks, out_dir: Path, stats: Sequence[dict[str, Any]]
) -> dict[str, Path]:
    """Write the export files of one partition, streaming chunk by chunk; returns their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = rows if isinstance(rows, RowChunks) else RowChunks.of(rows)
    paths: dict[str, Path] = {}
    writers: list[Callable[[], None]] = []
    if "jsonl" in spec.export.formats:
        paths["jsonl"] = export_path(out_dir, partition, "jsonl")
        writers.append(lambda: write_jsonl(_export_reader(rows, spec), paths["jsonl"]))
    if "parquet" in spec.export.formats:
        paths["parquet"] = export_path(out_dir, partition, "parquet")
        writers.append(lambda: _atomic_write(paths["parquet"], lambda tmp: _write_parquet(_export_reader(rows, spec),
                                                                                          tmp)))
    parallel_map(lambda write: write(), writers)  # the formats are written side by side
    paths["card"] = export_path(out_dir, partition, "card.md")
    card = dataset_card(spec, partition, rows.num_rows, stats)
    _atomic_write(paths["card"], lambda tmp: tmp.write_text(card, encoding="utf-8"))
    return paths


def _write_parquet(reader: pa.RecordBatchReader, path: Path) -> None:
    with pq.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
