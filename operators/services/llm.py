"""What an operator sees of the LLM layer: requests, replies and the ``LLMService`` protocol (``ctx.llm``).

Operators build one ``ChatRequest`` per row (or per sample) and hand the whole batch to ``ctx.llm.chat``; the
service (``resources/llm/``) does concurrency, retries, caching, structured output and accounting. A reply that
ultimately fails carries ``error`` instead of raising, so one bad row never sinks a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters; part of the cache key."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int = 0
    stop: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The OpenAI request fields."""
        body: dict[str, Any] = {"temperature": self.temperature, "top_p": self.top_p,
                                "max_tokens": self.max_tokens, "seed": self.seed}
        if self.stop:
            body["stop"] = list(self.stop)
        return body


@dataclass(frozen=True)
class ChatRequest:
    """One chat call: messages, sampling, optional JSON schema, and which sample of the same prompt it is."""

    messages: tuple[tuple[str, str], ...]  # (role, content) pairs
    sampling: Sampling = field(default_factory=Sampling)
    schema: type[BaseModel] | None = None
    sample_index: int = 0

    @classmethod
    def of(cls, user: str, system: str | None = None, **kwargs: Any) -> ChatRequest:
        """A request from a user prompt and an optional system prompt."""
        messages = ((("system", system),) if system else ()) + (("user", user),)
        return cls(messages=messages, **kwargs)

    def samples(self, n: int) -> list[ChatRequest]:
        """``n`` independent samples of this request (sample index 0..n-1: own seed, own cache entry)."""
        return [ChatRequest(self.messages, self.sampling, self.schema, index) for index in range(n)]

    def message_dicts(self) -> list[dict[str, str]]:
        """Messages in the OpenAI wire format."""
        return [{"role": role, "content": content} for role, content in self.messages]


@dataclass
class LLMReply:
    """The outcome of one request: text (and the validated object for schema requests) or an error."""

    text: str | None = None
    parsed: BaseModel | None = None
    error: str | None = None
    cached: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def ok(self) -> bool:
        """Whether the request produced a usable answer."""
        return self.error is None


@runtime_checkable
class LLMService(Protocol):
    """The LLM as operators use it; ``resources.llm.session.LLMSession`` implements it."""

    model: str

    def chat(self, requests: Sequence[ChatRequest]) -> list[LLMReply]:
        """Answer every request (same order); failures come back as replies with ``error`` set."""
        ...

    def complete(self, prompts: Sequence[str], sampling: Sampling | None = None) -> list[LLMReply]:
        """Plain-text continuations of raw prompts (no chat template)."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts by the serving model's own tokenizer (or the shipped fallback)."""
        ...


class LLMFailureRateExceeded(RuntimeError):
    """Too many rows of a batch failed for the step to be trusted."""


def require_llm(llm: object, operator: str) -> LLMService:
    """The context's LLM service, or a clear error when the step was built without one."""
    if llm is None:
        raise RuntimeError(f"{operator} needs an LLM (ctx.llm is None): give the step an LLM resource")
    return llm  # type: ignore[return-value]
