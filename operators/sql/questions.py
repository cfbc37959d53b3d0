"""``Text2SQLQuestionGenerator``: the question each SQL answers, in one of eight styles, the most central of several
candidates (by sentence embedding, ``ctx.embed``) kept.

Vague and Metaphorical questions use everyday words for the data, so they come with ``evidence``: how those
words map to columns and values. The style of a row is chosen deterministically from its ``_row_id``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import Operator, OperatorContext, OperatorKind, OperatorResult, set_column
from operators.prompted.base import ERROR_OUTPUT, LLMOperatorMixin, blank, row_values
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply
from operators.services.sql import require_sql
from operators.sql.common import SchemaConfig, SchemaTexts, per_row, pick

STYLES = ("Formal", "Colloquial", "Imperative", "Interrogative", "Descriptive", "Concise", "Vague", "Metaphorical")
WITH_EVIDENCE = {"Vague", "Metaphorical"}


class QuestionReply(BaseModel):
    """One candidate question as the model is asked for it."""

    question: str = Field(min_length=3, max_length=250)
    external_knowledge: str = Field("", max_length=250)


class QuestionConfig(SchemaConfig):
    """Text2SQLQuestionGenerator settings (DataFlow: ``question_candidates_num``)."""

    question_candidates_num: int = Field(5, ge=1, description="Candidates per SQL; the most central one is kept")
    styles: list[str] = Field(list(STYLES), min_length=1, description="Styles spread over the rows")
    temperature: float = Field(0.8, ge=0.0, le=2.0)
    max_tokens: int = 200


def most_central(vectors: np.ndarray) -> int:
    """The row of the unit vector with the highest mean cosine similarity to all (the first on ties)."""
    return int(np.argmax((vectors @ vectors.T).mean(axis=1)))


@register
class Text2SQLQuestionGenerator(LLMOperatorMixin, Operator):
    """Write the question (and evidence) each SQL answers; keep the most central of several candidates."""

    name = "Text2SQLQuestionGenerator"
    kind = OperatorKind.GENERATE
    description = ("For each (db_id, SQL): question_candidates_num candidate questions in one of 8 styles (Vague and "
                   "Metaphorical with evidence); the candidate closest to the others by embedding is kept.")
    inputs = ("SQL", "db_id")
    outputs = ("question", "evidence", "question_type", ERROR_OUTPUT)
    requires = ("llm", "embed", "sql")
    prompt_file = "text2sql_question_generator"
    Config = QuestionConfig

    def request(self, row: dict[str, Any], row_id: int, schemas: SchemaTexts) -> tuple[ChatRequest | None, str]:
        """The request for one row (None: blank SQL or unknown database) and its style."""
        style = pick(self.config.styles, row_id, 0, self.config.seed)
        schema = schemas(row["db_id"])
        if schema is None or blank(row["SQL"]):
            return None, style
        templates = self.templates()
        key = style.lower()
        values = {"engine": schemas.engine(row["db_id"]), "schema": schema, "sql": row["SQL"], "style": style,
                  "style_description": templates.get(key, style),
                  "evidence_instruction": templates["evidence_needed" if style in WITH_EVIDENCE else "evidence_none"]}
        return ChatRequest.of(fill(templates["user"], values), templates["system"], sampling=self.sampling(),
                              schema=QuestionReply), style

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Ask for candidates, embed them, keep the most central per row."""
        schemas = SchemaTexts(require_sql(ctx.sql, self.name), self.config)
        rows = row_values(batch, dict(self.input_map))
        row_ids = batch.column("_row_id").to_pylist() if "_row_id" in batch.column_names else list(range(len(rows)))
        asked = [self.request(row, rid, schemas) for row, rid in zip(rows, row_ids, strict=True)]
        n = self.config.question_candidates_num
        flat: list[ChatRequest | None] = []
        for request, _ in asked:
            flat += [replace(request, sample_index=i) for i in range(n)] if request else [None] * n
        replies = self.ask(ctx, flat)
        self.enforce_failure_rate(per_row(replies, n), ctx)
        questions, evidence, errors = [], [], []
        for position, (request, _) in enumerate(asked):
            chosen, error = self.choose(replies[position * n: (position + 1) * n], ctx)
            questions.append(chosen.question.strip() if chosen else None)
            evidence.append(chosen.external_knowledge.strip() if chosen else None)
            errors.append(None if chosen else ("skipped: unknown db_id or empty SQL" if request is None else error))
        table = batch
        for logical, values in (("question", questions), ("evidence", evidence),
                                ("question_type", [style for _, style in asked]), (ERROR_OUTPUT, errors)):
            table = set_column(table, self.out(logical), pa.array(values, pa.string()))
        return OperatorResult(table=table, metrics={"candidates": sum(r.ok for r in replies),
                                                    "questions": sum(q is not None for q in questions)})

    def choose(self, replies: list[LLMReply], ctx: OperatorContext) -> tuple[QuestionReply | None, str | None]:
        """The most central valid candidate (by embedding), or None and the first error."""
        valid: list[QuestionReply] = [r.parsed for r in replies if r.ok and r.parsed is not None]  # type: ignore[misc]
        if not valid:
            return None, next((r.error for r in replies if r.error), "no valid candidate")
        if len(valid) == 1 or ctx.embed is None:
            return valid[0], None
        texts = [f"{c.external_knowledge} {c.question}".strip() for c in valid]
        return valid[most_central(np.asarray(ctx.embed.embed(texts)))], None
