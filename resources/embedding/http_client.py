"""Client for an OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, llama.cpp, TEI, hosted APIs).

Inputs go in batches (one request per batch, ``concurrency`` in flight), with the LLM client's retry rules:
connection errors, timeouts, 408/409/425/429/5xx and malformed bodies are retried with backoff (honouring
``Retry-After``); other statuses fail at once. Unlike LLM rows, a failed batch fails the whole call: a dedup
step cannot decide with vectors missing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import aiohttp
import numpy as np

from resources.llm.http_client import RETRYABLE_STATUS, RetryPolicy, parse_retry_after


class EmbeddingRequestError(RuntimeError):
    """A batch the embeddings server did not answer, after retries or at once for a permanent error."""


class EmbeddingClient:
    """Embeds texts through one ``/v1/embeddings`` endpoint; answers are float32 rows in input order."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120.0,
                 concurrency: int = 4, retry: RetryPolicy | None = None) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {api_key}"} if api_key
                                                               else {})
        self.timeout_s, self.concurrency = timeout_s, max(1, concurrency)
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Vectors of ``texts`` (rows in input order), ``batch_size`` inputs per request."""
        batches = [list(texts[start: start + batch_size]) for start in range(0, len(texts), batch_size)]
        if not batches:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(asyncio.run(self._run(batches)))

    async def _run(self, batches: list[list[str]]) -> list[np.ndarray]:
        results: list[np.ndarray | None] = [None] * len(batches)
        pending = iter(range(len(batches)))
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=self.headers) as session:

            async def worker() -> None:
                for index in pending:
                    results[index] = await self._with_retries(session, batches[index])

            await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(batches)))))
        return [r for r in results if r is not None]

    async def _with_retries(self, session: aiohttp.ClientSession, inputs: list[str]) -> np.ndarray:
        for attempt in range(self.retry.max_retries + 1):
            try:
                return await self._post_once(session, inputs)
            except _Transient as exc:
                if attempt == self.retry.max_retries:
                    raise EmbeddingRequestError(f"{self.url}: {exc} (gave up after {attempt + 1} attempts)") from exc
                await asyncio.sleep(self.retry.delay(attempt, exc.retry_after))
        raise AssertionError("unreachable")

    async def _post_once(self, session: aiohttp.ClientSession, inputs: list[str]) -> np.ndarray:
        self.requests_sent += 1
        try:
            async with session.post(self.url, json={"model": self.model, "input": inputs}) as response:
                raw, status = await response.read(), response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
        except TimeoutError as exc:
            raise _Transient(f"timed out after {self.timeout_s:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        if status in RETRYABLE_STATUS:
            raise _Transient(f"HTTP {status}: {raw[:200].decode('utf-8', 'replace')}", retry_after)
        if status >= 400:
            raise EmbeddingRequestError(f"{self.url}: HTTP {status}: {raw[:300].decode('utf-8', 'replace')}")
        try:
            return _vectors(json.loads(raw), len(inputs))
        except (ValueError, KeyError, TypeError) as exc:
            raise _Transient(f"malformed response body ({type(exc).__name__}: {exc}): {raw[:120]!r}") from exc


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _vectors(payload: dict[str, Any], count: int) -> np.ndarray:
    """The ``data[*].embedding`` rows of an answer, ordered by their ``index``."""
    data = sorted(payload["data"], key=lambda item: item["index"])
    if len(data) != count:
        raise ValueError(f"{len(data)} embeddings for {count} inputs")
    return np.asarray([item["embedding"] for item in data], dtype=np.float32)
