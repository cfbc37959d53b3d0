"""A backfill of 20 partitions through the queued run coordinator, 4 runs at a time, against one DuckDB file.

Real parts only: the project's dagster.yaml (QueuedRunCoordinator, max_concurrent_runs 4, pool limit 1 for
`duckdb`), `dagster job backfill` to queue the runs and `dagster-daemon run` to launch them as run processes.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from dataflow_assets.assets.factory import partitions_name
from tests.processes import stop_session
from tests.reliability.harness import PIPELINE, Deployment, make_deployment

BATCHES = 20
LINES_EACH = 15
PARALLEL = 4
BACKFILL_SECONDS = 240


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    return peak


def launched_at(instance: DagsterInstance, run_id: str) -> float:
    """When the coordinator launched a run (RUN_STARTING): from then on it counts against max_concurrent_runs."""
    [entry] = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_STARTING).records
    return entry.event_log_entry.timestamp


def lock_errors(instance: DagsterInstance, run_ids: list[str], daemon_log: Path) -> list[str]:
    messages = [entry.message for run_id in run_ids for entry in instance.all_logs(run_id)]
    messages += daemon_log.read_text(errors="replace").splitlines()
    return [m for m in messages if "could not set lock" in m.lower()]


def test_backfill_of_20_partitions_4_at_a_time(tmp_path: Path) -> None:
    deployment: Deployment = make_deployment(tmp_path)
    names = deployment.write_batches(BATCHES, LINES_EACH)
    with DagsterInstance.from_config(str(deployment.home)) as instance:
        instance.add_dynamic_partitions(partitions_name(PIPELINE), names)
    daemon = deployment.start(["dagster-daemon", "run", "-w", "workspace.yaml"], "daemon.log")  # starts meanwhile
    queue = None
    try:
        queue = deployment.start(["dagster", "job", "backfill", "-w", "workspace.yaml", "-j", f"{PIPELINE}_job",
                                  "--partitions", ",".join(names), "--noprompt"], "backfill.log")
        assert queue.wait(timeout=120) == 0, (tmp_path / "backfill.log").read_text()[-3000:]
        with DagsterInstance.from_config(str(deployment.home)) as instance:
            deadline = time.monotonic() + BACKFILL_SECONDS
            while time.monotonic() < deadline:
                runs = instance.get_runs()
                if len(runs) == BATCHES and all(run.is_finished for run in runs):
                    break
                time.sleep(1)
            records = instance.get_run_records()
            statuses = Counter(record.dagster_run.status for record in records)
            assert statuses == {DagsterRunStatus.SUCCESS: BATCHES}, (statuses, (tmp_path / "daemon.log").read_text()
                                                                     [-3000:])
            # a run takes a slot from its launch (process start-up, seconds) to its end
            intervals = [(launched_at(instance, r.dagster_run.run_id), r.end_time) for r in records]
            run_ids = [r.dagster_run.run_id for r in records]
            assert sorted(r.dagster_run.tags["dagster/partition"] for r in records) == names
            assert lock_errors(instance, run_ids, tmp_path / "daemon.log") == []
    finally:
        for process in (queue, daemon):
            if process is not None:
                stop_session(process)
    assert 2 <= max_overlap(intervals) <= PARALLEL  # runs did overlap, never more than the limit

    raw = deployment.counts("raw")
    assert raw == dict.fromkeys(names, LINES_EACH)  # every partition once, no row lost
    for table in ("raw", "word_count", "word_count__dropped", "spaces"):
        assert deployment.duplicates(table) == 0, table
    kept, dropped = deployment.counts("word_count"), deployment.counts("word_count__dropped")
    for name in names:
        assert kept.get(name, 0) + dropped.get(name, 0) == LINES_EACH
    assert deployment.counts("spaces") == {name: n for name, n in kept.items() if n}
    exports = sorted(p.name for p in (tmp_path / "out" / PIPELINE).glob("*.jsonl"))
    assert exports == names

