"""Nothing stale after a crash: a run killed at any point, a failed blocking check or a full disk leaves each step of
the partition either current (computed from the raw file now stored) or not materialized, never showing rows of an
older version; a re-run then gives exactly what a clean run gives.

The spec has one step of each storage shape: a filter that stores only its drop list (``word_count``, a view), an
in-place refiner that stores a patch (``tidy``, a view), and a refiner that stores a copy (``lower``, a table).
Version 2 of the raw file holds the same number of rows as version 1 in the reverse order, so a step showing a
version-1 answer on version-2 rows (the old bug: a patch view joining old changes onto new rows) is caught.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance
from dagster_duckdb import DuckDBResource

from dataflow_assets.assets.project import build_definitions
from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import load_spec
from tests.conftest import REPO, SAMPLES
from tests.reliability.harness import PIPELINE, Deployment, make_deployment
from tests.reliability.run_partition import materialize_partition

PARTITION = "batch.jsonl"
STEPS = ("raw", "word_count", "tidy", "lower")
HANG_SECONDS = 60
SPEC = f"""\
name: {PIPELINE}
description: One step of each storage shape (drop list, patch, copy) for the crash tests.
raw:
  columns: {{text: string}}
steps:
  - name: word_count
    op: WordNumberFilter
    config: {{min_words: 20, max_words: 100000}}
  - name: tidy
    op: RemoveExtraSpacesRefiner
  - name: lower
    op: LowercaseRefiner
    outputs: {{text: lower_text}}
"""
CHECKED_SPEC = SPEC.replace("    config: {min_words: 20, max_words: 100000}\n",
                            "    config: {min_words: 20, max_words: 100000}\n"
                            "    checks:\n      - {check: retention, min: 0.99, max: 1.0, severity: ERROR}\n")


def version_lines(version: int) -> list[str]:
    """Version 1: 40 lines of the web sample; version 2: the same lines in the reverse order."""
    lines = (SAMPLES / "web_sample.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    return lines if version == 1 else lines[::-1]


def write_version(deployment: Deployment, lines: list[str]) -> None:
    (deployment.raw_dir / PARTITION).write_text("\n".join(lines) + "\n", encoding="utf-8")


def step_rows(warehouse: Path) -> dict[str, list[dict]]:
    """Every step's rows of the partition as a reader sees them (views and tables), in row-id order; a step whose
    table a first run never created has none."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        made = {row[0] for row in conn.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                                           params=[PIPELINE]).fetchall()}
        return {step: conn.sql(f'SELECT * EXCLUDE (_partition) FROM {PIPELINE}."{step}" WHERE _partition = ? '
                               "ORDER BY _row_id", params=[PARTITION]).to_arrow_table().to_pylist()
                if step in made else [] for step in STEPS}


def current_steps(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found = {row[0] for row in conn.sql("SELECT step FROM _dataflow.step_stats WHERE pipeline = ? AND "
                                            "_partition = ?", params=[PIPELINE, PARTITION]).fetchall()}
    return [step for step in STEPS if step in found]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, list[dict]]]:
    """What a clean run stores for each version of the file (a fresh deployment each)."""
    answers = {}
    for version in (1, 2):
        deployment = make_deployment(tmp_path_factory.mktemp(f"clean{version}"), SPEC)
        write_version(deployment, version_lines(version))
        assert materialize_partition(deployment.root, PARTITION, deployment.warehouse).success
        answers[version] = step_rows(deployment.warehouse)
    assert answers[1]["tidy"] != answers[2]["tidy"] and answers[1]["lower"] != answers[2]["lower"]
    assert 0 < len(answers[1]["word_count"]) < 40  # the filter drops some rows and keeps others
    return answers


def assert_nothing_stale(deployment: Deployment, clean: dict[int, dict[str, list[dict]]]) -> int:
    """Each step is current (exactly the clean answer for the stored raw version) or shows nothing; the current
    steps are a prefix of the chain. Returns the stored raw version."""
    rows, current = step_rows(deployment.warehouse), current_steps(deployment.warehouse)
    version = next(v for v in (1, 2) if rows["raw"] == clean[v]["raw"])
    assert current == list(STEPS[:len(current)]), current
    for step in STEPS:
        expected = clean[version][step] if step in current else []
        assert rows[step] == expected, f"{step} shows rows of no current version (raw is version {version})"
    return version


