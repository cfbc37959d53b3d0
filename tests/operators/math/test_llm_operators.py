"""The math LLM operators on a few rows against the real local model (SmolLM2-135M via llama.cpp).

The model is tiny: these tests assert the mechanics (columns, types, ranges, fan-out and row ids, skipped rows,
voting), not the quality of its mathematics. Exact verdicts are asserted only where the input is hand-written
(the vote itself, on hand-written answers).
"""

from __future__ import annotations

import pyarrow as pa

from operators.base import REASON_COLUMN, OperatorContext
from operators.math.dataset_evaluators import (
    ReasoningCategoryDatasetEvaluator,
    ReasoningDifficultyDatasetEvaluator,
    ReasoningTokenDatasetEvaluator,
)
from operators.math.evaluators import (
    TAXONOMY,
    ReasoningQuestionCategorySampleEvaluator,
    ReasoningQuestionDifficultySampleEvaluator,
    ReasoningQuestionSolvableSampleEvaluator,
)
from operators.math.questions import (
    ReasoningQuestionFilter,
    ReasoningQuestionFusionGenerator,
    ReasoningQuestionGenerator,
)
from operators.math.solutions import (
    ReasoningAnswerGenerator,
    ReasoningAnswerModelJudgeFilter,
    ReasoningPseudoAnswerGenerator,
    vote,
)
from resources.llm import LLMResource

QUESTIONS = ["A shop sells pens at 3 dollars each. How much do 7 pens cost?", "   ",
             "What is 12 divided by 4?"]


def problems() -> pa.Table:
    return pa.table({"_row_id": pa.array([5, 6, 7], pa.int64()), "instruction": QUESTIONS,
                     "golden_answer": ["21", "1", "3"], "source": ["a", "b", "c"]})


