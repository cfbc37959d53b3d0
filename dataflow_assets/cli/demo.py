"""``make demo``: materialize one partition of a pipeline in the persistent instance and print a summary."""

from __future__ import annotations

import sys

from dagster import DagsterInstance

from dataflow_assets.assets.factory import partitions_name
from dataflow_assets.cli.runner import QUIET_RUN_CONFIG, failure_messages, summary_table
from dataflow_assets.definitions import defs
from dataflow_assets.engine.export import export_path
from dataflow_assets.spec.catalog import load_all_specs
from resources.files import file_store_from_env
from resources.warehouse import warehouse_from_env
from resources.warehouse.connection import connect
from resources.warehouse.step_store import step_stats


def main(pipeline: str, partition: str) -> int:
    """Run ``<pipeline>_job`` for ``partition`` and print kept/dropped per step and where the results are."""
    spec = next(spec for spec in load_all_specs() if spec.name == pipeline)
    job = defs.resolve_job_def(f"{pipeline}_job")
    instance = DagsterInstance.get()
    spec_partitions = partitions_name(pipeline)
    if not instance.has_dynamic_partition(spec_partitions, partition):
        instance.add_dynamic_partitions(spec_partitions, [partition])
    result = job.execute_in_process(
        partition_key=partition, instance=instance, raise_on_error=False, run_config=QUIET_RUN_CONFIG
    )
    if not result.success:
        for message in failure_messages(result):
            print(f"failed: {message}", file=sys.stderr)
        return 1
    with connect(warehouse_from_env()) as conn:
        rows = step_stats(conn, pipeline, partition, spec.table_order)
    print("\n" + summary_table(rows))
    for row in rows:
        m = row.get("metrics") or {}
        if "llm_requests" in m:
            print(f"  {row['step']}: {m['llm_backend']} {m['llm_model']}: {m['llm_requests']} requests, "
                  f"{m['llm_cache_hits']} cache hits, {m['llm_failures']} failed rows, "
                  f"{m['llm_completion_tokens']} completion tokens at {m['llm_tokens_per_s']} tokens/s")
    export_dir = file_store_from_env().export_dir(pipeline)
    print(f"\nExported training set: {export_path(export_dir, partition, 'jsonl')} (and .parquet, .card.md)")
    print(f"Step tables: DuckDB {warehouse_from_env().database}, schema {pipeline!r} "
          f"(e.g. SELECT * FROM {pipeline}.raw)")
    print("Open the UI: make ui   then browse http://127.0.0.1:3000 (asset group "
          f"{pipeline!r}, partition {partition!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
