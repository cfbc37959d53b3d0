"""Pretraining synthesis and scoring: Phi4QAGenerator (document -> Q&A text), MetaSampleEvaluator (6 scores)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BaseModel

from operators.base import OperatorKind
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMMapper, blank
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply

DIMENSIONS = ("text_structure", "diversity_complexity", "fluency_understandability", "safety",
              "educational_value", "content_accuracy")


class Phi4Config(LLMConfig):
    """Phi4QAGenerator settings."""

    max_tokens: int = 512


@register
class Phi4QAGenerator(LLMMapper):
    """Rewrite each document as pretraining-style question-answer text (Phi-4 style synthetic data)."""

    name = "Phi4QAGenerator"
    kind = OperatorKind.GENERATE
    description = "Document -> educational Q&A text for pretraining, grounded in the document (DataFlow text_pt)."
    inputs = ("text",)
    outputs = ("generated_content", ERROR_OUTPUT)
    prompt_file = "phi4_qa_generator"
    Config = Phi4Config

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The Q&A text."""
        return {"generated_content": (reply.text or "").strip() or None}


Grade = Literal[1, 2, 3, 4, 5]  # an enum in the JSON schema: grammar-constrained decoders can only emit these


class MetaScores(BaseModel):
    """The six quality dimensions, 1-5 each."""

    text_structure: Grade
    diversity_complexity: Grade
    fluency_understandability: Grade
    safety: Grade
    educational_value: Grade
    content_accuracy: Grade


class MetaConfig(LLMConfig):
    """MetaSampleEvaluator settings."""

    max_tokens: int = 120


@register
class MetaSampleEvaluator(LLMMapper):
    """Score each text on six dimensions (structure, diversity, fluency, safety, educational value, accuracy)."""

    name = "MetaSampleEvaluator"
    kind = OperatorKind.EVALUATE
    description = "LLM scores 1-5 on six quality dimensions, one column each (DataFlow MetaSampleEvaluator)."
    inputs = ("text",)
    outputs = (*DIMENSIONS, ERROR_OUTPUT)
    prompt_file = "meta_sample_evaluator"
    value_types: ClassVar[dict[str, pa.DataType]] = {name: pa.int64() for name in DIMENSIONS}
    Config = MetaConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The scoring request for one text."""
        return None if blank(row["text"]) else self.chat_request(row, MetaScores)

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """One value per dimension."""
        return reply.parsed.model_dump()  # type: ignore[union-attr]
