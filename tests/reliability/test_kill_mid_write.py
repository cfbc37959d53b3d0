"""`kill -9` of a run process in the middle of a partition write: the previous contents stay, a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from dataflow_assets.cli.runner import failure_messages
from tests.conftest import REPO
from tests.reliability.harness import PIPELINE, Deployment, make_deployment
from tests.reliability.run_partition import materialize_partition

PARTITION = "batch_00.jsonl"
TABLES = ("raw", "word_count", "word_count__dropped", "spaces")
HANG_SECONDS = 60
UNTOUCHED = {"spaces": ["spaces"], "word_count": ["word_count__dropped", "spaces"]}  # a filter's view follows raw


def run_partition(deployment: Deployment, hang_in: str | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.reliability.run_partition", str(deployment.root), PARTITION]
    env = deployment.env | {"PYTHONPATH": str(REPO)}
    return subprocess.Popen([*command, *(["--hang-in", hang_in] if hang_in else [])], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def snapshot(deployment: Deployment) -> dict[str, object]:
    """Row counts of every table for the partition, and the step stats (counts + write ids)."""
    with duckdb.connect(str(deployment.warehouse), read_only=True) as conn:
        counts = {t: conn.sql(f'SELECT count(*) FROM {PIPELINE}."{t}" WHERE _partition = ?', params=[PARTITION])
                  .fetchall()[0][0] for t in TABLES}
        stats = conn.sql("SELECT step, output_rows, dropped_rows, write_id FROM _dataflow.step_stats "
                         "WHERE _partition = ? ORDER BY step", params=[PARTITION]).fetchall()
    return {"counts": counts, "stats": {row[0]: row[1:] for row in stats}}


def release_dead_run(deployment: Deployment) -> None:
    """What a deployment does after a run process dies: the code server that launched it marks it failed, and the
    monitoring daemon frees its pool slots (dagster.yaml: run_monitoring.free_slots_after_run_end_seconds).
    Without that the killed run would hold the `duckdb` slot and block every later run."""
    with DagsterInstance.from_config(str(deployment.home)) as instance:
        (dead,) = [run for run in instance.get_runs() if not run.is_finished]
        assert instance.event_log_storage.get_concurrency_run_ids() == {dead.run_id}  # it holds the slot
        instance.report_run_failed(dead)
        instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)
        assert instance.event_log_storage.get_concurrency_run_ids() == set()


def materialize(deployment: Deployment) -> None:
    result = materialize_partition(deployment.root, PARTITION)
    assert result.success, failure_messages(result)


@pytest.mark.parametrize("step", ["spaces", "word_count"], ids=["copying-step", "drop-list-step"])
def test_kill_9_during_a_partition_write_keeps_the_previous_contents(tmp_path: Path, step: str) -> None:
    deployment = make_deployment(tmp_path)
    deployment.write_batches(1, 40)
    materialize(deployment)
    before = snapshot(deployment)
    assert before["counts"]["raw"] == 40 and before["counts"]["spaces"] > 0

    lines = (deployment.raw_dir / PARTITION).read_text().splitlines()
    (deployment.raw_dir / PARTITION).write_text("\n".join(lines[:25]) + "\n")  # new contents: 25 rows
    process = run_partition(deployment, hang_in=step)
    marker = tmp_path / "hanging"
    deadline = time.monotonic() + HANG_SECONDS
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), process.communicate()[0].decode(errors="replace")
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    after_kill = snapshot(deployment)
    assert after_kill["counts"]["raw"] == 25  # committed by the killed run's earlier step
    for table in UNTOUCHED[step]:  # the killed write's tables and everything after it: as before
        assert after_kill["counts"][table] == before["counts"][table], table
    assert after_kill["stats"][step] == before["stats"][step]  # its stats row (counts, write id) too

    release_dead_run(deployment)
    materialize(deployment)  # the re-run completes and replaces, never duplicates
    rerun = snapshot(deployment)
    assert rerun["counts"]["raw"] == 25
    assert rerun["counts"]["word_count"] + rerun["counts"]["word_count__dropped"] == 25
    assert rerun["counts"]["spaces"] == rerun["counts"]["word_count"]
    for table in TABLES:
        assert deployment.duplicates(table) == 0, table