def test_question_generator_interleaves_seeds_and_variants_with_traceable_ids(local_llm: LLMResource) -> None:
    op = ReasoningQuestionGenerator({"num_prompts": 2, "max_tokens": 96})
    out = op.run(problems(), OperatorContext(llm=local_llm.session())).table
    ids = out["_row_id"].to_pylist()
    flags = out["Synth_or_Input"].to_pylist()
    assert ids[0] == 15 and ids == sorted(ids) and len(set(ids)) == len(ids)  # seed 5 -> 5 * 3 + 0
    assert [i // 3 for i, f in zip(ids, flags, strict=True) if f == "input"] == [5, 6, 7]
    synth = [r for r in out.to_pylist() if r["Synth_or_Input"] == "synth"]
    assert 1 <= len(synth) <= 4 and all(r["_row_id"] // 3 in (5, 7) for r in synth)  # the blank seed has none
    assert all(r["instruction"] and r["golden_answer"] is None and r["source"] is None for r in synth)
    assert out.filter(pa.array([f == "input" for f in flags]))["golden_answer"].to_pylist() == ["21", "1", "3"]


def test_fusion_writes_one_row_per_fusion(local_llm: LLMResource) -> None:
    table = pa.table({"_row_id": pa.array([0, 1], pa.int64()), "p1": [QUESTIONS[0], "x"], "p2": [QUESTIONS[2], ""]})
    op = ReasoningQuestionFusionGenerator({"fusion_mode": "parallel", "num_prompts": 2, "max_tokens": 96},
                                          inputs={"problem_1": "p1", "problem_2": "p2"})
    out = op.run(table, OperatorContext(llm=local_llm.session())).table
    assert out["_row_id"].to_pylist() == [0, 1, 2, 3]
    fused, errors = out["fused_question"].to_pylist(), out["llm_error"].to_pylist()
    assert fused[2] is None and fused[3] is None and errors[2] == errors[3] == "skipped: empty input"
    assert any(fused[:2])


def test_question_filter_names_the_failed_check(local_llm: LLMResource) -> None:
    result = ReasoningQuestionFilter().run(problems(), OperatorContext(llm=local_llm.session()))
    assert result.kept + result.dropped_count == 3
    allowed = {"empty_input", "llm_error", "not_well_posed", "not_solvable", "not_self_contained", "trivial"}
    dropped = dict(zip(result.dropped["_row_id"].to_pylist(), result.dropped[REASON_COLUMN].to_pylist(), strict=True))
    assert dropped.get(6) == "empty_input" and set(dropped.values()) <= allowed


def test_sample_evaluators_fill_their_columns(local_llm: LLMResource) -> None:
    session = local_llm.session()
    table = problems()
    table = ReasoningQuestionDifficultySampleEvaluator().run(table, OperatorContext(llm=session)).table
    table = ReasoningQuestionCategorySampleEvaluator().run(table, OperatorContext(llm=session)).table
    table = ReasoningQuestionSolvableSampleEvaluator().run(table, OperatorContext(llm=session)).table
    rows = table.to_pylist()
    assert rows[1]["difficulty_score"] is None and rows[1]["primary_category"] is None and rows[1]["solvable"] is None
    for row in (rows[0], rows[2]):
        assert row["difficulty_score"] in {float(g) for g in range(1, 11)}
        assert row["primary_category"] in TAXONOMY
        assert row["secondary_category"] in (*TAXONOMY[row["primary_category"]], "Other")
        assert isinstance(row["solvable"], bool)
    difficulty = ReasoningDifficultyDatasetEvaluator().run(table, OperatorContext())
    assert difficulty.table is table and difficulty.metrics["difficulty_scored_rows"] == 2
    assert sum(v for k, v in difficulty.metrics.items() if k.startswith("difficulty/")) == 2
    category = ReasoningCategoryDatasetEvaluator().run(table, OperatorContext()).metrics
    assert category["categorized_rows"] == 2 and 1 <= category["categories"] <= 2
    assert sum(v for k, v in category.items() if k.startswith("category/")) == 2


def test_answer_generator_and_token_evaluator(local_llm: LLMResource) -> None:
    session = local_llm.session()
    out = ReasoningAnswerGenerator({"max_tokens": 48}).run(problems(), OperatorContext(llm=session)).table
    cots = out["generated_cot"].to_pylist()
    assert cots[0] and cots[2] and cots[1] is None
    tokens = ReasoningTokenDatasetEvaluator().run(out, OperatorContext(llm=session))
    counted = tokens.table["answer_tokens"].to_pylist()
    assert counted[1] is None and counted[0] == session.count_tokens([cots[0]])[0] <= 49
    assert tokens.metrics["answer_tokens_max"] == max(counted[0], counted[2])


def test_judge_filter_marks_and_keeps_or_drops(local_llm: LLMResource) -> None:
    table = pa.table({"question": ["What is 2 + 2?", "What is 3 + 3?", "What is 1 + 1?"],
                      "answer": ["2 + 2 = 4, so \\boxed{4}.", "It is 6.", "\\boxed{2}"],
                      "reference_answer": ["4", "6", ""]})
    session = local_llm.session()
    result = ReasoningAnswerModelJudgeFilter().run(table, OperatorContext(llm=session))
    judged = pa.concat_tables([result.table, result.dropped.drop_columns([REASON_COLUMN])])
    assert result.kept + result.dropped_count == 3
    assert "answer_match_result" in result.table.column_names
    assert dict(zip(result.dropped["question"].to_pylist(), result.dropped[REASON_COLUMN].to_pylist(),
                    strict=True))["What is 1 + 1?"] == "empty_reference"
    assert sum(v is not None for v in judged["answer_match_result"].to_pylist()) == 2
    everything = ReasoningAnswerModelJudgeFilter({"keep_all_samples": True}).run(table, OperatorContext(llm=session))
    assert everything.kept == 3


def test_vote_groups_equivalent_answers() -> None:
    same = {("\\frac{1}{2}", "0.5"): True, ("\\frac{1}{2}", "3"): False, ("0.5", "3"): False}
    assert vote(["\\frac{1}{2}", "3", "0.5", None, "3"], same) == ([0, 2], 2)  # tie: the group seen first
    assert vote(["3", "\\frac12", "3"], {}) == ([0, 2], 2)
    assert vote([None, None], {}) == ([], 0)


def test_pseudo_answer_votes_over_samples(local_llm: LLMResource) -> None:
    op = ReasoningPseudoAnswerGenerator({"max_times": 3, "max_tokens": 48, "min_agreement": 0.0})
    result = op.run(problems(), OperatorContext(llm=local_llm.session()))
    assert result.kept + result.dropped_count == 3
    reasons = dict(zip(result.dropped["_row_id"].to_pylist(), result.dropped[REASON_COLUMN].to_pylist(), strict=True))
    assert reasons.get(6) == "no_answer" and set(reasons.values()) <= {"no_answer", "llm_error"}
    for row in result.table.to_pylist():
        assert len(row["pseudo_answers"]) == 3 and 1 <= row["pseudo_answer_votes"] <= 3
        assert row["pseudo_answer_value"] in row["pseudo_answers"]
        assert len(row["pseudo_solutions"]) == row["pseudo_answer_votes"]
        assert row["pseudo_correct_solution_example"] == row["pseudo_solutions"][0]
    strict = ReasoningPseudoAnswerGenerator({"max_times": 3, "max_tokens": 48, "min_agreement": 1.0})
    again = strict.run(problems(), OperatorContext(llm=local_llm.session()))  # same samples, from the cache
    assert all(r["pseudo_answer_votes"] == 3 for r in again.table.to_pylist())
    assert again.kept <= result.kept
