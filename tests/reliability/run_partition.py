"""Run process for the kill -9 test: materialize one partition of the reliability spec in this process.

    python -m tests.reliability.run_partition ROOT PARTITION [--hang-in STEP] [--fill-disk-after STEP FILE]

Faults it can inject (test-only):

- ``--hang-in STEP``: inside STEP's partition write, after the real delete and insert ran in the open DuckDB
  transaction and before the commit, the process writes ``ROOT/hanging`` and sleeps, so the test can ``kill -9`` it
  in the middle of the write;
- ``--fill-disk-after STEP FILE``: once STEP's write has committed, FILE (on the warehouse's file system) is grown
  until that file system is full, so the next write meets a real "No space left on device".

The warehouse is ``$DATAFLOW_WAREHOUSE`` when set, else ``ROOT/warehouse.duckdb``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult
from dagster_duckdb import DuckDBResource

import resources.warehouse.step_writes as step_writes
from dataflow_assets.assets.factory import partitions_name
from dataflow_assets.assets.project import build_definitions
from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import load_spec
from resources.files import FileStoreResource
from tests.reliability.harness import PIPELINE, Deployment


def hang_inside_write_of(step: str, marker: Path) -> None:
    """Fault injection: the real write of ``step`` runs, then the process hangs before the commit."""
    real = step_writes.replace_in_open_transaction

    def replace_then_hang(conn, pipeline: str, table: str, partition: str, incoming: str,  # noqa: ANN001
                          shape: str | None = None, **options: object) -> None:
        real(conn, pipeline, table, partition, incoming, shape, **options)
        if table in (step, f"{step}__dropped", f"{step}__drops", f"{step}__changes"):
            marker.write_text(table)
            time.sleep(600)

    step_writes.replace_in_open_transaction = replace_then_hang


def fill_disk_after(step: str, filler: Path) -> None:
    """Fault injection: after ``step``'s write commits, ``filler`` takes every free byte of its file system."""
    real = step_writes.hand_off  # called right after a write's transaction committed

    def hand_off_then_fill(database: str, pipeline: str, written: str, *args: object) -> None:
        real(database, pipeline, written, *args)
        if written == step:
            fill_file_system(filler)

    step_writes.hand_off = hand_off_then_fill


def fill_file_system(filler: Path) -> None:
    """Write zeros to ``filler`` until its file system has no room left."""
    block = b"\0" * (1 << 20)
    with filler.open("ab") as out:
        try:
            while True:
                out.write(block)
                out.flush()
        except OSError:
            pass
        try:
            while True:  # the last few KB, a byte block at a time
                out.write(b"\0" * 4096)
                out.flush()
        except OSError:
            pass


def materialize_partition(root: Path, partition: str, warehouse: Path | None = None) -> ExecuteInProcessResult:
    """Materialize every asset of the reliability spec for one partition, in this process."""
    deployment = Deployment(root)
    warehouse = warehouse or Path(os.environ.get("DATAFLOW_WAREHOUSE", deployment.warehouse))
    spec = load_spec(root / "specs" / f"{PIPELINE}.yaml")
    files = FileStoreResource(raw_root=str(root / "raw"), export_root=str(root / "out"))
    defs = build_definitions([spec], DuckDBResource(database=str(warehouse)), files)
    with DagsterInstance.from_config(str(deployment.home)) as instance:
        instance.add_dynamic_partitions(partitions_name(PIPELINE), [partition])
        return defs.resolve_job_def(f"{PIPELINE}_job").execute_in_process(
            partition_key=partition, instance=instance, raise_on_error=False)


def main() -> int:
    """Materialize the partition; exit 0 on success, 1 with the step errors on failure."""
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("partition")
    parser.add_argument("--hang-in", default=None)
    parser.add_argument("--fill-disk-after", nargs=2, default=None, metavar=("STEP", "FILE"))
    args = parser.parse_args()
    if args.hang_in:
        hang_inside_write_of(args.hang_in, args.root / "hanging")
    if args.fill_disk_after:
        fill_disk_after(args.fill_disk_after[0], Path(args.fill_disk_after[1]))
    result = materialize_partition(args.root, args.partition)
    if not result.success:
        print("\n".join(failure_messages(result)), file=sys.stderr)
    return 0 if result.success else 1

if __name__ == "__main__":
    sys.exit(main())
