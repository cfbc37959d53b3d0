"""``Text2SQLCorrespondenceFilter``: the LLM judges whether each SQL answers its question; keep those it says do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import Filter, OperatorContext, OperatorResult, Verdict
from operators.prompted.base import LLMOperatorMixin, blank, row_values
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply
from operators.services.sql import require_sql
from operators.sql.common import SchemaConfig, SchemaTexts

SKIPPED = "skipped: empty input"


class Judgement(BaseModel):
    """The model's verdict on one (question, SQL) pair."""

    reasoning: str = Field("", max_length=240)
    answers_question: bool


class CorrespondenceConfig(SchemaConfig):
    """Text2SQLCorrespondenceFilter settings."""

    max_tokens: int = 160


@register
class Text2SQLCorrespondenceFilter(LLMOperatorMixin, Filter):
    """Keep (question, SQL) pairs the LLM judges to correspond; drop the rest as ``not_corresponding``."""

    name = "Text2SQLCorrespondenceFilter"
    description = ("The LLM judges whether each SQL answers exactly its question (with the schema and evidence); "
                   "keeps those that do, drops the rest as not_corresponding.")
    inputs = ("SQL", "db_id", "question", "evidence")
    requires = ("llm", "sql")
    drop_reasons = ("empty_input", "llm_error", "not_corresponding")
    prompt_file = "text2sql_correspondence_filter"
    Config = CorrespondenceConfig
    _replies: list[LLMReply]

    def request(self, row: dict[str, Any], schemas: SchemaTexts) -> ChatRequest | None:
        """The judging request (None: missing question, SQL or database)."""
        schema = schemas(row["db_id"])
        if schema is None or blank(row["SQL"]) or blank(row["question"]):
            return None
        values = {"schema": schema, "question": row["question"], "evidence": row.get("evidence") or "none",
                  "sql": row["SQL"]}
        templates = self.templates()
        return ChatRequest.of(fill(templates["user"], values), templates["system"], sampling=self.sampling(),
                              schema=Judgement)

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Ask for every row, then let ``Filter`` split and count."""
        schemas = SchemaTexts(require_sql(ctx.sql, self.name), self.config)
        self._replies = self.ask(ctx, [self.request(row, schemas) for row in row_values(batch, dict(self.input_map))])
        failed = self.enforce_failure_rate(self._replies, ctx)
        result = super().run(batch, ctx)
        result.metrics["llm_failed_rows"] = failed
        return result

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Keep the rows judged to correspond."""
        reasons = np.array([""] * batch.num_rows, dtype=object)
        for i, reply in enumerate(self._replies):
            if reply.error == SKIPPED:
                reasons[i] = "empty_input"
            elif not reply.ok or reply.parsed is None:
                reasons[i] = "llm_error"
            elif not reply.parsed.answers_question:  # type: ignore[attr-defined]
                reasons[i] = "not_corresponding"
        return Verdict(keep=reasons == "", reason=reasons)
