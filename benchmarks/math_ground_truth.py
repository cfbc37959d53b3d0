"""`make bench-math`: ReasoningAnswerGroundTruthFilter (math-verify) on 20k (solution, gold) pairs, both cores.

    python -m benchmarks.math_ground_truth [--pairs 20000] [--baseline-pairs 2000]

Pairs come from ``benchmarks/math_pairs.py`` (the math sample's templates; the gold as written, an equivalent
form, or one number off by one; each pair's right verdict known). Measured, each on the same pairs:

- the reference call pattern: DataFlow's comparison, ``verify(parse(gold), parse(answer))`` with math-verify's
  defaults (gold without ``$…$``, signal timeouts), one process, on the answer our extractor takes from the box
  (a stand-in for DataFlow's extractor), on the first ``--baseline-pairs`` pairs;
- the operator with 1 worker process and with 2 (the whole filter: extraction, pool start, per-row time limit).

Rows/s, agreement with the known verdicts, and the ratio to DataFlow's figure from issue 24 (~340 rows/s, one
core) replace the MATH section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime

import pyarrow as pa

from benchmarks.math_pairs import pairs
from benchmarks.results_file import write_section
from operators.base import REASON_COLUMN, OperatorContext
from operators.math.answer_filters import ReasoningAnswerGroundTruthFilter
from operators.math.answers import final_answer

BEGIN, END = "<!-- BENCH math BEGIN -->", "<!-- BENCH math END -->"
DATAFLOW_ROWS_PER_S = 340.0  # issue 24: DataFlow's ground-truth filter on one core of this machine class


def reference(triples: list[tuple[str, str, str]]) -> tuple[float, float, float]:
    """Rows/s, agreement and rows per CPU second of DataFlow's call pattern (one process)."""
    from math_verify import parse, verify  # noqa: PLC0415 - only this measurement imports it in the parent

    started, cpu = time.perf_counter(), time.process_time()
    right = 0
    for solution, gold, expected in triples:
        answer = final_answer(solution) or ""
        try:
            same = verify(parse(gold), parse(answer))
        except Exception:  # noqa: BLE001 - as DataFlow: any failure is "not equal"
            same = False
        right += same == (expected == "equal")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(triples) / elapsed, right / len(triples), len(triples) / cpu


def inline(triples: list[tuple[str, str, str]]) -> float:
    """Rows per CPU second of the operator's per-row judgement, in this process (after ``reference``: importing
    the worker module switches latex2sympy to SLL-first parsing in this process)."""
    from operators.math._verify_worker import judge  # noqa: PLC0415

    cpu = time.process_time()
    for solution, gold, _ in triples:
        judge(solution, gold)
    return len(triples) / (time.process_time() - cpu)


def operator(triples: list[tuple[str, str, str]], workers: int) -> tuple[float, float, dict]:
    """Rows/s, agreement and metrics of the operator with ``workers`` processes."""
    table = pa.table({"id": list(range(len(triples))), "generated_cot": [t[0] for t in triples],
                      "golden_answer": [t[1] for t in triples]})
    op = ReasoningAnswerGroundTruthFilter({"workers": workers})
    started = time.perf_counter()
    result = op.run(table, OperatorContext())
    elapsed = time.perf_counter() - started
    dropped = dict(zip(result.dropped["id"].to_pylist(), result.dropped[REASON_COLUMN].to_pylist(), strict=True))
    right = sum((i not in dropped) == (t[2] == "equal") for i, t in enumerate(triples))
    return len(triples) / elapsed, right / len(triples), result.metrics


def main() -> None:
    """Measure, print and write the RESULTS section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--baseline-pairs", type=int, default=2_000)
    args = parser.parse_args()
    triples = pairs(args.pairs)
    load = os.getloadavg()[0]
    base_rate, base_agree, base_cpu = reference(triples[: args.baseline_pairs])
    ours_cpu = inline(triples[: args.baseline_pairs])
    print(f"reference (DataFlow's call, 1 process): {base_rate:.0f} rows/s, agreement {base_agree:.1%}, "
          f"{base_cpu:.0f} rows per CPU second; the operator's judgement: {ours_cpu:.0f} rows per CPU second")
    rows = []
    for workers in (1, 2):
        rate, agree, metrics = operator(triples, workers)
        rows.append((workers, rate, agree, metrics))
        print(f"operator, {workers} worker(s): {rate:.0f} rows/s, agreement {agree:.1%}, {metrics}")
    best = rows[-1][1]
    command = f"python -m benchmarks.math_ground_truth --pairs {args.pairs} --baseline-pairs {args.baseline_pairs}"
    lines = [BEGIN, f"## Math ground-truth verification ({datetime.now(UTC):%Y-%m-%d}, "
             f"{platform.machine()}, {os.cpu_count()} cores, shared machine)", "",
             f"`{command}` (`make bench-math`): {args.pairs:,} (solution, gold) pairs from `benchmarks/math_pairs.py` "
             "(35% the gold as written, 35% an equivalent form, 30% one number off by one).", "",
             "| what | processes | rows/s | agrees with the known verdict | vs DataFlow's ~340 rows/s |",
             "|---|---:|---:|---:|---:|",
             f"| DataFlow's call pattern: `verify(parse(gold), parse(answer))`, first {args.baseline_pairs:,} pairs "
             f"| 1 | {base_rate:,.0f} | {base_agree:.1%} | {base_rate / DATAFLOW_ROWS_PER_S:.2f}x |"]
    for workers, rate, agree, metrics in rows:
        lines.append(f"| `ReasoningAnswerGroundTruthFilter` (timeouts {metrics.get('verify_timeouts', 0)}) "
                     f"| {workers} | {rate:,.0f} | {agree:.1%} | {rate / DATAFLOW_ROWS_PER_S:.2f}x |")
    lines += ["", f"Per CPU second (`time.process_time`, the first {args.baseline_pairs:,} pairs, cold, one process; "
              f"less sensitive to other load): DataFlow's call {base_cpu:,.0f} rows, the operator's per-row judgement "
              f"{ours_cpu:,.0f} rows. DataFlow's call does less per row: a LaTeX gold without `$…$` fails to parse "
              "quickly, which is also why it agrees with fewer verdicts. Load average during the run: "
              f"{load:.1f} on {os.cpu_count()} cores (other sessions share this machine; two workers gain only when "
              "two cores are free)."]
    lines += ["", f"Target: at least 3x DataFlow's figure with both cores; measured {best / DATAFLOW_ROWS_PER_S:.2f}x "
              f"({'met' if best >= 3 * DATAFLOW_ROWS_PER_S else 'NOT met'}). The reference row is math-verify as "
              "DataFlow calls it, measured here on the same pairs: its lower agreement is the gold-delimiter bug "
              "(a LaTeX gold parsed without `$…$`). DataFlow itself (`.venv-dataflow`) was not run.", END]
    write_section("\n".join(lines), BEGIN, END)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
