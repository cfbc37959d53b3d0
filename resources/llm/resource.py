"""``LLMResource``: the LLM every generative step uses, as a Dagster resource (resource key ``llm``).

Backends: ``local`` (the embedded default: a llama.cpp server on 127.0.0.1 with a small model from PyPI; no GPU,
no API key, no download), ``openai`` (any OpenAI-compatible server: ``vllm serve``, llama.cpp, a hosted API) and
``vllm`` (in-process ``vllm.LLM`` on a GPU; imported lazily). Every step gets its own ``LLMSession``
(``ctx.llm``) whose counters become the step's metadata; answers go through one SQLite response cache shared by
all runs, so a re-run or backfill of a generated partition makes no requests.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from dagster import ConfigurableResource, EnvVar
from pydantic import Field, PrivateAttr

from resources.llm.backends import HTTPBackend, VLLMBackend
from resources.llm.cache import ResponseCache
from resources.llm.endpoint import check_endpoint
from resources.llm.http_client import RetryPolicy
from resources.llm.local_server import DEFAULT_PORT, MODEL_ALIAS, LocalLlamaServer
from resources.llm.session import ChatBackend, LLMSession

DEFAULT_CACHE = "data/cache/llm_responses.sqlite"


class LLMResource(ConfigurableResource):
    """An LLM backend with concurrency, retries, structured output, a response cache and accounting."""

    backend: Literal["local", "openai", "vllm"] = Field("local", description="local | openai | vllm")
    base_url: str | None = Field(None, description="openai: the server's base URL, e.g. http://host:8000/v1")
    model: str | None = Field(None, description="openai/vllm: model name or path; local: a GGUF file (default: the "
                                                "shipped SmolLM2)")
    api_key: str | None = Field(None, description="openai: API key (use EnvVar, never a literal)")
    concurrency: int | None = Field(None, description="Requests in flight (default: 1 for local, 16 otherwise)")
    timeout_s: float = Field(120.0, description="Per-request timeout")
    max_retries: int = Field(5, description="Retries of a transient failure (timeout, 429, 5xx, refused)")
    backoff_base_s: float = Field(0.5, description="First backoff; doubles per retry, with jitter")
    backoff_max_s: float = Field(30.0, description="Largest backoff between retries")
    schema_retries: int = Field(2, description="Re-asks when a structured answer does not validate")
    structured_output: Literal["auto", "json_schema", "json_object"] = Field(
        "auto", description="response_format dialect: auto (json_schema, falling back to json_object + schema once "
                            "a server refuses it), or one of them always")
    cache_path: str | None = Field(DEFAULT_CACHE, description="SQLite response cache; empty disables caching")
    local_port: int = Field(DEFAULT_PORT, description="local: port of the llama.cpp server")
    local_model_path: str | None = Field(None, description="local: a GGUF file instead of the shipped model")
    local_threads: int | None = Field(None, description="local: server threads (default: all cores)")
    vllm_engine_args: dict[str, Any] = Field(default_factory=dict, description="vllm: vllm.LLM keyword arguments")

    _server: LocalLlamaServer | None = PrivateAttr(None)
    _backend: ChatBackend | None = PrivateAttr(None)
    _cache: ResponseCache | None = PrivateAttr(None)

    def _make_backend(self) -> ChatBackend:
        retry = RetryPolicy(self.max_retries, self.backoff_base_s, self.backoff_max_s)
        if self.backend == "vllm":
            if not self.model:
                raise ValueError("LLMResource(backend='vllm') needs model")
            return VLLMBackend(self.model, self.vllm_engine_args)
        if self.backend == "openai":
            if not self.base_url or not self.model:
                raise ValueError("LLMResource(backend='openai') needs base_url and model")
            base_url, model, key = self.base_url, self.model, self.api_key
            return HTTPBackend("openai", base_url, model, key, self.timeout_s, self.concurrency or 16, retry,
                               preflight=lambda: check_endpoint(base_url, model, key, retry))
        server = LocalLlamaServer(self.local_model_path or self.model, port=self.local_port,  # a GGUF file
                                  n_threads=self.local_threads)
        self._server = server
        base_url = server.ensure()
        # llama-server answers its slots' requests in parallel (continuous batching): keep each slot busy
        return HTTPBackend("local", base_url, MODEL_ALIAS, None, self.timeout_s, self.concurrency or server.slots,
                           retry, on_connect_error=server.ensure)

    def session(self) -> LLMSession:
        """A fresh session (own counters) over the shared backend and cache."""
        if self._backend is None:
            self._backend = self._make_backend()
        if self._cache is None and self.cache_path:
            self._cache = ResponseCache(self.cache_path)
        return LLMSession(self._backend, self._cache, self.schema_retries, self.structured_output)

    def teardown_after_execution(self, context: Any) -> None:
        """Close the cache; the local server stays up for this process's other users and stops at exit."""
        if self._cache is not None:
            self._cache.close()


def llm_from_env() -> LLMResource:
    """The LLM resource configured by ``DATAFLOW_LLM_*`` variables (default: the embedded local model)."""
    env = os.environ
    kwargs: dict[str, Any] = {"backend": env.get("DATAFLOW_LLM_BACKEND", "local"),
                              "cache_path": env.get("DATAFLOW_LLM_CACHE", DEFAULT_CACHE)}
    for field, name, cast in (("base_url", "DATAFLOW_LLM_BASE_URL", str), ("model", "DATAFLOW_LLM_MODEL", str),
                              ("concurrency", "DATAFLOW_LLM_CONCURRENCY", int),
                              ("local_port", "DATAFLOW_LLM_PORT", int), ("timeout_s", "DATAFLOW_LLM_TIMEOUT_S", float)):
        if env.get(name):
            kwargs[field] = cast(env[name])
    if env.get("DATAFLOW_LLM_API_KEY"):
        kwargs["api_key"] = EnvVar("DATAFLOW_LLM_API_KEY")
    return LLMResource(**kwargs)
