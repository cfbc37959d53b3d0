"""Run the in-process ``vllm`` backend once and print what it answered, as JSON (used by test_vllm_paths.py).

vLLM's in-process engine spawns workers, which re-import the main module: it must run under a ``__main__``
guard, so the test runs this module in its own process.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Literal

from pydantic import BaseModel

from operators.services.llm import ChatRequest, Sampling
from resources.llm import LLMResource


class Grade(BaseModel):
    """A structured answer."""

    score: Literal[1, 2, 3, 4, 5]


def main(model: str, cache: str) -> None:
    """Generate a small batch (free text + JSON) and print answers and counters."""
    llm = LLMResource(backend="vllm", model=model, cache_path=cache,
                      vllm_engine_args={"enforce_eager": True, "max_model_len": 2048, "dtype": "bfloat16"})
    session = llm.session()
    started = time.perf_counter()
    replies = session.chat([ChatRequest.of(f"Tell me a fact about the number {i}.", sampling=Sampling(max_tokens=48))
                            for i in range(8)]
                           + [ChatRequest.of("Rate 1 to 5: the sky is blue. JSON with key score.",
                                             sampling=Sampling(max_tokens=16), schema=Grade)])
    elapsed = time.perf_counter() - started
    completion = session.complete(["The capital of France is"], Sampling(max_tokens=8))[0]
    again = llm.session()
    again.chat([ChatRequest.of("Tell me a fact about the number 0.", sampling=Sampling(max_tokens=48))])
    print("RESULT " + json.dumps({"texts": [r.text for r in replies], "errors": [r.error for r in replies],
                      "parsed": replies[-1].parsed.model_dump() if replies[-1].parsed else None,
                      "stats": session.stats.summary(), "seconds": elapsed,
                      "rerun_requests": again.stats.requests, "rerun_hits": again.stats.cache_hits,
                      "completion": completion.text, "completion_error": completion.error,
                      "tokens": session.count_tokens(["Hello world"])}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
