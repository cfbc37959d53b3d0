"""The embedded default: a real llama.cpp server with SmolLM2-135M shipped on PyPI, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Annotated, Literal

import aiohttp
from pydantic import BaseModel, Field

from operators.services.llm import ChatRequest, LLMService, Sampling
from resources.llm import LLMResource
from resources.llm.local_server import MODEL_ALIAS, LocalLlamaServer, default_model_path, served_models
from resources.llm.tokens import approx_token_count


class Capital(BaseModel):
    city: str = Field(min_length=1)
    confidence: int = Field(ge=1, le=5)


def test_model_ships_in_the_package() -> None:
    path = default_model_path()
    assert path.name.endswith(".gguf") and path.stat().st_size > 50_000_000


def test_server_answers_and_is_reused(llama_server: LocalLlamaServer) -> None:
    assert served_models(llama_server.base_url) == [MODEL_ALIAS]
    second = LocalLlamaServer(port=llama_server.port)
    assert second.ensure() == llama_server.base_url
    assert not second.started_here  # reused, not started twice


def test_chat_and_structured_output(local_llm: LLMResource) -> None:
    session = local_llm.session()
    assert isinstance(session, LLMService)
    replies = session.chat([
        ChatRequest.of("What is the capital of France? Answer in one word.", sampling=Sampling(max_tokens=12)),
        ChatRequest.of("What is the capital of Italy? Reply in JSON with keys city and confidence (1-5).",
                       sampling=Sampling(max_tokens=40), schema=Capital),
    ])
    assert replies[0].ok and replies[0].text.strip()
    assert replies[1].ok and isinstance(replies[1].parsed, Capital) and 1 <= replies[1].parsed.confidence <= 5
    summary = session.stats.summary()
    assert summary["llm_requests"] >= 2 and summary["llm_completion_tokens"] > 0
    assert summary["llm_latency_p95_s"] >= summary["llm_latency_p50_s"] > 0 and summary["llm_tokens_per_s"] > 0


def test_token_counts_come_from_the_model_tokenizer(local_llm: LLMResource) -> None:
    texts = ["Hello world", "Tokenization through the serving model's own vocabulary.", ""]
    counts = local_llm.session().count_tokens(texts)
    assert counts[2] == 0 and counts[0] < counts[1]
    assert counts[0] == 2  # SmolLM2's BPE: "Hello", " world"


def test_token_count_falls_back_to_the_shipped_approximation(tmp_path) -> None:
    from benchmarks.stub_openai import StubServer
    from tests.conftest import free_port

    stub = StubServer(free_port()).start()  # a server without any tokenize route
    try:
        llm = LLMResource(backend="openai", base_url=stub.base_url, model="stub", cache_path="")
        text = "An approximation, within about fifteen percent of BPE on English prose."
        assert llm.session().count_tokens([text]) == [approx_token_count(text)]
        assert 10 <= approx_token_count(text) <= 20
    finally:
        stub.stop()


def test_stop_kills_the_server_it_started() -> None:
    from tests.conftest import free_port

    server = LocalLlamaServer(port=free_port(), n_threads=1)
    server.ensure()
    assert server.started_here and server.is_serving()
    server.stop()
    assert served_models(server.base_url, timeout_s=1) is None


def test_plain_completion_on_the_local_server(local_llm: LLMResource) -> None:
    replies = local_llm.session().complete(["The capital of France is"], Sampling(max_tokens=8))
    assert replies[0].ok and replies[0].text.strip() and replies[0].completion_tokens > 0


class Weather(BaseModel):
    """A shape the prompt never mentions: only the grammar from the schema can produce it."""

    mood: Literal["calm", "stormy", "bright"]
    gusts: int = Field(ge=0, le=9)
    tags: list[Annotated[str, Field(max_length=12)]] = Field(min_length=1, max_length=3)


def test_structured_output_follows_a_schema_the_prompt_does_not_suggest(local_llm: LLMResource) -> None:
    session = local_llm.session()
    replies = session.chat([ChatRequest.of(f"Tell me about day {i} at the seaside.", sampling=Sampling(max_tokens=96),
                                           schema=Weather) for i in range(4)])
    assert all(reply.ok and isinstance(reply.parsed, Weather) for reply in replies), [r.error for r in replies]
    assert session.structured_style == "json_schema"  # llama-server takes OpenAI's strict json_schema


def test_eight_concurrent_streams_all_complete(llama_server: LocalLlamaServer) -> None:
    """Eight streaming requests at once: each ends with a finish reason and text (the Python server ended 7 of 8
    streams early when another request waited)."""

    async def stream(client: aiohttp.ClientSession, index: int) -> tuple[str, str | None]:
        body = {"model": MODEL_ALIAS, "stream": True, "max_tokens": 24, "temperature": 0,
                "messages": [{"role": "user", "content": f"Count to five, attempt {index}."}]}
        text, finish = "", None
        async with client.post(f"{llama_server.base_url}/chat/completions", json=body) as response:
            assert response.status == 200
            async for raw in response.content:
                line = raw.decode().strip()
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                choice = json.loads(line[6:])["choices"][0]
                text += choice.get("delta", {}).get("content") or ""
                finish = choice.get("finish_reason") or finish
        return text, finish

    async def all_streams() -> list[tuple[str, str | None]]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as client:
            return await asyncio.gather(*(stream(client, i) for i in range(8)))

    answers = asyncio.run(all_streams())
    assert len(answers) == 8 and all(text.strip() and finish in ("stop", "length") for text, finish in answers)


def test_a_server_that_refuses_json_schema_is_asked_with_json_object_from_then_on(tmp_path) -> None:
    from benchmarks.stub_openai import StubServer, StubState
    from tests.conftest import free_port

    state = StubState(refuse_json_schema=True, default_content='{"city": "Rome", "confidence": 4}')
    stub = StubServer(free_port(), state).start()  # fault injected: this server turns json_schema down
    try:
        llm = LLMResource(backend="openai", base_url=stub.base_url, model="stub", cache_path="")
        first = llm.session()
        replies = first.chat([ChatRequest.of("capital?", schema=Capital)])
        assert replies[0].parsed == Capital(city="Rome", confidence=4)
        assert state.formats == ["json_schema", "json_object"]  # refused once, then the fallback
        second = llm.session()
        assert second.chat([ChatRequest.of("again?", schema=Capital)])[0].ok
        assert state.formats[2:] == ["json_object"] and second.structured_style == "json_object"
    finally:
        stub.stop()


def test_the_server_is_the_one_make_builds_for_the_pin() -> None:
    from resources.llm.local_server import LLAMA_CPP_VERSION, server_binary
    from tests.conftest import REPO

    pinned = re.search(r"^LLAMA_CPP_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert pinned and pinned.group(1) == LLAMA_CPP_VERSION
    assert server_binary() == REPO / ".cache" / "llama-server" / LLAMA_CPP_VERSION / "llama-server"
