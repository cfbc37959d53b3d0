"""`make bench-dedup`: MinHash (and SimHash / n-gram hash) dedup speed, memory and quality on the synthetic corpus.

    python -m benchmarks.dedup --docs 10000 100000 1000000

Per corpus size, in its own subprocess (so peak RSS is its own): MinHashDeduplicateFilter over the whole corpus
as one batch (signatures, DuckDB banding, union-find), and the same corpus as 4 partitions deduplicated
globally through the stored index (``StepIndex`` lookups + ``write_step_output`` into a DuckDB file). Quality:
for a sample of dropped rows, exact character-5-gram Jaccard with the row they were dropped for (precision), and
for the corpus's planted copies (``dup_of``) whose exact Jaccard with their original is ≥ the threshold, the
share dropped (recall). Results replace the DEDUP section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from benchmarks.measure import peak_rss_mb
from benchmarks.results_file import write_section

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- BENCH dedup BEGIN -->", "<!-- BENCH dedup END -->"
THRESHOLD = 0.9


def corpus_path(docs: int) -> Path:
    """The cached deterministic corpus of ``docs`` documents (written on first use)."""
    path = HERE / "out" / f"corpus_{docs}_0.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "benchmarks.corpus", "--docs", str(docs), "--out", str(path)],
                       check=True, cwd=HERE.parent)
    return path


def jaccard(a: str, b: str, n: int = 5) -> float:
    """Exact Jaccard similarity of character n-gram sets (DataFlow's shingles)."""
    left = {a[i: i + n] for i in range(len(a) - n + 1)} if len(a) >= n else {a}
    right = {b[i: i + n] for i in range(len(b) - n + 1)} if len(b) >= n else {b}
    return len(left & right) / len(left | right) if left | right else 1.0


def quality(table: pa.Table, dropped: pa.Table, sample: int = 2000) -> dict[str, float]:
    """Precision and recall against exact Jaccard on samples (positions are row ids)."""
    rng = np.random.default_rng(0)
    rows, of = dropped["_row_id"].to_numpy(), dropped["duplicate_of_row_id"].to_numpy()
    picked = rng.choice(len(rows), min(sample, len(rows)), replace=False) if len(rows) else np.zeros(0, np.int64)
    dup_of = table["dup_of"].fill_null(-1).to_numpy()
    copies = np.flatnonzero(dup_of >= 0)
    copies = rng.choice(copies, min(sample, len(copies)), replace=False)
    needed = np.unique(np.concatenate([rows[picked], of[picked], copies, dup_of[copies].astype(np.int64)]))
    texts = dict(zip(needed.tolist(), table["text"].take(pa.array(needed)).to_pylist(), strict=True))
    similarity = [jaccard(texts[rows[i]], texts[of[i]]) for i in picked]
    planted = [(int(i), int(dup_of[i])) for i in copies]
    true_pairs = [(i, d) for i, d in planted if jaccard(texts[i], texts[d]) >= THRESHOLD]
    dropped_rows = set(rows.tolist())
    return {"precision": float(np.mean([s >= THRESHOLD for s in similarity])) if similarity else 1.0,
            "precision_at_0.8": float(np.mean([s >= 0.8 for s in similarity])) if similarity else 1.0,
            "recall": float(np.mean([i in dropped_rows for i, _ in true_pairs])) if true_pairs else 1.0,
            "planted_pairs_at_threshold": len(true_pairs), "sampled_dropped": len(similarity)}


def measure(docs: int, op_name: str) -> dict:
    """One size in this process: one-batch run, 4-partition global run, quality."""
    from operators.base import OperatorContext
    from operators.registry import get_operator

    schema = pa.schema([("text", pa.string()), ("dup_of", pa.int64())])
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    table = pj.read_json(corpus_path(docs), parse_options=options)
    table = table.append_column("_row_id", pa.array(np.arange(table.num_rows), pa.int64()))
    operator = get_operator(op_name)()
    start, cpu = time.perf_counter(), time.process_time()
    result = operator.run(table, OperatorContext(partition="all"))
    one_batch, cpu = time.perf_counter() - start, time.process_time() - cpu
    out = {"docs": docs, "op": op_name, "seconds": one_batch, "docs_per_s": docs / one_batch, "cpu_seconds": cpu,
           "dropped": result.dropped_count, "peak_rss_mb_one_batch": peak_rss_mb()}
    if op_name == "MinHashDeduplicateFilter":
        out |= quality(table, result.dropped)
        del result
        out |= global_run(table, operator)
    return out


def global_run(table: pa.Table, operator: object, parts: int = 4, embed: object = None) -> dict:
    """The corpus as ``parts`` partitions through the stored index, as the Dagster step does."""
    from dagster_duckdb import DuckDBResource

    from operators.base import OperatorContext
    from resources.warehouse.connection import connect
    from resources.warehouse.step_index import StepIndex
    from resources.warehouse.step_writes import write_step_output

    names = [f"part{i}" for i in range(parts)]
    size = -(-table.num_rows // parts)
    dropped = 0
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = DuckDBResource(database=str(Path(tmp) / "warehouse.duckdb"))
        start = time.perf_counter()
        for number, name in enumerate(names):
            batch = table.slice(number * size, size).select(["_row_id", "text"])
            ctx = OperatorContext(pipeline="bench", step="minhash", partition=name, embed=embed,
                                  state=StepIndex(warehouse, "bench", "minhash", name, names))
            result = operator.run(batch, ctx)  # type: ignore[attr-defined]
            dropped += result.dropped_count
            with connect(warehouse) as conn:
                write_step_output(conn, "bench", "minhash", name, result.table, result.dropped,
                                  {"input_rows": batch.num_rows, "drop_counts": result.drop_counts,
                                   "metrics": result.metrics}, side_tables=result.side_tables)
        seconds = time.perf_counter() - start
    return {"global_seconds": seconds, "global_docs_per_s": table.num_rows / seconds, "global_dropped": dropped,
            "peak_rss_mb": peak_rss_mb()}


def _row(r: dict) -> str:
    return (f"| {r['docs']:,} | {r['docs_per_s']:,.0f} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{r['global_docs_per_s']:,.0f} | "
            f"{r['dropped']:,} / {r['global_dropped']:,} | "
            f"{r['peak_rss_mb_one_batch']:,.0f} / {r['peak_rss_mb']:,.0f} MB | "
            f"{r['precision']:.3f} | "
            f"{r['precision_at_0.8']:.3f} | {r['recall']:.3f} ({r['planted_pairs_at_threshold']}) |")


def report(rows: list[dict], others: list[dict], command: str) -> str:
    """The markdown section."""
    lines = [BEGIN, f"## Deduplication ({datetime.now(UTC):%Y-%m-%d}, {platform.processor() or platform.machine()},"
             " 2 cores, shared machine)", "", f"Command: `{command}`", "",
             "MinHashDeduplicateFilter (num_perm 128, threshold 0.9, character 5-grams): one batch, and the same "
             "corpus as 4 partitions deduplicated globally through the DuckDB index. Precision: share of 2,000 "
             "sampled dropped rows whose exact 5-gram Jaccard with the row they were dropped for is ≥ 0.9 (≥ 0.8); "
             "recall: share of sampled planted copies with exact Jaccard ≥ 0.9 that were dropped (their count).", "",
             "| docs | docs/s (one batch) | s | CPU s | docs/s (4 partitions, global) | dropped (one / global) | "
             "peak RSS (one batch / process) | precision | precision ≥0.8 | recall (pairs) |", "|" + "---:|" * 10]
    lines += [_row(r) for r in rows]
    by_size = {r["docs"]: r for r in rows}
    if 100_000 in by_size and 1_000_000 in by_size:
        ratio = by_size[1_000_000]["seconds"] / by_size[100_000]["seconds"]
        lines += ["", f"Growth 100k → 1M docs: {ratio:.1f}× the time for 10× the documents."]
    if others:
        lines += ["", "| operator (one batch) | docs | docs/s | s | CPU s | dropped |", "|---|" + "---:|" * 5]
        lines += [f"| {r['op']} | {r['docs']:,} | {r['docs_per_s']:,.0f} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} "
                  f"| {r['dropped']:,} |" for r in others]
    return "\n".join([*lines, END])


def main() -> None:
    """Run every size in a subprocess and write the RESULTS.md section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--others-docs", type=int, default=10_000, help="corpus size for SimHash / n-gram hash")
    parser.add_argument("--semantic-docs", type=int, default=10_000, help="corpus size for SemDeduplicateFilter "
                        "(benchmarks/dedup_semantic.py; 0 skips it)")
    parser.add_argument("--measure", nargs=2, metavar=("DOCS", "OP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(int(args.measure[0]), args.measure[1])))
        return

    def child(docs: int, op: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "benchmarks.dedup", "--measure", str(docs), op], check=True,
                              capture_output=True, text=True, cwd=HERE.parent)
        found = json.loads(done.stdout.strip().splitlines()[-1])
        print(found, file=sys.stderr)
        return found

    rows = [child(docs, "MinHashDeduplicateFilter") for docs in args.docs]
    others = [child(args.others_docs, op) for op in ("SimHashDeduplicateFilter", "NgramHashDeduplicateFilter")]
    command = "python -m benchmarks.dedup --docs " + " ".join(str(d) for d in args.docs)
    section = report(rows, others, command)
    write_section(section, BEGIN, END)
    if args.semantic_docs:
        from benchmarks import dedup_semantic

        dedup_semantic.run(args.semantic_docs)


if __name__ == "__main__":
    main()
