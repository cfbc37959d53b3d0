"""``Text2SQLCorrespondenceFilter``: the LLM judges whether each SQL answers its question; keep those it says do."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import OperatorContext
from operators.prompted.base import LLMJudgeFilter, blank, row_values
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
class Text2SQLCorrespondenceFilter(LLMJudgeFilter):
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

    def requests(self, batch: pa.Table, ctx: OperatorContext) -> list[ChatRequest | None]:
        """One judging request per row, with its database's schema."""
        schemas = SchemaTexts(require_sql(ctx.sql, self.name), self.config)
        return [self.request(row, schemas) for row in row_values(batch, dict(self.input_map))]

    def judge(self, parsed: Any) -> str:
        """Keep the rows judged to correspond."""
        return "" if parsed.answers_question else "not_corresponding"
