"""Every failure `dataflow` can meet, as a user meets it: one `error:` line naming the user's own file, a distinct
exit status, no traceback (unless --debug), and nothing written."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dataflow_assets.cli.errors import ExitStatus
from dataflow_assets.spec.catalog import builtin_spec
from tests.conftest import REPO, SAMPLES, free_port

DATAFLOW = Path(sys.executable).with_name("dataflow")
SPEC = """\
name: errors
raw:
  columns: {text: string}
steps:
  - name: words
    op: WordNumberFilter
    config: {min_words: 1}
"""


@dataclass
class Outcome:
    status: int
    stderr: str
    seconds: float

    @property
    def last_line(self) -> str:
        return self.stderr.strip().splitlines()[-1]


def dataflow(*args: str | Path, env: dict[str, str] | None = None) -> Outcome:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATAFLOW_")}
    start = time.monotonic()
    done = subprocess.run([str(DATAFLOW), *map(str, args)], cwd=REPO, env=clean | (env or {}), capture_output=True,
                          text=True, timeout=300)
    return Outcome(done.returncode, done.stderr, time.monotonic() - start)


def assert_clear(outcome: Outcome, status: ExitStatus, *names: str) -> None:
    """The failure's one line: ``error: …`` last on stderr, naming each of ``names``; no traceback."""
    assert outcome.status == status, outcome.stderr
    assert outcome.last_line.startswith("error: "), outcome.stderr
    for name in names:
        assert name in outcome.last_line, outcome.stderr
    assert "Traceback" not in outcome.stderr and "Stack Trace" not in outcome.stderr
    assert "dataflow-run-" not in outcome.stderr  # never the staged copy of the input


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    spec = tmp_path / "errors.yaml"
    spec.write_text(SPEC)
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "a few words"}\n{"text": "and more words"}\n')
    return {"spec": spec, "good": good, "out": tmp_path / "out.jsonl"}


def test_bad_input_names_the_users_file_line_and_column(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": "broken",}\n')
    outcome = dataflow("run", files["spec"], bad, "--out", files["out"])
    assert_clear(outcome, ExitStatus.BAD_INPUT, f"RawFileError: {bad}:2:19: invalid JSON")
    assert not files["out"].exists()


def test_a_bad_spec(files: dict[str, Path]) -> None:
    files["spec"].write_text(SPEC.replace("WordNumberFilter", "WordNumbrFilter"))
    outcome = dataflow("run", files["spec"], files["good"], "--out", files["out"])
    assert_clear(outcome, ExitStatus.BAD_SPEC, str(files["spec"]), "unknown operator 'WordNumbrFilter'")
    assert not files["out"].exists()


def test_unknown_pipeline_and_step(files: dict[str, Path], tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    assert dataflow("run", files["spec"], files["good"], "--out", files["out"], "--warehouse", warehouse).status == 0
    before = digest(warehouse)
    assert_clear(dataflow("show", "nope", "raw", "--warehouse", warehouse), ExitStatus.UNKNOWN, "no pipeline 'nope'")
    assert_clear(dataflow("show", "errors", "nope", "--warehouse", warehouse), ExitStatus.UNKNOWN,
                 "no step 'nope' in pipeline 'errors'; steps: raw, words")
    assert_clear(dataflow("operators", "NoSuchOperator"), ExitStatus.UNKNOWN, "unknown operator 'NoSuchOperator'")
    assert digest(warehouse) == before


def test_a_locked_warehouse_is_waited_for_visibly_then_given_up(files: dict[str, Path], tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    assert dataflow("run", files["spec"], files["good"], "--out", files["out"], "--warehouse", warehouse).status == 0
    hold = f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print('held', flush=True); time.sleep(120)"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        outcome = dataflow("run", files["spec"], files["good"], "--out", tmp_path / "o2.jsonl", "--warehouse",
                           warehouse, env={"DATAFLOW_LOCK_WAIT_S": "2"})
    finally:
        holder.kill()
    assert f"the warehouse {warehouse} is locked by process {holder.pid}" in outcome.stderr
    assert "waiting up to 2 s" in outcome.stderr  # said before the wait, not after
    assert_clear(outcome, ExitStatus.WAREHOUSE, "waited 2 s", "DATAFLOW_LOCK_WAIT_S")
    assert outcome.seconds < 30 and not (tmp_path / "o2.jsonl").exists()


def test_a_warehouse_that_is_not_duckdb_fails_at_once(files: dict[str, Path], tmp_path: Path) -> None:
    warehouse = tmp_path / "notes.duckdb"
    warehouse.write_bytes(b"these are my notes, not a database\n" * 200)
    before = digest(warehouse)
    outcome = dataflow("run", files["spec"], files["good"], "--out", files["out"], "--warehouse", warehouse)
    assert_clear(outcome, ExitStatus.WAREHOUSE, str(warehouse), "not a DuckDB database")
    assert outcome.seconds < 20 and digest(warehouse) == before and not files["out"].exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test (root, as on this project's machines); else skipped with the reason."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); this test needs one")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_warehouse_fails_at_once(files: dict[str, Path], small_disk: Path) -> None:
    warehouse = small_disk / "w.duckdb"
    assert dataflow("run", files["spec"], files["good"], "--out", files["out"], "--warehouse", warehouse).status == 0
    before = digest(warehouse)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    outcome = dataflow("run", files["spec"], files["good"], "--out", files["out"].with_name("o2.jsonl"),
                       "--warehouse", warehouse)
    assert_clear(outcome, ExitStatus.WAREHOUSE, str(warehouse), "read-only file system")
    assert outcome.seconds < 20 and digest(warehouse) == before


def test_a_full_disk(files: dict[str, Path], small_disk: Path) -> None:
    fill(small_disk / "filler")
    outcome = dataflow("run", files["spec"], files["good"], "--out", files["out"], "--warehouse",
                       small_disk / "w.duckdb")
    assert_clear(outcome, ExitStatus.DISK_FULL, "No space left on device")
    assert not files["out"].exists()


def fill(filler: Path) -> None:
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass


def test_an_unreachable_llm_endpoint_fails_the_step_at_once(tmp_path: Path) -> None:
    port = free_port()
    outcome = dataflow("run", builtin_spec("text_sft_synthesis"), SAMPLES / "sft_docs.jsonl", "--out",
                       tmp_path / "o.jsonl", env={"DATAFLOW_LLM_BACKEND": "openai", "DATAFLOW_LLM_MODEL": "m",
                                                  "DATAFLOW_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1"})
    assert_clear(outcome, ExitStatus.LLM, f"LLM endpoint http://127.0.0.1:{port}/v1 is unreachable",
                 "DATAFLOW_LLM_BASE_URL")
    assert outcome.seconds < 30 and not (tmp_path / "o.jsonl").exists()


def test_a_missing_model(tmp_path: Path) -> None:
    outcome = dataflow("run", builtin_spec("text_sft_synthesis"), SAMPLES / "sft_docs.jsonl", "--out",
                       tmp_path / "o.jsonl", env={"DATAFLOW_LLM_MODEL": str(tmp_path / "nope.gguf")})
    assert_clear(outcome, ExitStatus.LLM, f"model file {tmp_path / 'nope.gguf'} does not exist")


def test_debug_shows_the_traceback(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": 1}\n')
    outcome = dataflow("--debug", "run", files["spec"], bad, "--out", files["out"])
    assert outcome.status != 0 and "Traceback" in outcome.stderr
