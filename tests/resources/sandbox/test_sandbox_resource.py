"""The sandbox resource: verdicts of ordinary programs, HumanEval-style checks, parallel runs in order, stdin,
truncated logs, counters, and runs that cannot start. Real runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from operators.services.sandbox import SandboxJob, SandboxService
from resources.sandbox import SandboxResource, SandboxSession, sandbox_from_env

ADD = "def add(a, b):\n    return a + b\n"
CHECK = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"


@pytest.fixture
def sandbox() -> Iterator[SandboxSession]:
    resource = SandboxResource(timeout_s=3, cpu_s=2, workers=2, log_bytes=100)
    yield resource.session()
    resource.close()


def test_the_session_is_the_operators_service(sandbox: SandboxSession) -> None:
    assert isinstance(sandbox, SandboxService)
    assert sandbox.languages == ("python",)


def test_humaneval_rows_run_check_on_the_entry_point(sandbox: SandboxSession) -> None:
    broken = ADD.replace("a + b", "a - b")
    results = sandbox.run([SandboxJob(ADD, test=CHECK, entry_point="add"),
                           SandboxJob(broken, test=CHECK, entry_point="add"),
                           SandboxJob(ADD, test=CHECK, entry_point="subtract"),
                           SandboxJob(ADD, test="assert add(1, 1) == 2\nassert add('a', 'b') == 'ab'\n"),
                           SandboxJob("def add(a, b) return a", test=CHECK, entry_point="add")])
    assert [r.status for r in results] == ["passed", "failed", "failed", "passed", "failed"]
    assert "AssertionError" in results[1].stderr
    assert "'subtract' is not defined after the code and its tests ran" in results[2].stderr
    assert "SyntaxError" in results[4].stderr


def test_many_runs_in_parallel_keep_their_order(sandbox: SandboxSession) -> None:
    jobs = [SandboxJob(f"print({i} * {i})\nraise SystemExit({i % 3})") for i in range(12)]
    results = sandbox.run(jobs)
    assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(12)]
    assert [r.status for r in results] == ["passed" if i % 3 == 0 else "failed" for i in range(12)]
    assert sandbox.metrics()["sandbox_runs"] == 12
    assert sandbox.metrics()["sandbox_passed"] == 4
    assert sandbox.metrics()["sandbox_isolation"] == "namespaces"


def test_stdin_is_fed_and_logs_are_cut(sandbox: SandboxSession) -> None:
    result = sandbox.run([SandboxJob("import sys\ndata = sys.stdin.read()\nprint(data.upper() * 50)",
                                     stdin="abc")])[0]
    assert result.status == "passed"
    assert result.stdout.startswith("ABC" * 16 + "AB\n[... ") and result.stdout.endswith("CABC\n")
    assert result.log().startswith("passed: exit status 0")


def test_runs_that_cannot_start_are_errors(sandbox: SandboxSession) -> None:
    assert sandbox.run([SandboxJob("print(1)", language="cobol")])[0].status == "error"
    sandbox.runner.python = "/nonexistent/python"
    result = sandbox.run([SandboxJob("print(1)")])[0]
    assert result.status == "error"
    assert "could not start" in result.detail


def test_env_configures_the_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAFLOW_SANDBOX_TIMEOUT_S", "7.5")
    monkeypatch.setenv("DATAFLOW_SANDBOX_ISOLATION", "process")
    resource = sandbox_from_env()
    assert (resource.timeout_s, resource.isolation) == (7.5, "process")
