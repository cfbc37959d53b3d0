"""The text-to-SQL pipelines through Dagster on the shipped databases with the real local model, and `dataflow run`
on a seed file.

The 135M model proves the plumbing: these tests assert mechanics (rows add up step by step, generated rows carry
traceable ids, every kept SQL really runs, labels come from the declared sets, checks are reported); exact
verdicts are tested on hand-written input in tests/operators/sql/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from dataflow_assets.spec.model import PipelineSpec
from operators.sql.hardness import CLASSES
from operators.sql.synthesis import COMPLEXITIES
from resources.llm import LLMResource
from resources.sql import SQLDatabaseResource
from tests.conftest import REPO, Project

REFINE = load_spec(builtin_spec("text2sql_refine"))
GENERATION = load_spec(builtin_spec("text2sql_generation"))
DATABASES = REPO / "data" / "databases"
SEEDS = [
    {"db_id": "transit", "SQL": "SELECT severity, count(*) FROM incidents GROUP BY severity"},
    {"db_id": "clinic", "SQL": "DELETE FROM appointments"},
    {"db_id": "atlantis", "SQL": "SELECT 1"},
]
COMPACT = {"schema_style": "compact", "sample_values": False}
SMALL = {"SQLVariationGenerator": {"num_variations": 1, "max_tokens": 96, **COMPACT},
         "SQLGenerator": {"generate_num": 2, "max_tokens": 96, **COMPACT},
         "Text2SQLQuestionGenerator": {"question_candidates_num": 2, "max_tokens": 160, **COMPACT},
         "Text2SQLCorrespondenceFilter": {"max_tokens": 128, **COMPACT},
         "Text2SQLPromptGenerator": {"sample_values": False},
         "Text2SQLCoTGenerator": {"sampling_num": 2, "max_tokens": 96, **COMPACT},
         "SQLExecutionClassifier": {"num_generations": 2, "difficulty_thresholds": [0, 1],
                                    "difficulty_labels": ["hard", "medium", "easy"], "max_tokens": 96}}


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One response cache for the refine runs of this module: the Dagster run and `dataflow run` ask the same
    prompts for the same seed, so whichever runs second answers from the cache."""
    return tmp_path_factory.mktemp("llm") / "cache.sqlite"


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def small(spec: PipelineSpec) -> PipelineSpec:
    """The spec with fewer samples and shorter completions on every LLM step (the embedded model is slow-ish)."""
    steps = [step.model_copy(update={"config": {**step.config, **SMALL.get(step.op, {})}}) for step in spec.steps]
    return spec.model_copy(update={"steps": steps})


