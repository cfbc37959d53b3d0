"""Bases of LLM operators: prompts from templates, one batched call per step, per-row failure accounting.

An LLM operator builds one request per row (``None`` skips the row: empty input), sends the whole batch
through ``ctx.llm.chat`` and turns each reply into output values. A row whose request ultimately fails keeps
null outputs and the reason in its ``llm_error`` column; the step fails only when the share of failed rows is
above ``max_failure_rate``. Filters drop failed rows with reason ``llm_error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, Field

from operators.base import Filter, Mapper, OperatorConfig, OperatorContext, OperatorResult, Verdict, set_column
from operators.prompted.templates import fill, prompt_set, prompts_dir
from operators.services.llm import ChatRequest, LLMFailureRateExceeded, LLMReply, Sampling, require_llm

ERROR_OUTPUT = "llm_error"
SKIPPED = "skipped: empty input"


class LLMConfig(OperatorConfig):
    """Settings every LLM operator has."""

    prompts: dict[str, str] = Field(default_factory=dict, description="Override templates of the prompt file")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(256, ge=1, description="Largest completion per request")
    seed: int = 0
    max_failure_rate: float = Field(0.1, ge=0.0, le=1.0, description="Fail the step above this share of rows")


class LLMOperatorMixin:
    """Shared by LLM mappers and filters: templates, sampling, the batched call and the failure check."""

    name: ClassVar[str]
    prompt_file: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ("llm",)
    config: Any
    _templates: dict[str, str] | None = None

    def templates(self) -> dict[str, str]:
        """This operator's prompt templates with the step's overrides (resolved once: the config is frozen)."""
        if self._templates is None:
            self._templates = prompt_set(prompts_dir(type(self)), self.prompt_file, self.config.prompts)
        return self._templates

    def chat_request(self, values: Mapping[str, Any], schema: type[BaseModel] | None = None) -> ChatRequest:
        """The ``user`` template filled with ``values``, under the step's ``system_prompt`` or the file's."""
        templates = self.templates()
        system = getattr(self.config, "system_prompt", None) or templates["system"]
        return ChatRequest.of(fill(templates["user"], values), system, sampling=self.sampling(), schema=schema)

    def sampling(self, max_tokens: int | None = None) -> Sampling:
        """Sampling from the config (optionally another token budget)."""
        cfg = self.config
        return Sampling(cfg.temperature, cfg.top_p, max_tokens or cfg.max_tokens, cfg.seed)

    def ask(self, ctx: OperatorContext, requests: Sequence[ChatRequest | None]) -> list[LLMReply]:
        """Send every non-None request in one batch; skipped rows get a ``SKIPPED`` reply."""
        llm = require_llm(ctx.llm, self.name)
        positions = [i for i, request in enumerate(requests) if request is not None]
        answered = llm.chat([requests[i] for i in positions]) if positions else []
        replies = [LLMReply(error=SKIPPED) for _ in requests]
        for position, reply in zip(positions, answered, strict=True):
            replies[position] = reply
        return replies

    def enforce_failure_rate(self, replies: Sequence[LLMReply], ctx: OperatorContext) -> int:
        """Raise when too many sent requests failed; return the failed count."""
        sent = [r for r in replies if r.error != SKIPPED]
        failed = [r for r in sent if not r.ok]
        if sent and len(failed) / len(sent) > self.config.max_failure_rate:
            raise LLMFailureRateExceeded(
                f"{self.name}: {len(failed)} of {len(sent)} rows failed (max_failure_rate "
                f"{self.config.max_failure_rate:g}); first error: {failed[0].error}")
        if failed:
            ctx.log.warning(f"{self.name}: {len(failed)} of {len(sent)} rows failed; first: {failed[0].error}")
        return len(failed)


def row_values(batch: pa.Table, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per row, logical name -> value of the bound column."""
    data = {logical: batch.column(column).to_pylist() for logical, column in columns.items()}
    return [{logical: values[i] for logical, values in data.items()} for i in range(batch.num_rows)]


def blank(value: Any) -> bool:
    """Whether an input value is missing (None, empty or whitespace-only text)."""
    return value is None or (isinstance(value, str) and not value.strip())


