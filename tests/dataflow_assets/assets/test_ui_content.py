"""What the Dagster UI shows: histogram images of score-like columns, pipeline descriptions, check thresholds."""

from __future__ import annotations

import base64
import io
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dagster import AssetKey, instance_for_test
from PIL import Image

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.engine.histograms import (
    BAR_RGB,
    BINS,
    DPI,
    FIGURE_INCHES,
    bin_counts,
    histogram_png,
    histogram_title,
)
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec, parse_spec
from operators.base import Mapper, OperatorConfig, OperatorContext, OperatorKind
from operators.registry import register
from tests.conftest import SAMPLES, Project

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@register
class WordAndSentenceCounter(Mapper):
    """Test operator (real, not a fake): word count (a score), sentence count (score hint) and a cluster id."""

    name = "TestWordAndSentenceCounter"
    kind = OperatorKind.EVALUATE
    inputs = ("text",)
    outputs = ("words", "sentences", "cluster_id", "first_word")
    Config = OperatorConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        text = self.text(batch)
        return {"words": pc.count_substring_regex(text, r"\S+"), "sentences": pc.count_substring(text, "."),
                "cluster_id": pa.array(range(batch.num_rows), pa.int64()),
                "first_word": pc.utf8_slice_codeunits(text, 0, 5)}


@register
class HintedCounter(WordAndSentenceCounter):
    """Test operator declaring which outputs are scores (``histogram_outputs``)."""

    name = "TestHintedCounter"
    histogram_outputs: ClassVar[tuple[str, ...]] = ("sentences",)

SPEC = parse_spec("""\
name: scored
description: Count words and sentences of each document.
raw:
  columns: {text: string}
steps:
  - name: counts
    op: TestWordAndSentenceCounter
    outputs: {words: n_words}
  - name: hinted
    op: TestHintedCounter
    outputs: {words: w2, sentences: s2, cluster_id: c2, first_word: f2}
    checks:
      - {check: retention, min: 0.9, max: 1.0, severity: WARN}
""")


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    return struct.unpack(">II", png[16:24])


def embedded_png(metadata: Mapping[str, Any], label: str) -> bytes:
    markdown = metadata[f"histogram/{label}"].value
    assert markdown.startswith(f"![{label} histogram](data:image/png;base64,") and markdown.endswith(")")
    return base64.b64decode(markdown.split("base64,", 1)[1][:-1])


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, Mapping[str, Any]], Any]:

    with instance_for_test() as instance:
        project = Project(tmp_path_factory.mktemp("scored"), instance)
        project.add_raw(SPEC.name, "docs.jsonl", SAMPLES / "web_sample_2.jsonl")
        result = project.materialize(SPEC, "docs.jsonl")
        assert result.success, failure_messages(result)
        metadata = {e.materialization.asset_key.path[-1]: e.materialization.metadata
                    for e in result.get_asset_materialization_events()}
        yield project, metadata, result


def test_numeric_outputs_get_histograms_ids_and_strings_do_not(scored: tuple) -> None:
    project, metadata, _ = scored
    counts = metadata["counts"]
    assert {key for key in counts if key.startswith("histogram/")} == {
        "histogram/n_words", "histogram/n_words/path", "histogram/sentences", "histogram/sentences/path"}
    for label in ("n_words", "sentences"):
        path = Path(counts[f"histogram/{label}/path"].path)
        assert path == project.files.artifact_dir(SPEC.name, "docs.jsonl") / f"counts__{label}.png"
        assert path.read_bytes() == embedded_png(counts, label)
        assert png_size(path.read_bytes()) == (int(FIGURE_INCHES[0] * DPI), int(FIGURE_INCHES[1] * DPI))
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files left behind


def test_operator_hint_selects_the_histogram_columns(scored: tuple) -> None:
    _, metadata, _ = scored
    assert [key for key in metadata["hinted"] if key.startswith("histogram/")] == ["histogram/s2", "histogram/s2/path"]


def test_raw_and_export_show_text_length_histograms(scored: tuple) -> None:
    _, metadata, _ = scored
    for asset in ("raw", "export"):
        assert png_size(embedded_png(metadata[asset], "text length"))[0] > 0
        assert Path(metadata[asset]["histogram/text length/path"].path).name == f"{asset}__text_length.png"


def test_histogram_is_drawn_from_the_values() -> None:
    few, many = histogram_png(np.array([1.0, 2.0, 2.0]), "x"), histogram_png(np.arange(1000.0) ** 1.5, "x")
    assert few != many and png_size(few) == png_size(many)
    assert png_size(histogram_png(np.array([np.nan]), "empty"))[0] > 0  # no finite values: still an image


