"""``SandboxResource``: runs untrusted (model-written) programs isolated and within limits (key ``sandbox``).

Isolation ``auto`` (the default) uses Linux namespaces when the kernel allows them (checked once by starting a
run) and falls back to ``process`` isolation otherwise; ``namespaces`` insists on them (a run that cannot get
them is an ``error`` verdict). What each layer does and does not stop is in the README ("Code" section).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr

from operators.services.sandbox import PASSED, SandboxJob, SandboxResult
from resources.sandbox.isolation import Layout, default_ro_binds
from resources.sandbox.runner import Limits, SandboxRunner

_PROBED: dict[bool, bool] = {}
_PROBE_LOCK = threading.Lock()


def namespaces_work(layout: Layout, seccomp: bool) -> bool:
    """Whether a namespaced run starts on this kernel (asked once per process)."""
    with _PROBE_LOCK:
        if seccomp not in _PROBED:
            runner = SandboxRunner(layout, Limits(wall_s=10), namespaces=True, seccomp=seccomp)
            _PROBED[seccomp] = runner.run(SandboxJob("pass")).status == PASSED
        return _PROBED[seccomp]


class SandboxResource(ConfigurableResource):
    """An execution sandbox for untrusted programs (Python): namespaces, an unprivileged uid, rlimits, seccomp."""

    isolation: Literal["auto", "namespaces", "process"] = Field(
        "auto", description="namespaces: new mount/net/PID/IPC/UTS namespaces and a read-only root; process: "
                            "uid, rlimits and seccomp only; auto: namespaces where the kernel allows them")
    seccomp: bool = Field(True, description="Refuse non-Unix sockets and io_uring in the program (seccomp)")
    fresh_interpreter: bool = Field(False, description="Exec a second `python -I -S` for the program instead of "
                                                       "running it in the launcher's own (twice the start-up cost)")
    timeout_s: float = Field(5.0, gt=0, description="Wall-clock limit of one run, seconds")
    cpu_s: float = Field(4.0, gt=0, description="CPU-time limit of each process of a run, seconds")
    memory_mb: int = Field(512, ge=16, description="Address-space limit of each process, MiB")
    max_processes: int = Field(32, ge=1, description="Processes (and threads) a run may have at once")
    max_file_mb: float = Field(16, gt=0, description="Largest file a run may write, MiB")
    max_output_bytes: int = Field(1 << 20, ge=1, description="stdout+stderr past which the run is killed")
    log_bytes: int = Field(4000, ge=0, description="Bytes of stdout and of stderr kept in a result")
    workers: int = Field(0, ge=0, description="Runs at once (0: one per CPU)")

    _layout: Layout | None = PrivateAttr(None)
    _pool: ThreadPoolExecutor | None = PrivateAttr(None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def limits(self) -> Limits:
        """The per-run limits."""
        return Limits(self.timeout_s, self.cpu_s, self.memory_mb << 20, self.max_processes,
                      int(self.max_file_mb * (1 << 20)), 64, self.max_output_bytes, self.log_bytes)

    def runner(self) -> SandboxRunner:
        """The runner (layout built and isolation decided once)."""
        with self._lock:
            if self._layout is None:
                self._layout = Layout.create(default_ro_binds())
                atexit.register(self._layout.remove)  # also when nobody calls close()
        use = self.isolation == "namespaces" or (
            self.isolation == "auto" and namespaces_work(self._layout, self.seccomp))
        return SandboxRunner(self._layout, self.limits, namespaces=use, seccomp=self.seccomp,
                             inline=not self.fresh_interpreter)

    def session(self) -> SandboxSession:
        """A fresh session (own counters) over the shared runner and thread pool."""
        workers = self.workers or os.cpu_count() or 1
        with self._lock:
            if self._pool is None and workers > 1:
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="dataflow-sandbox")
        return SandboxSession(self.runner(), self._pool)

    def teardown_after_execution(self, context: Any) -> None:
        """Remove the sandbox's folder and stop its threads."""
        self.close()

    def close(self) -> None:
        """Remove the sandbox's folder and stop its threads (a later session makes new ones)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            if self._layout is not None:
                self._layout.remove()
                self._layout = None


@dataclass
class SandboxSession:
    """One step's handle on the sandbox (``ctx.sandbox``): parallel runs and the step's counters."""

    runner: SandboxRunner
    pool: ThreadPoolExecutor | None
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages this sandbox runs."""
        return self.runner.languages

    @property
    def isolation(self) -> str:
        """``namespaces`` or ``process``: the isolation these runs get."""
        return "namespaces" if self.runner.namespaces else "process"

    def run(self, jobs: Sequence[SandboxJob]) -> list[SandboxResult]:
        """Run every job isolated and within the limits, in parallel; one result per job, same order."""
        jobs = list(jobs)
        if self.pool is None or len(jobs) < 2:
            results = [self.runner.run(job) for job in jobs]
        else:
            results = list(self.pool.map(self.runner.run, jobs))
        with self._lock:
            self.counts.update(result.status for result in results)
            self.seconds += sum(result.seconds for result in results)
        return results

    def metrics(self) -> dict[str, float | int | str]:
        """Counters for the step's metadata: runs per verdict, run seconds, isolation."""
        found: dict[str, float | int | str] = {f"sandbox_{status}": n for status, n in self.counts.items()}
        return found | {"sandbox_runs": sum(self.counts.values()), "sandbox_run_seconds": round(self.seconds, 3),
                        "sandbox_isolation": self.isolation}


def sandbox_from_env() -> SandboxResource:
    """The resource configured by ``DATAFLOW_SANDBOX_*`` variables (``ISOLATION``, ``TIMEOUT_S``, ``WORKERS``…)."""
    env = os.environ
    kwargs: dict[str, Any] = {}
    for name, cast in (("isolation", str), ("timeout_s", float), ("cpu_s", float), ("memory_mb", int),
                       ("max_processes", int), ("workers", int)):
        value = env.get(f"DATAFLOW_SANDBOX_{name.upper()}")
        if value:
            kwargs[name] = cast(value)
    return SandboxResource(**kwargs)
