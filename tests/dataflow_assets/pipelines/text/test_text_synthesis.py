"""The LLM text-synthesis pipelines through Dagster on the real local model, and the cache making re-runs free."""

from __future__ import annotations

import json
from typing import Any

import duckdb
from dagster import ExecuteInProcessResult

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from tests.conftest import SAMPLES, Project

SFT = load_spec(builtin_spec("text_sft_synthesis"))
SCRATCH = load_spec(builtin_spec("text_sft_from_scratch"))
SAMPLE_LINES = (SAMPLES / "sft_docs.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
DOCS = "".join(SAMPLE_LINES[i] for i in (0, 1, 2, 6, 7))  # three articles, one spam line, one too short


def step_metadata(result: ExecuteInProcessResult, step: str) -> dict[str, Any]:
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key.path[-1] == step:
            return {key: value.value for key, value in materialization.metadata.items()}
    raise KeyError(step)


def rows(project: Project, pipeline: str, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        cursor = conn.execute(f'SELECT * FROM {pipeline}."{table}" ORDER BY _partition, _row_id')
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_sft_synthesis_materializes_and_a_rerun_makes_no_requests(llm_project: Project) -> None:
    llm_project.add_raw(SFT.name, "docs.jsonl", DOCS)
    first = llm_project.materialize(SFT, "docs.jsonl")
    assert first.success, failure_messages(first)

    seeds = rows(llm_project, SFT.name, "sft_seed")
    filtered = rows(llm_project, SFT.name, "unique_words")
    assert [r["_row_id"] for r in seeds] == [r["_row_id"] for r in filtered] == [1, 2, 3]
    assert sum(1 for r in seeds if r["instruction"] and r["output"]) >= 2  # at most one failed row
    seed_meta = step_metadata(first, "sft_seed")
    assert seed_meta["metric/llm_requests"] >= 3 and seed_meta["metric/llm_cache_hits"] == 0
    assert seed_meta["metric/llm_completion_tokens"] > 0 and seed_meta["metric/llm_tokens_per_s"] > 0

    graded = rows(llm_project, SFT.name, "sft_quality")
    dropped = rows(llm_project, SFT.name, "sft_quality__dropped")
    assert len(graded) + len(dropped) == len(seeds)
    assert all(3 <= r["alpagasus_score"] <= 5 for r in graded)
    assert all(r["_drop_reason"] in {"score_below_min", "llm_error", "empty_input"} for r in dropped)

    second = llm_project.materialize(SFT, "docs.jsonl")
    assert second.success, failure_messages(second)
    for step in ("sft_seed", "sft_quality"):
        meta = step_metadata(second, step)
        assert meta["metric/llm_requests"] == 0, step
        assert meta["metric/llm_cache_hits"] >= len(seeds) - 1, step  # every answered row came from the cache
    assert rows(llm_project, SFT.name, "sft_seed") == seeds  # same rows, not duplicated
    assert rows(llm_project, SFT.name, "sft_quality") == graded

    card = (llm_project.files.export_dir(SFT.name) / "docs.card.md").read_text(encoding="utf-8")
    assert "## Models and token usage" in card and "| sft_seed | local | smollm2-135m-instruct |" in card
    exported = (llm_project.files.export_dir(SFT.name) / "docs.jsonl").read_text().splitlines()
    assert [json.loads(line)["instruction"] for line in exported] == [r["instruction"] for r in graded]


def test_sft_from_scratch_fans_out_topics(llm_project: Project) -> None:
    llm_project.add_raw(SCRATCH.name, "topics.jsonl", '{"topic": "Science > Astronomy > Exoplanets"}\n')
    result = llm_project.materialize(SCRATCH, "topics.jsonl")
    assert result.success, failure_messages(result)
    generated = rows(llm_project, SCRATCH.name, "condor_generate")
    assert [r["_row_id"] for r in generated] == [4, 5, 6]  # seed on line 1: ids 1 * 4 + level
    assert [r["difficulty"] for r in generated] == ["easy", "medium", "hard"]
    refined = rows(llm_project, SCRATCH.name, "condor_refine")
    assert all(r["critique"] for r in refined) and len(refined) == 3
    kept = rows(llm_project, SCRATCH.name, "sft_quality")
    dropped = rows(llm_project, SCRATCH.name, "sft_quality__dropped")
    assert len(kept) + len(dropped) == 3
