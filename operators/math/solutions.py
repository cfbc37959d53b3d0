"""Chain-of-thought solutions (DataFlow's reasoning answer operators): one solution per problem ending in
``\\boxed{}``, pseudo answers by majority vote of n sampled solutions when no gold exists, and the LLM judge."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import (
    Filter,
    Operator,
    OperatorContext,
    OperatorKind,
    OperatorResult,
    Verdict,
    dropped_rows,
    set_column,
)
from operators.math.answers import final_answer, normalized
from operators.math.verify_pool import VerifyPool
from operators.parallel import filter_rows
from operators.prompted.base import ERROR_OUTPUT, SKIPPED, LLMConfig, LLMMapper, LLMOperatorMixin, blank, row_values
from operators.registry import register
from operators.services.llm import LLMReply


class AnswerConfig(LLMConfig):
    """ReasoningAnswerGenerator settings."""

    max_tokens: int = 1024


@register
class ReasoningAnswerGenerator(LLMMapper):
    """Solve each problem step by step, the final answer in ``\\boxed{}``."""

    name = "ReasoningAnswerGenerator"
    kind = OperatorKind.GENERATE
    description = "LLM step-by-step solution of each problem, ending in \\boxed{answer}, in generated_cot (DataFlow)."
    inputs = ("instruction",)
    outputs = ("generated_cot", ERROR_OUTPUT)
    prompt_file = "math_answer_generator"
    Config = AnswerConfig

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The solution text (null when blank)."""
        return {"generated_cot": (reply.text or "").strip() or None}


class PseudoAnswerConfig(LLMConfig):
    """ReasoningPseudoAnswerGenerator settings (DataFlow: ``max_times``)."""

    max_times: int = Field(3, ge=1, le=16, description="Solutions sampled per problem")
    temperature: float = 0.7
    max_tokens: int = 1024
    min_agreement: float = Field(0.0, ge=0.0, le=1.0, description="Drop rows whose winning answer has a smaller "
                                 "share of the samples (no_consensus)")
    row_timeout_s: float = Field(5.0, gt=0, description="Time limit per equivalence check")
    workers: int = Field(0, ge=0, description="Worker processes for the checks (0: as many as CPUs)")


def vote(answers: list[str | None], same: dict[tuple[str, str], bool]) -> tuple[list[int], int]:
    """The sample indices of the largest group of equivalent answers (ties: the group seen first) and its size.

    ``same[(a, b)]`` says whether two distinct normalised answers are equivalent; equal normalised text always is.
    """
    keys = [normalized(a) if a else None for a in answers]
    distinct = list(dict.fromkeys(k for k in keys if k))
    parent = {k: k for k in distinct}

    def root(key: str) -> str:
        while parent[key] != key:
            key = parent[key]
        return key

    for i, a in enumerate(distinct):
        for b in distinct[i + 1:]:
            if same.get((a, b)) and root(a) != root(b):
                parent[root(b)] = root(a)
    sizes = Counter(root(k) for k in keys if k)
    if not sizes:
        return [], 0
    best = max(sizes, key=lambda r: (sizes[r], -distinct.index(r)))
    members = [i for i, k in enumerate(keys) if k and root(k) == best]
    return members, len(members)


