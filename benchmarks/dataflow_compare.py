"""The DataFlow side-by-side of ``make bench``: run benchmarks.dataflow_reference in DataFlow's venv, render a table.

This side runs in our venv and never imports open-dataflow: the reference runs as a subprocess of
``.venv-dataflow/bin/python`` (``make bench-dataflow-venv``) and hands back one JSON line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from operators.registry import get_operator

ROOT = Path(__file__).resolve().parents[1]
DATAFLOW_PYTHON = ROOT / ".venv-dataflow" / "bin" / "python"
INSTALL_HINT = ("DataFlow side-by-side skipped: `make bench-dataflow-venv` installs open-dataflow 1.0.13 into "
                ".venv-dataflow (~7.5 GB, opt-in); `make bench` then runs DataFlow's operators on the same corpus.")


def run_reference(corpus: Path, python: Path = DATAFLOW_PYTHON) -> dict[str, Any] | None:
    """DataFlow's figures on ``corpus``, or None (with one line printed saying why) when they cannot be had."""
    if not python.exists():
        print(INSTALL_HINT)
        return None
    command = [str(python), "-m", "benchmarks.dataflow_reference", str(corpus)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"DataFlow side-by-side failed (exit {done.returncode}): {tail}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def default_differences(reference: dict[str, Any]) -> list[str]:
    """Spec-unset parameters whose DataFlow default differs from ours, and parameters only one side has."""
    notes = []
    for op, params in reference["config"].items():
        fields = get_operator(op).Config.model_fields
        ours = {name: field.get_default(call_default_factory=True) for name, field in fields.items()
                if not field.is_required()}
        for name, theirs in params["dataflow_defaults"].items():
            if name not in ours:
                notes.append(f"{op}: DataFlow parameter `{name}` (default {theirs!r}) has no counterpart here")
            elif ours[name] != theirs:
                notes.append(f"{op}: default `{name}` is {ours[name]!r} here, {theirs!r} in DataFlow")
        extra = sorted(set(fields) - set(params["dataflow_defaults"]) - set(params["passed"])
                       - set(params.get("run_parameters", ())))  # e.g. input_keys: a run() argument in DataFlow
        if extra:
            notes.append(f"{op}: parameters only here, at their defaults: "
                         + ", ".join(f"`{name}`={ours.get(name)!r}" for name in extra))
    return notes


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:,.1f}×" if theirs else "n/a"


def _slowest_note(reference: dict[str, Any]) -> str:
    """Where DataFlow's chain time goes: its slowest operator, and the rest of the chain without it."""
    steps, total = reference["steps"], reference["variants"]["all"]["seconds"]
    slowest = max(steps, key=lambda row: row["seconds"])
    rest_s = total - slowest["seconds"]
    rest_rows = max(row["input_rows"] for row in steps if row is not slowest)
    return (f"DataFlow's slowest operator is {slowest['op']} ({slowest['seconds']:,.0f} s of its {total:,.0f} s "
            f"chain, {slowest['compute_rows_per_s']:,.0f} rows/s); its other {len(steps) - 1} operators take "
            f"{rest_s:,.1f} s ({rest_rows / rest_s:,.0f} rows/s of the {rest_rows:,} rows they start from).")


def _divergence_note(reference: dict[str, Any], ours: dict[str, dict]) -> str:
    """The first step whose kept rows differ between DataFlow and here (later steps then start from other rows)."""
    for row in reference["steps"]:
        mine = ours.get(row["step"])
        if mine and mine["kept"] != row["kept"]:
            return (f"Kept rows first differ at `{row['step']}` ({row['op']}): DataFlow keeps {row['kept']:,}, this "
                    f"project {mine['kept']:,}; every later step starts from different rows, so its kept counts "
                    "differ by carry-over, not by its own rule.")
    return "Kept rows are the same at every step."


def render_table(reference: dict[str, Any], operators: dict, chain: dict, dagster: dict) -> list[str]:
    """Markdown lines: chain and per-operator rows/s of DataFlow and of this project, with ratios and kept rows."""
    ours = {row["step"]: row for row in operators["steps"]}
    first8, every = reference["variants"]["first8"], reference["variants"]["all"]
    ours_first8_s = sum(ours[r["step"]]["input_rows"] / ours[r["step"]]["rows_per_s"]
                        for r in reference["steps"][:len(first8["operators"])])
    ours_first8 = reference["rows"] / ours_first8_s
    lines = [
        "",
        f"### DataFlow (open-dataflow {reference['dataflow_version']}) vs this project: rows/s and ratio",
        "",
        "DataFlow's own operators, built with this spec's config, run as DataFlow's pipelines run them (`FileStorage`,"
        " a JSONL snapshot per step) on the same corpus, in `.venv-dataflow` "
        "(`python -m benchmarks.dataflow_reference CORPUS`). Ratio = this project's rows/s ÷ DataFlow's. DataFlow "
        "names no 8-operator CPU pipeline (its `PTTextFilter_CPUPipeline` runs 23), so the short chain is this "
        "spec's first 8 operators; its figures are the first 8 steps of the full run.",
        "",
        "| chain | DataFlow rows/s | this project rows/s | ratio | DataFlow peak RSS | DataFlow step snapshots |",
        "|---|---:|---:|---:|---:|---:|",
        f"| first {len(first8['operators'])} operators (here: in memory, sum of the operators' times) | "
        f"{first8['rows_per_s']:,.0f} | "
        f"{ours_first8:,.0f} | {_ratio(ours_first8, first8['rows_per_s'])} | {first8['peak_rss_mb']:,} MB | "
        f"{first8['snapshots_mb']:,.0f} MB |",
        f"| all {len(every['operators'])} operators (here: in memory) | {every['rows_per_s']:,.0f} | "
        f"{chain['rows_per_s']:,.0f} | {_ratio(chain['rows_per_s'], every['rows_per_s'])} | "
        f"{every['peak_rss_mb']:,} MB | {every['snapshots_mb']:,.0f} MB |",
        f"| all {len(every['operators'])} operators (here: through Dagster + DuckDB) | {every['rows_per_s']:,.0f} | "
        f"{dagster['rows_per_s']:,.0f} | {_ratio(dagster['rows_per_s'], every['rows_per_s'])} | "
        f"{every['peak_rss_mb']:,} MB | {every['snapshots_mb']:,.0f} MB |",
        "",
        "| operator | DataFlow rows/s (with its step read+write) | DataFlow rows/s (operator only) | "
        "this project rows/s | ratio (operator only) | kept: DataFlow / here |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in reference["steps"]:
        mine = ours.get(row["step"])
        mine_rate = f"{mine['rows_per_s']:,.0f}" if mine else "n/a"
        ratio = _ratio(mine["rows_per_s"], row["compute_rows_per_s"]) if mine else "n/a"
        kept = f"{row['kept']:,} / {mine['kept']:,}" if mine else f"{row['kept']:,} / n/a"
        lines.append(f"| {row['op']} | {row['rows_per_s']:,.0f} | {row['compute_rows_per_s']:,.0f} | {mine_rate} | "
                     f"{ratio} | {kept} |")
    notes = [_slowest_note(reference), _divergence_note(reference, ours)]
    notes += reference["notes"] + default_differences(reference)
    lines += ["", f"DataFlow's import (torch included) takes {reference['import_seconds']:.0f} s and "
              f"{reference['rss_after_import_mb']:,} MB before the first row; not counted in its rows/s. This "
              "project's operators use a pool of `DATAFLOW_THREADS` threads (default: all cores); DataFlow's run on "
              "one.", ""]
    lines += [f"- {note}" for note in notes]
    return lines
