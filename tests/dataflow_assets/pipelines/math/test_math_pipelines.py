"""The math pipelines through Dagster on the real local model, and `dataflow run` on a file in DataFlow's format.

The 135M model proves the plumbing: these tests assert mechanics (every step's rows add up, new variants carry
traceable ids and no gold, the distributions and checks are reported). The verification half of
`math_reasoning` is also run on hand-written solutions, where every verdict is known.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
from dagster import ExecuteInProcessResult

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from dataflow_assets.spec.model import PipelineSpec, RawSpec
from tests.conftest import REPO, Project

REASONING = load_spec(builtin_spec("math_reasoning"))
PSEUDO = load_spec(builtin_spec("math_pseudo_answer"))
# rows as in DataFlow's ReasoningPipeline examples: instruction, output (often null), golden_answer, source
DATAFLOW_ROWS = [
    {"instruction": "A baker puts 6 muffins in each box. How many muffins are in 7 boxes?", "output": None,
     "golden_answer": "42", "source": "handwritten"},
    {"instruction": "Tom had 15 marbles and gave away 4. How many marbles does he have now?",
     "output": "15 - 4 = 11", "golden_answer": "11", "source": "handwritten"},
    {"instruction": "What is one half of 9?", "output": None, "golden_answer": "\\frac{9}{2}", "source": "handwritten"},
]
LLM_STEPS = {"question_filter", "question_generation", "synth_question_filter", "question_difficulty",
             "question_category", "answer_generation"}


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def small(spec: PipelineSpec, max_tokens: int) -> PipelineSpec:
    """The spec with every LLM step's completion budget capped (the embedded model is slow-ish)."""
    steps = [step.model_copy(update={"config": {**step.config, "max_tokens": max_tokens}})
             if step.name in LLM_STEPS or step.op == "ReasoningPseudoAnswerGenerator" else step for step in spec.steps]
    return spec.model_copy(update={"steps": steps})


