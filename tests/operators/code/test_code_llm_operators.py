"""The code LLM operators: exact behaviour of their deterministic parts on hand-written input (code and instruction
out of a reply, chat rendering, the grade schema, the verdict filter), and their mechanics on the real local model
(one or two rows, short completions)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pydantic import ValidationError

from operators.base import OperatorContext
from operators.code.generators import (
    CodeCodeToInstructionGenerator,
    CodeEnhancementInstructionGenerator,
    CodeInstructionGenerator,
    CodeInstructionToCodeGenerator,
    code_of,
    instruction_of,
    render_messages,
)
from operators.code.quality import CodeQualitySampleEvaluator, CodeQualityScoreFilter, CodeSandboxStatusFilter, graded
from resources.llm import LLMResource
from tests.operators.helpers import reasons

ADD = "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize(("reply", "code"), [
    ("Sure:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1"),
    ("```\nx = 1\n```\n```py\ndef longer():\n    pass\n```", "def longer():\n    pass"),
    ("```python\ndef cut_off(", "def cut_off("),
    ("def plain():\n    return 2", "def plain():\n    return 2"), ("   ", None), (None, None),
])
def test_code_of(reply: str | None, code: str | None) -> None:
    assert code_of(reply) == code


def test_instruction_of_and_messages() -> None:
    assert instruction_of("Instruction: Write a function that adds two numbers.") == \
        "Write a function that adds two numbers."
    assert instruction_of("**New task:** Sort a list.") == "Sort a list."
    assert instruction_of("  ") is None
    chat = [{"role": "user", "content": "need a sum fn"}, {"role": "assistant", "content": "in which language?"}]
    assert render_messages(chat) == "user: need a sum fn\nassistant: in which language?"
    assert render_messages("plain text") == "plain text" and render_messages(None) == ""


def test_grades_are_integers_on_the_scale() -> None:
    schema = graded(0, 10)
    assert schema(score=7, feedback="ok").score == 7
    with pytest.raises(ValidationError):
        schema(score=11, feedback="too high")


def test_the_verdict_filter_keeps_passing_rows() -> None:
    table = pa.table({"id": [0, 1, 2, 3, 4], "sandbox_status": ["passed", "failed", "timeout", None, "passed"]})
    result = CodeSandboxStatusFilter().run(table, OperatorContext())
    assert result.table["id"].to_pylist() == [0, 4]
    assert reasons(result) == {1: "failed", 2: "timeout", 3: "no_verdict"}
    lenient = CodeSandboxStatusFilter({"keep": ["passed", "timeout"]}).run(table, OperatorContext())
    assert lenient.table["id"].to_pylist() == [0, 2, 4]


def test_generators_and_grades_on_the_local_model(local_llm: LLMResource) -> None:
    ctx = OperatorContext(llm=local_llm.session())
    short = {"max_tokens": 32}
    rows = pa.table({"code": [ADD, None]})
    instructions = CodeCodeToInstructionGenerator(short).run(rows, ctx).table
    assert instructions["generated_instruction"][0].as_py()
    assert instructions["generated_instruction"][1].as_py() is None  # an empty row is skipped, not sent
    assert instructions["llm_error"].to_pylist() == [None, "skipped: empty input"]
    code = CodeInstructionToCodeGenerator(short).run(pa.table({"instruction": ["Add two numbers."]}), ctx).table
    assert code["generated_code"][0].as_py()
    chat = pa.table({"messages": [[{"role": "user", "content": "a function to add numbers"}]]})
    enhanced = CodeEnhancementInstructionGenerator(short).run(chat, ctx).table
    assert enhanced["generated_instruction"][0].as_py()
    new = CodeInstructionGenerator(short | {"num_generate": 2, "num_few_shot": 1}).run(
        pa.table({"prompt": ["Reverse a string.", "Sum a list."]}), ctx).table
    assert new.num_rows == 2 and new.column_names == ["generated_instruction", "llm_error"]
    pairs = pa.table({"id": [0, 1], "instruction": ["Add two numbers.", "Add two numbers."],
                      "code": [ADD, "print('hello')"]})
    graded_rows = CodeQualitySampleEvaluator().run(pairs, ctx)
    scores = graded_rows.table["quality_score"].to_pylist()
    assert all(score is None or 0 <= score <= 10 for score in scores)
    assert graded_rows.metrics["quality_scored_share"] == sum(s is not None for s in scores) / 2
    kept = CodeQualityScoreFilter({"min_score": 0, "max_score": 10}).run(pairs, ctx)
    assert kept.table.num_rows + len(reasons(kept)) == 2
    assert set(reasons(kept).values()) <= {"llm_error"}
    assert "quality_feedback" in kept.table.column_names
