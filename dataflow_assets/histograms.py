"""Small histogram images of score-like columns (scores, lengths, cluster sizes) for the Dagster UI.

Each image is a PNG written under the file store's artifact folder and embedded in the materialization metadata
as a markdown image with a data URI, plus the path. Drawn with matplotlib's object API on the Agg canvas
(no pyplot, no global backend state, safe in any thread).
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dagster import MetadataValue

from dataflow_assets.spec import PipelineSpec, StepSpec
from operators.base import Operator
from resources.files import FileStoreResource

MAX_HISTOGRAMS = 4
BINS = 30
FIGURE_INCHES = (4.0, 2.0)
DPI = 96


def is_score_type(data_type: pa.DataType) -> bool:
    """Integer or floating columns (booleans are not scores)."""
    return pa.types.is_integer(data_type) or pa.types.is_floating(data_type)


def score_columns(table: pa.Table, candidates: Iterable[str]) -> list[str]:
    """The candidates that are numeric columns of ``table`` (at most ``MAX_HISTOGRAMS``), in order."""
    names = set(table.column_names)
    found = [c for c in dict.fromkeys(candidates) if c in names and is_score_type(table.schema.field(c).type)]
    return found[:MAX_HISTOGRAMS]


def text_lengths(table: pa.Table, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """Character lengths of string columns, keyed ``<column> length``."""
    lengths = {}
    for name in columns:
        if name in table.column_names and pa.types.is_string(table.schema.field(name).type):
            lengths[f"{name} length"] = pc.utf8_length(table.column(name)).to_numpy(zero_copy_only=False)
    return dict(list(lengths.items())[:MAX_HISTOGRAMS])


def histogram_png(values: np.ndarray, title: str) -> bytes:
    """A small PNG histogram of the finite values, titled with count, median and range."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    finite = values[np.isfinite(values)]
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if finite.size:
        axes.hist(finite, bins=BINS, color="#4f43dd")
        axes.set_title(f"{title}: n={finite.size}, median={np.median(finite):.3g}, "
                       f"range [{finite.min():.3g}, {finite.max():.3g}]", fontsize=7)
    else:
        axes.set_title(f"{title}: no values", fontsize=7)
    axes.tick_params(labelsize=6)
    figure.tight_layout(pad=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def _file_name(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label) + ".png"


def histogram_metadata(series: dict[str, np.ndarray], out_dir: Path, prefix: str) -> dict[str, Any]:
    """Draw one histogram per series into ``out_dir/<prefix>__<label>.png``; metadata embedding each and its path."""
    metadata: dict[str, Any] = {}
    for label, values in series.items():
        png = histogram_png(np.asarray(values, dtype=np.float64), label)
        path = out_dir / _file_name(f"{prefix}__{label}")
        _write_atomically(path, png)
        image = base64.b64encode(png).decode("ascii")
        metadata[f"histogram/{label}"] = MetadataValue.md(f"![{label} histogram](data:image/png;base64,{image})")
        metadata[f"histogram/{label}/path"] = MetadataValue.path(str(path))
    return metadata


def column_series(table: pa.Table, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """The numeric columns among ``columns`` as float arrays (nulls as NaN), keyed by column name."""
    return {name: table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)
            for name in score_columns(table, columns)}


def score_candidates(op_cls: type[Operator], step: StepSpec) -> list[str]:
    """Table columns a step may histogram: its operator's ``histogram_outputs`` hint, else its outputs but ids."""
    hinted = getattr(op_cls, "histogram_outputs", None)
    logical = list(hinted) if hinted is not None else [name for name in op_cls.outputs if not name.endswith("_id")]
    return [step.outputs.get(name, name) for name in logical]


def step_histograms(
    files: FileStoreResource, pipeline: str, step: str, partition: str, series: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Histogram metadata for a step's numeric series (empty when there are none)."""
    return histogram_metadata(series, files.artifact_dir(pipeline, partition), step) if series else {}


def length_columns(spec: PipelineSpec) -> list[str]:
    """The spec's declared string columns, whose character lengths the raw and export assets histogram."""
    return [name for name, kind in spec.raw.columns.items() if kind == "string"]
