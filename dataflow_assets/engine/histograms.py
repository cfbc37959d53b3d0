"""Small histogram images of score-like columns (scores, lengths, cluster sizes) for the Dagster UI.

Each image is a PNG written under the file store's artifact folder (``assets/metadata.py`` embeds it in the
materialization metadata as a markdown image with a data URI, plus the path). Drawn with Pillow into a fresh image
per call (bars as a numpy mask, text with Pillow's built-in font): no global state, safe in any thread, a few
milliseconds per image.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image, ImageDraw, ImageFont

from dataflow_assets.spec.model import PipelineSpec, StepSpec
from operators.base import Operator

MAX_HISTOGRAMS = 4
BINS = 30
FIGURE_INCHES = (4.0, 2.0)
DPI = 96
TITLE_PX, LABEL_PX = 12, 10
FLOAT_MAX = float(np.finfo(np.float64).max)
BAR_RGB, GRID_RGB, AXIS, INK = (0x4F, 0x43, 0xDD), (0xDD, 0xDD, 0xDD), (0x55, 0x55, 0x55), (0x22, 0x22, 0x22)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


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


def bin_counts(finite: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Counts of ``BINS`` equal-width bins over ``[min, max]`` (last bin closed) and that range.

    A single distinct value is centred in a range widened around it. Unlike ``np.histogram``, this never fails on
    ranges too wide (``±1e308``: the span overflows) or too narrow (``[1, 1 + 1e-15]``) for 30 finite-sized bins.
    """
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        pad = max(0.5, abs(low) * 1e-6)
        low, high = max(low - pad, -FLOAT_MAX), min(high + pad, FLOAT_MAX)
    with np.errstate(over="ignore"):
        span = high - low
    if np.isfinite(span):
        fraction = (finite - low) / span
    else:  # halving is exact for such large numbers and keeps the span finite
        fraction = (finite / 2 - low / 2) / (high / 2 - low / 2)
    index = np.minimum((fraction * BINS).astype(np.int64), BINS - 1)
    return np.bincount(index, minlength=BINS), low, high


def histogram_title(finite: np.ndarray, label: str) -> str:
    """``<label>: n=…, median=…, range [min, max]`` of the finite values, or ``<label>: no values``."""
    if not finite.size:
        return f"{label}: no values"
    with np.errstate(over="ignore"):
        median = float(np.median(finite))
    if not np.isfinite(median):  # the mean of the two middle values overflowed: halving first is exact
        median = 2.0 * float(np.median(finite / 2.0))
    return f"{label}: n={finite.size}, median={median:.3g}, range [{finite.min():.3g}, {finite.max():.3g}]"


@functools.cache
def _font(size: int) -> Font:
    """Pillow's built-in font (Aileron via FreeType; the bitmap font where FreeType is missing)."""
    return ImageFont.load_default(size=size)


