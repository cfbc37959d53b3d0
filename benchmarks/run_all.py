"""`make bench`: rows/s per operator and for the whole text_pretrain_filter pipeline, with and without Dagster.

Each measurement runs in its own subprocess so its peak RSS is its own. Results go to benchmarks/RESULTS.md
(the section between the BENCH markers is replaced; the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.dataflow_compare import render_table, run_reference
from benchmarks.results_file import write_section
from dataflow_assets.spec.catalog import builtin_spec
from operators.parallel import THREADS_ENV

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SPEC = builtin_spec("text_pretrain_filter")
BEGIN, END = "<!-- BENCH text_pretrain_filter BEGIN -->", "<!-- BENCH text_pretrain_filter END -->"

# DataFlow's 20 rule filters, the ones the operator targets name (WordNumber, Ngram, Blocklist are apart)
DATAFLOW_RULE_FILTERS = frozenset(f"{name}Filter" for name in (
    "ColonEnd", "SentenceNumber", "LineEndWithEllipsis", "ContentNull", "SymbolWordRatio", "AlphaWords", "HtmlEntity",
    "IDCard", "NoPunc", "SpecialCharacter", "Watermark", "MeanWordLength", "StopWord", "CurlyBracket", "CapitalWords",
    "LoremIpsum", "UniqueWords", "CharNumber", "LineStartWithBulletpoint", "LineWithJavascript"))


def _measure(mode: str, corpus: Path, extra: list[str] | None = None, one_core: bool = False) -> dict:
    """One ``benchmarks.measure`` run in its own process; ``one_core``: pinned to one CPU, operator pool of 1."""
    command = [sys.executable, "-m", "benchmarks.measure", mode, str(corpus), *(extra or [])]
    env = os.environ | ({THREADS_ENV: "1"} if one_core else {})
    cpu = min(os.sched_getaffinity(0))
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if one_core else None  # run in the child before it starts
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=HERE.parent, env=env,
                          preexec_fn=pin)
    return json.loads(done.stdout.strip().splitlines()[-1])


def command_seconds(corpus: Path) -> float:
    """Wall time of ``dataflow run`` as a command on the corpus: interpreter start-up, imports, the run, exit."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "dataflow_assets.cli.main", "run", str(SPEC), str(corpus), "--out",
                   str(Path(tmp) / "out.jsonl"), "--warehouse", str(Path(tmp) / "run.duckdb")]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=HERE.parent)
        return time.perf_counter() - start


def corpus_file(docs: int, seed: int) -> Path:
    """The deterministic synthetic corpus of ``docs`` documents under benchmarks/out, built on first use."""
    OUT.mkdir(parents=True, exist_ok=True)
    corpus = OUT / f"corpus_{docs}_{seed}.jsonl"
    if not corpus.exists():
        subprocess.run([sys.executable, "-m", "benchmarks.corpus", "--docs", str(docs), "--seed", str(seed),
                        "--out", str(corpus)], check=True, cwd=HERE.parent)
    return corpus