class LLMMapper(LLMOperatorMixin, Mapper):
    """An LLM generate/refine/evaluate operator: ``request`` per row, ``parse`` per reply."""

    value_types: ClassVar[Mapping[str, pa.DataType]] = {}  # logical output -> Arrow type (default string)

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The request for one row (logical input -> value), or None to skip it. By default the prompt
        templates filled with the row, and rows whose inputs are all blank are skipped."""
        return None if all(blank(value) for value in row.values()) else self.chat_request(row)

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """Output values (logical name -> value) from a successful reply."""
        raise NotImplementedError

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        """Ask for every row, parse the answers, record failures in ``llm_error``."""
        rows = row_values(batch, dict(self.input_map))
        replies = self.ask(ctx, [self.request(row) for row in rows])
        self.enforce_failure_rate(replies, ctx)
        produced = [n for n in self.outputs if n != ERROR_OUTPUT]
        values: dict[str, list[Any]] = {name: [] for name in produced}
        errors: list[str | None] = []
        for row, reply in zip(rows, replies, strict=True):
            parsed = self.parse(reply, row) if reply.ok else {}
            for name in produced:
                values[name].append(parsed.get(name, self.keep_value(name, row) if not reply.ok else None))
            errors.append(reply.error)
        out = {name: pa.array(vals, self.value_types.get(name, pa.string())) for name, vals in values.items()}
        out[ERROR_OUTPUT] = pa.array(errors, pa.string())
        return out

    def keep_value(self, output: str, row: dict[str, Any]) -> Any:
        """The value an output keeps when its row failed or was skipped (refiners keep the input)."""
        return None


class LLMJudgeFilter(LLMOperatorMixin, Filter):
    """An LLM filter asking one structured question per row: ``judge`` names the drop reason of each answer."""

    def requests(self, batch: pa.Table, ctx: OperatorContext) -> list[ChatRequest | None]:
        """One request per row; None skips the row (dropped as ``empty_input``)."""
        raise NotImplementedError

    def judge(self, parsed: Any) -> str:
        """The drop reason for a row's parsed answer, or "" to keep the row."""
        raise NotImplementedError

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Ask for every row, then let ``Filter`` split and count."""
        self._replies = self.ask(ctx, self.requests(batch, ctx))
        failed = self.enforce_failure_rate(self._replies, ctx)
        result = super().run(batch, ctx)
        result.metrics["llm_failed_rows"] = failed
        return result

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Skipped rows are ``empty_input``, failed or unparsed answers ``llm_error``, the rest what ``judge`` says."""
        reasons = np.array([""] * batch.num_rows, dtype=object)
        for i, reply in enumerate(self._replies):
            if reply.error == SKIPPED:
                reasons[i] = "empty_input"
            elif not reply.ok or reply.parsed is None:
                reasons[i] = "llm_error"
            else:
                reasons[i] = self.judge(reply.parsed)
        return Verdict(keep=reasons == "", reason=reasons)


class LLMScoreFilter(LLMOperatorMixin, Filter):
    """An LLM filter: score each row, write the score column, keep rows within ``[min_score, max_score]``."""

    score_output: ClassVar[str] = "score"
    drop_reasons = ("empty_input", "llm_error", "score_below_min", "score_above_max")

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The scoring request for one row, or None to skip (dropped as ``empty_input``)."""
        raise NotImplementedError

    def score(self, reply: LLMReply) -> float:
        """The score in a successful reply."""
        raise NotImplementedError

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Score, add the score column, then let ``Filter`` split and count."""
        rows = row_values(batch, dict(self.input_map))
        replies = self.ask(ctx, [self.request(row) for row in rows])
        failed = self.enforce_failure_rate(replies, ctx)
        scores = [self.score(reply) if reply.ok else None for reply in replies]
        self._replies = replies
        scored = set_column(batch, self.out(self.score_output), pa.array(scores, pa.float64()))
        result = super().run(scored, ctx)
        result.metrics["llm_failed_rows"] = failed
        return result

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Keep scores in the band; failed rows go with reason ``llm_error``."""
        scores = batch.column(self.out(self.score_output)).to_pylist()
        reasons = np.array([""] * batch.num_rows, dtype=object)
        for i, (score, reply) in enumerate(zip(scores, self._replies, strict=True)):
            if reply.error == SKIPPED:
                reasons[i] = "empty_input"
            elif score is None:
                reasons[i] = "llm_error"
            elif score < self.config.min_score:
                reasons[i] = "score_below_min"
            elif score > self.config.max_score:
                reasons[i] = "score_above_max"
        return Verdict(keep=reasons == "", reason=reasons)
