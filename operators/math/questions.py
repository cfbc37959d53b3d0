"""Question synthesis and screening (DataFlow's reasoning question operators): new variants of a seed problem,
fusion of two problems, and the LLM's well-posed / solvable / self-contained / not-trivial check.

Operators that add rows give each new row ``_row_id = source _row_id * stride + k`` (the source row itself keeps
slot 0 where it stays), so ids stay unique, deterministic and traceable to the raw line (``_row_id // stride``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import (
    SYSTEM_COLUMNS,
    Operator,
    OperatorContext,
    OperatorKind,
    OperatorResult,
    set_column,
)
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMJudgeFilter, LLMOperatorMixin, blank, row_values
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest

TRANSFORMATIONS = (
    "change the numbers and the names, keeping the structure",
    "add one more condition that changes the answer",
    "ask for a different unknown of the same situation",
    "move the problem to a different real-world setting",
    "make it one reasoning step longer",
    "turn it around: give the former answer and ask for one of the givens",
)
FLAG_OUTPUT = "Synth_or_Input"


class NewQuestion(BaseModel):
    """One written problem, as the model is asked for it."""

    question: str = Field(min_length=10)


def row_ids(batch: pa.Table) -> list[int]:
    """The batch's ``_row_id`` values (positions when it has none)."""
    return batch.column("_row_id").to_pylist() if "_row_id" in batch.column_names else list(range(batch.num_rows))


def with_row_ids(table: pa.Table, ids: list[int]) -> pa.Table:
    """``table`` with its ``_row_id`` column replaced (when it has one)."""
    if "_row_id" not in table.column_names:
        return table
    return set_column(table, "_row_id", pa.array(ids, pa.int64()))


class QuestionGeneratorConfig(LLMConfig):
    """ReasoningQuestionGenerator settings (DataFlow: ``num_prompts``)."""

    num_prompts: int = Field(1, ge=0, le=len(TRANSFORMATIONS), description="New problems per seed problem")
    temperature: float = 0.7
    max_tokens: int = 256


