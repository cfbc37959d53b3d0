"""CondorGenerator: SFT questions from scratch over a topic tree, at three difficulty levels, then answers.

Each input row is a seed: a ``topic`` (a path in a tag tree, e.g. ``Science > Astronomy > Exoplanets``). For
each seed the LLM writes an easy, a medium and a hard question for a task type (drawn deterministically from a
shipped list when ``use_task_diversity``), then answers each question. One seed row becomes up to three rows;
their ``_row_id`` is ``seed_row_id * 4 + level`` so ids stay unique and traceable to the seed.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import Operator, OperatorContext, OperatorKind, OperatorResult
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMOperatorMixin, blank, row_values
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest

LEVELS = ("easy", "medium", "hard")
TASKS_FILE = Path(__file__).resolve().parent / "data" / "condor_tasks.txt"


class LeveledQuestions(BaseModel):
    """Three questions on one topic."""

    easy: str = Field(min_length=5)
    medium: str = Field(min_length=5)
    hard: str = Field(min_length=5)


class CondorConfig(LLMConfig):
    """CondorGenerator settings (DataFlow: ``use_task_diversity``)."""

    use_task_diversity: bool = True
    question_max_tokens: int = 200
    max_tokens: int = 384


def task_types() -> list[str]:
    """The shipped task types."""
    return [line.strip() for line in TASKS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


@register
class CondorGenerator(LLMOperatorMixin, Operator):
    """Seed topics -> easy/medium/hard questions -> answers (one row per question)."""

    name = "CondorGenerator"
    kind = OperatorKind.GENERATE
    description = "From-scratch SFT data: per topic seed, 3 questions (easy/medium/hard) and their answers (Condor)."
    inputs = ("topic",)
    outputs = ("instruction", "output", "difficulty", "task", ERROR_OUTPUT)
    prompt_file = "condor_generator"
    Config = CondorConfig

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Ask for questions per seed, answer each, fan the seeds out to one row per question."""
        templates = self.templates()
        tasks = task_types()
        seeds = row_values(batch, dict(self.input_map))
        row_ids = batch.column("_row_id").to_pylist() if "_row_id" in batch.column_names else list(range(len(seeds)))
        seed_tasks = [tasks[(rid + self.config.seed) % len(tasks)] if self.config.use_task_diversity
                      else "general question" for rid in row_ids]
        asked = self.ask(ctx, [
            None if blank(s["topic"]) else ChatRequest.of(
                fill(templates["question"], {"topic": s["topic"], "task": task}), templates["system"],
                sampling=self.sampling(self.config.question_max_tokens), schema=LeveledQuestions)
            for s, task in zip(seeds, seed_tasks, strict=True)])
        failed_seeds = self.enforce_failure_rate(asked, ctx)
        plan: list[tuple[int, int, str | None, str | None]] = []  # (seed index, level, question, error)
        for index, reply in enumerate(asked):
            if reply.ok:
                plan += [(index, level, getattr(reply.parsed, name), None) for level, name in enumerate(LEVELS)]
            else:
                plan.append((index, 0, None, reply.error))
        answers = self.ask(ctx, [
            ChatRequest.of(fill(templates["answer"], {"question": q}), sampling=self.sampling()) if q else None
            for _, _, q, _ in plan])
        self.enforce_failure_rate([a for a, (_, _, q, _) in zip(answers, plan, strict=True) if q], ctx)
        take = pa.array([index for index, _, _, _ in plan], pa.int64())
        table = batch.take(take)
        new_ids = [row_ids[index] * 4 + level for index, level, _, _ in plan]
        columns = {
            "instruction": [q for _, _, q, _ in plan],
            "output": [a.text if q and a.ok else None for a, (_, _, q, _) in zip(answers, plan, strict=True)],
            "difficulty": [LEVELS[level] if q else None for _, level, q, _ in plan],
            "task": [seed_tasks[index] for index, _, _, _ in plan],
            ERROR_OUTPUT: [err or (a.error if q and not a.ok else None)
                           for a, (_, _, q, err) in zip(answers, plan, strict=True)],
        }
        if "_row_id" in table.column_names:
            table = table.set_column(table.schema.get_field_index("_row_id"), "_row_id", pa.array(new_ids, pa.int64()))
        for logical, values in columns.items():
            name = self.out(logical)
            index = table.schema.get_field_index(name)
            array = pa.array(values, pa.string())
            table = table.append_column(name, array) if index == -1 else table.set_column(index, name, array)
        return OperatorResult(table=table, metrics={"seeds": batch.num_rows, "failed_seeds": failed_seeds,
                                                    "questions": sum(1 for _, _, q, _ in plan if q)})
