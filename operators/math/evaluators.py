"""Per-problem LLM grading (DataFlow's reasoning sample evaluators): difficulty 1-10, topic (primary and
secondary category from a fixed taxonomy), and whether the problem is solvable as stated."""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BaseModel, create_model

from operators.base import OperatorKind
from operators.prompted.base import ERROR_OUTPUT, LLMConfig, LLMMapper, blank
from operators.prompted.generic import score_schema
from operators.registry import register
from operators.services.llm import ChatRequest, LLMReply

TAXONOMY: dict[str, tuple[str, ...]] = {
    "Arithmetic": ("Whole numbers", "Fractions and decimals", "Percentages and ratios", "Units and measurement"),
    "Algebra": ("Linear equations", "Quadratics and polynomials", "Inequalities", "Functions", "Sequences and series",
                "Exponents and logarithms"),
    "Geometry": ("Plane geometry", "Solid geometry", "Coordinate geometry", "Trigonometry"),
    "Number Theory": ("Divisibility and primes", "Modular arithmetic", "Digits and bases", "Diophantine equations"),
    "Combinatorics": ("Counting", "Graphs", "Games and invariants", "Pigeonhole and extremal"),
    "Probability and Statistics": ("Probability", "Expected value", "Descriptive statistics"),
    "Calculus and Analysis": ("Limits", "Derivatives", "Integrals", "Real analysis"),
    "Linear Algebra": ("Vectors", "Matrices and determinants", "Linear systems"),
    "Logic and Foundations": ("Logic puzzles", "Sets", "Proof techniques"),
    "Applied Math": ("Rates and work", "Money and finance", "Optimization", "Physics word problems"),
}
OTHER = "Other"


def taxonomy_text() -> str:
    """The taxonomy as prompt lines: ``Primary: secondary, secondary, …``."""
    return "\n".join(f"- {primary}: {', '.join(secondaries)}" for primary, secondaries in TAXONOMY.items())


@cache
def category_schema() -> type[BaseModel]:
    """``{primary_category, secondary_category}`` restricted to the taxonomy's names (an enum each)."""
    primaries = tuple(TAXONOMY)
    secondaries = tuple(sorted({s for values in TAXONOMY.values() for s in values}))
    return create_model("Category", primary_category=(Literal[primaries], ...),  # type: ignore[valid-type]
                        secondary_category=(Literal[secondaries], ...))  # type: ignore[valid-type]


class DifficultyConfig(LLMConfig):
    """ReasoningQuestionDifficultySampleEvaluator settings."""

    max_tokens: int = 24


@register
class ReasoningQuestionDifficultySampleEvaluator(LLMMapper):
    """Grade each problem's difficulty from 1 (one arithmetic step) to 10 (hardest olympiad)."""

    name = "ReasoningQuestionDifficultySampleEvaluator"
    kind = OperatorKind.EVALUATE
    description = "LLM difficulty grade of each problem, 1-10, in difficulty_score (DataFlow)."
    inputs = ("instruction",)
    outputs = ("difficulty_score", ERROR_OUTPUT)
    prompt_file = "math_question_difficulty"
    value_types: ClassVar[dict[str, pa.DataType]] = {"difficulty_score": pa.float64()}
    Config = DifficultyConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The grading request (blank problems are skipped)."""
        return None if blank(row["instruction"]) else self.chat_request(row, score_schema(1, 10))

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The grade."""
        return {"difficulty_score": float(reply.parsed.score)}  # type: ignore[union-attr]


class CategoryConfig(LLMConfig):
    """ReasoningQuestionCategorySampleEvaluator settings."""

    max_tokens: int = 48


@register
class ReasoningQuestionCategorySampleEvaluator(LLMMapper):
    """Classify each problem into a primary and a secondary topic of a fixed math taxonomy."""

    name = "ReasoningQuestionCategorySampleEvaluator"
    kind = OperatorKind.EVALUATE
    description = ("LLM topic of each problem: primary_category and secondary_category from a fixed taxonomy; a "
                   "secondary that does not belong to the primary becomes 'Other' (DataFlow).")
    inputs = ("instruction",)
    outputs = ("primary_category", "secondary_category", ERROR_OUTPUT)
    prompt_file = "math_question_category"
    Config = CategoryConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The classification request, taxonomy included."""
        if blank(row["instruction"]):
            return None
        return self.chat_request({**row, "taxonomy": taxonomy_text()}, category_schema())

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """Primary and secondary; a secondary from another primary's list is replaced by 'Other'."""
        primary, secondary = reply.parsed.primary_category, reply.parsed.secondary_category  # type: ignore[union-attr]
        return {"primary_category": primary,
                "secondary_category": secondary if secondary in TAXONOMY[primary] else OTHER}


class Solvable(BaseModel):
    """The solvability verdict."""

    solvable: bool


class SolvableConfig(LLMConfig):
    """ReasoningQuestionSolvableSampleEvaluator settings."""

    max_tokens: int = 16


@register
class ReasoningQuestionSolvableSampleEvaluator(LLMMapper):
    """Mark whether each problem can be solved to one definite answer as stated."""

    name = "ReasoningQuestionSolvableSampleEvaluator"
    kind = OperatorKind.EVALUATE
    description = "LLM verdict per problem: solvable as stated (true/false) in column solvable (DataFlow)."
    inputs = ("instruction",)
    outputs = ("solvable", ERROR_OUTPUT)
    prompt_file = "math_question_solvable"
    value_types: ClassVar[dict[str, pa.DataType]] = {"solvable": pa.bool_()}
    Config = SolvableConfig

    def request(self, row: dict[str, Any]) -> ChatRequest | None:
        """The verdict request."""
        return None if blank(row["instruction"]) else self.chat_request(row, Solvable)

    def parse(self, reply: LLMReply, row: dict[str, Any]) -> dict[str, Any]:
        """The verdict."""
        return {"solvable": bool(reply.parsed.solvable)}  # type: ignore[union-attr]
