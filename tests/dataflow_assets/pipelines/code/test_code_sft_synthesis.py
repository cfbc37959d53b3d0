"""code_sft_synthesis end to end through Dagster with the embedded local model (llama.cpp + SmolLM2-135M) and the
real sandbox: every row gets an instruction, code, a grade and a sandbox verdict, the verdict filter accounts for
every row, and the asset checks run. The 135M model proves the plumbing, so verdicts are checked for shape only."""

from __future__ import annotations

import duckdb

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from operators.services.sandbox import VERDICTS
from tests.conftest import SAMPLES, Project

SPEC = load_spec(builtin_spec("code_sft_synthesis"))


def query(project: Project, sql: str) -> list[tuple]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        return conn.sql(sql).fetchall()


def test_the_demo_functions_flow_through_with_the_local_model(llm_project: Project) -> None:
    name = "two_functions.jsonl"  # one HumanEval-style row, one without tests (the LLM writes its asserts)
    lines = (SAMPLES / "code_sft_demo.jsonl").read_text().splitlines()
    llm_project.add_raw(SPEC.name, name, lines[0] + "\n" + lines[3] + "\n")
    result = llm_project.materialize(SPEC, name)
    assert result.success, failure_messages(result)
    generated = query(llm_project, "SELECT generated_instruction, generated_code FROM code_sft_synthesis.quality_score")
    assert len(generated) == 2
    assert sum(1 for instruction, code in generated if instruction and code) >= 1
    scores = query(llm_project, "SELECT quality_score, quality_feedback FROM code_sft_synthesis.quality_score")
    assert any(score is not None and 0 <= score <= 10 and feedback for score, feedback in scores)
    verdicts = query(llm_project, "SELECT sandbox_status, sandbox_log, test FROM code_sft_synthesis.sandbox")
    assert verdicts and all(status in VERDICTS and log.startswith(status) or "tests written by the model" in log
                            or "no tests" in log for status, log, _ in verdicts)
    kept = query(llm_project, "SELECT count(*) FROM code_sft_synthesis.keep_passing")[0][0]
    dropped = query(llm_project, "SELECT _drop_reason FROM code_sft_synthesis.keep_passing__dropped")
    assert kept + len(dropped) == len(verdicts)
    assert {reason for (reason,) in dropped} <= set(VERDICTS) - {"passed"}
    checks = {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
    assert checks["every_row_has_a_verdict"].passed
    assert {"quality_scores_present", "sandbox_pass_rate"} <= set(checks)
