"""Compare the Dagster run of two commits on a noisy machine: alternating runs, medians (``make bench-ab``).

    python -m benchmarks.ab_commits BASE [--runs 5] [--docs 100000] [--seed 0]

This VM's timings drift by ±20% within minutes, so one run of each commit can show a change that is not there.
Here the base commit (checked out in a temporary git worktree) and the working tree run one after the other,
``--runs`` times each, each run in a fresh process (``benchmarks.measure dagster``), and the medians are printed
as a markdown table: the run (as ``make bench`` times it), the whole process (Python start-up and imports
included, so a cost moved into an import still shows) and its CPU time (less sensitive to other tenants).
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from benchmarks.run_all import corpus_file

ROOT = Path(__file__).resolve().parents[1]


def measure(tree: Path, corpus: Path) -> dict:
    """One ``dataflow run`` of the 100k corpus with the code of ``tree``, in a fresh process; also the process's
    wall time (start-up and imports included) and CPU time (user + system, all threads)."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmarks.measure", "dagster", str(corpus)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    result["cpu_seconds"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return result


def build_kernels(tree: Path) -> None:
    """Compile a checked-out tree's C kernels in place, as its own pyproject's ext-modules say (``pip install -e .``
    builds them so for the working tree)."""
    config = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    for ext in config["tool"]["setuptools"].get("ext-modules", []):
        target = tree / (ext["name"].replace(".", "/") + importlib.machinery.EXTENSION_SUFFIXES[0])
        subprocess.run(["cc", "-shared", "-fPIC", *ext.get("extra-compile-args", []), *ext["sources"], "-o",
                        str(target)], cwd=tree, check=True, capture_output=True)


def main() -> None:
    """Alternate the two trees' runs and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="commit to compare the working tree with")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    corpus = corpus_file(args.docs, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            build_kernels(base)
            runs: dict[str, list[dict]] = {"base": [], "now": []}
            for _ in range(args.runs):
                runs["base"].append(measure(base, corpus))
                runs["now"].append(measure(ROOT, corpus))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    commit = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=ROOT, capture_output=True, text=True)
    print("| code | runs (s) | median s | median rows/s | median process s | median CPU s | peak RSS |\n"
          "|---|---|---:|---:|---:|---:|---:|")
    for name, label in (("base", f"`{commit.stdout.strip()}`"), ("now", "working tree")):
        seconds = sorted(run["seconds"] for run in runs[name])
        rows = args.docs / statistics.median(seconds)
        process = statistics.median(run["process_seconds"] for run in runs[name])
        cpu = statistics.median(run["cpu_seconds"] for run in runs[name])
        peak = max(run["peak_rss_mb"] for run in runs[name])
        print(f"| {label} | {', '.join(f'{s:.2f}' for s in seconds)} | {statistics.median(seconds):.2f} | "
              f"{rows:,.0f} | {process:.2f} | {cpu:.2f} | {peak:,.0f} MB |")


if __name__ == "__main__":
    main()
