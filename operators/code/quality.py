"""Code quality by the LLM (a score and feedback per instruction/code pair, and a filter on the score), and the
filter that keeps rows by their sandbox verdict."""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, Field, create_model

from operators.base import Filter, OperatorConfig, OperatorContext, OperatorKind, OperatorResult, Verdict, set_column
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMMapper, LLMScoreFilter, blank, row_values
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply
from operators.services.sandbox import VERDICTS


@cache
def graded(low: int, high: int) -> type[BaseModel]:
    """The structured answer ``{"score": n, "feedback": "…"}`` with an integer score in ``[low, high]``."""
    return create_model("CodeGrade", score=(Literal[tuple(range(low, high + 1))], ...),  # type: ignore[valid-type]
                        feedback=(str, Field(max_length=300)))


class QualityConfig(LLMConfig):
    """The grading scale."""

    scale_min: int = Field(0, ge=0, description="Lowest grade the LLM may give")
    scale_max: int = Field(10, ge=1, description="Highest grade the LLM may give")
    max_tokens: int = 128


def grade_request(op: Any, row: dict[str, Any]) -> ChatRequest | None:
    """The grading request for one instruction/code pair (None when either is blank)."""
    if blank(row["instruction"]) or blank(row["code"]):
        return None
    cfg = op.config
    values = {"instruction": row["instruction"], "code": row["code"], "min_score": cfg.scale_min,
              "max_score": cfg.scale_max}
    return op.chat_request(values, graded(cfg.scale_min, cfg.scale_max))


@register
class CodeQualitySampleEvaluator(LLMMapper):
    """Grade each instruction/code pair (``quality_score``) and say why (``quality_feedback``)."""

    name = "CodeQualitySampleEvaluator"
    kind = OperatorKind.EVALUATE
    description = "LLM grade 0-10 and feedback for each instruction/code pair (structured JSON; DataFlow)."
    inputs = ("instruction", "code")
    outputs = ("quality_score", "quality_feedback", ERROR_OUTPUT)
    prompt_file = "code_quality"
    value_types: ClassVar[dict[str, pa.DataType]] = {"quality_score": pa.float64()}
    Config = QualityConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The grading request."""
        return grade_request(self, row)

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """Score and feedback of the structured answer."""
        parsed = reply.parsed
        return {"quality_score": float(parsed.score), "quality_feedback": parsed.feedback}  # type: ignore[union-attr]

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Grade, then report the score distribution as metrics (share scored, mean, min, max)."""
        result = super().run(batch, ctx)
        scores = result.table.column(self.out("quality_score")).to_numpy(zero_copy_only=False).astype(float)
        scored = scores[~np.isnan(scores)]
        result.metrics["quality_scored_share"] = round(len(scored) / max(len(scores), 1), 4)
        if len(scored):
            result.metrics |= {"quality_score_mean": round(float(scored.mean()), 3),
                               "quality_score_min": float(scored.min()), "quality_score_max": float(scored.max())}
        return result


class QualityFilterConfig(QualityConfig):
    """DataFlow's kept band."""

    min_score: float = Field(7, description="Lowest kept grade")
    max_score: float = Field(10, description="Highest kept grade")


@register
class CodeQualityScoreFilter(LLMScoreFilter):
    """Grade each pair like ``CodeQualitySampleEvaluator`` and keep grades within ``[min_score, max_score]``."""

    name = "CodeQualityScoreFilter"
    kind = OperatorKind.FILTER
    description = "Keeps instruction/code pairs whose LLM grade (0-10) is within [min_score, max_score] (7-10)."
    inputs = ("instruction", "code")
    outputs = ("quality_score", "quality_feedback")
    score_output = "quality_score"
    prompt_file = "code_quality"
    Config = QualityFilterConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The grading request."""
        return grade_request(self, row)

    def score(self, reply: LLMReply) -> float:
        """The grade."""
        return float(reply.parsed.score)  # type: ignore[union-attr]

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Grade, write score and feedback, then keep the band."""
        rows = row_values(batch, dict(self.input_map))
        replies = self.ask(ctx, [self.request(row) for row in rows])
        failed = self.enforce_failure_rate(replies, ctx)
        self._replies = replies
        table = set_column(batch, self.out("quality_score"),
                           pa.array([self.score(r) if r.ok else None for r in replies], pa.float64()))
        table = set_column(table, self.out("quality_feedback"),
                           pa.array([r.parsed.feedback if r.ok else None for r in replies], pa.string()))  # type: ignore
        result = Filter.run(self, table, ctx)
        result.metrics["llm_failed_rows"] = failed
        return result


class StatusConfig(OperatorConfig):
    """Which verdicts are kept."""

    keep: list[Literal["passed", "failed", "timeout", "killed", "error"]] = Field(
        ["passed"], description="Sandbox verdicts whose rows are kept")


@register
class CodeSandboxStatusFilter(Filter):
    """Keep rows whose sandbox verdict is one of ``keep`` (default: passed); a dropped row's reason is its verdict."""

    name = "CodeSandboxStatusFilter"
    description = "Keeps rows whose sandbox_status is in keep (default passed); drops the others by their verdict."
    inputs = ("sandbox_status",)
    drop_reasons = (*VERDICTS, "no_verdict")
    Config = StatusConfig

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """The verdict column against the kept set (a batch without one: no row has a verdict)."""
        if self.col("sandbox_status") not in batch.column_names:
            return Verdict(keep=np.zeros(batch.num_rows, dtype=bool), reason="no_verdict")
        status = np.asarray(self.text(batch, "sandbox_status").to_pylist(), dtype=object)
        known = np.isin(status, list(VERDICTS))
        keep = np.isin(status, list(self.config.keep))
        reason = np.where(known, status, "no_verdict").astype(object)
        return Verdict(keep=keep, reason=reason)
