"""LLM layer throughput: (a) client overhead against an instant endpoint, (b) tokens/s vs concurrency of the embedded
CPU server, the old one (llama-cpp-python's, from its own venv) beside the new (llama-server), (c) on a GPU machine,
the vLLM backends.

``python -m benchmarks.llm_throughput`` (``make bench-llm``) writes its section of benchmarks/RESULTS.md.
(a) runs the stub endpoint (benchmarks/stub_openai.py, answers instantly) in its own process, so one core serves
and one core runs the client: requests/s is then a floor for the client's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp

from benchmarks.results_file import write_section
from operators.services.llm import ChatRequest, Sampling
from resources.llm import LLMResource
from resources.llm.local_server import MODEL_ALIAS, LocalLlamaServer, default_model_path, served_models

BEGIN, END = "<!-- BENCH llm_throughput BEGIN -->", "<!-- BENCH llm_throughput END -->"
PROMPT = "Explain in a few sentences why the sky looks blue during the day and red at sunset. Request {i}."


def client_overhead(requests: int, concurrency: int, port: int = 18555) -> dict[str, float]:
    """Requests/s of LLMResource (cache off) against the instant stub in another process."""
    stub = subprocess.Popen([sys.executable, "-m", "benchmarks.stub_openai", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(100):
            if served_models(url, timeout_s=0.5) is not None:
                break
            time.sleep(0.1)
        llm = LLMResource(backend="openai", base_url=url, model="stub", cache_path="", concurrency=concurrency)
        batch = [ChatRequest.of(f"row {i}", sampling=Sampling(max_tokens=8)) for i in range(requests)]
        llm.session().chat(batch[:500])  # warm-up
        session = llm.session()
        started = time.perf_counter()
        replies = session.chat(batch)
        elapsed = time.perf_counter() - started
        assert all(r.ok for r in replies), next(r.error for r in replies if not r.ok)
        return {"requests": requests, "concurrency": concurrency, "seconds": elapsed, "req_per_s": requests / elapsed}
    finally:
        stub.terminate()
        stub.wait(10)


@contextmanager
def old_server(python: str, port: int) -> Iterator[str]:
    """llama-cpp-python's Python server (what the local backend ran before llama-server), from its own venv, with
    the settings it ran with: 4096 tokens of context, every core, one request at a time."""
    command = [python, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--model_alias", MODEL_ALIAS,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", str(os.cpu_count() or 1),
               "--verbose", "False"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(600):
            if served_models(url, timeout_s=0.5) is not None:
                break
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


@contextmanager
def new_server(port: int) -> Iterator[str]:
    """llama-server as the local backend starts it (its slots, threads and context)."""
    server = LocalLlamaServer(port=port)
    server.ensure()
    try:
        yield server.base_url
    finally:
        server.stop()


def measure(url: str, level: int, requests: int, max_tokens: int, seed: int) -> dict[str, float]:
    """``requests`` chat requests of ``max_tokens`` at temperature 0 with ``level`` in flight (cache off)."""
    llm = LLMResource(backend="openai", base_url=url, model=MODEL_ALIAS, cache_path="", concurrency=level)
    session = llm.session()
    batch = [ChatRequest.of(PROMPT.format(i=i), sampling=Sampling(max_tokens=max_tokens, seed=seed))
             for i in range(requests)]
    started = time.perf_counter()
    replies = session.chat(batch)
    elapsed = time.perf_counter() - started
    assert all(reply.ok and reply.text for reply in replies), next(r.error for r in replies if not r.ok)
    summary = session.stats.summary()
    return {"seconds": elapsed, "completion_tokens": summary["llm_completion_tokens"],
            "tokens_per_s": summary["llm_completion_tokens"] / elapsed, "p50_s": summary["llm_latency_p50_s"],
            "p95_s": summary["llm_latency_p95_s"]}


def streams(url: str, count: int, max_tokens: int) -> dict[str, float]:
    """``count`` streaming chat requests at once: how many end complete (a finish reason and text), and the wall
    time."""

    async def one(client: aiohttp.ClientSession, index: int) -> bool:
        body = {"model": MODEL_ALIAS, "stream": True, "max_tokens": max_tokens, "temperature": 0,
                "messages": [{"role": "user", "content": PROMPT.format(i=index)}]}
        text, finish = "", None
        async with client.post(f"{url}/chat/completions", json=body) as response:
            async for raw in response.content:
                line = raw.decode(errors="replace").strip()
                if line.startswith("data: {"):
                    choice = json.loads(line[6:])["choices"][0]
                    text += (choice.get("delta") or {}).get("content") or ""
                    finish = choice.get("finish_reason") or finish
        return bool(text.strip()) and finish is not None

    async def run() -> list[bool]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as client:
            return await asyncio.gather(*(one(client, i) for i in range(count)))

    started = time.perf_counter()
    complete = asyncio.run(run())
    return {"complete": sum(complete), "seconds": time.perf_counter() - started}


def side_by_side(old_python: str | None, levels: list[int], requests: int, max_tokens: int, reps: int
                 ) -> tuple[list[dict[str, Any]], dict[str, dict[str, float]]]:
    """Each server at each concurrency, ``reps`` times, the servers' runs alternating (this VM drifts); and 8
    concurrent streams on each."""
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    streamed: dict[str, dict[str, float]] = {}
    for rep in range(reps):
        for name in (["old"] if old_python else []) + ["new"]:
            server = old_server(old_python, 18091) if name == "old" else new_server(18092)  # type: ignore[arg-type]
            with server as url:
                measure(url, 1, 1, 8, seed=99)  # warm-up
                for level in levels:
                    runs.setdefault((name, level), []).append(measure(url, level, requests, max_tokens, rep))
                if rep == 0:
                    streamed[name] = streams(url, 8, max_tokens)
    rows = []
    for (name, level), found in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0] != "old")):
        best = max(found, key=lambda run: run["tokens_per_s"])
        rows.append({"server": name, "concurrency": level, "requests": requests, "runs": len(found),
                     "median_tokens_per_s": statistics.median(run["tokens_per_s"] for run in found),
                     "best_tokens_per_s": best["tokens_per_s"],
                     "p50_s": statistics.median(run["p50_s"] for run in found),
                     "completion_tokens": best["completion_tokens"]})
    return rows, streamed


def render(args: argparse.Namespace, overhead: dict[str, float], local: list[dict[str, Any]],
           streamed: dict[str, dict[str, float]]) -> str:
    """The RESULTS.md section."""
    lines = [BEGIN, "## LLM layer throughput (`make bench-llm`)", "",
             f"Command: `python -m benchmarks.llm_throughput --requests {args.requests} --local-requests "
             f"{args.local_requests} --max-tokens {args.max_tokens} --reps {args.reps}` (`make bench-llm` adds "
             f"`--old-server-python .venv-llamacpp/bin/python`); machine: {os.cpu_count()} cores, "
             f"{platform.processor() or platform.machine()}, Python {platform.python_version()}.", "",
             "(a) Client overhead: `LLMResource(backend=openai)`, cache off, against an instant stub endpoint in "
             "another process (target >= 2,000 req/s):", "",
             "| requests | concurrency | seconds | req/s |", "|---:|---:|---:|---:|",
             f"| {overhead['requests']} | {overhead['concurrency']} | {overhead['seconds']:.2f} | "
             f"{overhead['req_per_s']:,.0f} |", "",
             "(b) The embedded server, old and new side by side: SmolLM2-135M-Instruct Q4_1, chat requests of "
             f"{args.max_tokens} tokens at temperature 0, cache off. *old*: llama-cpp-python 0.3.36's Python server "
             "(`python -m llama_cpp.server`, one request at a time); *new*: llama.cpp's `llama-server` from the same "
             "sdist, as the `local` backend starts it (`DATAFLOW_LLM_SLOTS` slots, continuous batching). Each "
             f"configuration ran {args.reps} times, the servers alternating; tokens/s counts the completion tokens "
             "each server reports (llama-server counts the end-of-sequence token too):", "",
             "| concurrency | server | runs | median tokens/s | best tokens/s | p50 latency s | speed-up (median) |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    old = {row["concurrency"]: row for row in local if row["server"] == "old"}
    for row in local:
        base = old.get(row["concurrency"])
        ratio = (f"{row['median_tokens_per_s'] / base['median_tokens_per_s']:.1f}x"
                 if base and row["server"] == "new" else "")
        lines.append(f"| {row['concurrency']} | {row['server']} | {row['runs']} | {row['median_tokens_per_s']:.1f} | "
                     f"{row['best_tokens_per_s']:.1f} | {row['p50_s']:.2f} | {ratio} |")
    lines += ["", "8 streaming requests at once (what an OpenAI client streaming in parallel sends): complete answers "
              "(a finish reason and text) and wall time:", "", "| server | complete answers | seconds |",
              "|---|---:|---:|"]
    lines += [f"| {name} | {found['complete']} of 8 | {found['seconds']:.1f} |" for name, found in streamed.items()]
    lines += ["", "(c) vLLM on a GPU: not measured in this run (no GPU machine was lent to this session).", END]
    return "\n".join(lines)


def main() -> None:
    """Run (a) and (b) and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--local-requests", type=int, default=32)
    parser.add_argument("--levels", default="1,4,8")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--old-server-python", default=None,
                        help="a Python with llama-cpp-python[server] installed: measure the old server beside the new")
    args = parser.parse_args()
    overhead = client_overhead(args.requests, args.concurrency)
    print(f"client overhead: {overhead['req_per_s']:,.0f} req/s")
    local, streamed = side_by_side(args.old_server_python, [int(x) for x in args.levels.split(",")],
                                   args.local_requests, args.max_tokens, args.reps)
    for row in local:
        print(f"{row['server']} server, concurrency {row['concurrency']}: {row['median_tokens_per_s']:.1f} tokens/s")
    for name, found in streamed.items():
        print(f"{name} server, 8 streams: {found['complete']} complete in {found['seconds']:.1f} s")
    write_section(render(args, overhead, local, streamed), BEGIN, END)


if __name__ == "__main__":
    main()
