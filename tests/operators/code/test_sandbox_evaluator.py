"""CodeSandboxSampleEvaluator: exact verdicts on hand-written rows run in the real sandbox (HumanEval check(),
given asserts, hostile and empty code), and on the real local model the mechanics of LLM-written tests."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.code.sandbox import CodeSandboxSampleEvaluator, assert_lines
from resources.llm import LLMResource
from resources.sandbox import SandboxResource, SandboxSession

ADD = "def add(a, b):\n    return a + b\n"
CHECK = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


@pytest.fixture
def sandbox() -> Iterator[SandboxSession]:
    resource = SandboxResource(timeout_s=3, cpu_s=2)
    yield resource.session()
    resource.close()


def test_verdicts_on_hand_written_rows(sandbox: SandboxSession) -> None:
    rows = pa.table({
        "code": [ADD, ADD.replace("+", "-"), ADD, "while True:\n    pass\n", "import sys\nsys.exit(0)\n", "   ", ADD],
        "test": [CHECK, CHECK, "assert add(1, 2) == 3\n", "assert True\n", "assert False\n", "assert True", None],
        "entry_point": ["add", "add", None, None, None, None, None],
    })
    op = CodeSandboxSampleEvaluator({"timeout_length": 1, "generate_tests": False})
    table = op.run(rows, OperatorContext(sandbox=sandbox)).table
    assert table["sandbox_status"].to_pylist() == ["passed", "failed", "passed", "timeout", "failed", "error",
                                                   "passed"]
    logs = table["sandbox_log"].to_pylist()
    assert "AssertionError" in logs[1] and "wall time limit 1 s" in logs[3] and "sys.exit(0)" in logs[4]
    assert logs[5] == "error: empty code"


def test_rows_without_a_sandbox_are_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="needs a sandbox"):
        CodeSandboxSampleEvaluator().run(pa.table({"code": [ADD]}), OperatorContext())


@pytest.mark.parametrize(("reply", "asserts"), [
    ("```python\nassert add(1, 2) == 3\nprint('x')\nassert add(0, 0) == 0\n```", "assert add(1, 2) == 3\n"
                                                                                  "assert add(0, 0) == 0"),
    ("Here are tests:\n  assert f(1) == 2\nThat is all.", "assert f(1) == 2"),
    ("I cannot help with that.", ""),
])
def test_assert_lines(reply: str, asserts: str) -> None:
    assert assert_lines(reply) == asserts


def test_rows_without_tests_get_model_written_asserts(sandbox: SandboxSession, local_llm: LLMResource) -> None:
    op = CodeSandboxSampleEvaluator({"max_tokens": 48})
    rows = pa.table({"code": [ADD, "def double(x):\n    return 2 * x\n"]})
    table = op.run(rows, OperatorContext(sandbox=sandbox, llm=local_llm.session())).table
    statuses, logs = table["sandbox_status"].to_pylist(), table["sandbox_log"].to_pylist()
    assert all(status in ("passed", "failed", "timeout", "killed") for status in statuses)
    for log in logs:  # the model's asserts (or the note that it wrote none) come first, then the run's verdict
        assert log.startswith(("tests written by the model:\nassert ", "no tests: the model wrote no assert"))
    assert sandbox.metrics()["sandbox_runs"] == 2
