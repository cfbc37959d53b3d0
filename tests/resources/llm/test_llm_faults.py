"""Fault handling of the LLM client and session, against a fault-injecting stub server.

The stub (benchmarks/stub_openai.py) is a fake server, allowed here only to inject faults: timeouts, HTTP 500,
429 with Retry-After, refused connections, truncated bodies and invalid structured answers.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from benchmarks.stub_openai import Fault, StubServer
from operators.services.llm import ChatRequest, Sampling
from resources.llm import LLMResource
from resources.llm.http_client import RetryPolicy, parse_retry_after
from tests.conftest import free_port


class Answer(BaseModel):
    value: int


@pytest.fixture
def stub() -> StubServer:
    server = StubServer(free_port()).start()
    yield server
    server.stop()


def resource(url: str, tmp_path: Path, **kwargs) -> LLMResource:
    settings = {"backend": "openai", "base_url": url, "model": "stub", "timeout_s": 0.5, "max_retries": 3,
                "backoff_base_s": 0.01, "backoff_max_s": 0.05, "cache_path": str(tmp_path / "cache.sqlite")}
    return LLMResource(**(settings | kwargs))


def requests(n: int, schema: type[BaseModel] | None = None) -> list[ChatRequest]:
    return [ChatRequest.of(f"row {i}", sampling=Sampling(max_tokens=8), schema=schema) for i in range(n)]


def test_answers_come_back_in_request_order(stub: StubServer, tmp_path: Path) -> None:
    session = resource(stub.base_url, tmp_path, concurrency=4).session()
    replies = session.chat(requests(20))
    assert [r.text for r in replies] == [f"echo:row {i}" for i in range(20)]
    assert session.stats.requests == 20 and session.stats.failures == 0


def test_http_500_is_retried_until_it_succeeds(stub: StubServer, tmp_path: Path) -> None:
    stub.state.faults.extend([Fault(status=500), Fault(status=503)])
    session = resource(stub.base_url, tmp_path, concurrency=1).session()
    replies = session.chat(requests(1))
    assert replies[0].text == "echo:row 0"
    assert session.stats.requests == 3  # two failures, then the answer


def test_429_waits_for_retry_after(stub: StubServer, tmp_path: Path) -> None:
    stub.state.faults.append(Fault(status=429, retry_after="0.6"))
    session = resource(stub.base_url, tmp_path, concurrency=1).session()
    started = time.perf_counter()
    replies = session.chat(requests(1))
    assert replies[0].ok
    assert time.perf_counter() - started >= 0.6  # honoured Retry-After, not the 10 ms backoff


def test_timeouts_are_retried_then_fail_the_row_not_the_batch(stub: StubServer, tmp_path: Path) -> None:
    stub.state.faults.extend([Fault(delay_s=1.0)] * 4)  # first request times out on every attempt
    session = resource(stub.base_url, tmp_path, concurrency=1).session()
    replies = session.chat(requests(3))
    assert not replies[0].ok and "timed out" in replies[0].error
    assert [r.text for r in replies[1:]] == ["echo:row 1", "echo:row 2"]
    assert session.stats.failures == 1


def test_permanent_errors_are_not_retried(stub: StubServer, tmp_path: Path) -> None:
    stub.state.faults.append(Fault(status=400))
    session = resource(stub.base_url, tmp_path, concurrency=1).session()
    replies = session.chat(requests(1))
    assert "HTTP 400" in replies[0].error
    assert session.stats.requests == 1


def test_truncated_body_is_retried(stub: StubServer, tmp_path: Path) -> None:
    stub.state.faults.append(Fault(body='{"choices": [{"message": {"content": "cut'))
    session = resource(stub.base_url, tmp_path, concurrency=1).session()
    replies = session.chat(requests(1))
    assert replies[0].text == "echo:row 0" and session.stats.requests == 2


def test_connection_refused_then_recovery(tmp_path: Path) -> None:
    port = free_port()
    server = StubServer(port)
    llm = resource(f"http://127.0.0.1:{port}/v1", tmp_path, max_retries=8, backoff_base_s=0.1, backoff_max_s=0.3)
    session = llm.session()

    starter = threading.Timer(0.4, server.start)  # the server comes up while the client is retrying
    started = time.monotonic()
    starter.start()
    try:
        replies = session.chat(requests(2))  # the endpoint probe before the first request retries meanwhile
    finally:
        starter.join()
        server.stop()
    assert [r.text for r in replies] == ["echo:row 0", "echo:row 1"]
    assert time.monotonic() - started >= 0.4


def test_invalid_structured_output_is_reasked_then_marked_failed(stub: StubServer, tmp_path: Path) -> None:
    stub.state.faults.extend([Fault(content="not json"), Fault(content='{"value": 7}')])
    session = resource(stub.base_url, tmp_path, concurrency=1).session()
    replies = session.chat(requests(1, Answer))
    assert replies[0].parsed == Answer(value=7)
    assert session.stats.invalid_outputs == 1

    stub.state.default_content = '{"value": "seven"}'  # never valid
    session = resource(stub.base_url, tmp_path, concurrency=1, schema_retries=2).session()
    replies = session.chat([ChatRequest.of("other", schema=Answer)])
    assert replies[0].error.startswith("invalid structured output")
    assert session.stats.invalid_outputs == 3 and session.stats.failures == 1


def test_cache_makes_a_rerun_free_and_keeps_answers_of_a_crashed_batch(stub: StubServer, tmp_path: Path) -> None:
    llm = resource(stub.base_url, tmp_path, concurrency=1, max_retries=1)
    stub.state.faults.extend([Fault()] * 3 + [Fault(status=500)] * 100)  # the server "dies" after 3 answers
    first = llm.session()
    replies = first.chat(requests(6))
    assert sum(r.ok for r in replies) == 3
    stub.state.faults.clear()
    second = llm.session()
    replies = second.chat(requests(6))
    assert all(r.ok for r in replies)
    assert second.stats.cache_hits == 3 and second.stats.requests == 3
    third = llm.session()
    third.chat(requests(6))
    assert third.stats.requests == 0 and third.stats.cache_hits == 6


def test_retry_after_parsing() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None
    assert 0 < parse_retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))) <= 31
    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=4.0)
    delays = [policy.delay(attempt, None) for attempt in range(6)]
    assert all(0.5 <= d <= 4.0 for d in delays) and delays[-1] >= 2.0
    assert policy.delay(0, 9.0) == 9.0


def test_completion_calls_are_cached_too(stub: StubServer, tmp_path: Path) -> None:
    llm = resource(stub.base_url, tmp_path, concurrency=2)
    first = llm.session()
    replies = first.complete(["Once upon a time", "The capital of France is"], Sampling(max_tokens=8))
    assert [r.text for r in replies] == ["echo:Once upon a time", "echo:The capital of France is"]
    again = llm.session()
    again.complete(["Once upon a time"], Sampling(max_tokens=8))
    assert first.stats.requests == 2 and again.stats.requests == 0 and again.stats.cache_hits == 1


def test_n_samples_are_separate_requests_with_their_own_seed(stub: StubServer, tmp_path: Path) -> None:
    session = resource(stub.base_url, tmp_path).session()
    request = ChatRequest.of("pick a number", sampling=Sampling(temperature=1.0, seed=5))
    samples = request.samples(3)
    assert [s.sample_index for s in samples] == [0, 1, 2]
    bodies = [session._body(s, 0) for s in samples]
    assert len({b["seed"] for b in bodies}) == 3
    session.chat(samples)
    assert session.stats.requests == 3
    again = resource(stub.base_url, tmp_path).session()
    again.chat(samples[:2])
    assert again.stats.requests == 0 and again.stats.cache_hits == 2
