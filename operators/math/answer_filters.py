"""Rule filters on generated math solutions (DataFlow's reasoning filters): the final answer is extractable, the
solution is not too long in the serving model's tokens, not repetitive, and its answer equals the gold."""

from __future__ import annotations

import re
import time
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from operators.base import Filter, OperatorConfig, OperatorContext, OperatorKind, OperatorResult, Verdict
from operators.math.answers import BoxedError, final_answer, last_boxed, normalized
from operators.math.verify_pool import CRASHED, TIMEOUT, VerifyPool
from operators.registry import register
from operators.services.llm import require_llm

CJK = re.compile(r"[\u4e00-\u9fff]")
NOT_WORD = re.compile(r"[^\w\s]")
NOT_CJK_WORD = re.compile(r"[^\u4e00-\u9fff0-9a-z]")


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


class FormatterConfig(OperatorConfig):
    """ReasoningAnswerFormatterFilter settings."""

    require_boxed: bool = Field(True, description="The answer must be in \\boxed{}; False also accepts an "
                                "'answer is …' phrase or a last number")


@register
class ReasoningAnswerFormatterFilter(Filter):
    """Keep solutions whose final answer can be extracted: a closed, non-empty ``\\boxed{}`` by default."""

    name = "ReasoningAnswerFormatterFilter"
    kind = OperatorKind.FILTER
    description = "Drops solutions without an extractable final answer (an empty, unclosed or missing \\boxed{})."
    inputs = ("generated_cot",)
    Config = FormatterConfig
    drop_reasons = ("empty_answer", "no_boxed_answer", "empty_boxed", "unclosed_boxed", "no_final_answer")

    def reason(self, text: str | None) -> str:
        """Why a solution has no extractable final answer ('' when it has one)."""
        if _blank(text):
            return "empty_answer"
        try:
            boxed = last_boxed(text)
        except BoxedError:
            return "unclosed_boxed"
        if boxed is not None:
            return "" if boxed else "empty_boxed"
        if self.config.require_boxed:
            return "no_boxed_answer"
        return "" if final_answer(text) else "no_final_answer"

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """One reason per row; rows with none are kept."""
        reasons = np.array([self.reason(t) for t in self.text(batch, "generated_cot").to_pylist()], dtype=object)
        return Verdict(reasons == "", reasons)


class TokenLengthConfig(OperatorConfig):
    """ReasoningAnswerTokenLengthFilter settings (DataFlow's names)."""

    max_answer_token_length: int = Field(8192, ge=1, description="Most tokens a kept solution may have")
    tokenizer_dir: str | None = Field(None, description="Not used: tokens are counted by the serving model's "
                                      "tokenizer (ctx.llm.count_tokens); nothing is downloaded")