@register
class ReasoningQuestionGenerator(LLMOperatorMixin, Operator):
    """Write ``num_prompts`` new problems from each seed problem; seeds stay, each followed by its new rows."""

    name = "ReasoningQuestionGenerator"
    kind = OperatorKind.GENERATE
    description = ("New variants of each seed problem (num_prompts per seed, one transformation each); the seed "
                   "row stays (Synth_or_Input = input), new rows have only the question (synth). DataFlow.")
    inputs = ("instruction",)
    outputs = ("instruction", FLAG_OUTPUT, ERROR_OUTPUT)
    prompt_file = "math_question_synthesis"
    Config = QuestionGeneratorConfig

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Ask for the variants of every seed, then interleave seeds and their new rows."""
        n, ids = self.config.num_prompts, row_ids(batch)
        seeds = self.text(batch, "instruction").to_pylist()
        plan = [(index, k) for index, seed in enumerate(seeds) for k in range(1, n + 1) if not blank(seed)]
        templates = self.templates()
        replies = self.ask(ctx, [ChatRequest.of(
            fill(templates["user"], {"instruction": seeds[index],
                                     "transformation": TRANSFORMATIONS[(ids[index] + k + self.config.seed)
                                                                       % len(TRANSFORMATIONS)]}),
            templates["system"], sampling=self.sampling(), schema=NewQuestion) for index, k in plan])
        failed = self.enforce_failure_rate(replies, ctx)
        new = [(index, k, reply.parsed.question.strip()) for (index, k), reply in zip(plan, replies, strict=True)
               if reply.ok]
        order = sorted([(ids[i], 0, i, None) for i in range(batch.num_rows)]
                       + [(ids[i], k, batch.num_rows + j, q) for j, (i, k, q) in enumerate(new)])
        sources = batch.take(pa.array([index for index, _, _ in new], pa.int64()))
        synth = pa.Table.from_arrays(  # a new problem has no answer yet: only the system columns come along
            [sources.column(name) if name in SYSTEM_COLUMNS else pa.nulls(len(new), batch.schema.field(name).type)
             for name in batch.column_names], schema=batch.schema)
        table = pa.concat_tables([batch, synth]).take(pa.array([position for _, _, position, _ in order]))
        question_column = self.out("instruction")
        questions = [seeds[position] if question is None else question for _, _, position, question in order]
        table = set_column(table, question_column, pa.array(questions, pa.string()))
        table = set_column(table, self.out(FLAG_OUTPUT),
                           pa.array(["input" if k == 0 else "synth" for _, k, _, _ in order], pa.string()))
        table = set_column(table, self.out(ERROR_OUTPUT), pa.nulls(table.num_rows, pa.string()))
        table = with_row_ids(table, [rid * (n + 1) + k for rid, k, _, _ in order])
        return OperatorResult(table=table, metrics={"seed_rows": batch.num_rows, "synthesized": len(new),
                                                    "failed_requests": failed})


class FusionConfig(LLMConfig):
    """ReasoningQuestionFusionGenerator settings."""

    fusion_mode: Literal["sequential", "parallel", "conditional"] = Field(
        "sequential", description="sequential: one problem's answer feeds the other; parallel: both ideas at once; "
        "conditional: a condition of one selects the case of the other")
    num_prompts: int = Field(1, ge=1, le=8, description="Fused problems per pair (one row each)")
    temperature: float = 0.7
    max_tokens: int = 320


@register
class ReasoningQuestionFusionGenerator(LLMOperatorMixin, Operator):
    """Fuse the two problems of each row into ``num_prompts`` new problems (one row each)."""

    name = "ReasoningQuestionFusionGenerator"
    kind = OperatorKind.GENERATE
    description = "Two problems per row -> a fused problem (sequential / parallel / conditional), one row per fusion."
    inputs = ("problem_1", "problem_2")
    outputs = ("fused_question", ERROR_OUTPUT)
    prompt_file = "math_question_fusion"
    Config = FusionConfig

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """One request per pair and sample; a pair with a blank side gets no fusion (null, ``llm_error`` says so)."""
        n, ids = self.config.num_prompts, row_ids(batch)
        rows = row_values(batch, dict(self.input_map))
        template, system = self.templates()[self.config.fusion_mode], self.templates()["system"]
        requests = [None if blank(r["problem_1"]) or blank(r["problem_2"]) else
                    ChatRequest.of(fill(template, r), system, sampling=self.sampling(), schema=NewQuestion).samples(n)
                    for r in rows]
        flat = self.ask(ctx, [s for request in requests for s in (request or [None] * n)])
        self.enforce_failure_rate(flat, ctx)
        take = [index for index in range(batch.num_rows) for _ in range(n)]
        table = batch.take(pa.array(take, pa.int64()))
        table = set_column(table, self.out("fused_question"), pa.array(
            [r.parsed.question.strip() if r.ok else None for r in flat], pa.string()))
        table = set_column(table, self.out(ERROR_OUTPUT), pa.array([r.error for r in flat], pa.string()))
        table = with_row_ids(table, [ids[index] * n + k for index in range(batch.num_rows) for k in range(n)])
        return OperatorResult(table=table, metrics={"fused": sum(r.ok for r in flat)})


class QuestionChecks(BaseModel):
    """The four checks of a problem."""

    well_posed: bool
    solvable: bool
    self_contained: bool
    not_trivial: bool


class QuestionFilterConfig(LLMConfig):
    """ReasoningQuestionFilter settings (DataFlow: ``system_prompt``)."""

    system_prompt: str | None = Field(None, description="System prompt (default: the prompt file's)")
    max_tokens: int = 64


@register
class ReasoningQuestionFilter(LLMJudgeFilter):
    """Keep problems the LLM finds well-posed, solvable, self-contained and not trivial."""

    name = "ReasoningQuestionFilter"
    kind = OperatorKind.FILTER
    description = "LLM screen of each problem: well-posed, solvable, self-contained, not trivial (the first failed " \
                  "check is the drop reason). DataFlow."
    inputs = ("instruction",)
    prompt_file = "math_question_filter"
    Config = QuestionFilterConfig
    CHECKS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("well_posed", "not_well_posed"), ("solvable", "not_solvable"), ("self_contained", "not_self_contained"),
        ("not_trivial", "trivial"))
    drop_reasons = ("empty_input", "llm_error", *(reason for _, reason in CHECKS))

    def requests(self, batch: pa.Table, ctx: OperatorContext) -> list[ChatRequest | None]:
        """One request per problem; blank ones are skipped."""
        return [None if blank(r["instruction"]) else self.chat_request(r, QuestionChecks)
                for r in row_values(batch, dict(self.input_map))]

    def judge(self, parsed: Any) -> str:
        """The first failed check names the drop reason."""
        return next((reason for check, reason in self.CHECKS if not getattr(parsed, check)), "")