def run_in_process(deployment: Deployment, hang_in: str | None = None,
                   fill_disk: tuple[str, Path] | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.reliability.run_partition", str(deployment.root), PARTITION]
    command += ["--hang-in", hang_in] if hang_in else []
    command += ["--fill-disk-after", fill_disk[0], str(fill_disk[1])] if fill_disk else []
    return subprocess.Popen(command, cwd=REPO, env=deployment.env | {"PYTHONPATH": str(REPO)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def kill_inside_write_of(deployment: Deployment, step: str) -> None:
    """Run the partition in a process that hangs inside ``step``'s write (before its commit); ``kill -9`` it once
    the assets before ``step`` are reported to Dagster."""
    marker = deployment.root / "hanging"
    marker.unlink(missing_ok=True)
    process = run_in_process(deployment, hang_in=step)
    deadline = time.monotonic() + HANG_SECONDS
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), process.communicate()[0].decode(errors="replace")
    while reported(deployment) < STEPS.index(step) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    release_dead_run(deployment)


def reported(deployment: Deployment) -> int:
    """Assets the unfinished run has reported materialized so far."""
    with DagsterInstance.from_config(str(deployment.home)) as instance:
        running = [run for run in instance.get_runs() if not run.is_finished]
        if not running:
            return 0
        return len(instance.get_records_for_run(running[0].run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
                                                ).records)


def release_dead_run(deployment: Deployment) -> None:
    """What a deployment does after a run process dies: the code server that launched it marks it failed, and the
    monitoring daemon frees its pool slots (dagster.yaml: run_monitoring.free_slots_after_run_end_seconds).
    Without that the killed run would hold the `duckdb` slot and block every later run."""
    with DagsterInstance.from_config(str(deployment.home)) as instance:
        (dead,) = [run for run in instance.get_runs() if not run.is_finished]
        instance.report_run_failed(dead)
        instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)


def rerun_gives_the_clean_answer(deployment: Deployment, clean: dict[int, dict[str, list[dict]]], version: int
                                 ) -> None:
    result = materialize_partition(deployment.root, PARTITION, deployment.warehouse)
    assert result.success, failure_messages(result)
    assert step_rows(deployment.warehouse) == clean[version]
    assert current_steps(deployment.warehouse) == list(STEPS)


@pytest.mark.parametrize("step", ["word_count", "lower"])
def test_kill_9_in_a_first_run(tmp_path: Path, clean: dict, step: str) -> None:
    deployment = make_deployment(tmp_path, SPEC)
    write_version(deployment, version_lines(1))
    kill_inside_write_of(deployment, step)
    assert assert_nothing_stale(deployment, clean) == 1
    assert current_steps(deployment.warehouse) == list(STEPS[:STEPS.index(step)])
    rerun_gives_the_clean_answer(deployment, clean, 1)


@pytest.mark.parametrize("step", STEPS)
def test_kill_9_in_a_rerun_of_a_changed_file(tmp_path: Path, clean: dict, step: str) -> None:
    deployment = make_deployment(tmp_path, SPEC)
    write_version(deployment, version_lines(1))
    rerun_gives_the_clean_answer(deployment, clean, 1)
    write_version(deployment, version_lines(2))
    kill_inside_write_of(deployment, step)
    version = assert_nothing_stale(deployment, clean)
    assert version == (1 if step == "raw" else 2)  # raw's own write was killed: version 1 throughout
    assert current_steps(deployment.warehouse) == list(STEPS if step == "raw" else STEPS[:STEPS.index(step)])
    if step == "word_count":  # raw's new data version (its content hash) was reported before the kill: Dagster
        # shows the step that reads it stale (Dagster compares each asset with its direct dependencies; the later
        # steps read as not materialized in the warehouse)
        assert not_fresh(deployment) == ["word_count"]
    rerun_gives_the_clean_answer(deployment, clean, 2)
    assert not_fresh(deployment) == []


def not_fresh(deployment: Deployment) -> list[str]:
    """The steps Dagster shows stale (or missing) for the partition, as the UI does."""
    # no public API answers an asset partition's staleness outside the UI's GraphQL: Dagster's own test helper
    from dagster._core.definitions.data_version import StaleStatus
    from dagster._utils.test.data_versions import get_stale_status_resolver

    spec = load_spec(deployment.root / "specs" / f"{PIPELINE}.yaml")
    defs = build_definitions([spec], DuckDBResource(database=str(deployment.warehouse)))
    with DagsterInstance.from_config(str(deployment.home)) as instance:
        resolver = get_stale_status_resolver(instance, list(defs.assets or []))
        return [step for step in STEPS[1:]
                if resolver.get_status(AssetKey([PIPELINE, step]), PARTITION) != StaleStatus.FRESH]


def test_a_failed_blocking_check_leaves_the_later_steps_not_materialized(tmp_path: Path, clean: dict) -> None:
    deployment = make_deployment(tmp_path, CHECKED_SPEC)
    kept_lines = {row["_row_id"] for row in clean[1]["word_count"]}  # _row_id: the 1-based line
    write_version(deployment, [line for number, line in enumerate(version_lines(1), 1) if number in kept_lines])
    first = materialize_partition(deployment.root, PARTITION, deployment.warehouse)
    assert first.success, failure_messages(first)  # every row passes word_count: retention 1.0
    write_version(deployment, version_lines(2))  # some rows dropped now: the ERROR check fails
    failed = materialize_partition(deployment.root, PARTITION, deployment.warehouse)
    assert not failed.success and "blocking check retention" in " ".join(failure_messages(failed))
    assert current_steps(deployment.warehouse) == ["raw", "word_count"]
    rows = step_rows(deployment.warehouse)
    assert rows["word_count"] == clean[2]["word_count"] and rows["tidy"] == rows["lower"] == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs mounted for the test (root, as on this project's machines); else skipped with the reason."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the full-disk test needs one")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_mid_run_leaves_nothing_stale(tmp_path: Path, small_disk: Path, clean: dict) -> None:
    """A real ENOSPC: the warehouse lives on a 16 MB tmpfs, filled to the last byte once raw's write committed."""
    deployment = make_deployment(tmp_path / "deployment", SPEC, warehouse=small_disk / "warehouse.duckdb")
    write_version(deployment, version_lines(1))
    rerun_gives_the_clean_answer(deployment, clean, 1)
    write_version(deployment, version_lines(2))
    filler = small_disk / "filler"
    process = run_in_process(deployment, fill_disk=("raw", filler))
    output = process.communicate(timeout=300)[0].decode(errors="replace")
    assert process.returncode == 1, output
    assert "No space left on device" in output or "disk" in output.lower(), output
    assert os.statvfs(small_disk).f_bavail == 0
    filler.unlink()
    assert assert_nothing_stale(deployment, clean) == 2
    assert current_steps(deployment.warehouse) == ["raw"]
    rerun_gives_the_clean_answer(deployment, clean, 2)
