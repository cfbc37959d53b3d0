"""The rule filters on generated solutions and the answer extraction they share, on hand-written rows."""

from __future__ import annotations

import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.math.answer_filters import (
    ReasoningAnswerFormatterFilter,
    ReasoningAnswerNgramFilter,
    ReasoningAnswerTokenLengthFilter,
    repetition_score,
)
from operators.math.answers import BoxedError, choice_letter, final_answer, last_boxed, normalized
from resources.llm import LLMResource
from tests.operators.helpers import reasons


def cot_table(texts: list[str | None], questions: list[str] | None = None) -> pa.Table:
    columns = {"id": list(range(len(texts))), "generated_cot": pa.array(texts, pa.string())}
    if questions is not None:
        columns["instruction"] = pa.array(questions, pa.string())
    return pa.table(columns)


@pytest.mark.parametrize(("text", "boxed"), [
    ("so \\boxed{42}.", "42"),
    ("\\boxed{\\frac{1}{2}} and later \\boxed{\\sqrt{2}}", "\\sqrt{2}"),
    ("\\boxed{\\boxed{7}}", "7"),
    ("\\boxed{\\frac{\\boxed{1}}{2}}", "\\frac{\\boxed{1}}{2}"),  # the outer box, not the one inside it
    ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),  # escaped braces are content
    ("\\fbox{3}", "3"),
    ("\\boxed 5$ done", "5"),
    ("\\boxed{}", ""),
    ("no box here", None),
])
def test_last_boxed(text: str, boxed: str | None) -> None:
    assert last_boxed(text) == boxed


def test_unclosed_box_is_an_error_and_no_final_answer() -> None:
    with pytest.raises(BoxedError):
        last_boxed("the answer is \\boxed{\\frac{1}{2}")
    assert final_answer("the answer is \\boxed{\\frac{1}{2}") is None


@pytest.mark.parametrize(("text", "answer"), [
    ("Therefore the final answer is $\\frac{2}{3}$.", "\\frac{2}{3}"),
    ("Answer: 17", "17"),
    ("We get 3 apples, then 1,250 more", "1250"),
    ("nothing numeric", None),
    ("   ", None),
])
def test_final_answer_without_a_box(text: str, answer: str | None) -> None:
    assert final_answer(text) == answer
    assert final_answer(text, require_boxed=True) is None


def test_normalized_and_choice_letters() -> None:
    assert normalized("$\\dfrac{1}{2}$") == normalized("\\frac{1}{2}") == "\\frac{1}{2}"
    assert normalized("\\left( 1, 2 \\right).") == "(1,2)"
    assert normalized("12\\text{ cm}") == "12cm"
    assert [choice_letter(t) for t in ("B", "(C)", "D.", "\\boxed{E}", "AB", "x")] == ["B", "C", "D", "E", None, None]


def test_formatter_filter_needs_an_extractable_final_answer() -> None:
    texts = ["Adding gives \\boxed{12}.", "The answer is 12.", "\\boxed{}", "so \\boxed{\\frac{1}{2}", None, "  "]
    result = ReasoningAnswerFormatterFilter().run(cot_table(texts), OperatorContext())
    assert reasons(result) == {1: "no_boxed_answer", 2: "empty_boxed", 3: "unclosed_boxed", 4: "empty_answer",
                               5: "empty_answer"}
    relaxed = ReasoningAnswerFormatterFilter({"require_boxed": False}).run(
        cot_table(texts + ["I give up."]), OperatorContext())
    assert reasons(relaxed) == {2: "empty_boxed", 3: "unclosed_boxed", 4: "empty_answer", 5: "empty_answer",
                                6: "no_final_answer"}


def test_repetition_score_counts_distinct_word_ngrams() -> None:
    assert repetition_score("a b c d e f", 5) == 1.0
    assert repetition_score("go go go go go go go go go go", 5) == pytest.approx(1 / 6)
    assert repetition_score("one two", 5) is None
    assert repetition_score("我们我们我们我们我们我们", 2) == pytest.approx(2 / 11)  # Chinese: character n-grams


def test_ngram_filter_drops_repetitive_solutions() -> None:
    questions = ["What is 2 + 3?", "What is 2 + 3?", "Hi", "What is 7 times 6 in total?"]
    texts = ["We add two and three to get five, so the answer is \\boxed{5}.",
             "the sum is 5 " * 30, "ok", "Seven times six is 42: \\boxed{42}."]
    result = ReasoningAnswerNgramFilter().run(cot_table(texts, questions), OperatorContext())
    assert reasons(result) == {1: "too_repetitive", 2: "too_short_for_ngrams"}
    lenient = ReasoningAnswerNgramFilter({"min_score": 0.0}).run(cot_table(texts, questions), OperatorContext())
    assert reasons(lenient) == {}
    with pytest.raises(ValueError, match="greater than max_score"):
        ReasoningAnswerNgramFilter({"min_score": 0.9, "max_score": 0.5})


def test_token_length_filter_counts_with_the_serving_models_tokenizer(local_llm: LLMResource) -> None:
    session = local_llm.session()
    short, long = "The sum is \\boxed{5}.", "Step by step we add the numbers together once more. " * 40
    counts = session.count_tokens([short, long])
    assert counts[0] < 20 < 300 < counts[1]  # SmolLM2's own tokenizer, not a word count
    limit = (counts[0] + counts[1]) // 2
    op = ReasoningAnswerTokenLengthFilter({"max_answer_token_length": limit})
    result = op.run(cot_table([short, long, "", None]), OperatorContext(llm=session))
    assert reasons(result) == {1: "too_many_tokens", 2: "empty_answer", 3: "empty_answer"}
    exact = ReasoningAnswerTokenLengthFilter({"max_answer_token_length": counts[1]})
    assert reasons(exact.run(cot_table([long]), OperatorContext(llm=session))) == {}