@register
class ReasoningAnswerTokenLengthFilter(Filter):
    """Drop solutions longer than ``max_answer_token_length`` tokens of the serving model, and empty ones."""

    name = "ReasoningAnswerTokenLengthFilter"
    kind = OperatorKind.FILTER
    description = "Drops empty solutions and those over max_answer_token_length tokens (serving model's tokenizer)."
    inputs = ("generated_cot",)
    requires = ("llm",)
    Config = TokenLengthConfig
    drop_reasons = ("empty_answer", "too_many_tokens")

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Count tokens of the non-empty solutions in one call; compare with the limit."""
        if self.config.tokenizer_dir:
            ctx.log.warning(f"{self.name}: tokenizer_dir={self.config.tokenizer_dir!r} is ignored; tokens are "
                            "counted by the serving model's tokenizer")
        texts = self.text(batch, "generated_cot").to_pylist()
        present = [i for i, text in enumerate(texts) if not _blank(text)]
        counts = require_llm(ctx.llm, self.name).count_tokens([texts[i] for i in present]) if present else []
        reasons = np.array(["empty_answer"] * len(texts), dtype=object)
        for i, count in zip(present, counts, strict=True):
            reasons[i] = "" if count <= self.config.max_answer_token_length else "too_many_tokens"
        return Verdict(reasons == "", reasons)


class NgramConfig(OperatorConfig):
    """ReasoningAnswerNgramFilter settings (DataFlow's names and defaults)."""

    min_score: float = Field(0.1, ge=0.0, le=1.0, description="Lowest share of distinct n-grams kept")
    max_score: float = Field(1.0, ge=0.0, le=1.0)
    ngrams: int = Field(5, ge=1, description="n-gram length (words; characters for Chinese text)")


def repetition_score(text: str, n: int) -> float | None:
    """Distinct n-grams / all n-grams of ``text`` (word n-grams, character n-grams when it has Chinese);
    None when the text is shorter than ``n``."""
    lowered = text.lower()
    if CJK.search(lowered):
        units: list[str] = list(NOT_CJK_WORD.sub("", lowered))
    else:
        units = NOT_WORD.sub(" ", lowered).split()
    total = len(units) - n + 1
    if total <= 0:
        return None
    return len({tuple(units[i: i + n]) for i in range(total)}) / total


@register
class ReasoningAnswerNgramFilter(Filter):
    """Drop question + solution texts whose share of distinct n-grams is outside ``[min_score, max_score]``."""

    name = "ReasoningAnswerNgramFilter"
    kind = OperatorKind.FILTER
    description = "Drops repetitive solutions: distinct/total word 5-grams of question + answer below min_score."
    inputs = ("instruction", "generated_cot")
    Config = NgramConfig
    drop_reasons = ("too_repetitive", "too_short_for_ngrams", "score_above_max")

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Score each row's question and answer together (as DataFlow does)."""
        questions = self.text(batch, "instruction").to_pylist()
        answers = self.text(batch, "generated_cot").to_pylist()
        reasons = np.array([""] * batch.num_rows, dtype=object)
        for i, (question, answer) in enumerate(zip(questions, answers, strict=True)):
            score = repetition_score(f"{question or ''} {answer or ''}", self.config.ngrams)
            if score is None:
                reasons[i] = "too_short_for_ngrams" if self.config.min_score > 0 else ""
            elif score < self.config.min_score:
                reasons[i] = "too_repetitive"
            elif score > self.config.max_score:
                reasons[i] = "score_above_max"
        return Verdict(reasons == "", reasons)


class GroundTruthConfig(OperatorConfig):
    """ReasoningAnswerGroundTruthFilter settings (DataFlow: ``compare_method``)."""

    compare_method: Literal["math_verify", "exact"] = Field(
        "math_verify", description="math_verify: mathematical equivalence; exact: the same final answer text")
    row_timeout_s: float = Field(5.0, gt=0, description="Time limit per row; a row over it is dropped as "
                                 "verify_timeout and the step goes on")
    workers: int = Field(0, ge=0, description="Worker processes (0: DATAFLOW_THREADS, else the number of CPUs)")


VERDICT_REASONS = {"equal": "", "different": "answer_mismatch", "no_answer": "no_final_answer",
                   "no_gold": "empty_golden_answer", "gold_unparsed": "golden_answer_unparsable",
                   TIMEOUT: TIMEOUT, CRASHED: CRASHED}


@register
class ReasoningAnswerGroundTruthFilter(Filter):
    """Keep solutions whose final answer equals the golden answer (math-verify equivalence, or exact text)."""

    name = "ReasoningAnswerGroundTruthFilter"
    kind = OperatorKind.FILTER
    description = ("Keeps solutions whose final answer (\\boxed{} or last expression) equals golden_answer by "
                   "math-verify (gold as LaTeX and as text), with a per-row time limit; or compare_method=exact.")
    inputs = ("generated_cot", "golden_answer")
    Config = GroundTruthConfig
    drop_reasons = tuple(reason for reason in VERDICT_REASONS.values() if reason)

    def judgements(self, batch: pa.Table) -> tuple[list[str], dict[str, int]]:
        """A verdict per row (``equal``, ``different``, …) and the pool's counters."""
        answers = self.text(batch, "generated_cot").to_pylist()
        golds = self.text(batch, "golden_answer").to_pylist()
        if self.config.compare_method == "exact":
            return [_exact(answer, gold) for answer, gold in zip(answers, golds, strict=True)], {}
        pool = VerifyPool(self.config.workers, self.config.row_timeout_s)
        verdicts = pool.judge(list(zip(answers, golds, strict=True)))
        return verdicts, {"verify_timeouts": pool.timeouts, "verify_worker_restarts": pool.restarts}

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Judge every row; the verdict's reason names why a row is dropped."""
        started = time.perf_counter()
        verdicts, counters = self.judgements(batch)
        self._metrics = {"verified_rows": sum(v == "equal" for v in verdicts), **counters,
                         "verify_seconds": round(time.perf_counter() - started, 3)}
        reasons = np.array([VERDICT_REASONS.get(v, CRASHED) for v in verdicts], dtype=object)
        return Verdict(reasons == "", reasons)

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """The filter's split, with the verification counters as metrics."""
        result = super().run(batch, ctx)
        result.metrics.update(self._metrics)
        if self._metrics.get("verify_timeouts"):
            ctx.log.warning(f"{self.name}: {self._metrics['verify_timeouts']} rows over the {self.config.row_timeout_s}"
                            " s limit were dropped as verify_timeout")
        return result


def _exact(answer: str | None, gold: str | None) -> str:
    if _blank(gold):
        return "no_gold"
    extracted = final_answer(answer)
    if extracted is None:
        return "no_answer"
    return "equal" if normalized(extracted) == normalized(gold) else "different"
