"""LLM layer throughput: (a) client overhead against an instant endpoint, (b) tokens/s vs concurrency on the local
CPU server, (c) on a GPU machine, the vLLM backends (run there with ``--vllm-model``).

``python -m benchmarks.llm_throughput`` (``make bench-llm``) writes its section of benchmarks/RESULTS.md.
(a) runs the stub endpoint (benchmarks/stub_openai.py, answers instantly) in its own process, so one core serves
and one core runs the client: requests/s is then a floor for the client's own ceiling.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

from benchmarks.results_file import write_section
from operators.services.llm import ChatRequest, Sampling
from resources.llm import LLMResource
from resources.llm.local_server import LocalLlamaServer, served_models

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


def local_concurrency(levels: list[int], requests: int, max_tokens: int) -> list[dict[str, float]]:
    """Completion tokens/s of the local llama.cpp server for each concurrency level (cache off)."""
    server = LocalLlamaServer(port=18081)
    server.ensure()
    rows = []
    try:
        for level in levels:
            llm = LLMResource(backend="local", local_port=server.port, cache_path="", concurrency=level)
            session = llm.session()
            batch = [ChatRequest.of(PROMPT.format(i=i), sampling=Sampling(max_tokens=max_tokens, seed=level))
                     for i in range(requests)]
            started = time.perf_counter()
            session.chat(batch)
            elapsed = time.perf_counter() - started
            summary = session.stats.summary()
            rows.append({"concurrency": level, "requests": requests, "seconds": elapsed,
                         "completion_tokens": summary["llm_completion_tokens"],
                         "tokens_per_s": summary["llm_completion_tokens"] / elapsed,
                         "p50_s": summary["llm_latency_p50_s"], "p95_s": summary["llm_latency_p95_s"]})
    finally:
        server.stop()
    return rows


def render(args: argparse.Namespace, overhead: dict[str, float], local: list[dict[str, float]]) -> str:
    """The RESULTS.md section."""
    lines = [BEGIN, "## LLM layer throughput (`make bench-llm`)", "",
             f"Command: `python -m benchmarks.llm_throughput --requests {args.requests} --local-requests "
             f"{args.local_requests} --max-tokens {args.max_tokens}`; machine: {os.cpu_count()} cores, "
             f"{platform.processor() or platform.machine()}, Python {platform.python_version()}.", "",
             "(a) Client overhead: `LLMResource(backend=openai)`, cache off, against an instant stub endpoint in "
             "another process (target >= 2,000 req/s):", "",
             "| requests | concurrency | seconds | req/s |", "|---:|---:|---:|---:|",
             f"| {overhead['requests']} | {overhead['concurrency']} | {overhead['seconds']:.2f} | "
             f"{overhead['req_per_s']:,.0f} |", "",
             "(b) Local CPU server (llama.cpp, SmolLM2-135M-Instruct Q4_1), cache off, tokens/s vs concurrency:", "",
             "| concurrency | requests | seconds | completion tokens | tokens/s | p50 s | p95 s |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for row in local:
        lines.append(f"| {row['concurrency']} | {row['requests']} | {row['seconds']:.1f} | "
                     f"{row['completion_tokens']} | {row['tokens_per_s']:.1f} | {row['p50_s']:.2f} | "
                     f"{row['p95_s']:.2f} |")
    lines += ["", "(c) vLLM on a GPU: not measured in this run (no GPU machine was lent to this session).", END]
    return "\n".join(lines)



def main() -> None:
    """Run (a) and (b) and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--local-requests", type=int, default=8)
    parser.add_argument("--levels", default="1,2,4,8")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    overhead = client_overhead(args.requests, args.concurrency)
    print(f"client overhead: {overhead['req_per_s']:,.0f} req/s")
    local = local_concurrency([int(x) for x in args.levels.split(",")], args.local_requests, args.max_tokens)
    for row in local:
        print(f"local concurrency {row['concurrency']}: {row['tokens_per_s']:.1f} tokens/s")
    write_section(render(args, overhead, local), BEGIN, END)


if __name__ == "__main__":
    main()
