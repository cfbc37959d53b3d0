"""`dataflow run` as a user runs it on batches: global dedup against a kept warehouse, partition keys that stay
apart, an --out that is never the input and never half-written, and no temporary folder left behind."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dataflow_assets.cli.errors import ExitStatus
from dataflow_assets.cli.main import main
from dataflow_assets.cli.run_files import TEMP_PREFIX, remove_orphans
from tests.conftest import SAMPLES

SPEC = """\
name: batches
raw:
  columns: {text: string}
steps:
  - name: exact
    op: HashDeduplicateFilter
"""
LINES = (SAMPLES / "web_sample.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "batches.yaml"
    path.write_text(SPEC)
    return path


def batch(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *map(str, args)])
    return result.exit_code, result.output


def test_a_second_identical_batch_is_dropped_against_the_kept_warehouse(tmp_path: Path, spec: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    first, second = batch(tmp_path, "first.jsonl", LINES[:40]), batch(tmp_path, "second.jsonl", LINES[:40])
    code, output = run(spec, first, "--out", tmp_path / "first_out.jsonl", "--warehouse", warehouse)
    assert code == 0, output
    kept_first = len((tmp_path / "first_out.jsonl").read_text().splitlines())
    code, output = run(spec, second, "--out", tmp_path / "second_out.jsonl", "--warehouse", warehouse)
    assert code == 0, output
    assert (tmp_path / "second_out.jsonl").read_text() == ""  # every row a duplicate of the first batch's
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        provenance = conn.sql("SELECT DISTINCT duplicate_of_partition FROM batches.exact__dropped "
                              "WHERE _partition = 'second.jsonl'").fetchall()
        dropped = conn.sql("SELECT count(*) FROM batches.exact__dropped WHERE _partition = 'second.jsonl'").fetchall()
        order = conn.sql("SELECT _partition FROM _dataflow.partitions ORDER BY position").fetchall()
    assert kept_first < 40 and provenance == [("first.jsonl",)] and dropped == [(40,)]  # in-batch copies too
    assert order == [("first.jsonl",), ("second.jsonl",)]


def test_files_of_one_name_from_two_folders_stay_apart(tmp_path: Path, spec: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    a = batch(tmp_path / "a", "part-00000.jsonl", LINES[:20])
    b = batch(tmp_path / "b", "part-00000.jsonl", LINES[20:50])
    assert run(spec, a, "--out", tmp_path / "a.jsonl", "--warehouse", warehouse)[0] == 0
    code, output = run(spec, b, "--out", tmp_path / "b.jsonl", "--warehouse", warehouse)
    assert code == ExitStatus.USAGE
    assert f"partition 'part-00000.jsonl' of this warehouse came from {a.resolve()}" in output
    assert "--partition b/part-00000.jsonl" in output
    code, output = run(spec, b, "--out", tmp_path / "b.jsonl", "--warehouse", warehouse,
                       "--partition", "b/part-00000.jsonl")
    assert code == 0, output
    assert run(spec, a, "--out", tmp_path / "a.jsonl", "--warehouse", warehouse)[0] == 0  # the same file: replaces
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        counts = dict(conn.sql("SELECT _partition, count(*) FROM batches.raw GROUP BY 1").fetchall())
    assert counts == {"part-00000.jsonl": 20, "b/part-00000.jsonl": 30}


def test_out_must_be_jsonl_or_parquet_and_never_the_input(tmp_path: Path, spec: Path) -> None:
    source = batch(tmp_path, "in.jsonl", LINES[:5])
    before = source.read_bytes()
    code, output = run(spec, source, "--out", source)
    assert code == ExitStatus.USAGE and "is the input file" in output
    code, output = run(spec, source, "--out", tmp_path / "x.csv")
    assert code == ExitStatus.USAGE and "written as .jsonl or .parquet" in output
    assert source.read_bytes() == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs mounted for the test (root, as on this project's machines); else skipped with the reason."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the full-disk test needs one")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_at_out_leaves_the_previous_export(tmp_path: Path, spec: Path, small_disk: Path) -> None:
    out = small_disk / "kept.jsonl"
    assert run(spec, batch(tmp_path, "small.jsonl", LINES[:3]), "--out", out)[0] == 0
    previous = out.read_bytes()
    big = batch(tmp_path, "big.jsonl", [json.dumps({"text": f"{i} " + "word " * 400}) for i in range(600)])
    assert big.stat().st_size > 1 << 20  # the export cannot fit on the 1 MB disk
    code, output = run(spec, big, "--out", out)
    assert code == ExitStatus.DISK_FULL and "No space left on device" in output
    assert out.read_bytes() == previous  # complete or not at all
    assert sorted(path.name for path in small_disk.iterdir()) == ["kept.card.md", "kept.jsonl"]  # no partial file


def test_a_killed_runs_temporary_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    pid = _dead_pid()
    left = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{pid}-", dir=tmp_path))
    (left / "raw.jsonl").write_text("{}\n")
    mine = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=tmp_path))
    assert remove_orphans(tmp_path) == [left]
    assert not left.exists() and mine.exists()


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid
