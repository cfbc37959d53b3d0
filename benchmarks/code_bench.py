"""`make bench-code`: sandbox executions/s (isolation on) and the code-pretraining filters' rows/s.

    python -m benchmarks.code_bench [--runs 300] [--files 100000] [--workers 2 4]

Sandbox: ``--runs`` trivial snippets (``print(1)``) and as many HumanEval-sized runs (a 15-line solution, a
``check()`` with 8 asserts, run as ``check(entry_point)`` by the harness) through the real ``SandboxResource``
(namespace isolation, seccomp, own uid, rlimits), after 20 warm-up runs, for each worker count. Filters: the six
steps of ``code_pt_filter`` in order over ``--files`` source files (the shipped sample's 300 files repeated), each
timed on its whole input as one batch. Replaces the code section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.results_file import write_section

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "data" / "samples" / "code_files.jsonl"
BEGIN, END = "<!-- BENCH code BEGIN -->", "<!-- BENCH code END -->"
TARGET_RUNS_PER_S = 50.0
SOLUTION = '''def longest_run(values):
    """Length of the longest run of equal neighbours."""
    if not values:
        return 0
    best = current = 1
    for previous, value in zip(values, values[1:]):
        if value == previous:
            current += 1
            best = max(best, current)
        else:
            current = 1
    return best
'''
CHECK = "def check(candidate):\n" + "".join(f"    assert candidate({case!r}) == {want}\n" for case, want in [
    ([], 0), ([1], 1), ([1, 1], 2), ([1, 2, 2, 2, 3], 3), ([5, 5, 4, 4, 4, 4], 4), (list("aab"), 2),
    ([0] * 50, 50), ([1, 2, 3], 1)])


def bench_sandbox(runs: int, workers: int) -> dict[str, object]:
    """Runs/s of trivial and HumanEval-sized jobs on ``workers`` threads."""
    from operators.services.sandbox import SandboxJob
    from resources.sandbox import SandboxResource

    resource = SandboxResource(workers=workers)
    session = resource.session()
    session.run([SandboxJob("pass")] * 20)
    found: dict[str, object] = {"workers": workers, "isolation": session.isolation, "load": load_average()}
    for label, job in (("trivial", SandboxJob("print(1)")),
                       ("humaneval", SandboxJob(SOLUTION, test=CHECK, entry_point="longest_run"))):
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        results = session.run([job] * runs)
        seconds = time.perf_counter() - started
        cpu_ms = (_cpu_seconds() - cpu_before) / runs * 1000
        statuses = {r.status for r in results}
        assert statuses == {"passed"}, statuses
        found[label] = runs / seconds
        found[f"{label}_cpu_ms"] = cpu_ms
    resource.close()
    return found


def _cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children (launchers and programs)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load_average() -> float:
    """The 1-minute load average (other work on the shared machine shows here)."""
    return os.getloadavg()[0]


def bench_filters(files: int) -> list[dict[str, object]]:
    """Rows/s of each code_pt_filter step over ``files`` files."""
    import pyarrow as pa

    from dataflow_assets.spec.catalog import builtin_spec
    from dataflow_assets.spec.loader import load_spec
    from operators.base import OperatorContext
    from operators.registry import get_operator

    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    table = pa.Table.from_pylist((rows * (files // len(rows) + 1))[:files])
    found = []
    for step in load_spec(builtin_spec("code_pt_filter")).steps:
        op = get_operator(step.op)(step.config, step.inputs)
        started = time.perf_counter()
        result = op.run(table, OperatorContext())
        seconds = time.perf_counter() - started
        found.append({"op": step.op, "step": step.name, "rows": table.num_rows, "rows_per_s": table.num_rows / seconds,
                      "kept": result.table.num_rows})
        table = result.table
    return found


def section(sandbox: list[dict[str, object]], filters: list[dict[str, object]], args: argparse.Namespace) -> str:
    """The RESULTS.md section."""
    day = datetime.now(UTC).date().isoformat()
    lines = [BEGIN, f"## Code: sandbox executions and pretraining filters ({day}, {platform.machine()}, "
             f"{os.cpu_count()} cores, shared machine)", "",
             f"Command: `make bench-code` (= `python -m benchmarks.code_bench --runs {args.runs} --files {args.files} "
             f"--workers {' '.join(map(str, args.workers))}`), Python {platform.python_version()}.", "",
             f"Sandbox: {args.runs} runs of each kind through `SandboxResource` with isolation on (new mount, network, "
             "PID, IPC and UTS namespaces, read-only root, own uid, rlimits, seccomp), every verdict `passed`. "
             f"Target: {TARGET_RUNS_PER_S:g} runs/s.", "",
             "CPU ms/run counts the runner, launcher and program processes; `capacity` is what the cores could do at "
             "that cost when nothing else runs (cores × 1000 / CPU ms). The load average shows other work on the "
             "shared machine during the measurement.", "",
             "| workers | isolation | load avg | trivial runs/s | CPU ms/run | capacity runs/s | HumanEval runs/s "
             "| CPU ms/run | capacity runs/s |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    cores = os.cpu_count() or 1
    for row in sandbox:
        lines.append(f"| {row['workers']} | {row['isolation']} | {row['load']:.1f} | {row['trivial']:.1f} | "
                     f"{row['trivial_cpu_ms']:.1f} | {cores * 1000 / row['trivial_cpu_ms']:.0f} | "
                     f"{row['humaneval']:.1f} | {row['humaneval_cpu_ms']:.1f} | "
                     f"{cores * 1000 / row['humaneval_cpu_ms']:.0f} |")
    lines += ["", f"Filters: `code_pt_filter`'s steps in order over {args.files:,} files (the sample's 300 repeated), "
              "each on its whole input as one batch.", "", "| operator | step | input rows | rows/s | kept |",
              "|---|---|---:|---:|---:|"]
    for row in filters:
        lines.append(f"| {row['op']} | {row['step']} | {row['rows']:,} | {row['rows_per_s']:,.0f} | {row['kept']:,} |")
    return "\n".join(lines + ["", END])


def main() -> None:
    """Measure and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    sandbox = [bench_sandbox(args.runs, workers) for workers in args.workers]
    filters = bench_filters(args.files)
    text = section(sandbox, filters, args)
    print(text)
    if not args.no_write:
        write_section(text, BEGIN, END)


if __name__ == "__main__":
    main()
