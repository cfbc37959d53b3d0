"""Every LLM operator on a few rows against the real local model (SmolLM2-135M via llama.cpp).

The model is tiny, so these tests assert the contract (columns, types, ranges, skipped and failed rows, fan-out,
failure accounting), not the quality of its prose.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.prompted.generic import (
    FormatStrPromptedGenerator,
    PromptedEvaluator,
    PromptedFilter,
    PromptedGenerator,
    PromptedRefiner,
)
from operators.prompted.templates import TemplateError
from operators.registry import get_operator
from operators.services.llm import LLMFailureRateExceeded
from operators.text_synthesis.condor import CondorGenerator
from operators.text_synthesis.pretrain import DIMENSIONS, MetaSampleEvaluator, Phi4QAGenerator
from operators.text_synthesis.sft import AlpagasusFilter, CondorRefiner, SFTGeneratorSeed
from resources.llm import LLMResource

DOCS = [
    "Honeybees tell each other where flowers are with the waggle dance. The angle of the dance gives the direction "
    "and its length gives the distance. Karl von Frisch decoded it.",
    "   ",
    "Sourdough rises thanks to wild yeasts in a starter of flour and water. Lactic acid bacteria give it a sour taste.",
]


def ctx(llm: LLMResource) -> OperatorContext:
    return OperatorContext(llm=llm.session())


def docs_table() -> pa.Table:
    return pa.table({"_row_id": pa.array([0, 1, 2], pa.int64()), "text": pa.array(DOCS)})


def test_prompted_generator_answers_each_row_and_skips_blank(local_llm: LLMResource) -> None:
    op = PromptedGenerator({"system_prompt": "Summarise in one sentence.", "max_tokens": 24})
    context = ctx(local_llm)
    out = op.run(docs_table(), context).table
    generated, errors = out["generated_content"].to_pylist(), out["llm_error"].to_pylist()
    assert generated[0] and generated[2] and generated[1] is None
    assert errors == [None, "skipped: empty input", None]
    assert context.llm.stats.requests == 2


def test_format_str_generator_reads_template_fields_as_columns(local_llm: LLMResource) -> None:
    op = FormatStrPromptedGenerator({"prompt_template": "Translate to French: {title}", "max_tokens": 16})
    assert op.input_map == {"title": "title"}
    table = pa.table({"title": ["Good morning", "Thank you"]})
    out = op.run(table, ctx(local_llm)).table
    assert all(out["generated_content"].to_pylist())
    with pytest.raises(ValueError, match="no \\{field\\}"):
        FormatStrPromptedGenerator({"prompt_template": "constant prompt"})


def test_evaluator_scores_are_numbers_on_the_scale(local_llm: LLMResource) -> None:
    out = PromptedEvaluator().run(docs_table(), ctx(local_llm)).table
    scores = out["eval"].to_pylist()
    assert scores[1] is None and all(1 <= s <= 5 for s in (scores[0], scores[2]))


def test_prompted_filter_keeps_the_band_and_says_why_it_drops(local_llm: LLMResource) -> None:
    result = PromptedFilter({"min_score": 1, "max_score": 5}).run(docs_table(), ctx(local_llm))
    assert result.table["_row_id"].to_pylist() == [0, 2]
    assert result.drop_counts == {"empty_input": 1}
    strict = PromptedFilter({"min_score": 6, "max_score": 6}).run(docs_table(), ctx(local_llm))
    assert strict.table.num_rows == 0 and strict.drop_counts == {"empty_input": 1, "score_below_min": 2}


def test_refiner_rewrites_in_place_and_keeps_blank_rows(local_llm: LLMResource) -> None:
    out = PromptedRefiner({"max_tokens": 48}).run(docs_table(), ctx(local_llm)).table
    texts = out["text"].to_pylist()
    assert texts[1] == "   " and texts[0] and texts[0] != DOCS[0]


def test_sft_generator_seed_writes_pairs(local_llm: LLMResource) -> None:
    out = SFTGeneratorSeed({"max_tokens": 160}).run(docs_table(), ctx(local_llm)).table
    for i in (0, 2):
        assert out["instruction"][i].as_py() and out["output"][i].as_py()
    assert out["instruction"][1].as_py() is None


def test_alpagasus_filter_grades_pairs(local_llm: LLMResource) -> None:
    table = pa.table({"_row_id": [0, 1, 2],
                      "instruction": ["What is 2 + 2?", "Name a primary colour.", None],
                      "output": ["2 + 2 equals 4.", "Blue is a primary colour.", "orphan"]})
    result = AlpagasusFilter({"min_score": 1, "max_score": 5}).run(table, ctx(local_llm))
    assert result.table["_row_id"].to_pylist() == [0, 1]
    assert all(1 <= s <= 5 for s in result.table["alpagasus_score"].to_pylist())
    assert result.drop_counts == {"empty_input": 1}


def test_condor_generator_fans_out_three_levels(local_llm: LLMResource) -> None:
    table = pa.table({"_row_id": pa.array([0, 1], pa.int64()), "topic": ["Science > Astronomy > Mars", None]})
    op = CondorGenerator({"question_max_tokens": 120, "max_tokens": 32})
    result = op.run(table, ctx(local_llm))
    out = result.table
    ok = [i for i, e in enumerate(out["llm_error"].to_pylist()) if e is None]
    assert out["_row_id"].to_pylist()[: len(ok)] == [0, 1, 2][: len(ok)]
    assert out["difficulty"].to_pylist()[:3] == ["easy", "medium", "hard"]
    assert all(out["instruction"][i].as_py() and out["output"][i].as_py() for i in ok)
    assert out["topic"].to_pylist()[:3] == ["Science > Astronomy > Mars"] * 3
    assert out["_row_id"].to_pylist()[-1] == 4 and out["llm_error"][-1].as_py() == "skipped: empty input"
    assert result.metrics["questions"] == 3


def test_condor_refiner_critiques_then_rewrites(local_llm: LLMResource) -> None:
    table = pa.table({"instruction": ["Why is the sky blue?"], "output": ["Because."]})
    out = CondorRefiner({"critique_max_tokens": 48, "max_tokens": 48}).run(table, ctx(local_llm)).table
    assert out["critique"][0].as_py() and out["output"][0].as_py() and out["output"][0].as_py() != "Because."


def test_phi4_and_meta_sample_evaluator(local_llm: LLMResource) -> None:
    qa = Phi4QAGenerator({"max_tokens": 48}).run(docs_table(), ctx(local_llm)).table
    assert qa["generated_content"][0].as_py() and qa["generated_content"][1].as_py() is None
    scored = MetaSampleEvaluator().run(docs_table(), ctx(local_llm)).table
    for name in DIMENSIONS:
        values = scored[name].to_pylist()
        assert values[1] is None and all(1 <= v <= 5 for v in (values[0], values[2]))
        assert scored.schema.field(name).type == pa.int64()


def test_failure_rate_above_the_limit_fails_the_step(tmp_path) -> None:
    from benchmarks.stub_openai import Fault, StubServer
    from tests.conftest import free_port

    stub = StubServer(free_port()).start()  # fault injection: every request gets HTTP 400
    stub.state.faults.extend([Fault(status=400)] * 10)
    try:
        llm = LLMResource(backend="openai", base_url=stub.base_url, model="stub", cache_path="")
        with pytest.raises(LLMFailureRateExceeded, match="2 of 2 rows failed"):
            PromptedGenerator().run(docs_table(), ctx(llm))
        stub.state.faults.clear()
        stub.state.faults.append(Fault(status=400))
        out = PromptedGenerator({"max_failure_rate": 0.5}).run(docs_table(), ctx(llm)).table
        assert out["llm_error"][0].as_py().startswith("request failed: HTTP 400")
        assert out["generated_content"].to_pylist() == [None, None, f"echo:{DOCS[2]}"]
    finally:
        stub.stop()


def test_prompt_overrides_are_checked() -> None:
    with pytest.raises(TemplateError, match="has no template 'nope'"):
        PromptedGenerator({"prompts": {"nope": "x"}}).templates()
    assert get_operator("CondorGenerator").requires == ("llm",)
