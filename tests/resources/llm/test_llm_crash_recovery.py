"""The LLM server dies in the middle of an LLM step: no lost or duplicated rows, and re-runs reuse the cache.

Uses a real llama.cpp server (the embedded default) that the test kills while the step is generating.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import duckdb

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import parse_spec
from resources.llm import LLMResource
from resources.llm.cache import ResponseCache
from resources.llm.local_server import LocalLlamaServer
from tests.conftest import SAMPLES, Project, free_port

SFT = parse_spec("""
name: crash_sft
raw: {columns: {text: string}}
steps:
  - {name: sft_seed, op: SFTGeneratorSeed, config: {max_tokens: 160}}
""")  # one LLM step: the crash is what is under test, not the rest of text_sft_synthesis
PARTITION = "docs.jsonl"
DOCS = "".join((SAMPLES / "sft_docs.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:4])  # 4 good docs


def count(project: Project, table: str) -> int:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(f'SELECT count(*) FROM {SFT.name}."{table}" WHERE _partition = ?', [PARTITION]
                            ).fetchall()[0][0]


def seed_metric(result, name: str) -> int:
    for event in result.get_asset_materialization_events():
        if event.materialization.asset_key.path[-1] == "sft_seed":
            return event.materialization.metadata[f"metric/{name}"].value
    raise KeyError(name)


def kill_after_answers(server: LocalLlamaServer, cache_path: Path, answers: int) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if cache_path.exists() and len(ResponseCache(cache_path)) >= answers:
                server.kill()
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_local_server_killed_mid_step_is_restarted_and_the_step_completes(project: Project) -> None:
    port = free_port()
    server = LocalLlamaServer(port=port, n_threads=2)
    server.ensure()
    cache = project.root / "cache.sqlite"
    project.llm = LLMResource(backend="local", local_port=port, cache_path=str(cache), backoff_base_s=0.2)
    project.add_raw(SFT.name, PARTITION, DOCS)
    killer = kill_after_answers(server, cache, answers=2)
    try:
        first = project.materialize(SFT, PARTITION)
        killer.join()
        assert first.success, failure_messages(first)
        assert count(project, "sft_seed") == count(project, "raw") == 4  # none lost, none doubled
        second = project.materialize(SFT, PARTITION)
        assert second.success and seed_metric(second, "llm_requests") == 0
        assert count(project, "sft_seed") == 4
    finally:  # the restarted server belongs to the run's resource (stopped at exit): stop it now, by its port
        subprocess.run(["pkill", "-f", f"llama-server .* --port {port} "], check=False)


def test_openai_server_gone_fails_the_step_cleanly_and_the_rerun_reuses_answers(project: Project) -> None:
    port = free_port()
    server = LocalLlamaServer(port=port, n_threads=2)
    server.ensure()
    cache = project.root / "cache.sqlite"
    project.llm = LLMResource(backend="openai", base_url=server.base_url, model="smollm2-135m-instruct",
                              cache_path=str(cache), max_retries=2, backoff_base_s=0.05, timeout_s=30,
                              structured_output="json_object")
    project.add_raw(SFT.name, PARTITION, DOCS)
    killer = kill_after_answers(server, cache, answers=2)
    first = project.materialize(SFT, PARTITION)
    killer.join()
    assert not first.success
    assert any("rows failed" in message for message in failure_messages(first))
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SFT.name]).fetchall()}
    assert "sft_seed" not in tables  # nothing half-written for the failed step
    cached = len(ResponseCache(cache))
    assert cached >= 2

    server = LocalLlamaServer(port=port, n_threads=2)
    server.ensure()
    try:
        second = project.materialize(SFT, PARTITION)
        assert second.success, failure_messages(second)
        assert seed_metric(second, "llm_cache_hits") >= 2
        assert seed_metric(second, "llm_requests") <= 4 - 2 + 3  # only the missing answers (+ possible re-asks)
        assert count(project, "sft_seed") == 4
    finally:
        server.stop()
