"""Export a partition's final rows for training: JSONL and Parquet plus a markdown dataset card."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dataflow_assets.spec.model import PipelineSpec
from operators.parallel import parallel_map
from resources.warehouse.row_chunks import RowChunks, batch_reader, unified_schema


def _atomic_write(path: Path, write: Any) -> None:
    tmp = _temporary(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_stem(partition: str) -> str:
    """The export file of a partition, without suffix: the raw file's path under the raw folder, without its suffix
    (``a/part-00000.jsonl`` -> ``a/part-00000``), so files of one name in different folders stay apart."""
    return PurePosixPath(partition).with_suffix("").as_posix()


def export_path(out_dir: Path, partition: str, kind: str) -> Path:
    """Where a partition's export of one kind (jsonl, parquet, card.md) lives."""
    return out_dir / f"{export_stem(partition)}.{kind}"


def export_columns(table: pa.Table, spec: PipelineSpec) -> pa.Table:
    """The exported columns: the spec's list, or every non-system column."""
    names = spec.export.columns or [c for c in table.column_names if not c.startswith("_")]
    return table.select(names)


def write_jsonl(rows: pa.Table | pa.RecordBatchReader, path: Path) -> None:
    """Write rows as JSON lines (UTF-8, one object per line, DuckDB's vectorised writer) to ``path``."""
    with duckdb.connect() as conn:
        conn.register("export_rows", rows)
        target = path.as_posix().replace("'", "''")
        conn.execute(f"COPY export_rows TO '{target}' (FORMAT JSON)")


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


@dataclass
class StagedExport:
    """Export files written under temporary names; ``publish`` adds the dataset card and moves them into place."""

    spec: PipelineSpec
    partition: str
    out_dir: Path
    num_rows: int
    staged: dict[str, tuple[Path, Path]]  # kind -> (temporary file, final path)

    def publish(self, stats: Sequence[dict[str, Any]]) -> dict[str, Path]:
        """Rename every file into place, then write the card (counts per step from ``stats``); paths by kind."""
        paths = {kind: final for kind, (_, final) in self.staged.items()}
        for tmp, final in self.staged.values():
            os.replace(tmp, final)
        paths["card"] = export_path(self.out_dir, self.partition, "card.md")
        card = dataset_card(self.spec, self.partition, self.num_rows, stats)
        _atomic_write(paths["card"], lambda tmp: tmp.write_text(card, encoding="utf-8"))
        return paths

    def discard(self) -> None:
        """Remove the temporary files (the run failed before the export was published)."""
        for tmp, _ in self.staged.values():
            tmp.unlink(missing_ok=True)


def stage_export(spec: PipelineSpec, partition: str, rows: pa.Table | RowChunks, out_dir: Path) -> StagedExport:
    """Write the export's data files (JSONL, Parquet: side by side, streaming chunk by chunk) under temporary
    names next to their final paths."""
    export_path(out_dir, partition, "card.md").parent.mkdir(parents=True, exist_ok=True)
    rows = rows if isinstance(rows, RowChunks) else RowChunks.of(rows)
    writers: dict[str, Callable[[Path], None]] = {}
    if "jsonl" in spec.export.formats:
        writers["jsonl"] = lambda tmp: write_jsonl(_export_reader(rows, spec), tmp)
    if "parquet" in spec.export.formats:
        writers["parquet"] = lambda tmp: _write_parquet(_export_reader(rows, spec), tmp)
    staged = {kind: (_temporary(export_path(out_dir, partition, kind)), export_path(out_dir, partition, kind))
              for kind in writers}
    export = StagedExport(spec, partition, out_dir, rows.num_rows, staged)
    try:
        parallel_map(lambda kind: writers[kind](staged[kind][0]), list(writers))
    except BaseException:
        export.discard()
        raise
    return export


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _write_parquet(reader: pa.RecordBatchReader, path: Path) -> None:
    with pq.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
