"""``SQLExecutionClassifier``: how hard a question is for a model, from how many of k attempts get the gold result.

For each row the gold SQL is run first (a gold that fails is labelled ``gold error`` and costs no LLM call); the
model then answers the row's ``prompt`` ``num_generations`` times, each final SQL is run, and the number whose
result equals the gold's (same rows as a multiset; in order when either SQL orders) picks the label: at most
``difficulty_thresholds[i]`` correct gives ``difficulty_labels[i]``, more than the last threshold the last label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

import pyarrow as pa
from pydantic import Field, model_validator

from operators.base import Mapper, OperatorContext, OperatorKind, OperatorResult
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMOperatorMixin, blank, row_values
from operators.registry import register
from operators.services.llm import ChatRequest
from operators.services.sql import require_sql, same_result
from operators.sql.common import extract_sql, per_row

GOLD_ERROR = "gold error"


class ExecutionDifficultyConfig(LLMConfig):
    """SQLExecutionClassifier settings (DataFlow's names and defaults)."""

    num_generations: int = Field(10, ge=1, description="Model attempts per question")
    difficulty_thresholds: list[int] = Field([2, 5, 9], min_length=1, description="Upper bounds of correct attempts")
    difficulty_labels: list[str] = Field(["extra", "hard", "medium", "easy"], description="One more than thresholds")
    temperature: float = Field(0.8, ge=0.0, le=2.0)
    max_tokens: int = 384

    @model_validator(mode="after")
    def _consistent(self) -> ExecutionDifficultyConfig:
        if len(self.difficulty_labels) != len(self.difficulty_thresholds) + 1:
            raise ValueError("difficulty_labels needs one label more than difficulty_thresholds")
        if sorted(self.difficulty_thresholds) != self.difficulty_thresholds:
            raise ValueError("difficulty_thresholds must be increasing")
        if self.num_generations <= self.difficulty_thresholds[-1]:
            raise ValueError(f"num_generations ({self.num_generations}) must exceed the last threshold "
                             f"({self.difficulty_thresholds[-1]}), or the last label can never be given")
        return self


@register
class SQLExecutionClassifier(LLMOperatorMixin, Mapper):
    """Label each row by how many of ``num_generations`` model attempts reproduce the gold SQL's result."""

    name = "SQLExecutionClassifier"
    kind = OperatorKind.EVALUATE
    description = ("Difficulty from execution: the model answers each prompt num_generations times; the count of "
                   "answers whose result equals the gold SQL's picks the label (gold error when the gold fails).")
    inputs = ("db_id", "SQL", "prompt")
    outputs = ("sql_execution_difficulty", ERROR_OUTPUT)
    requires = ("llm", "sql")
    row_wise = False  # its rates are over the whole partition
    prompt_file = "sql_execution_classifier"
    Config = ExecutionDifficultyConfig

    def label(self, correct: int) -> str:
        """The label of a number of correct attempts."""
        for threshold, label in zip(self.config.difficulty_thresholds, self.config.difficulty_labels, strict=False):
            if correct <= threshold:
                return label
        return self.config.difficulty_labels[-1]

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        """Run the gold SQL, ask k attempts for the rows whose gold ran, run and compare them."""
        sql = require_sql(ctx.sql, self.name)
        rows = row_values(batch, dict(self.input_map))
        gold = sql.execute([(row["db_id"], row["SQL"]) for row in rows])
        n, system = self.config.num_generations, self.templates()["system"]
        flat: list[ChatRequest | None] = []
        for row, result in zip(rows, gold, strict=True):
            usable = result.ok and not blank(row["prompt"])
            request = ChatRequest.of(row["prompt"], system, sampling=self.sampling()) if usable else None
            flat += [replace(request, sample_index=i) for i in range(n)] if request else [None] * n
        replies = self.ask(ctx, flat)
        self.enforce_failure_rate(per_row(replies, n), ctx)
        attempts = [extract_sql(r.text) if r.ok else None for r in replies]
        tried = [i for i, attempt in enumerate(attempts) if attempt]
        ran = dict(zip(tried, sql.execute([(rows[i // n]["db_id"], attempts[i]) for i in tried]), strict=True))
        labels, errors = [], []
        for index, (row, result) in enumerate(zip(rows, gold, strict=True)):
            span = range(index * n, (index + 1) * n)
            if not result.ok:
                labels.append(GOLD_ERROR)
                errors.append(None)
            elif blank(row["prompt"]):
                labels.append(None)
                errors.append("skipped: empty prompt")
            else:
                labels.append(self.label(sum(1 for i in span if i in ran and same_result(ran[i], result))))
                errors.append(next((replies[i].error for i in span if replies[i].error), None))
        self._labels, self._gold_ok = labels, sum(r.ok for r in gold)
        return {"sql_execution_difficulty": pa.array(labels, pa.string()), ERROR_OUTPUT: pa.array(errors, pa.string())}

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Classify; metrics: the gold-execution success rate and the rows per label."""
        result = super().run(batch, ctx)
        counts = Counter(self._labels)
        result.metrics["gold_success_rate"] = self._gold_ok / batch.num_rows if batch.num_rows else 1.0
        result.metrics |= {f"execution_{label.replace(' ', '_')}": counts.get(label, 0)
                           for label in (*self.config.difficulty_labels, GOLD_ERROR)}
        result.metrics["labelled_rows"] = sum(1 for label in self._labels if label is not None)
        return result