def rows(project: Project, pipeline: str, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        cursor = conn.execute(f'SELECT * FROM {pipeline}."{table}" ORDER BY _partition, _row_id')
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def check_results(result: Any) -> dict[str, bool]:
    return {f"{e.asset_key.path[-1]}/{e.check_name}": e.passed for e in result.get_asset_check_evaluations()}


def assert_tail(project: Project, pipeline: str, first_step: str) -> None:
    """Mechanics of the shared tail from ``first_step`` (the SQL filter after generation) to the difficulty steps."""
    session = SQLDatabaseResource(root=str(DATABASES)).session()
    ran = rows(project, pipeline, "runs")
    assert all(r.ok and not r.truncated for r in session.execute([(r["db_id"], r["SQL"]) for r in ran]))
    assert len(ran) + len(rows(project, pipeline, "runs__dropped")) == len(rows(project, pipeline, first_step))
    asked = rows(project, pipeline, "questions")
    assert len(asked) == len(ran) and all(r["question_type"] for r in asked)
    assert sum(1 for r in asked if r["question"]) >= len(asked) - 1  # at most one row without a valid candidate
    kept = rows(project, pipeline, "correspondence")
    dropped = rows(project, pipeline, "correspondence__dropped")
    assert len(kept) + len(dropped) == len(asked)
    assert {r["_drop_reason"] for r in dropped} <= {"not_corresponding", "llm_error", "empty_input"}
    prompts = rows(project, pipeline, "prompts")
    assert all(r["question"] in r["prompt"] and "CREATE TABLE" in r["prompt"] for r in prompts)
    voted = rows(project, pipeline, "cot_voting")
    assert all(r["cot_reasoning"] is None or r["cot_reasoning"] in r["cot_responses"] for r in voted)
    graded = rows(project, pipeline, "execution_difficulty")
    assert all(r["sql_component_difficulty"] in CLASSES for r in graded)
    assert all(r["sql_execution_difficulty"] in {"hard", "medium", "easy"} for r in graded)  # every gold runs


def test_text2sql_refine_materializes_on_the_shipped_databases(project: Project, llama_server: Any,
                                                               shared_cache: Path) -> None:
    llm_project = project
    llm_project.llm = LLMResource(backend="local", local_port=llama_server.port, cache_path=str(shared_cache))
    llm_project.sql = SQLDatabaseResource(root=str(DATABASES), timeout_s=2.0)
    spec = small(REFINE)
    llm_project.add_raw(spec.name, "seeds.jsonl", jsonl(SEEDS))
    result = llm_project.materialize(spec, "seeds.jsonl")
    assert result.success, failure_messages(result)

    dropped = {r["_row_id"]: r["_drop_reason"] for r in rows(llm_project, spec.name, "seed_executable__dropped")}
    assert dropped == {2: "not_read_only: DELETE", 3: "unknown_db_id"}
    varied = rows(llm_project, spec.name, "variations")
    originals = [r for r in varied if r["sql_variation_type"] == "original"]
    assert [(r["_row_id"], r["SQL"]) for r in originals] == [(10000, SEEDS[0]["SQL"])]
    assert all(r["_row_id"] == 10001 and r["sql_variation_type"] != "original" for r in varied if r not in originals)
    assert_tail(llm_project, spec.name, "executable")
    checks = check_results(result)
    assert not checks["seed_executable/executable_sql_rate"]  # 1 of 3 seeds: below the 0.5 the spec warns at
    assert "execution_difficulty/gold_execution_success_rate" in checks


def test_text2sql_generation_materializes_on_the_shipped_databases(llm_project: Project) -> None:
    llm_project.sql = SQLDatabaseResource(root=str(DATABASES), timeout_s=2.0)
    spec = small(GENERATION)
    llm_project.add_raw(spec.name, "databases.jsonl", jsonl([{"db_id": "university"}, {"db_id": "atlantis"}]))
    result = llm_project.materialize(spec, "databases.jsonl")
    assert result.success, failure_messages(result)
    generated = rows(llm_project, spec.name, "generate")
    assert {r["_row_id"] for r in generated} <= {10000, 10001}  # line 1, copies 0-1; the unknown id gets none
    assert all(r["db_id"] == "university" and r["sql_complexity_type"] in COMPLEXITIES for r in generated)
    executable = rows(llm_project, spec.name, "executable")
    assert len(executable) + len(rows(llm_project, spec.name, "executable__dropped")) == len(generated)
    assert_tail(llm_project, spec.name, "executable")


def test_dataflow_run_runs_the_refine_spec_on_a_seed_file(tmp_path: Path, llama_server: Any,
                                                          shared_cache: Path) -> None:
    source = tmp_path / "seeds.jsonl"
    source.write_text(jsonl([SEEDS[0], SEEDS[1]]), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAFLOW_")} | {
        "DATAFLOW_LLM_PORT": str(llama_server.port), "DATAFLOW_LLM_CACHE": str(shared_cache),
        "DATAFLOW_WAREHOUSE": str(tmp_path / "w.duckdb"), "DATAFLOW_EXPORT_DIR": str(tmp_path / "out"),
        "DATAFLOW_SQL_DATABASES": str(DATABASES)}
    spec_file = tmp_path / "text2sql_refine.yaml"  # the built-in spec with the small LLM settings of this module
    spec_file.write_text(json.dumps(small(REFINE).model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    done = subprocess.run([str(Path(sys.executable).with_name("dataflow")), "run", str(spec_file), str(source),
                           "--out", str(tmp_path / "kept.jsonl")], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    for step in ("seed_executable", "variations", "runs", "cot_voting", "execution_difficulty"):
        assert step in done.stdout + done.stderr, step
    assert "not_read_only: DELETE" in done.stdout + done.stderr
    kept = [json.loads(line) for line in (tmp_path / "kept.jsonl").read_text().splitlines()]
    assert all(row["db_id"] == "transit" and row["sql_component_difficulty"] in CLASSES for row in kept)
