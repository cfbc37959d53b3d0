"""What an operator sees of the execution sandbox: jobs, results and the ``SandboxService`` protocol (``ctx.sandbox``).

Operators hand whole batches of ``SandboxJob`` to the service (``resources/sandbox/``), which runs each one isolated
and within limits, in parallel, and answers one ``SandboxResult`` per job, in order. Nothing raises for a bad
program: its verdict says what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

PASSED, FAILED, TIMEOUT, KILLED, ERROR = "passed", "failed", "timeout", "killed", "error"
VERDICTS = (PASSED, FAILED, TIMEOUT, KILLED, ERROR)


@dataclass(frozen=True)
class SandboxJob:
    """One program to run: its source, and optional test code run after it in the same interpreter.

    ``test``: code run after ``code`` (assert statements, or a HumanEval ``check(candidate)`` definition);
    ``entry_point``: when set, ``check(<entry_point>)`` is called after ``test``. Without ``test`` the program's own
    exit status is the verdict.
    """

    code: str
    language: str = "python"
    test: str | None = None
    entry_point: str | None = None
    stdin: str = ""
    timeout_s: float | None = None  # a shorter wall-clock limit than the sandbox's own (never a longer one)


@dataclass(frozen=True)
class SandboxResult:
    """The verdict of one run and what it printed (each stream cut to the log limit)."""

    status: str  # one of VERDICTS
    detail: str = ""  # why, in words: "exit code 1", "wall time limit 5.0 s", "address-space limit", …
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Whether the program (and its tests) ran to the end successfully."""
        return self.status == PASSED

    def log(self, limit: int = 2000) -> str:
        """A short log for a table cell: verdict, detail, then the ends of stderr and stdout."""
        parts = [f"{self.status}: {self.detail}".rstrip(": ")]
        if self.stderr.strip():
            parts.append("stderr:\n" + self.stderr.strip()[-limit:])
        if self.stdout.strip():
            parts.append("stdout:\n" + self.stdout.strip()[-limit:])
        return "\n".join(parts)


@runtime_checkable
class SandboxService(Protocol):
    """The sandbox as operators use it; ``resources.sandbox.SandboxSession`` implements it."""

    languages: tuple[str, ...]

    def run(self, jobs: Sequence[SandboxJob]) -> list[SandboxResult]:
        """Run every job isolated and within the limits, in parallel; one result per job, same order."""
        ...


def require_sandbox(sandbox: object, operator: str) -> SandboxService:
    """The context's sandbox, or a clear error when the step was built without one."""
    if sandbox is None:
        raise RuntimeError(f"{operator} needs a sandbox (ctx.sandbox is None): give the step a sandbox resource")
    return sandbox  # type: ignore[return-value]
