"""``CodeSandboxSampleEvaluator``: run each row's code in the sandbox (``ctx.sandbox``) and record the verdict.

A HumanEval-style row (a ``test`` column defining ``check(candidate)`` and an ``entry_point``) runs as
``check(<entry_point>)`` after the code; a row with only ``test`` runs that code after it (assert statements); a
row without tests gets assert statements written by the LLM first (``generate_tests``), and both run. The verdict is
one of ``passed`` / ``failed`` / ``timeout`` / ``killed`` / ``error``; ``sandbox_log`` says why, with the ends of
stderr and stdout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from pydantic import Field

from operators.base import Mapper, OperatorConfig, OperatorContext, OperatorKind
from operators.prompted.base import LLMOperatorMixin
from operators.registry import register
from operators.services.llm import LLMReply
from operators.services.sandbox import ERROR, SandboxJob, SandboxResult, require_sandbox

FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)(?:```|\Z)", re.S)


def assert_lines(reply: str) -> str:
    """The ``assert`` statements of a model's answer (inside a code fence when there is one), one per line."""
    fenced = FENCE.findall(reply)
    text = "\n".join(fenced) if fenced else reply
    return "\n".join(line.strip() for line in text.splitlines() if line.strip().startswith("assert "))


class SandboxConfig(OperatorConfig):
    """DataFlow's settings plus where the tests are."""

    language: str = Field("python", description="Language of the code (the sandbox must run it)")
    timeout_length: float = Field(15, gt=0, description="Wall-clock limit of one run, seconds (at most the "
                                                         "sandbox's own limit)")
    use_process_isolation: bool = Field(True, description="Accepted for DataFlow specs; runs are always isolated")
    test_key: str = Field("test", description="Column with test code (HumanEval check() or asserts), if present")
    entry_point_key: str = Field("entry_point", description="Column naming the function check() gets, if present")
    generate_tests: bool = Field(True, description="Rows without tests: the LLM writes assert statements first")
    prompts: dict[str, str] = Field(default_factory=dict, description="Override templates of the prompt file")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(200, ge=1, description="Largest completion for generated tests")
    seed: int = 0
    max_failure_rate: float = Field(0.5, ge=0.0, le=1.0, description="Fail the step above this share of LLM rows")


@register
class CodeSandboxSampleEvaluator(LLMOperatorMixin, Mapper):
    """Run each row's code (with its tests) in the sandbox; write ``sandbox_status`` and ``sandbox_log``."""

    name = "CodeSandboxSampleEvaluator"
    kind = OperatorKind.EVALUATE
    description = ("Runs each row's code in the isolated sandbox (HumanEval check(entry_point), given asserts, or "
                   "LLM-written asserts) and records the verdict passed/failed/timeout/killed/error and a log.")
    inputs = ("code",)
    outputs = ("sandbox_status", "sandbox_log")
    requires = ("sandbox", "llm")
    prompt_file = "code_sandbox_tests"
    Config = SandboxConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        """Write missing tests (LLM), run every row, and report verdicts and logs."""
        sandbox = require_sandbox(ctx.sandbox, self.name)
        cfg = self.config
        codes = self.text(batch, "code").to_pylist()
        tests = _column(batch, cfg.test_key)
        entries = _column(batch, cfg.entry_point_key)
        written: dict[int, LLMReply] = {}
        if cfg.generate_tests:
            need = [i for i, (code, test) in enumerate(zip(codes, tests, strict=True)) if code and not test]
            if need:
                replies = self.ask(ctx, [self.chat_request({"code": codes[i]}) for i in need])
                self.enforce_failure_rate(replies, ctx)
                written = dict(zip(need, replies, strict=True))
        jobs: list[SandboxJob | None] = []
        notes: list[str] = []
        for i, code in enumerate(codes):
            test, entry, note = tests[i] or None, entries[i] or None, ""
            if i in written:
                reply = written[i]
                test = (assert_lines(reply.text or "") or None) if reply.ok else None
                note = (f"tests written by the model:\n{test}\n" if test
                        else f"no tests: the model wrote no assert ({reply.error or 'none in its answer'})\n")
            jobs.append(SandboxJob(code, cfg.language, test, entry if test else None, timeout_s=cfg.timeout_length)
                        if code and code.strip() else None)
            notes.append(note)
        ran = iter(sandbox.run([job for job in jobs if job is not None]))
        results = [next(ran) if job is not None else SandboxResult(ERROR, "empty code") for job in jobs]
        return {"sandbox_status": pa.array([r.status for r in results], pa.string()),
                "sandbox_log": pa.array([note + r.log() for note, r in zip(notes, results, strict=True)],
                                        pa.string())}


def _column(batch: pa.Table, name: str) -> list[Any]:
    """A column's values, or all None when the batch has no such column."""
    return batch.column(name).to_pylist() if name in batch.column_names else [None] * batch.num_rows
