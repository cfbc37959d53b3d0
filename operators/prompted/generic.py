"""The generic prompted operators (DataFlow's core_text): generate, format-string generate, evaluate, filter, refine.

Names, parameters and defaults follow DataFlow (``system_prompt``, ``prompt_template``, ``min_score`` /
``max_score``). Scores come back as structured JSON (``{"score": n}``, validated), not parsed from free text.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BaseModel, Field, create_model, model_validator

from operators.base import OperatorConfig, OperatorKind
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMMapper, LLMOperatorMixin, LLMScoreFilter, blank
from operators.prompted.templates import fields, fill
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply


@cache
def score_schema(low: float, high: float) -> type[BaseModel]:
    """A structured answer ``{"score": n}`` with ``low <= n <= high`` (integers when the bounds are)."""
    if float(low).is_integer() and float(high).is_integer() and 0 <= high - low <= 100:
        # an enum, not min/max: llama.cpp's schema grammar enforces enums but ignores integer bounds
        grades = tuple(range(int(low), int(high) + 1))
        return create_model("Score", score=(Literal[grades], ...))  # type: ignore[valid-type]
    return create_model("Score", score=(float, Field(ge=low, le=high)))


class GeneratorConfig(LLMConfig):
    """PromptedGenerator settings."""

    system_prompt: str | None = Field(None, description="System prompt (default: the prompt file's)")


@register
class PromptedGenerator(LLMMapper):
    """Send each row's text (after the system prompt) to the LLM and store the answer."""

    name = "PromptedGenerator"
    kind = OperatorKind.GENERATE
    description = "LLM answer for each row's text under a system prompt (DataFlow PromptedGenerator)."
    inputs = ("text",)
    outputs = ("generated_content", ERROR_OUTPUT)
    prompt_file = "prompted_generator"
    Config = GeneratorConfig

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The answer text."""
        return {"generated_content": reply.text}


class FormatStrConfig(LLMConfig):
    """FormatStrPromptedGenerator settings: the template's ``{fields}`` are input columns."""

    prompt_template: str = Field(..., description="User prompt with {column} fields, e.g. 'Summarise: {text}'")
    system_prompt: str | None = None

    @model_validator(mode="after")
    def _has_fields(self) -> FormatStrConfig:
        if not fields(self.prompt_template):
            raise ValueError("prompt_template has no {field}: it would send the same prompt for every row")
        return self


@register
class FormatStrPromptedGenerator(LLMMapper):
    """Fill a format-string template from each row's columns and store the LLM's answer."""

    name = "FormatStrPromptedGenerator"
    kind = OperatorKind.GENERATE
    description = "LLM answer to a template filled from row columns, e.g. 'Translate: {text}' (DataFlow)."
    inputs = ()
    outputs = ("generated_content", ERROR_OUTPUT)
    prompt_file = "prompted_generator"
    Config = FormatStrConfig

    @classmethod
    def dynamic_inputs(cls, config: OperatorConfig) -> tuple[str, ...]:
        """The template's fields."""
        return tuple(fields(config.prompt_template))  # type: ignore[attr-defined]

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The filled template; rows with every field blank are skipped."""
        if all(blank(value) for value in row.values()):
            return None
        values = {name: "" if value is None else value for name, value in row.items()}
        return ChatRequest.of(fill(self.config.prompt_template, values), self.config.system_prompt,
                              sampling=self.sampling())

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The answer text."""
        return {"generated_content": reply.text}


class EvaluatorConfig(LLMConfig):
    """PromptedEvaluator settings."""

    system_prompt: str | None = Field(None, description="Scoring instruction (default: the prompt file's)")
    min_score: float = 1
    max_score: float = 5
    max_tokens: int = 24


def score_request(op: LLMOperatorMixin, text: Any, low: float, high: float) -> ChatRequest | None:
    """A JSON scoring request for one text on the scale [low, high] (None for blank text)."""
    if blank(text):
        return None
    return op.chat_request({"text": text, "min_score": _num(low), "max_score": _num(high)}, score_schema(low, high))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@register
class PromptedEvaluator(LLMMapper):
    """Score each row's text with the LLM (structured ``{"score": n}``)."""

    name = "PromptedEvaluator"
    kind = OperatorKind.EVALUATE
    description = "LLM quality score of each row's text on a 1-5 scale by default (DataFlow PromptedEvaluator)."
    inputs = ("text",)
    outputs = ("eval", ERROR_OUTPUT)
    prompt_file = "prompted_evaluator"
    value_types: ClassVar[dict[str, pa.DataType]] = {"eval": pa.float64()}
    Config = EvaluatorConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The scoring request."""
        return score_request(self, row["text"], self.config.min_score, self.config.max_score)

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The score, clamped to the scale."""
        score = reply.parsed.score  # type: ignore[union-attr]
        return {"eval": min(max(score, self.config.min_score), self.config.max_score)}


class FilterConfig(EvaluatorConfig):
    """PromptedFilter settings: keep rows scored within [min_score, max_score]."""

    scale_min: float = Field(1, description="Lowest score the LLM may give")
    scale_max: float = Field(5, description="Highest score the LLM may give")


@register
class PromptedFilter(LLMScoreFilter):
    """Score each row with the LLM and keep those within ``[min_score, max_score]``."""

    name = "PromptedFilter"
    kind = OperatorKind.FILTER
    description = "Keep rows whose LLM score is within [min_score, max_score] (DataFlow PromptedFilter)."
    inputs = ("text",)
    outputs = ("eval",)
    score_output = "eval"
    prompt_file = "prompted_evaluator"
    Config = FilterConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The scoring request on the model's scale."""
        return score_request(self, row["text"], self.config.scale_min, self.config.scale_max)

    def score(self, reply: LLMReply) -> float:
        """The parsed score."""
        return reply.parsed.score  # type: ignore[union-attr]


class RefinerConfig(LLMConfig):
    """PromptedRefiner settings."""

    system_prompt: str | None = None
    max_tokens: int = 512


@register
class PromptedRefiner(LLMMapper):
    """Rewrite each row's text with the LLM; rows that are blank or fail keep their text."""

    name = "PromptedRefiner"
    kind = OperatorKind.REFINE
    description = "LLM rewrite of each row's text in place; blank or failed rows keep the original (DataFlow)."
    inputs = ("text",)
    outputs = ("text", ERROR_OUTPUT)
    prompt_file = "prompted_refiner"
    Config = RefinerConfig

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The rewritten text (the original when the answer is blank)."""
        return {"text": reply.text.strip() if reply.text and reply.text.strip() else row["text"]}

    def keep_value(self, output: str, row: dict[str, Any]) -> Any:
        """A failed or skipped row keeps its text."""
        return row["text"]
