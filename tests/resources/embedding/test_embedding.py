"""EmbeddingResource: the shipped MiniLM as a numpy forward pass, and an OpenAI-compatible embeddings server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from resources.embedding import EmbeddingResource, embed_from_env
from resources.embedding.http_client import EmbeddingRequestError
from resources.embedding.resource import local_encoder

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


def test_local_vectors_match_sentence_transformers() -> None:
    """Same vectors as sentence-transformers on the same model (golden file: benchmarks/minilm_reference.py)."""
    reference = json.loads(REFERENCE.read_text())
    session = EmbeddingResource().session()
    vectors = session.embed(reference["sentences"])
    expected = np.asarray(reference["vectors"], dtype=np.float32)
    assert vectors.dtype == np.float32 and vectors.shape == expected.shape == (len(reference["sentences"]), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * expected).sum(axis=1).min() >= 0.999
    assert session.metrics()["embed_texts"] == len(reference["sentences"])


def test_batching_and_padding_do_not_change_vectors() -> None:
    texts = json.loads(REFERENCE.read_text())["sentences"]
    one_by_one = np.concatenate([local_encoder().encode([text]) for text in texts])
    np.testing.assert_allclose(local_encoder().encode(texts, batch_size=3), one_by_one, atol=2e-5)
    assert local_encoder().encode([]).shape == (0, 384)


class EmbeddingsServer(BaseHTTPRequestHandler):
    """A real HTTP server on 127.0.0.1 answering /v1/embeddings with the local model's vectors, scaled by 3 so
    the client must normalise. Fault injection: the first request of a server gets a 503; the input "BAD"
    gets a 400."""

    requests: list[list[str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body["input"])
        if len(type(self).requests) == 1 or "BAD" in body["input"]:
            status = 503 if len(type(self).requests) == 1 else 400
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"no")
            return
        vectors = local_encoder().encode(body["input"]) * 3
        data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)][::-1]
        payload = json.dumps({"object": "list", "data": data, "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    EmbeddingsServer.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), EmbeddingsServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_openai_backend_batches_retries_and_normalises(server: str) -> None:
    texts = [f"sentence number {i} about topic {i % 3}" for i in range(7)]
    resource = EmbeddingResource(backend="openai", base_url=server, model="minilm", batch_size=3,
                                 concurrency=1, backoff_base_s=0.01)
    vectors = resource.session().embed(texts)
    np.testing.assert_allclose(vectors, local_encoder().encode(texts), atol=1e-5)
    # one 503 retried, then three batches of at most 3 inputs
    assert [len(r) for r in EmbeddingsServer.requests] == [3, 3, 3, 1]


def test_openai_backend_fails_clearly(server: str) -> None:
    resource = EmbeddingResource(backend="openai", base_url=server, model="minilm", backoff_base_s=0.01)
    with pytest.raises(EmbeddingRequestError, match="HTTP 400"):
        resource.session().embed(["fine", "BAD"])
    with pytest.raises(ValueError, match="needs base_url and model"):
        EmbeddingResource(backend="openai").session()


def test_env_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert embed_from_env().backend == "local"
    monkeypatch.setenv("DATAFLOW_EMBED_BACKEND", "openai")
    monkeypatch.setenv("DATAFLOW_EMBED_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("DATAFLOW_EMBED_MODEL", "bge-small")
    monkeypatch.setenv("DATAFLOW_EMBED_BATCH_SIZE", "64")
    resource = embed_from_env()
    assert (resource.backend, resource.base_url, resource.model, resource.batch_size) == (
        "openai", "http://127.0.0.1:9/v1", "bge-small", 64)
