"""Async client for OpenAI-compatible servers (vLLM, llama.cpp, hosted APIs): bounded concurrency, timeouts,
retries with exponential backoff and jitter that honour ``Retry-After``.

Transient failures (connection errors, timeouts, 408/409/425/429/5xx, a body that is not JSON) are retried;
others (400, 401, 404, 422…) fail the request at once. Each answer is handed to a callback as soon as it
arrives, so a crash in the middle of a batch loses nothing already answered.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request."""

    max_retries: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): Retry-After wins when given."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max_s)
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** attempt))
        return random.uniform(ceiling / 2, ceiling)  # "equal jitter": never zero, never in lock-step


@dataclass
class Completion:
    """A successful answer from the server."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    attempts: int


class RequestFailed(Exception):
    """A request that failed for good (after retries, or at once for a permanent error)."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


DoneCallback = Callable[[int, "Completion | RequestFailed"], None]


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None, connect: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.connect = connect


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return None if parsed is None else parsed.timestamp() - time.time()


def _answer_text(path: str, payload: dict[str, Any]) -> str:
    choice = payload["choices"][0]
    text = choice["message"]["content"] if path.endswith("chat/completions") else choice["text"]
    if not isinstance(text, str):
        raise KeyError("content")
    return text


class OpenAIClient:
    """Sends a batch of request bodies to one endpoint with at most ``concurrency`` in flight."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        on_connect_error: Callable[[], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout_s = timeout_s
        self.concurrency = max(1, concurrency)
        self.retry = retry or RetryPolicy()
        self.on_connect_error = on_connect_error
        self.requests_sent = 0

    def run(
        self, path: str, bodies: Sequence[dict[str, Any]], on_done: DoneCallback
    ) -> None:
        """POST every body to ``path``; ``on_done(index, outcome)`` is called as each one finishes."""
        if bodies:
            asyncio.run(self._run(path, bodies, on_done))

    async def _run(self, path: str, bodies: Sequence[dict[str, Any]], on_done: DoneCallback) -> None:
        connector = aiohttp.TCPConnector(limit=self.concurrency, ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        pending = iter(range(len(bodies)))  # workers pull the next index: O(concurrency) tasks, any batch size
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=self.headers) as session:

            async def worker() -> None:
                for index in pending:
                    on_done(index, await self._with_retries(session, path, bodies[index]))

            await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(bodies)))))

    async def _with_retries(
        self, session: aiohttp.ClientSession, path: str, body: dict[str, Any]
    ) -> Completion | RequestFailed:
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                text, usage = await self._post_once(session, path, body)
                return Completion(text, int(usage.get("prompt_tokens") or 0),
                                  int(usage.get("completion_tokens") or 0), time.perf_counter() - started, attempt + 1)
            except RequestFailed as exc:
                exc.attempts = attempt + 1
                return exc
            except _Retryable as exc:
                if attempt >= self.retry.max_retries:
                    return RequestFailed(f"{exc} (gave up after {attempt + 1} attempts)", attempt + 1)
                if exc.connect and self.on_connect_error is not None:
                    try:  # e.g. restart the local server; if that fails, the retries report the error
                        await asyncio.to_thread(self.on_connect_error)
                    except Exception as hook_error:  # noqa: BLE001
                        exc = _Retryable(f"{exc}; recovery failed: {hook_error}")
                await asyncio.sleep(self.retry.delay(attempt, exc.retry_after))
                attempt += 1

    async def _post_once(
        self, session: aiohttp.ClientSession, path: str, body: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        self.requests_sent += 1
        try:
            async with session.post(f"{self.base_url}{path}", json=body) as response:
                raw = await response.read()
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
        except (aiohttp.ClientConnectorError, ConnectionRefusedError) as exc:
            raise _Retryable(f"cannot connect to {self.base_url}: {exc}", connect=True) from exc
        except TimeoutError as exc:
            raise _Retryable(f"timed out after {self.timeout_s:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:  # reset, server disconnected, payload error
            raise _Retryable(f"{type(exc).__name__}: {exc}", connect=True) from exc
        if status in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {status}: {raw[:200].decode('utf-8', 'replace')}", retry_after)
        if status >= 400:
            raise RequestFailed(f"HTTP {status}: {raw[:300].decode('utf-8', 'replace')}", 1)
        try:
            payload = json.loads(raw)
            return _answer_text(path, payload), payload.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _Retryable(f"malformed response body ({type(exc).__name__}): {raw[:120]!r}") from exc