def bar_pixels_per_column(png: bytes) -> np.ndarray:
    """Bar-coloured pixels in each column of the decoded image."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return (pixels == np.array(BAR_RGB, dtype=np.uint8)).all(axis=2).sum(axis=0)


def bar_heights(png: bytes) -> np.ndarray:
    """Bar-coloured pixels per image column, from the first to the last column holding any."""
    per_column = bar_pixels_per_column(png)
    columns = np.flatnonzero(per_column)
    return per_column[columns[0]:columns[-1] + 1]


def test_bars_are_drawn_from_the_counts() -> None:
    values = np.r_[np.linspace(0.0, 30.0, 3001), np.full(500, 20.5)]  # ~100 per bin, 600 in bin 20 of [0, 30]
    heights = bar_heights(histogram_png(values, "x"))
    tallest = int(np.argmax(heights))
    assert 20 / BINS <= tallest / heights.size < 21 / BINS
    bin_5 = heights[int(5.5 / BINS * heights.size)]
    assert abs(bin_5 - heights.max() * 100 / 600) <= 2  # heights proportional to counts


def test_values_in_the_first_bin_draw_bars_on_the_left_only() -> None:
    heights = bar_heights(histogram_png(np.r_[np.zeros(10_000), 30.0], "x"))
    assert np.flatnonzero(heights > 1).max() < heights.size / BINS
    assert heights[-1] == 1  # the one value at the top end: a 1-pixel bar, never invisible


def test_one_distinct_value_is_one_bar_in_the_middle() -> None:
    per_column = bar_pixels_per_column(histogram_png(np.full(50, -7.25), "x"))
    columns, width = np.flatnonzero(per_column), FIGURE_INCHES[0] * DPI
    assert columns.size <= width / BINS and columns[-1] - columns[0] + 1 == columns.size  # one bin wide, contiguous
    assert len(set(per_column[columns])) == 1 and 0.4 * width < columns.mean() < 0.6 * width


@pytest.mark.parametrize("values", [
    np.array([np.nan, 1.0, np.inf, -2.5, -np.inf, np.nan, 4.0]),
    np.full(3, 1e20),
    np.array([-1.7e308, 0.0, 1.7e308]),
    np.array([1.0, 1.0 + 1e-15]),
    np.r_[np.zeros(300_000), 1.0],
    np.array([], dtype=np.float64),
    np.arange(-500, 0, dtype=np.int64),
])
def test_edge_values_draw_the_same_bytes_without_warnings(values: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first, second = histogram_png(values, "edge"), histogram_png(values.copy(), "edge")
    assert first == second and png_size(first) == (int(FIGURE_INCHES[0] * DPI), int(FIGURE_INCHES[1] * DPI))


def test_bin_counts_and_title_cover_every_finite_value() -> None:
    for values, first, last in (([-1.7e308, 1.7e308], 0, BINS - 1), ([1.0, 1.0 + 1e-15], 0, BINS - 1),
                                ([5.0, 5.0], BINS // 2, BINS // 2), ([-3.0, -1.0, 2.0], 0, BINS - 1)):
        counts, low, high = bin_counts(np.array(values))
        assert counts.sum() == len(values) and (np.flatnonzero(counts)[[0, -1]] == [first, last]).all()
        assert low <= min(values) and max(values) <= high
    assert histogram_title(np.array([2.0, 1.0, 2.0]), "score") == "score: n=3, median=2, range [1, 2]"
    huge = histogram_title(np.array([1.5e308, 1.7e308]), "big")  # the median's mean must not overflow
    assert huge == "big: n=2, median=1.6e+308, range [1.5e+308, 1.7e+308]"
    assert histogram_title(np.array([]), "score") == "score: no values"


def test_pipeline_description_reaches_the_job_and_raw_asset() -> None:
    spec = load_spec(builtin_spec("text_pretrain_filter"))
    from dataflow_assets.assets.project import build_definitions

    defs = build_definitions([spec])
    job = defs.resolve_job_def(f"{spec.name}_job")
    raw = defs.resolve_assets_def(AssetKey([spec.name, "raw"])).specs_by_key
    raw_description = next(iter(raw.values())).description
    for description in (job.description, raw_description):
        assert spec.description.strip()[:60] in description
        assert f"**Steps** ({len(spec.steps)})" in description
        assert f"1. `{spec.steps[0].name}`: {spec.steps[0].op}" in description
        assert f"{len(spec.steps)}. `{spec.steps[-1].name}`: {spec.steps[-1].op}" in description


def test_checks_carry_thresholds_in_spec_and_result_metadata(scored: tuple) -> None:
    project, _, result = scored
    hinted = project.definitions([SPEC]).resolve_assets_def(AssetKey(["scored", "hinted"]))
    check_specs = {c.name: c for c in hinted.check_specs}
    assert check_specs["retention"].metadata == {"severity": "WARN", "min": 0.9, "max": 1.0}
    assert check_specs["retention"].description == "kept / input rows in [0.9, 1.0]"
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "retention")
    assert evaluation.metadata["min"].value == 0.9 and evaluation.metadata["max"].value == 1.0
    assert evaluation.metadata["value"].value == 1.0 and evaluation.passed
