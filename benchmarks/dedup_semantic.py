"""Semantic dedup (SemDeduplicateFilter) speed, memory and quality on the synthetic corpus; run by benchmarks.dedup.

    python -m benchmarks.dedup_semantic --docs 10000

In a subprocess (own peak RSS): (1) the corpus embedded by the local all-MiniLM-L6-v2 (numpy, this machine's
cores): embeddings/s; the vectors are cached in benchmarks/out so later runs skip this. (2) The dedup itself on
those vectors (LSH codes, DuckDB candidate join, exact cosine check, union-find), one batch and as 4 partitions
through the stored index: docs/s without the embedding. (3) Quality against exact all-pairs cosine on the same
vectors (the n × n matrix DataFlow computes): recall = share of rows with an earlier row at cosine ≥ 1 - eps
that were dropped; precision = share of dropped rows whose cosine with their kept copy is ≥ 1 - eps (clusters
are transitive, so a row can be dropped through a chain). Results replace the DEDUP-SEMANTIC section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from benchmarks.measure import peak_rss_mb
from benchmarks.results_file import write_section

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- BENCH dedup-semantic BEGIN -->", "<!-- BENCH dedup-semantic END -->"
EPS = 0.05


class PrecomputedVectors:
    """Benchmark stand-in for the embedding backend: answers with the corpus's cached vectors, by text."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.by_text = dict(zip(texts, vectors, strict=True))

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return np.stack([self.by_text[text] for text in texts])


def vectors_of(texts: list[str], docs: int) -> tuple[np.ndarray, dict]:
    """The corpus's MiniLM vectors (cached) and, when computed now, the embedding throughput."""
    cache = HERE / "out" / f"minilm_{docs}.npz"
    if cache.exists():
        saved = np.load(cache)
        return saved["vectors"], json.loads(str(saved["timing"]))
    from resources.embedding.resource import local_encoder

    encoder = local_encoder()
    tokens = sum(len(e.ids) for e in encoder.tokenizer.encode_batch(texts))
    start = time.perf_counter()
    vectors = encoder.encode(texts)
    seconds = time.perf_counter() - start
    timing = {"embed_seconds": seconds, "embed_per_s": len(texts) / seconds, "tokens_per_s": tokens / seconds,
              "mean_tokens": tokens / len(texts)}
    np.savez(cache, vectors=vectors, timing=json.dumps(timing))
    return vectors, timing


def exact_quality(vectors: np.ndarray, result_dropped: pa.Table, threshold: float, chunk: int = 2048) -> dict:
    """Recall and precision against all-pairs cosine (row ids are positions)."""
    n = len(vectors)
    has_earlier = np.zeros(n, dtype=bool)
    for start in range(0, n, chunk):
        sims = vectors[start: start + chunk] @ vectors.T
        earlier = np.arange(n)[None, :] < np.arange(start, start + sims.shape[0])[:, None]
        has_earlier[start: start + sims.shape[0]] = ((sims >= threshold - 1e-6) & earlier).any(axis=1)
    rows = result_dropped["_row_id"].to_numpy()
    of = result_dropped["duplicate_of_row_id"].to_numpy()
    direct = np.einsum("ij,ij->i", vectors[rows], vectors[of]) >= threshold - 1e-6
    dropped = np.zeros(n, dtype=bool)
    dropped[rows] = True
    return {"recall": float(dropped[has_earlier].mean()) if has_earlier.any() else 1.0,
            "true_duplicates": int(has_earlier.sum()),
            "precision": float(direct.mean()) if len(direct) else 1.0}


def measure(docs: int) -> dict:
    """Embedding, one-batch dedup, 4-partition global dedup and quality, in this process."""
    from benchmarks.dedup import corpus_path, global_run
    from operators.base import OperatorContext
    from operators.text.dedup.semantic import SemDeduplicateFilter
    from resources.embedding.resource import EmbeddingSession

    options = pj.ParseOptions(explicit_schema=pa.schema([("text", pa.string())]), unexpected_field_behavior="ignore")
    table = pj.read_json(corpus_path(docs), parse_options=options)
    table = table.append_column("_row_id", pa.array(np.arange(table.num_rows), pa.int64()))
    texts = table["text"].fill_null("").to_pylist()
    vectors, timing = vectors_of(texts, docs)
    session = EmbeddingSession(PrecomputedVectors(texts, vectors), "precomputed", "all-MiniLM-L6-v2", 256)
    operator = SemDeduplicateFilter({"eps": EPS})
    start, cpu = time.perf_counter(), time.process_time()
    result = operator.run(table, OperatorContext(partition="all", embed=session))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out = {"docs": docs, "seconds": seconds, "docs_per_s": docs / seconds, "cpu_seconds": cpu,
           "dropped": result.dropped_count, "peak_rss_mb_one_batch": peak_rss_mb(), **timing}
    out |= exact_quality(vectors, result.dropped, 1 - EPS)
    del result
    out |= global_run(table, operator, embed=session)
    return out


def report(row: dict, command: str) -> str:
    """The markdown section."""
    end_to_end = 1 / (1 / row["embed_per_s"] + 1 / row["docs_per_s"])
    return "\n".join([
        BEGIN, f"## Semantic deduplication ({datetime.now(UTC):%Y-%m-%d}, {platform.processor() or platform.machine()}"
        ", 2 cores, shared machine)", "", f"Command: `{command}`", "",
        f"SemDeduplicateFilter (eps {EPS}: cosine ≥ {1 - EPS:g}; LSH 32 bands × 16 hyperplane bits) over the local "
        "all-MiniLM-L6-v2 (numpy forward pass, 256-token truncation). Embedding and dedup are timed apart: the "
        "dedup runs on the cached vectors, one batch and as 4 partitions through the DuckDB index. Quality is "
        "against exact all-pairs cosine on the same vectors (DataFlow's n × n matrix).", "",
        "| docs | embed docs/s (tokens/s, mean tokens) | dedup docs/s one batch (s, CPU s) | dedup docs/s 4 partitions "
        "| end-to-end docs/s | dropped (one / global) | peak RSS (one batch / process) | recall vs all-pairs "
        "(true dups) | precision |", "|" + "---:|" * 9,
        f"| {row['docs']:,} | {row['embed_per_s']:,.1f} ({row['tokens_per_s']:,.0f}, {row['mean_tokens']:.0f}) | "
        f"{row['docs_per_s']:,.0f} ({row['seconds']:.2f}, {row['cpu_seconds']:.2f}) | {row['global_docs_per_s']:,.0f} "
        f"| {end_to_end:,.1f} | {row['dropped']:,} / {row['global_dropped']:,} | {row['peak_rss_mb_one_batch']:,.0f} / "
        f"{row['peak_rss_mb']:,.0f} MB | {row['recall']:.4f} ({row['true_duplicates']:,}) | {row['precision']:.4f} |",
        END])


def run(docs: int) -> None:
    """Measure in a subprocess and write the RESULTS.md section."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.dedup_semantic", "--measure", str(docs)], check=True,
                          capture_output=True, text=True, cwd=HERE.parent)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    print(row, file=sys.stderr)
    section = report(row, f"python -m benchmarks.dedup_semantic --docs {docs}")
    write_section(section, BEGIN, END)


def main() -> None:
    """CLI: ``--docs N`` runs and reports; ``--measure N`` is the subprocess."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    run(args.docs)


if __name__ == "__main__":
    main()
