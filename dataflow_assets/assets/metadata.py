"""Materialization metadata (row count, column schema, a markdown preview, drop counts) and UI descriptions."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableSchema

from dataflow_assets.engine.histograms import write_histograms
from dataflow_assets.engine.profile import PREVIEW_ROWS
from dataflow_assets.spec.model import PipelineSpec
from resources.files import FileStoreResource

PREVIEW_CELL_CHARS = 120


def column_schema(schema: pa.Schema) -> TableSchema:
    """A Dagster table schema from an Arrow schema."""
    return TableSchema(columns=[TableColumn(name=f.name, type=str(f.type)) for f in schema])


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ⏎ ").replace("|", "\\|")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"


def markdown_preview(table: pa.Table, rows: int = PREVIEW_ROWS) -> str:
    """The first rows of a table as a markdown table (long cells cut)."""
    head = table.slice(0, rows).to_pylist()
    names = table.column_names
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(_cell(row[name]) for name in names) + " |" for row in head]
    if not head:
        lines.append("| " + " | ".join("" for _ in names) + " |")
    return "\n".join(lines)


def step_metadata(
    rows: int, schema: pa.Schema, head: pa.Table, input_rows: int | None, drop_counts: Mapping[str, int],
    metrics: Mapping[str, Any],
) -> dict[str, Any]:
    """What every step materialization reports (``head``: the first rows, for the preview)."""
    metadata: dict[str, Any] = {
        "dagster/row_count": rows,
        "dagster/column_schema": column_schema(schema),
        "preview": MetadataValue.md(markdown_preview(head)),
        "kept": rows,
        "dropped": sum(drop_counts.values()),
        "drop_reasons": MetadataValue.json(dict(sorted(drop_counts.items(), key=lambda kv: -kv[1]))),
    }
    if input_rows is not None:
        metadata["input_rows"] = input_rows
        metadata["retention"] = MetadataValue.float(rows / input_rows if input_rows else 1.0)
    for name, value in metrics.items():
        metadata[f"metric/{name}"] = value
    return metadata


def pipeline_description(spec: PipelineSpec) -> str:
    """A README-like markdown description of a pipeline for the UI: purpose, raw input, steps, export."""
    columns = ", ".join(f"`{name}` ({kind})" for name, kind in spec.raw.columns.items()) or "any"
    steps = "\n".join(f"{i}. `{step.name}`: {step.op}" for i, step in enumerate(spec.steps, start=1))
    parts = [spec.description.strip() or f"Pipeline {spec.name}.",
             f"**Raw input**: one file per partition ({', '.join(spec.raw.formats)}), columns {columns}.",
             f"**Steps** ({len(spec.steps)}):\n\n{steps}",
             f"**Export**: {', '.join(spec.export.formats)} and a dataset card."]
    return "\n\n".join(parts)


def histogram_metadata(series: dict[str, np.ndarray], out_dir: Path, prefix: str) -> dict[str, Any]:
    """Draw one histogram per series into ``out_dir/<prefix>__<label>.png``; metadata embedding each and its path."""
    metadata: dict[str, Any] = {}
    for label, (png, path) in write_histograms(series, out_dir, prefix).items():
        image = base64.b64encode(png).decode("ascii")
        metadata[f"histogram/{label}"] = MetadataValue.md(f"![{label} histogram](data:image/png;base64,{image})")
        metadata[f"histogram/{label}/path"] = MetadataValue.path(str(path))
    return metadata


def step_histograms(
    files: FileStoreResource, pipeline: str, step: str, partition: str, series: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Histogram metadata for a step's numeric series (empty when there are none)."""
    return histogram_metadata(series, files.artifact_dir(pipeline, partition), step) if series else {}
