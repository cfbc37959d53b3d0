"""One step's view of the LLM: cache first, then the backend; structured output validated and retried; counters.

A session implements ``operators.services.llm.LLMService``. For each request it looks the answer up in the response
cache (key: backend, model, messages, sampling, schema, sample index, attempt); only misses go to the backend, and every
fresh answer is stored the moment it arrives. A schema request whose answer does not validate is asked again with
``attempt`` + 1 (a new cache key, a new seed and a non-zero temperature, since greedy decoding would repeat
itself), up to ``schema_retries`` times; then the row fails with the validation error.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from operators.services.llm import ChatRequest, LLMReply, Sampling
from resources.llm.cache import CachedResponse, ResponseCache, cache_key
from resources.llm.http_client import Completion, DoneCallback, RequestFailed
from resources.llm.tokens import approx_token_counts

RETRY_TEMPERATURE = 0.7


class ChatBackend(Protocol):
    """What a session needs from a backend (``openai``/``local`` over HTTP, ``vllm`` in process)."""

    name: str
    model: str

    def chat(self, bodies: Sequence[dict[str, Any]], on_done: DoneCallback) -> None:
        """Answer each OpenAI-style chat body; report each outcome as it finishes."""
        ...

    def complete(self, bodies: Sequence[dict[str, Any]], on_done: DoneCallback) -> None:
        """Answer each OpenAI-style completion body (plain text continuation)."""
        ...

    def requests_sent(self) -> int:
        """Requests sent to the server so far (retries included)."""
        ...

    def tokenize(self, texts: Sequence[str]) -> list[int] | None:
        """Token counts by the model's tokenizer, or None when the backend cannot tell."""
        ...


@dataclass
class LLMStats:
    """Counters of one session, reported as materialization metadata."""

    requests: int = 0
    cache_hits: int = 0
    failures: int = 0
    invalid_outputs: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    generation_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        """Latency percentile (seconds) of fresh requests; 0 when none."""
        if not self.latencies_s:
            return 0.0
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    def summary(self) -> dict[str, float | int]:
        """Flat numbers for metadata, step stats and the dataset card."""
        return {
            "llm_requests": self.requests, "llm_cache_hits": self.cache_hits, "llm_failures": self.failures,
            "llm_invalid_outputs": self.invalid_outputs, "llm_prompt_tokens": self.prompt_tokens,
            "llm_completion_tokens": self.completion_tokens,
            "llm_latency_p50_s": round(self.percentile(0.5), 4), "llm_latency_p95_s": round(self.percentile(0.95), 4),
            "llm_tokens_per_s": round(self.completion_tokens / self.generation_s, 2) if self.generation_s else 0.0,
        }


