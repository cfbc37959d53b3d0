"""Chain-of-thought for text-to-SQL: ``Text2SQLCoTGenerator`` (n reasoning samples per question) and
``Text2SQLCoTVotingGenerator`` (run each sample's final SQL; the majority result wins, ties to the shortest SQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pyarrow as pa
from pydantic import Field

from operators.base import Mapper, OperatorConfig, OperatorContext, OperatorKind, OperatorResult
from operators.prompted.base import ERROR_OUTPUT, LLMOperatorMixin, blank, row_values
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest
from operators.services.sql import require_sql, result_key
from operators.sql.common import SchemaConfig, SchemaTexts, extract_sql, per_row


class CoTConfig(SchemaConfig):
    """Text2SQLCoTGenerator settings (DataFlow: ``sampling_num``)."""

    sampling_num: int = Field(3, ge=1, description="Reasoning samples per question")
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    max_tokens: int = 512


@register
class Text2SQLCoTGenerator(LLMOperatorMixin, Mapper):
    """Write ``sampling_num`` step-by-step reasonings from question and schema to the SQL (not verified here)."""

    name = "Text2SQLCoTGenerator"
    kind = OperatorKind.GENERATE
    description = ("For each question, sampling_num chain-of-thought reasonings from the schema and question to the "
                   "SQL, each ending in a sql code block (cot_responses); Text2SQLCoTVotingGenerator picks one.")
    inputs = ("SQL", "question", "db_id", "evidence")
    outputs = ("cot_responses", ERROR_OUTPUT)
    requires = ("llm", "sql")
    prompt_file = "text2sql_cot_generator"
    Config = CoTConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        """Ask ``sampling_num`` samples per row; keep the answered ones."""
        schemas = SchemaTexts(require_sql(ctx.sql, self.name), self.config)
        templates, n = self.templates(), self.config.sampling_num
        flat: list[ChatRequest | None] = []
        for row in row_values(batch, dict(self.input_map)):
            schema = schemas(row["db_id"])
            if schema is None or blank(row["question"]) or blank(row["SQL"]):
                flat += [None] * n
                continue
            values = {"schema": schema, "question": row["question"], "evidence": row.get("evidence") or "none",
                      "sql": row["SQL"]}
            request = ChatRequest.of(fill(templates["user"], values), templates["system"], sampling=self.sampling())
            flat += [replace(request, sample_index=i) for i in range(n)]
        replies = self.ask(ctx, flat)
        self.enforce_failure_rate(per_row(replies, n), ctx)
        responses, errors = [], []
        for start in range(0, len(flat), n):
            group = replies[start: start + n]
            answered = [r.text for r in group if r.ok and r.text]
            responses.append(answered or None)
            errors.append(None if answered else next((r.error for r in group if r.error), "no answer"))
        return {"cot_responses": pa.array(responses, pa.list_(pa.string())),
                ERROR_OUTPUT: pa.array(errors, pa.string())}


class VotingConfig(OperatorConfig):
    """Text2SQLCoTVotingGenerator settings."""


def vote(candidates: list[tuple[str, str, Any]]) -> str | None:
    """The response whose SQL's result the most candidates share; ties go to the group with the shortest SQL, and
    within the group the shortest SQL's response wins. ``candidates``: (response, sql, result key or None)."""
    groups: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for response, sql, key in candidates:
        if key is not None:
            groups[key].append((response, sql))
    if not groups:
        return None
    best = max(groups.values(), key=lambda g: (len(g), -min(len(sql) for _, sql in g)))
    return min(best, key=lambda item: len(item[1]))[0]


@register
class Text2SQLCoTVotingGenerator(Mapper):
    """Pick one reasoning per row: run each response's final SQL, the majority result wins (null: none ran)."""

    name = "Text2SQLCoTVotingGenerator"
    kind = OperatorKind.GENERATE
    description = ("Runs the final SQL of each cot_responses sample on the row's database (read-only, limits) and "
                   "keeps, as cot_reasoning, a response from the largest group with the same result (ties: shortest).")
    inputs = ("cot_responses", "db_id")
    outputs = ("cot_reasoning",)
    requires = ("sql",)
    Config = VotingConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        """Execute every candidate SQL in one batch, then vote per row."""
        rows = row_values(batch, dict(self.input_map))
        owners, candidates = [], []
        for index, row in enumerate(rows):
            for response in row["cot_responses"] or []:
                sql = extract_sql(response)
                if sql:
                    owners.append(index)
                    candidates.append((response, sql, row["db_id"]))
        results = require_sql(ctx.sql, self.name).execute([(db_id, sql) for _, sql, db_id in candidates])
        by_row: dict[int, list[tuple[str, str, Any]]] = defaultdict(list)
        for owner, (response, sql, _), result in zip(owners, candidates, results, strict=True):
            by_row[owner].append((response, sql, result_key(result)))
        self._voted = [vote(by_row[i]) for i in range(len(rows))]
        self._executed = sum(1 for r in results if r.ok)
        return {"cot_reasoning": pa.array(self._voted, pa.string())}

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Vote and report how many rows got a reasoning and how many candidate SQLs ran."""
        result = super().run(batch, ctx)
        result.metrics |= {"voted_rows": sum(v is not None for v in self._voted), "candidate_sql_ran": self._executed}
        return result
