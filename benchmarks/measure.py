"""One benchmark measurement in its own process; prints one JSON line (used by benchmarks.run_all).

Modes: ``operators`` (each step of the spec alone, on the rows that reach it), ``chain`` (all steps in memory),
``dagster`` (``dataflow run`` through the Dagster definitions with a DuckDB warehouse).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks.process_memory import memory_mb
from dataflow_assets.ingest.reader import read_raw
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from operators.base import Filter, Operator, OperatorContext
from operators.parallel import thread_count
from operators.registry import all_operators, get_operator
from operators.text.filters.rule_base import RuleFilter

SPEC_PATH = builtin_spec("text_pretrain_filter")


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(operator: Operator, table: pa.Table, step: str, op: str) -> tuple[dict, pa.Table]:
    """One operator on ``table``, best of two calls (the first also pays one-off set-up: regex, class tables)."""
    seconds = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        result = operator.run(table, OperatorContext(step=step))
        seconds = min(seconds, time.perf_counter() - start)
    row = {"step": step, "op": op, "input_rows": table.num_rows,
           "rows_per_s": table.num_rows / seconds if seconds else float("inf"), "kept": result.kept}
    return row, result.table


def run_operators(corpus: Path) -> dict:
    """Time each step alone on the rows that reach it; then every other registered rule filter (default
    config) on the rows that reach the spec's first rule filter."""
    spec = load_spec(SPEC_PATH)
    table = read_raw(corpus, spec.raw).table
    steps, rule_input = [], None
    for step in spec.steps:
        op_cls = get_operator(step.op)
        if rule_input is None and issubclass(op_cls, RuleFilter):
            rule_input = table
        row, table = _timed(op_cls(step.config, step.inputs, step.outputs), table, step.name, step.op)
        steps.append(row)
    in_spec = {step.op for step in spec.steps}
    others = [_timed(cls({}, {}, {}), rule_input, "", name)[0] for name, cls in sorted(all_operators().items())
              if rule_input is not None and issubclass(cls, RuleFilter) and name not in in_spec]
    return {"steps": steps, "other_rule_filters": others, "peak_rss_mb": peak_rss_mb(),
            "cpus": len(os.sched_getaffinity(0)), "pool_threads": thread_count()}


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads (DuckDB's and the pools' included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_chain(corpus: Path) -> dict:
    """Parse the raw file and run every step in memory; consecutive filters that join answer together
    (``Filter.joint_verdicts``), as the pipeline's filter chains do."""
    spec = load_spec(SPEC_PATH)
    start, cpu = time.perf_counter(), cpu_seconds()
    table = read_raw(corpus, spec.raw).table
    rows = table.num_rows
    operators = [get_operator(step.op)(step.config, step.inputs, step.outputs) for step in spec.steps]
    position = 0
    while position < len(operators):
        first, joined = operators[position], []
        while (isinstance(first, Filter) and position + len(joined) + 1 < len(operators)
               and first.joins(operators[position + len(joined) + 1])):
            joined.append(operators[position + len(joined) + 1])
        if joined:
            keep = np.logical_and.reduce([kept for kept, _ in first.joint_verdicts(joined, table, OperatorContext())])
            table = table.filter(pa.array(keep))
        else:
            table = first.run(table, OperatorContext()).table
        position += len(joined) + 1
    seconds = time.perf_counter() - start
    return {"rows_per_s": rows / seconds, "seconds": seconds, "exported_rows": table.num_rows,
            "cpu_seconds": cpu_seconds() - cpu, "peak_rss_mb": peak_rss_mb()}


def run_dagster(corpus: Path, repeat: int = 1) -> dict:
    """``dataflow run`` on the corpus: Dagster job, DuckDB writes, export; memory after each asset.

    With ``repeat`` > 1 the run is repeated in this process and ``warm_seconds`` is the last run's time
    (the first one also pays Dagster's and the operators' one-off imports and set-up)."""
    from dataflow_assets.cli.runner import StepProgress, run_spec

    steps: list[dict] = []
    start = time.perf_counter()

    def progress(done: StepProgress) -> None:
        rss, peak = memory_mb()
        steps.append({"step": done.step, "rows": done.rows, "at_s": round(time.perf_counter() - start, 1),
                      "rss_mb": rss, "peak_mb": peak})

    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), cpu_seconds()
        summary = run_spec(SPEC_PATH, corpus, Path(tmp) / "out.jsonl", Path(tmp) / "bench.duckdb", progress=progress)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    rows = summary.steps[0]["output_rows"]
    warm = seconds
    for _ in range(repeat - 1):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            run_spec(SPEC_PATH, corpus, Path(tmp) / "out.jsonl", Path(tmp) / "bench.duckdb")
            warm = time.perf_counter() - start
    return {"rows_per_s": rows / seconds, "seconds": seconds, "exported_rows": summary.exported_rows,
            "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb(), "steps": steps, "warm_seconds": warm}


if __name__ == "__main__":
    mode, corpus_path = sys.argv[1], Path(sys.argv[2])
    if mode == "dagster":
        print(json.dumps(run_dagster(corpus_path, int(sys.argv[3]) if len(sys.argv) > 3 else 1)))
    else:
        print(json.dumps({"operators": run_operators, "chain": run_chain}[mode](corpus_path)))
