"""Cost of the UI histograms per asset (`make bench-ui`): one length histogram and one score histogram.

    python -m benchmarks.ui_cost [--rows 100000]

Prints a markdown section and replaces the ``BENCH ui`` section of benchmarks/RESULTS.md. The figure is the
per-asset cost that a step with histograms pays on top of its work (best of five, after a warm-up call that
pays the one-off set-up, also reported: Pillow's font load, numpy warm-up; Pillow itself is imported with the module).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks.results_file import write_section
from dataflow_assets.assets.metadata import histogram_metadata
from dataflow_assets.engine.histograms import column_series, text_lengths

BEGIN, END = "<!-- BENCH ui BEGIN -->", "<!-- BENCH ui END -->"


def _best_of(runs: int, action) -> float:  # noqa: ANN001 - a zero-argument callable
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def measure(rows: int) -> dict[str, float]:
    """Seconds: first histogram in a process, then one length and one score histogram per asset."""
    rng = np.random.default_rng(0)
    words = rng.integers(1, 400, rows)
    table = pa.table({"text": ["w " * int(n) for n in words], "score": rng.random(rows) * 5})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        start = time.perf_counter()
        histogram_metadata(column_series(table, ["score"]), out, "warmup")
        first = time.perf_counter() - start
        length = _best_of(5, lambda: histogram_metadata(text_lengths(table, ["text"]), out, "raw"))
        score = _best_of(5, lambda: histogram_metadata(column_series(table, ["score"]), out, "step"))
    return {"first": first, "length": length, "score": score}


def render(rows: int, seconds: dict[str, float]) -> str:
    """The RESULTS.md section."""
    return "\n".join([
        BEGIN,
        "## UI histograms: cost per asset",
        "",
        f"Command: `make bench-ui` (= `python -m benchmarks.ui_cost --rows {rows}`), {datetime.now(UTC):%Y-%m-%d}.",
        "",
        "| what | rows | ms |",
        "|---|---:|---:|",
        f"| first histogram in a process (loads Pillow's font) | {rows:,} | {seconds['first'] * 1e3:.0f} |",
        f"| text-length histogram (raw / export asset) | {rows:,} | {seconds['length'] * 1e3:.0f} |",
        f"| numeric score column histogram (a step with score outputs) | {rows:,} | {seconds['score'] * 1e3:.0f} |",
        "",
        "Each histogram is a 384x192 PNG (about 5 KB) drawn with Pillow, written under "
        "`<export>/<pipeline>/artifacts/<partition>/` and embedded as a data URI.",
        END,
    ])



def main() -> None:
    """Measure and write the section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    section = render(args.rows, measure(args.rows))
    print(section)
    write_section(section, BEGIN, END)


if __name__ == "__main__":
    main()