def _count_label(count: int) -> str:
    if count < 100_000:
        return f"{count:,}"
    scale, suffix = next((s, x) for s, x in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")) if count >= s)
    return f"{count / scale:.3g}{suffix}"


def _fit(label: str, title: str, font: Font, width: float) -> str:
    """The title, its leading label shortened with an ellipsis until it fits ``width`` pixels."""
    rest = title[len(label):]
    while label and font.getlength(title) > width:
        label = label[:-1]
        title = f"{label}\u2026{rest}"
    return title


def _bar_pixels(counts: np.ndarray, width: int, height: int) -> np.ndarray:
    """A ``height x width`` mask of the bars: one column run per bin, a 1 px gap between bins, a non-empty bin
    at least 1 px tall."""
    column_bin = np.arange(width) * BINS // width
    bar_height = np.ceil(counts / max(int(counts.max()), 1) * height).astype(np.int64)[column_bin]
    if width >= 4 * BINS:
        bar_height[np.r_[column_bin[1:] != column_bin[:-1], False]] = 0  # last column of each bin: gap
    return np.arange(height)[:, None] >= height - bar_height[None, :]


def histogram_png(values: np.ndarray, title: str) -> bytes:
    """A small PNG histogram of the finite values, titled with count, median and range (deterministic bytes)."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    image_width, image_height = round(FIGURE_INCHES[0] * DPI), round(FIGURE_INCHES[1] * DPI)
    title_font, label_font = _font(TITLE_PX), _font(LABEL_PX)
    counts, low, high = bin_counts(finite) if finite.size else (np.zeros(BINS, np.int64), 0.0, 1.0)
    top_label = _count_label(int(counts.max()))
    left = 6 + round(label_font.getlength(top_label)) + 5
    top, right, bottom = TITLE_PX + 12, image_width - 12, image_height - LABEL_PX - 10
    pixels = np.full((image_height, image_width, 3), 255, dtype=np.uint8)
    pixels[top, left:right] = GRID_RGB
    pixels[top:bottom, left:right][_bar_pixels(counts, right - left, bottom - top)] = BAR_RGB
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    draw.text((image_width / 2, 3), _fit(title, histogram_title(finite, title), title_font, image_width - 8),
              fill=INK, font=title_font, anchor="mt")
    draw.line([(left - 1, top), (left - 1, bottom), (right, bottom)], fill=AXIS)
    if not finite.size:
        draw.text(((left + right) / 2, (top + bottom) / 2), "no finite values", fill=AXIS, font=title_font, anchor="mm")
        return _png(image)
    for y, text in ((top, top_label), (bottom, "0")):
        draw.line([(left - 4, y), (left - 1, y)], fill=AXIS)
        draw.text((left - 6, y), text, fill=INK, font=label_font, anchor="rm")
    _draw_x_labels(draw, [(left, low), ((left + right) / 2, low / 2 + high / 2), (right, high)], bottom, label_font,
                   image_width)
    return _png(image)


def _draw_x_labels(draw: ImageDraw.ImageDraw, ticks: list[tuple[float, float]], y: int, font: Font, width: int) -> None:
    """Tick marks below the x axis at ``y``, each labelled with its value (%.3g), kept inside ``width`` pixels."""
    if len({f"{value:.3g}" for _, value in ticks}) == 1:  # one distinct value: a single label under its bar
        ticks = ticks[len(ticks) // 2:][:1]
    for x, value in ticks:
        text = f"{value:.3g}"
        half = font.getlength(text) / 2
        draw.line([(x, y), (x, y + 3)], fill=AXIS)
        draw.text((min(max(x, half + 2), width - half - 2), y + 5), text, fill=INK, font=font, anchor="mt")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def _file_name(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label) + ".png"


def write_histograms(series: dict[str, np.ndarray], out_dir: Path, prefix: str) -> dict[str, tuple[bytes, Path]]:
    """Draw one histogram per series into ``out_dir/<prefix>__<label>.png``; each label's PNG bytes and file."""
    written: dict[str, tuple[bytes, Path]] = {}
    for label, values in series.items():
        png = histogram_png(np.asarray(values, dtype=np.float64), label)
        path = out_dir / _file_name(f"{prefix}__{label}")
        _write_atomically(path, png)
        written[label] = (png, path)
    return written


def column_series(table: pa.Table, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """The numeric columns among ``columns`` as float arrays (nulls as NaN), keyed by column name."""
    return {name: table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)
            for name in score_columns(table, columns)}


def score_candidates(op_cls: type[Operator], step: StepSpec) -> list[str]:
    """Table columns a step may histogram: its operator's ``histogram_outputs`` hint, else its outputs but ids."""
    hinted = getattr(op_cls, "histogram_outputs", None)
    logical = list(hinted) if hinted is not None else [name for name in op_cls.outputs if not name.endswith("_id")]
    return [step.outputs.get(name, name) for name in logical]


def length_columns(spec: PipelineSpec) -> list[str]:
    """The spec's declared string columns, whose character lengths the raw and export assets histogram."""
    return [name for name, kind in spec.raw.columns.items() if kind == "string"]
