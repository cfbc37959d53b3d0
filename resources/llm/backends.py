"""LLM backends behind a session: an OpenAI-compatible server over HTTP, or ``vllm.LLM`` in this process.

``vllm`` is imported only when the ``vllm`` backend is used, so nothing imports it on a machine without a GPU.
The in-process engine is built once per process and model and reused by every step of the run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from resources.llm.http_client import Completion, DoneCallback, OpenAIClient, RequestFailed, RetryPolicy
from resources.llm.tokens import ServerTokenizer

_ENGINES: dict[str, Any] = {}


class HTTPBackend:
    """Any OpenAI-compatible server (``vllm serve``, llama.cpp server, a hosted API)."""

    def __init__(self, name: str, base_url: str, model: str, api_key: str | None, timeout_s: float,
                 concurrency: int, retry: RetryPolicy, on_connect_error: Callable[[], None] | None = None,
                 preflight: Callable[[], None] | None = None) -> None:
        self.name = name
        self.model = model
        self.client = OpenAIClient(base_url, api_key, timeout_s, concurrency, retry, on_connect_error)
        self.tokenizer = ServerTokenizer(base_url, model)
        self._preflight, self._checked = preflight, threading.Lock()

    def _ready(self) -> None:
        """Run the preflight check once, before the first request (``endpoint.check_endpoint``)."""
        with self._checked:
            if self._preflight is not None:
                self._preflight()
                self._preflight = None

    def chat(self, bodies: Sequence[dict[str, Any]], on_done: DoneCallback) -> None:
        """POST each body to ``/chat/completions``."""
        self._ready()
        self.client.run("/chat/completions", bodies, on_done)

    def complete(self, bodies: Sequence[dict[str, Any]],
                 on_done: DoneCallback) -> None:
        """POST each body to ``/completions`` (plain text continuation)."""
        self._ready()
        self.client.run("/completions", bodies, on_done)

    def requests_sent(self) -> int:
        """Requests sent so far, retries included."""
        return self.client.requests_sent

    def tokenize(self, texts: Sequence[str]) -> list[int] | None:
        """Token counts from the server's tokenize route."""
        return self.tokenizer.count(texts)


def _engine(model: str, engine_args: dict[str, Any]) -> Any:
    key = json.dumps({"model": model, **engine_args}, sort_keys=True)
    if key not in _ENGINES:
        import vllm  # noqa: PLC0415 - lazy: only the vllm backend needs it (and a GPU)

        _ENGINES[key] = vllm.LLM(model=model, **engine_args)
    return _ENGINES[key]


def _sampling_params(body: dict[str, Any]) -> Any:
    import vllm  # noqa: PLC0415

    kwargs: dict[str, Any] = {k: body[k] for k in ("temperature", "top_p", "max_tokens", "seed", "stop") if k in body}
    fmt = body.get("response_format")
    if fmt:
        schema = fmt.get("schema") or fmt.get("json_schema", {}).get("schema")
        try:  # vLLM >= 0.11: structured_outputs; older: guided_decoding
            from vllm.sampling_params import StructuredOutputsParams  # noqa: PLC0415

            kwargs["structured_outputs"] = StructuredOutputsParams(json=schema)
        except ImportError:
            from vllm.sampling_params import GuidedDecodingParams  # noqa: PLC0415

            kwargs["guided_decoding"] = GuidedDecodingParams(json=schema)
    return vllm.SamplingParams(**kwargs)


class VLLMBackend:
    """Offline batch generation with ``vllm.LLM.chat`` (chat template applied by vLLM)."""

    name = "vllm"

    def __init__(self, model: str, engine_args: dict[str, Any] | None = None) -> None:
        self.model = model
        self.engine_args = dict(engine_args or {})
        self._sent = 0

    def chat(self, bodies: Sequence[dict[str, Any]], on_done: DoneCallback) -> None:
        """Generate every chat body in one engine call (``vllm.LLM.chat`` applies the chat template)."""
        self._generate(bodies, on_done, lambda engine, params: engine.chat(
            [b["messages"] for b in bodies], params, use_tqdm=False))

    def _generate(self, bodies: Sequence[dict[str, Any]], on_done: DoneCallback,
                  call: Callable[[Any, list[Any]], Any]) -> None:
        if not bodies:
            return
        engine = _engine(self.model, self.engine_args)  # built on first use: its start-up counts as generation time
        started = time.perf_counter()
        self._sent += len(bodies)
        try:
            outputs = call(engine, [_sampling_params(b) for b in bodies])
        except Exception as exc:  # noqa: BLE001 - an engine error fails the rows, not the process
            for index in range(len(bodies)):
                on_done(index, RequestFailed(f"vllm: {type(exc).__name__}: {exc}", 1))
            return
        elapsed = time.perf_counter() - started  # one batch: every row's latency is the batch's
        for index, output in enumerate(outputs):
            text = output.outputs[0].text
            on_done(index, Completion(text, len(output.prompt_token_ids or ()), len(output.outputs[0].token_ids),
                                      elapsed, 1))

    def complete(self, bodies: Sequence[dict[str, Any]], on_done: DoneCallback) -> None:
        """Continue each prompt as plain text with ``vllm.LLM.generate``."""
        self._generate(bodies, on_done, lambda engine, params: engine.generate(
            [b["prompt"] for b in bodies], params, use_tqdm=False))

    def requests_sent(self) -> int:
        """Prompts handed to the engine so far."""
        return self._sent

    def tokenize(self, texts: Sequence[str]) -> list[int] | None:
        """Token counts by the engine's tokenizer."""
        tokenizer = _engine(self.model, self.engine_args).get_tokenizer()
        return [len(tokenizer.encode(text or "", add_special_tokens=False)) for text in texts]