def response_format(schema: type[BaseModel], style: str) -> dict[str, Any]:
    """The OpenAI ``response_format`` for a pydantic model, in the server's dialect."""
    json_schema = schema.model_json_schema()
    if style == "json_object":  # older llama.cpp servers (llama-cpp-python): a grammar built from the schema
        return {"type": "json_object", "schema": json_schema}
    return {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": json_schema, "strict": True}}


REFUSED = re.compile(r"request failed: HTTP (400|422|500|501)\b")  # how a server turns a response_format down


class LLMSession:
    """The ``ctx.llm`` of one step run."""

    def __init__(self, backend: ChatBackend, cache: ResponseCache | None, schema_retries: int = 2,
                 structured_output: str = "auto") -> None:
        self.backend = backend
        self.model = backend.model
        self.cache = cache
        self.schema_retries = schema_retries
        self.structured_output = structured_output
        self.stats = LLMStats()
        self._lock = threading.Lock()

    @property
    def structured_style(self) -> str:
        """The ``response_format`` dialect: the configured one, or (``auto``) json_schema until the backend's
        server refused it once (then json_object + schema for every later request of that backend)."""
        if self.structured_output != "auto":
            return self.structured_output
        return "json_object" if getattr(self.backend, "json_schema_refused", False) else "json_schema"

    def _body(self, request: ChatRequest, attempt: int) -> dict[str, Any]:
        sampling = request.sampling.as_dict()
        sampling["seed"] = request.sampling.seed + request.sample_index * 7919 + attempt * 104729
        if attempt:
            sampling["temperature"] = max(sampling["temperature"], RETRY_TEMPERATURE)
        body: dict[str, Any] = {"model": self.model, "messages": request.message_dicts(), **sampling}
        if request.schema is not None:
            body["response_format"] = response_format(request.schema, self.structured_style)
        return body

    def _key(self, body: dict[str, Any], request: ChatRequest, attempt: int) -> str:
        return cache_key({"backend": self.backend.name, "model": self.model, "body": body,
                          "sample_index": request.sample_index, "attempt": attempt})

    def chat(self, requests: Sequence[ChatRequest]) -> list[LLMReply]:
        """Answer every request in order; failed ones carry ``error``."""
        replies: list[LLMReply | None] = [None] * len(requests)
        pending = list(range(len(requests)))
        for attempt in range(self.schema_retries + 1):
            answers = self._answer([requests[i] for i in pending], attempt)
            retry: list[int] = []
            for index, answer in zip(pending, answers, strict=True):
                reply = self._validated(requests[index], answer)
                invalid = reply.error is not None and reply.error.startswith("invalid structured output")
                if invalid and attempt < self.schema_retries:
                    retry.append(index)
                replies[index] = reply
            if not retry:
                break
            pending = retry
        out = [reply or LLMReply(error="no answer") for reply in replies]
        self.stats.failures += sum(1 for reply in out if not reply.ok)
        return out

    def _validated(self, request: ChatRequest, reply: LLMReply) -> LLMReply:
        if not reply.ok or request.schema is None:
            return reply
        try:
            reply.parsed = request.schema.model_validate_json(reply.text or "")
        except ValidationError as exc:
            self.stats.invalid_outputs += 1
            first = exc.errors()[0]
            where = list(first["loc"])
            reply.error = f"invalid structured output: {first['msg']} at {where}: {(reply.text or '')[:80]!r}"
        return reply

    def _answer(self, requests: Sequence[ChatRequest], attempt: int) -> list[LLMReply]:
        bodies = [self._body(request, attempt) for request in requests]
        keys = [self._key(body, request, attempt) for body, request in zip(bodies, requests, strict=True)]
        replies = self._serve(bodies, keys, self.backend.chat)
        refused = [i for i, (request, reply) in enumerate(zip(requests, replies, strict=True))
                   if request.schema is not None and REFUSED.match(reply.error or "")]
        if refused and self.structured_output == "auto" and self.structured_style == "json_schema":
            self.backend.json_schema_refused = True  # type: ignore[attr-defined]  # every session of it falls back
            for index, reply in zip(refused, self._answer([requests[i] for i in refused], attempt), strict=True):
                replies[index] = reply
        return replies

    def complete(self, prompts: Sequence[str], sampling: Sampling | None = None) -> list[LLMReply]:
        """Plain-text continuation (``/completions``) of each prompt, cached like chat; failures carry ``error``."""
        body_sampling = (sampling or Sampling()).as_dict()
        bodies = [{"model": self.model, "prompt": prompt, **body_sampling} for prompt in prompts]
        keys = [cache_key({"backend": self.backend.name, "model": self.model, "body": body, "kind": "completion"})
                for body in bodies]
        replies = self._serve(bodies, keys, self.backend.complete)
        self.stats.failures += sum(1 for reply in replies if not reply.ok)
        return replies

    def _serve(self, bodies: list[dict[str, Any]], keys: list[str], send: Callable[..., None]) -> list[LLMReply]:
        hits = self.cache.get_many(keys) if self.cache is not None else {}
        replies: list[LLMReply] = [LLMReply() for _ in bodies]
        misses: list[int] = []
        for index, key in enumerate(keys):
            if key in hits:
                hit = hits[key]
                replies[index] = LLMReply(text=hit.text, cached=True, prompt_tokens=hit.prompt_tokens,
                                          completion_tokens=hit.completion_tokens)
            else:
                misses.append(index)
        self.stats.cache_hits += len(keys) - len(misses)
        if misses:
            self._fetch(misses, bodies, keys, replies, send)
        return replies

    def _fetch(self, misses: list[int], bodies: list[dict[str, Any]], keys: list[str],
               replies: list[LLMReply], send: Callable[..., None]) -> None:
        def on_done(position: int, outcome: Completion | RequestFailed) -> None:
            index = misses[position]
            if isinstance(outcome, RequestFailed):
                replies[index] = LLMReply(error=f"request failed: {outcome}")
                return
            replies[index] = LLMReply(text=outcome.text, prompt_tokens=outcome.prompt_tokens,
                                      completion_tokens=outcome.completion_tokens)
            with self._lock:
                self.stats.prompt_tokens += outcome.prompt_tokens
                self.stats.completion_tokens += outcome.completion_tokens
                self.stats.latencies_s.append(outcome.latency_s)
            if self.cache is not None:
                self.cache.put(keys[index], self.model,
                               CachedResponse(outcome.text, outcome.prompt_tokens, outcome.completion_tokens))

        sent_before = self.backend.requests_sent()
        started = time.perf_counter()
        try:
            send([bodies[i] for i in misses], on_done)
        finally:
            self.stats.generation_s += time.perf_counter() - started
            self.stats.requests += self.backend.requests_sent() - sent_before

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts by the serving model's tokenizer, or the shipped approximation."""
        counted = self.backend.tokenize(texts)
        return counted if counted is not None else approx_token_counts(texts)