@register
class ReasoningPseudoAnswerGenerator(LLMOperatorMixin, Operator):
    """Sample ``max_times`` solutions per problem and take the majority of their final answers as pseudo gold."""

    name = "ReasoningPseudoAnswerGenerator"
    kind = OperatorKind.GENERATE
    description = ("max_times sampled solutions per problem; their final answers grouped by math-verify "
                   "equivalence, the largest group's answer is pseudo_answer_value (DataFlow). Rows without an "
                   "answer, or whose majority is below min_agreement, are dropped.")
    inputs = ("instruction",)
    outputs = ("pseudo_answers", "pseudo_answer_value", "pseudo_solutions", "pseudo_correct_solution_example",
               "pseudo_answer_votes", ERROR_OUTPUT)
    histogram_outputs = ("pseudo_answer_votes",)
    prompt_file = "math_answer_generator"
    Config = PseudoAnswerConfig
    drop_reasons = ("llm_error", "no_answer", "no_consensus")

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Sample, extract, group, vote; keep the rows with a consensus."""
        n = self.config.max_times
        rows = row_values(batch, dict(self.input_map))
        requests = [None if blank(r["instruction"]) else self.chat_request(r) for r in rows]
        flat = self.ask(ctx, [s for request in requests for s in (request.samples(n) if request else [None] * n)])
        self.enforce_failure_rate(flat, ctx)
        replies = [flat[i * n: (i + 1) * n] for i in range(batch.num_rows)]
        solutions = [[r.text if r.ok else None for r in row] for row in replies]
        answers = [[final_answer(text) for text in row] for row in solutions]
        same = self._equivalences(answers)
        votes = [vote(row, same) for row in answers]
        reasons = np.array([self._reason(row, members, count) for row, (members, count) in zip(replies, votes,
                                                                                                  strict=True)],
                           dtype=object)
        columns = {
            "pseudo_answers": pa.array([[a or "" for a in row] for row in answers], pa.list_(pa.string())),
            "pseudo_answer_value": pa.array([row[m[0]] if m else None for row, (m, _) in zip(answers, votes,
                                                                                                strict=True)]),
            "pseudo_solutions": pa.array([[sols[i] for i in m] for sols, (m, _) in zip(solutions, votes, strict=True)],
                                         pa.list_(pa.string())),
            "pseudo_correct_solution_example": pa.array(
                [sols[m[0]] if m else None for sols, (m, _) in zip(solutions, votes, strict=True)], pa.string()),
            "pseudo_answer_votes": pa.array([count for _, count in votes], pa.int64()),
            ERROR_OUTPUT: pa.array([next((r.error for r in row if not r.ok), None) for row in replies], pa.string()),
        }
        table = batch
        for logical, values in columns.items():
            table = set_column(table, self.out(logical), values)
        keep = reasons == ""
        dropped, counts = dropped_rows(table, ~keep, reasons)
        return OperatorResult(table=filter_rows(table, keep), dropped=dropped, drop_counts=counts,
                              metrics={"samples": n * batch.num_rows, "with_consensus": int(keep.sum())})

    def _reason(self, replies: list[LLMReply], members: list[int], count: int) -> str:
        if all(not r.ok for r in replies):
            return "llm_error" if any(r.error != SKIPPED for r in replies) else "no_answer"
        if not members:
            return "no_answer"
        return "no_consensus" if count / self.config.max_times < self.config.min_agreement else ""

    def _equivalences(self, answers: list[list[str | None]]) -> dict[tuple[str, str], bool]:
        """math-verify equivalence of every pair of distinct answers within a row, in one pool run."""
        pairs: dict[tuple[str, str], tuple[str, str]] = {}
        for row in answers:
            distinct = list(dict.fromkeys((normalized(a), a) for a in row if a))
            for i, (key_a, raw_a) in enumerate(distinct):
                for key_b, raw_b in distinct[i + 1:]:
                    if key_a != key_b:
                        pairs[(key_a, key_b)] = (f"\\boxed{{{raw_b}}}", raw_a)
        if not pairs:
            return {}
        verdicts = VerifyPool(self.config.workers, self.config.row_timeout_s).judge(list(pairs.values()))
        return {key: verdict == "equal" for key, verdict in zip(pairs, verdicts, strict=True)}


class Judgement(BaseModel):
    """The judge's verdict."""

    judgement: bool


class JudgeConfig(LLMConfig):
    """ReasoningAnswerModelJudgeFilter settings (DataFlow: ``system_prompt``, ``keep_all_samples``)."""

    system_prompt: str | None = Field(None, description="System prompt (default: the prompt file's)")
    keep_all_samples: bool = Field(False, description="Keep every row, only writing answer_match_result")
    max_tokens: int = 16


@register
class ReasoningAnswerModelJudgeFilter(LLMOperatorMixin, Filter):
    """Ask the LLM whether each solution's final answer agrees with the reference; keep those that do."""

    name = "ReasoningAnswerModelJudgeFilter"
    kind = OperatorKind.FILTER
    description = "LLM compares each answer with reference_answer; answer_match_result; keeps matches (DataFlow)."
    inputs = ("question", "answer", "reference_answer")
    outputs = ("answer_match_result",)
    prompt_file = "math_answer_judge"
    Config = JudgeConfig
    drop_reasons = ("empty_reference", "empty_answer", "llm_error", "judged_different")

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Judge every row with a reference and an answer, write the verdict column, then split."""
        rows = row_values(batch, dict(self.input_map))
        self._replies = self.ask(ctx, [
            None if blank(r["reference_answer"]) or blank(r["answer"]) else self.chat_request(r, Judgement)
            for r in rows])
        self._rows = rows
        self.enforce_failure_rate(self._replies, ctx)
        matches = [bool(r.parsed.judgement) if r.ok else None for r in self._replies]  # type: ignore[union-attr]
        return super().run(set_column(batch, self.out("answer_match_result"), pa.array(matches, pa.bool_())), ctx)

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Matches are kept (every row with ``keep_all_samples``)."""
        reasons = np.array([""] * batch.num_rows, dtype=object)
        for i, (row, reply) in enumerate(zip(self._rows, self._replies, strict=True)):
            if blank(row["reference_answer"]):
                reasons[i] = "empty_reference"
            elif blank(row["answer"]):
                reasons[i] = "empty_answer"
            elif not reply.ok:
                reasons[i] = "llm_error"
            elif not reply.parsed.judgement:  # type: ignore[union-attr]
                reasons[i] = "judged_different"
        if self.config.keep_all_samples:
            reasons[:] = ""
        return Verdict(reasons == "", reasons)