def metadata(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {e.materialization.asset_key.path[-1]: {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}


def rows(project: Project, pipeline: str, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        cursor = conn.execute(f'SELECT * FROM {pipeline}."{table}" ORDER BY _row_id')
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_math_reasoning_runs_dataflow_rows_through_every_step(llm_project: Project) -> None:
    spec = small(REASONING, 64)
    llm_project.add_raw(spec.name, "dataflow_rows.jsonl", jsonl(DATAFLOW_ROWS[:2]))
    result = llm_project.materialize(spec, "dataflow_rows.jsonl")
    assert result.success, failure_messages(result)
    meta = metadata(result)
    assert set(meta) == {"raw", "export", *(s.name for s in spec.steps)}
    upstream = 2
    for step in spec.steps:  # every row of a step's input is kept or dropped, never lost
        m = meta[step.name]
        if step.name == "question_generation":
            assert m["kept"] == upstream + m["metric/synthesized"]
        else:
            assert m["input_rows"] == upstream and m["kept"] + m["dropped"] == upstream, step.name
        upstream = m["kept"]

    generated = rows(llm_project, spec.name, "question_generation")
    for row in generated:
        if row["Synth_or_Input"] == "synth":
            assert row["golden_answer"] is None and row["source"] is None and row["_row_id"] % 2 == 1
        else:
            assert row["_row_id"] % 2 == 0 and row["source"] == "handwritten"
    graded = rows(llm_project, spec.name, "question_category")
    assert meta["difficulty_distribution"]["metric/difficulty_scored_rows"] == sum(
        r["difficulty_score"] is not None for r in graded)
    assert meta["category_distribution"]["metric/categorized_rows"] == sum(r["primary_category"] is not None
                                                                           for r in graded)
    if any(r["difficulty_score"] is not None for r in graded):
        assert "histogram/difficulty_score" in meta["difficulty_distribution"]
    dropped_by_truth = rows(llm_project, spec.name, "answer_ground_truth__dropped")
    assert all(r["_drop_reason"] == "empty_golden_answer" for r in dropped_by_truth if r["Synth_or_Input"] == "synth")
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert {"verified_answer_rate", "no_empty_cot", "difficulty_distribution_present",
            "category_distribution_present", "drop_reason_share"} <= set(checks)
    assert checks["no_empty_cot"].passed


def test_verification_steps_on_handwritten_solutions(project: Project) -> None:
    """The rule half of math_reasoning (format, ground truth, n-gram) on solutions whose verdicts are known."""
    names = ("answer_format", "answer_ground_truth", "answer_ngram")
    spec = PipelineSpec(name="math_verification", raw=RawSpec(columns={
        "instruction": "string", "golden_answer": "string", "generated_cot": "string"}),
        steps=[s for s in REASONING.steps if s.name in names])
    solutions = [
        ("What is 1/2 + 1/4?", "\\frac34", "Add the quarters: 2/4 + 1/4 = 3/4, so the sum is \\boxed{0.75}."),
        ("What is 2^{10}?", "1024", "Doubling ten times gives 1024, so the answer is \\boxed{2^{10}}."),
        ("Simplify \\sqrt{8}.", "2\\sqrt{2}", "Since 8 = 4 * 2 we get \\boxed{2\\sqrt2} as the simplified form."),
        ("What is 5 - 7?", "-2", "Subtracting seven from five leaves a result of \\boxed{2} here."),
        ("What is 6 * 7?", "42", "Six times seven is forty two, which is the product we wanted."),
        ("What is 3 + 3?", "6", "six " * 80 + "\\boxed{6}"),
    ]
    project.add_raw(spec.name, "solutions.jsonl", jsonl([
        {"instruction": q, "golden_answer": g, "generated_cot": c} for q, g, c in solutions]))
    result = project.materialize(spec, "solutions.jsonl")
    assert result.success, failure_messages(result)
    dropped = {r["_row_id"]: (step, r["_drop_reason"]) for step in names
               for r in rows(project, spec.name, f"{step}__dropped")}
    assert dropped == {5: ("answer_format", "no_boxed_answer"), 4: ("answer_ground_truth", "answer_mismatch"),
                       6: ("answer_ngram", "too_repetitive")}
    assert [r["_row_id"] for r in rows(project, spec.name, "answer_ngram")] == [1, 2, 3]
    truth = metadata(result)["answer_ground_truth"]
    assert truth["metric/verified_rows"] == 4 and truth["metric/verify_timeouts"] == 0


def test_math_pseudo_answer_materializes(llm_project: Project) -> None:
    spec = small(PSEUDO, 48)
    llm_project.add_raw(spec.name, "questions.jsonl", jsonl([{"instruction": r["instruction"]}
                                                             for r in DATAFLOW_ROWS[:2]]))
    result = llm_project.materialize(spec, "questions.jsonl")
    assert result.success, failure_messages(result)
    meta = metadata(result)["pseudo_answer"]
    assert meta["kept"] + meta["dropped"] == 2 and meta["metric/samples"] == 10
    assert set(meta["drop_reasons"]) <= {"no_answer", "no_consensus", "llm_error"}
    for row in rows(llm_project, spec.name, "pseudo_answer"):
        assert row["pseudo_answer_votes"] >= 3 and len(row["pseudo_answers"]) == 5  # min_agreement 0.6 of 5


def test_dataflow_run_on_a_file_in_dataflows_format(tmp_path: Path, llama_server: Any) -> None:
    source = tmp_path / "pipeline_math_short.json"  # DataFlow's example files: one pretty-printed JSON array
    source.write_text(json.dumps(DATAFLOW_ROWS[2:], indent=4), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAFLOW_")} | {
        "DATAFLOW_LLM_PORT": str(llama_server.port), "DATAFLOW_LLM_CACHE": str(tmp_path / "cache.sqlite"),
        "DATAFLOW_WAREHOUSE": str(tmp_path / "w.duckdb"), "DATAFLOW_EXPORT_DIR": str(tmp_path / "out")}
    done = subprocess.run([str(Path(sys.executable).with_name("dataflow")), "run",
                           str(builtin_spec("math_reasoning")), str(source), "--out", str(tmp_path / "kept.jsonl")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    for step in ("question_filter", "answer_generation", "answer_ground_truth", "token_distribution"):
        assert step in done.stdout + done.stderr, step
    kept = [json.loads(line) for line in (tmp_path / "kept.jsonl").read_text().splitlines()]
    assert all(set(row) >= {"instruction", "golden_answer", "generated_cot", "difficulty_score"} for row in kept)
