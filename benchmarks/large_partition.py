"""`make bench-large`: one 1M-document partition through text_pretrain_filter, with peak memory per asset.

The partition is far above ``DATAFLOW_CHUNK_BYTES`` and ``DATAFLOW_SPILL_ABOVE``, so it is ingested in blocks and
every step runs chunk by chunk over spilled files (``resources/warehouse/row_chunks.py``). The run happens in its own
process (``benchmarks.measure dagster``); after each asset is materialized it records its resident and peak memory.
Results go to benchmarks/RESULTS.md between the BENCH large-partition markers.
"""

from __future__ import annotations

import argparse
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.results_file import write_section
from benchmarks.run_all import _measure, corpus_file

BEGIN, END = "<!-- BENCH large-partition BEGIN -->", "<!-- BENCH large-partition END -->"


def main() -> None:
    """Build the corpus if needed, run it through Dagster, write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    corpus = corpus_file(args.docs, args.seed)
    result = _measure("dagster", corpus)
    section = render(args, corpus, result)
    print(section)
    write_section(section, BEGIN, END)


def render(args: argparse.Namespace, corpus: Path, result: dict) -> str:
    """The markdown section for RESULTS.md."""
    chunk = os.environ.get("DATAFLOW_CHUNK_BYTES", "67108864 (default)")
    lines = [
        BEGIN,
        "## One large partition through text_pretrain_filter: bounded memory",
        "",
        f"Command: `make bench-large` (= `python -m benchmarks.large_partition --docs {args.docs} --seed "
        f"{args.seed}`), {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, Python {platform.python_version()}, "
        f"`DATAFLOW_CHUNK_BYTES` {chunk}.",
        f"Corpus: {args.docs:,} documents, {corpus.stat().st_size / 1e6:,.0f} MB JSONL, one partition.",
        "",
        f"Whole run: **{result['seconds']:.0f} s** ({result['rows_per_s']:,.0f} rows/s), exported "
        f"{result['exported_rows']:,} rows, **peak RSS {result['peak_rss_mb']:,.0f} MB**.",
        "",
        "| asset | rows out | done at | RSS after | peak so far |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in result["steps"]:
        lines.append(f"| {step['step']} | {step['rows'] or 0:,} | {step['at_s']:.0f} s | {step['rss_mb']:,} MB | "
                     f"{step['peak_mb']:,} MB |")
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