def main() -> None:
    """Build the corpus, run every measurement, write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-dataflow", action="store_true", help="skip the DataFlow side-by-side (.venv-dataflow)")
    parser.add_argument("--dataflow-json", type=Path, help="reuse a saved DataFlow reference result (the JSON "
                        "line `python -m benchmarks.dataflow_reference CORPUS` printed; ~19 min at 100k)")
    args = parser.parse_args()
    corpus = corpus_file(args.docs, args.seed)
    operators = _measure("operators", corpus)
    one_core = _measure("operators", corpus, one_core=True)
    for key in ("steps", "other_rule_filters"):
        for row, alone in zip(operators[key], one_core[key], strict=True):
            row["one_core_rows_per_s"] = alone["rows_per_s"]
    chain = _measure("chain", corpus)
    dagster = _measure("dagster", corpus)
    dagster["command_seconds"] = command_seconds(corpus)
    tiny = OUT / "corpus_head_100.jsonl"  # the fixed cost of a run: 100 documents through the same job
    with corpus.open("rb") as source:
        tiny.write_bytes(b"".join(source.readline() for _ in range(100)))
    fixed = _measure("dagster", tiny, ["2"])
    dagster["fixed_seconds"], dagster["assets"] = fixed["seconds"], len(fixed["steps"])
    dagster["fixed_warm_seconds"] = fixed["warm_seconds"]
    if args.dataflow_json:
        reference = json.loads(args.dataflow_json.read_text(encoding="utf-8").strip().splitlines()[-1])
    else:
        reference = None if args.no_dataflow else run_reference(corpus)
    section = render(args, corpus, operators, chain, dagster, reference)
    print(section)
    write_section(section, BEGIN, END)


def render(args: argparse.Namespace, corpus: Path, operators: dict, chain: dict, dagster: dict,
           reference: dict | None = None) -> str:
    """The markdown section for RESULTS.md."""
    size_mb = corpus.stat().st_size / 1e6
    lines = [
        BEGIN,
        "## text_pretrain_filter: operators and pipeline",
        "",
        f"Command: `make bench` (= `python -m benchmarks.run_all --docs {args.docs} --seed {args.seed}"
        + (f" --dataflow-json {args.dataflow_json}" if getattr(args, "dataflow_json", None) else "") + "`), "
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, one process; operators run GIL-free work on a pool of `DATAFLOW_THREADS` "
        "threads (default: all cores); the one-core column pins the process to one CPU with a pool of 1 "
        f"(`{THREADS_ENV}=1`), where the issue's operator targets are set.",
        f"Corpus: {args.docs:,} synthetic web documents ({size_mb:.0f} MB JSONL, `benchmarks/corpus.py`).",
        "",
        "| operator | step | input rows | rows/s | rows/s, one core | kept |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in operators["steps"]:
        lines.append(f"| {row['op']} | {row['step']} | {row['input_rows']:,} | {row['rows_per_s']:,.0f} | "
                     f"{row.get('one_core_rows_per_s', float('nan')):,.0f} | {row['kept']:,} |")
    cores = os.cpu_count() or 1
    lines += [
        "",
        "| whole pipeline | rows/s (raw rows) | seconds | CPU seconds | peak RSS |",
        "|---|---:|---:|---:|---:|",
        "| in memory, operators chained, rule filters answering together (no Dagster, no DuckDB) | "
        f"{chain['rows_per_s']:,.0f} | "
        f"{chain['seconds']:.1f} | {chain['cpu_seconds']:.1f} | {chain['peak_rss_mb']:,.0f} MB |",
        f"| through Dagster (`dataflow run`: raw parse, every step written to DuckDB, export) | "
        f"{dagster['rows_per_s']:,.0f} | {dagster['seconds']:.1f} | {dagster['cpu_seconds']:.1f} | "
        f"{dagster['peak_rss_mb']:,.0f} MB |",
        f"| the same as a command (`dataflow run SPEC CORPUS --out ...`: Python start-up and imports included) | "
        f"{args.docs / dagster['command_seconds']:,.0f} | {dagster['command_seconds']:.1f} | | |",
        "",
        f"CPU seconds: all threads of the process (the operator pools, DuckDB's, Dagster's), in the timed part. On "
        f"{cores} cores a run can take no less than its CPU seconds / {cores}: "
        f"{chain['cpu_seconds'] / cores:.1f} s in memory, {dagster['cpu_seconds'] / cores:.1f} s through Dagster.",
        "",
        f"Slowest operator: {min(operators['steps'], key=lambda r: r['rows_per_s'])['op']}. "
        f"Exported rows: {dagster['exported_rows']:,} of {args.docs:,}.",
        "",
        f"Fixed cost of a run (the same job on the corpus's first 100 documents): {dagster['fixed_seconds']:.1f} s "
        f"for {dagster['assets']} assets, {1000 * dagster['fixed_seconds'] / dagster['assets']:.0f} ms per asset, "
        f"{100 * dagster['fixed_seconds'] / dagster['seconds']:.0f}% of the {args.docs:,}-document run. "
        f"Run again in the same process (Dagster's instance modules and the operators already imported): "
        f"{dagster.get('fixed_warm_seconds', float('nan')):.1f} s, "
        f"{1000 * dagster.get('fixed_warm_seconds', float('nan')) / dagster['assets']:.0f} ms per asset.",
    ]
    others = operators.get("other_rule_filters", [])
    if others:
        lines += ["", "Rule filters this spec does not use, at their default config, on the "
                  f"{others[0]['input_rows']:,} rows that reach its first rule filter:", "",
                  "| operator | rows/s | rows/s, one core | kept |", "|---|---:|---:|---:|"]
        lines += [f"| {row['op']} | {row['rows_per_s']:,.0f} | {row.get('one_core_rows_per_s', float('nan')):,.0f} | "
                  f"{row['kept']:,} |" for row in others]
    lines += one_core_summary(operators["steps"] + others)
    lines += render_table(reference, operators, chain, dagster) if reference else []
    lines.append(END)
    return "\n".join(lines)


def one_core_summary(steps: list[dict]) -> list[str]:
    """The issue's operator targets read from the one-core column: DataFlow's 20 rule filters ≥ 200k rows/s,
    none < 100k."""
    rule = [row for row in steps if row["op"] in DATAFLOW_RULE_FILTERS and "one_core_rows_per_s" in row]
    if not rule:
        return []
    slowest = min(rule, key=lambda row: row["one_core_rows_per_s"])
    at_target = sum(row["one_core_rows_per_s"] >= 200_000 for row in rule)
    below = [row["op"] for row in rule if row["one_core_rows_per_s"] < 100_000]
    return ["", f"DataFlow's rule filters on one core: {at_target} of {len(rule)} at 200k rows/s or more; slowest "
            f"{slowest['op']} at {slowest['one_core_rows_per_s']:,.0f} rows/s; below 100k: "
            f"{', '.join(below) if below else 'none'}."]


if __name__ == "__main__":
    main()
