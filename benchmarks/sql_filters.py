"""`make bench-sql`: SQLExecutabilityFilter and SQLExecutionFilter on 100k generated (db_id, SQL) rows.

    python -m benchmarks.sql_filters [--rows 100000] [--workers 1 2]

Each (filter, thread count) runs in its own subprocess, so its peak RSS is its own: the filter over the whole
corpus (``benchmarks/sql_corpus.py``, over the shipped databases in ``data/databases``) as one batch through
the real ``SQLDatabaseResource`` (read-only connections, 5 s time limit, 10k row limit), after a warm-up on
the first 2,000 rows. Reports rows/s, kept rows, the top drop reasons and peak RSS, the ratio to DataFlow's
figures quoted in issue 23 (measured on this machine class: executability ~5.2k rows/s, execution ~1.7k rows/s),
and replaces the SQL section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.measure import peak_rss_mb
from benchmarks.results_file import write_section

HERE = Path(__file__).resolve().parent
DATABASES = HERE.parent / "data" / "databases"
BEGIN, END = "<!-- BENCH sql BEGIN -->", "<!-- BENCH sql END -->"
DATAFLOW_ROWS_PER_S = {"SQLExecutabilityFilter": 5200.0, "SQLExecutionFilter": 1700.0}
TARGET_RATIO = 3.0


def measure(op_name: str, workers: int, count: int) -> dict:
    """One filter over the corpus in this process."""
    import pyarrow as pa

    from benchmarks.sql_corpus import rows
    from operators.base import OperatorContext
    from operators.registry import get_operator
    from resources.sql import SQLDatabaseResource

    corpus = rows(count)
    table = pa.table({"db_id": [r["db_id"] for r in corpus], "SQL": [r["SQL"] for r in corpus]})
    resource = SQLDatabaseResource(root=str(DATABASES), workers=workers)
    op = get_operator(op_name)()
    op.run(table.slice(0, 2000), OperatorContext(sql=resource.session()))  # warm-up: page cache, pool, regexes
    started = time.perf_counter()
    result = op.run(table, OperatorContext(sql=resource.session()))
    seconds = time.perf_counter() - started
    grouped: Counter[str] = Counter()
    for reason, n in result.drop_counts.items():
        grouped[reason.split(":")[0]] += n
    return {"op": op_name, "workers": workers, "rows": count, "seconds": round(seconds, 3),
            "rows_per_s": round(count / seconds, 1), "kept": result.kept, "drops": dict(grouped.most_common()),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def run_one(op_name: str, workers: int, count: int) -> dict:
    """``measure`` in a fresh subprocess."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.sql_filters", "--one", op_name, "--workers",
                          str(workers), "--rows", str(count)], check=True, capture_output=True, text=True,
                         cwd=HERE.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def section(results: list[dict], command: str) -> str:
    """The RESULTS.md section."""
    lines = [BEGIN, "## Text-to-SQL filters (`make bench-sql`)", "",
             f"`{command}` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
             f"load average {os.getloadavg()[0]:.1f} when it ended (other work on the machine slows every figure).",
             "", "Generated (db_id, SQL) rows over the four shipped databases (`benchmarks/sql_corpus.py`: 24 "
             "templates with drawn constants, ~8% broken: unknown columns, syntax errors, unknown ids, writes), one "
             "batch through the real `SQLDatabaseResource` (read-only connections, 5 s / 10k-row limits). DataFlow's "
             "figures are those quoted in issue 23 (open-dataflow 1.0.13, same machine class).", "",
             "| filter | threads | rows | seconds | rows/s | DataFlow rows/s | ratio | kept | drops | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in results:
        reference = DATAFLOW_ROWS_PER_S[r["op"]]
        drops = ", ".join(f"{k} {v}" for k, v in r["drops"].items())
        lines.append(f"| {r['op']} | {r['workers']} | {r['rows']:,} | {r['seconds']:.2f} | {r['rows_per_s']:,.0f} | "
                     f"{reference:,.0f} | {r['rows_per_s'] / reference:.1f}x | {r['kept']:,} | {drops} | "
                     f"{r['peak_rss_mb']:.0f} |")
    lines += ["", f"Target: at least {TARGET_RATIO:.0f}x DataFlow's rows/s with all threads. DataFlow's figures come "
              "from its own corpus, not this one (its side venv is not run here). SQLite and DuckDB run a statement "
              "without the GIL, so a second thread helps only when a second core is free (see the load average).", END]
    return "\n".join(lines)


def main() -> None:
    """Run every (filter, thread count), print the table, write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="Print only; leave RESULTS.md")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.workers[0], args.rows)))
        return
    results = [run_one(op, workers, args.rows) for op in DATAFLOW_ROWS_PER_S for workers in sorted(set(args.workers))]
    command = "python -m benchmarks.sql_filters " + " ".join(sys.argv[1:])
    text = section(results, command.strip())
    print(text)
    if not args.no_write:
        write_section(text, BEGIN, END)


if __name__ == "__main__":
    main()
