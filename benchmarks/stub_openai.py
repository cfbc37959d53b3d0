"""A stand-in OpenAI-compatible endpoint: answers instantly, or injects scripted faults.

Not a model. It exists for two things only: measuring the client's own overhead (an endpoint that costs nothing,
so requests/s is the client's ceiling), and fault-injection tests (timeouts, HTTP 500, 429 with Retry-After,
refused connections, truncated bodies, invalid JSON answers, a server that dies mid-batch). Every answer is
``echo:<last user message>`` unless a fault says otherwise.

Run standalone: ``python -m benchmarks.stub_openai --port 18555``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Fault:
    """What to do with one request instead of answering: ``status``/``delay_s``/``body``/``retry_after``."""

    status: int = 200
    delay_s: float = 0.0
    body: str | None = None  # raw body to send (e.g. truncated JSON)
    content: str | None = None  # the answer text to put in a well-formed response
    retry_after: str | None = None


@dataclass
class StubState:
    """Scripted faults (consumed in order, one per request) and counters."""

    faults: deque[Fault] = field(default_factory=deque)
    default_content: str | None = None
    requests: int = 0
    answered: int = 0
    refuse_json_schema: bool = False  # answer 400 to response_format json_schema, as some servers do
    formats: list[str] = field(default_factory=list)  # the response_format type of each request that had one


def _completion(text: str, chat: bool) -> dict[str, Any]:
    choice = {"index": 0, "finish_reason": "stop"}
    choice |= {"message": {"role": "assistant", "content": text}} if chat else {"text": text}
    return {"id": "stub", "object": "chat.completion", "model": "stub", "choices": [choice],
            "usage": {"prompt_tokens": 3, "completion_tokens": max(1, len(text) // 4), "total_tokens": 4}}


def make_app(state: StubState) -> web.Application:
    """The aiohttp app: /v1/chat/completions, /v1/completions, /v1/models."""

    async def answer(request: web.Request) -> web.StreamResponse:
        state.requests += 1
        payload = await request.json()
        kind = (payload.get("response_format") or {}).get("type")
        if kind:
            state.formats.append(kind)
        if kind == "json_schema" and state.refuse_json_schema:
            return web.Response(status=400, text=json.dumps({"error": "response_format json_schema not supported"}))
        fault = state.faults.popleft() if state.faults else Fault()
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
        if fault.status != 200:
            return web.Response(status=fault.status, text=json.dumps({"error": "injected"}), headers=headers)
        if fault.body is not None:
            return web.Response(text=fault.body, content_type="application/json")
        chat = request.path.endswith("chat/completions")
        if fault.content is not None:
            text = fault.content
        elif state.default_content is not None:
            text = state.default_content
        else:
            prompt = payload["messages"][-1]["content"] if chat else payload.get("prompt", "")
            text = f"echo:{prompt}"
        state.answered += 1
        return web.json_response(_completion(text, chat))

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "stub", "object": "model"}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    app.router.add_post("/v1/completions", answer)
    app.router.add_get("/v1/models", models)
    return app


class StubServer:
    """The stub on 127.0.0.1:``port`` in a background thread; ``stop()`` closes it (connections refused)."""

    def __init__(self, port: int, state: StubState | None = None) -> None:
        self.port = port
        self.state = state or StubState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StubServer:
        """Start serving; returns once the port accepts connections."""
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._runner = web.AppRunner(make_app(self.state), access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"stub server did not start on port {self.port}")
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None


def main() -> None:
    """Serve the stub in the foreground (for the client-overhead benchmark)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18555)
    args = parser.parse_args()
    web.run_app(make_app(StubState()), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
