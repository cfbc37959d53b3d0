"""SFT data from documents and its quality gate: SFTGeneratorSeed, AlpagasusFilter, CondorRefiner."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import OperatorContext, OperatorKind
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMMapper, LLMScoreFilter, blank, row_values
from operators.prompted.generic import score_schema
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply


class InstructionPair(BaseModel):
    """One SFT example, as the model is asked for it (question -> instruction, answer -> output)."""

    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)


class SeedConfig(LLMConfig):
    """SFTGeneratorSeed settings (DataFlow: ``custom_prompt``)."""

    custom_prompt: str = Field("", description="Extra requirements for the pairs (added to the system prompt)")
    max_tokens: int = 384


@register
class SFTGeneratorSeed(LLMMapper):
    """Write one instruction/response pair grounded in each document."""

    name = "SFTGeneratorSeed"
    kind = OperatorKind.GENERATE
    description = "Document -> one SFT pair (instruction, output) grounded in it, as validated JSON (DataFlow)."
    inputs = ("text",)
    outputs = ("instruction", "output", ERROR_OUTPUT)
    prompt_file = "sft_generator_seed"
    Config = SeedConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The generation request for one document."""
        if blank(row["text"]):
            return None
        templates = self.templates()
        system = fill(templates["system"], {"custom_prompt": self.config.custom_prompt}).strip()
        return ChatRequest.of(fill(templates["user"], row), system, sampling=self.sampling(), schema=InstructionPair)

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """Instruction and output of the pair."""
        pair: InstructionPair = reply.parsed  # type: ignore[assignment]
        return {"instruction": pair.question.strip(), "output": pair.answer.strip()}


class AlpagasusConfig(LLMConfig):
    """AlpagasusFilter settings (DataFlow defaults: keep scores 3-5)."""

    min_score: float = 3
    max_score: float = 5
    dimension: str = "quality"
    max_tokens: int = 24


@register
class AlpagasusFilter(LLMScoreFilter):
    """Grade each instruction/response pair 1-5 with the LLM; keep those within [min_score, max_score]."""

    name = "AlpagasusFilter"
    kind = OperatorKind.FILTER
    description = "LLM grade (1-5) of an instruction/response pair; keeps [min_score, max_score] (AlpaGasus)."
    inputs = ("instruction", "output")
    outputs = ("alpagasus_score",)
    score_output = "alpagasus_score"
    prompt_file = "alpagasus_filter"
    Config = AlpagasusConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The grading request; pairs with a blank side are skipped."""
        if blank(row["instruction"]) or blank(row["output"]):
            return None
        return self.chat_request({**row, "dimension": self.config.dimension}, score_schema(1, 5))

    def score(self, reply: LLMReply) -> float:
        """The grade."""
        return float(reply.parsed.score)  # type: ignore[union-attr]


class CondorRefinerConfig(LLMConfig):
    """CondorRefiner settings."""

    max_tokens: int = 384
    critique_max_tokens: int = 160


@register
class CondorRefiner(LLMMapper):
    """Critique each answer, then rewrite it to address the critique (Condor's reflection step)."""

    name = "CondorRefiner"
    kind = OperatorKind.REFINE
    description = "Two LLM passes per pair: critique the answer, then rewrite it; failed rows keep the answer."
    inputs = ("instruction", "output")
    outputs = ("output", "critique", ERROR_OUTPUT)
    prompt_file = "condor_refiner"
    Config = CondorRefinerConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> dict[str, pa.Array]:
        """Critique every pair, then rewrite those that got a critique; failed rows keep their answer."""
        templates = self.templates()
        rows = row_values(batch, dict(self.input_map))
        critiques = self.ask(ctx, [
            None if blank(r["instruction"]) or blank(r["output"])
            else ChatRequest.of(fill(templates["critique"], r), templates["system"],
                                sampling=self.sampling(self.config.critique_max_tokens))
            for r in rows])
        refined = self.ask(ctx, [
            ChatRequest.of(fill(templates["refine"], {**r, "critique": c.text}), templates["system"],
                           sampling=self.sampling()) if c.ok else None
            for r, c in zip(rows, critiques, strict=True)])
        outcome = [c if not c.ok else r for c, r in zip(critiques, refined, strict=True)]
        self.enforce_failure_rate(outcome, ctx)
        outputs = [r.text.strip() if o.ok and r.text and r.text.strip() else row["output"]
                   for row, r, o in zip(rows, refined, outcome, strict=True)]
        return {"output": pa.array(outputs, pa.string()),
                "critique": pa.array([c.text if c.ok else None for c in critiques], pa.string()),
                ERROR_OUTPUT: pa.array([o.error for o in outcome], pa.string())}
