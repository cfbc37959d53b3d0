"""Dedup across partitions through real Dagster materializations and a real DuckDB file."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest
from dagster import instance_for_test

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.model import PipelineSpec
from operators.base import OperatorContext
from operators.registry import get_operator
from resources.warehouse.step_index import stale_partitions
from tests.conftest import Project
from tests.operators.text.dedup.corpus import make_corpus, score

SPEC = PipelineSpec.model_validate({
    "name": "dedup_global",
    "raw": {"columns": {"text": "string"}},
    "steps": [
        {"name": "exact", "op": "HashDeduplicateFilter"},
        {"name": "near", "op": "MinHashDeduplicateFilter",
         "checks": [{"check": "drop_reason_share", "reason": "near_duplicate", "max": 0.5, "severity": "WARN"}]},
    ],
})


def jsonl(texts: list[str]) -> str:
    return "".join(json.dumps({"text": text}) + "\n" for text in texts)


def query(project: Project, sql: str) -> list[tuple]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        return conn.sql(sql).fetchall()


def dropped(project: Project, step: str, partition: str, pipeline: str = SPEC.name) -> list[tuple]:
    return query(project, f"SELECT _row_id, _drop_reason, duplicate_of_partition, duplicate_of_row_id FROM "
                          f"{pipeline}.{step}__dropped WHERE _partition = '{partition}' ORDER BY _row_id")


def materialize(project: Project, partition: str, spec: PipelineSpec = SPEC) -> dict[str, dict]:
    result = project.materialize(spec, partition)
    assert result.success, failure_messages(result)
    checks = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks[(step.name, "index_consistency")] is not None for step in spec.steps)
    return {"checks": checks, "metadata": {e.materialization.asset_key.path[-1]: e.materialization.metadata
                                           for e in result.get_asset_materialization_events()}}


def provenance(project: Project, lines: dict[str, list[int]], pipeline: str = SPEC.name) -> dict[int, int]:
    """Dropped rows of both steps as corpus position -> corpus position of the copy it duplicates."""
    found: dict[int, int] = {}
    for step in ("exact", "near"):
        for partition, positions in lines.items():
            for row_id, _, of_partition, of_row in dropped(project, step, partition, pipeline):
                found[positions[row_id - 1]] = lines[of_partition][of_row - 1]
    return found


def add_split(project: Project) -> dict[str, list[int]]:
    """The corpus as two raw files in ingest order: the first 45 documents, then the rest."""
    corpus = make_corpus()
    lines = {"a.jsonl": list(range(45)), "b.jsonl": list(range(45, len(corpus.texts)))}
    for name, positions in lines.items():
        project.add_raw(SPEC.name, name, jsonl([corpus.texts[i] for i in positions]))
    return lines


@pytest.fixture(scope="module")
def split_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, dict, dict]]:
    """Both partitions materialized once, in ingest order, for the module (the last test rewrites them)."""
    with instance_for_test() as instance:
        project = Project(tmp_path_factory.mktemp("dedup"), instance)
        lines = add_split(project)
        results = {name: materialize(project, name) for name in lines}
        yield project, lines, results


def test_second_partition_is_deduplicated_against_the_first(split_run: tuple[Project, dict, dict]) -> None:
    project, lines, results = split_run
    corpus = make_corpus()
    first, second = results["a.jsonl"], results["b.jsonl"]
    found = provenance(project, lines)
    assert score(corpus, found) == (1.0, 1.0)
    crossing = {row for row, of in found.items() if row in lines["b.jsonl"] and of in lines["a.jsonl"]}
    assert len(crossing) >= 3  # copies in b of originals in a, dropped with a's provenance
    assert second["metadata"]["near"]["metric/duplicates_of_earlier_partitions"].value + second["metadata"]["exact"][
        "metric/duplicates_of_earlier_partitions"].value == len(crossing)
    for result in (first, second):
        assert result["checks"][("near", "index_consistency")] and result["checks"][("exact", "index_consistency")]
    for step in ("exact", "near"):  # index rows = kept rows, per partition
        kept = dict(query(project, f"SELECT _partition, count(*) FROM dedup_global.{step} GROUP BY 1"))
        index = dict(query(project, f"SELECT _partition, count(*) FROM dedup_global.{step}__index GROUP BY 1"))
        assert kept == index


def test_one_partition_or_two_keep_the_same_documents(split_run: tuple[Project, dict, dict]) -> None:
    project, lines, _ = split_run
    corpus = make_corpus()
    whole = SPEC.model_copy(update={"name": "dedup_whole"})
    project.add_raw(whole.name, "all.jsonl", jsonl(corpus.texts))
    materialize(project, "all.jsonl", whole)
    together = provenance(project, {"all.jsonl": list(range(len(corpus.texts)))}, whole.name)
    assert provenance(project, lines) == together and len(together) == 20


def test_rematerializing_is_idempotent_and_earlier_partitions_do_not_rewrite_later_ones(
    split_run: tuple[Project, dict, dict],
) -> None:
    project, _, _ = split_run
    steps = ("exact", "near")
    before = {step: (dropped(project, step, "a.jsonl"), dropped(project, step, "b.jsonl")) for step in steps}
    materialize(project, "b.jsonl")
    materialize(project, "a.jsonl")
    assert {step: (dropped(project, step, "a.jsonl"), dropped(project, step, "b.jsonl")) for step in steps} == before
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        assert stale_partitions(conn, SPEC.name, "near", ["a.jsonl", "b.jsonl"]) == []

    # a's file changes: re-materializing a leaves b as it was, and b is reported stale until it runs again
    project.add_raw(SPEC.name, "a.jsonl", jsonl([f"a replacement document number {i} " * 8 for i in range(45)]))
    materialize(project, "a.jsonl")
    assert dropped(project, "near", "b.jsonl") == before["near"][1]
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        assert stale_partitions(conn, SPEC.name, "near", ["a.jsonl", "b.jsonl"]) == ["b.jsonl"]
    materialize(project, "b.jsonl")
    assert all(of == "b.jsonl" for _, _, of, _ in dropped(project, "near", "b.jsonl"))
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        assert stale_partitions(conn, SPEC.name, "near", ["a.jsonl", "b.jsonl"]) == []


def test_a_partition_run_before_an_earlier_one_is_flagged(project: Project) -> None:
    add_split(project)
    project.instance.add_dynamic_partitions("dedup_global__batches", ["a.jsonl", "b.jsonl"])
    result = materialize(project, "b.jsonl")
    assert result["metadata"]["near"]["metric/earlier_partitions_missing"].value == 1
    assert result["checks"][("near", "index_consistency")] is False
    assert materialize(project, "a.jsonl")["checks"][("near", "index_consistency")] is True
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        assert stale_partitions(conn, SPEC.name, "near", ["a.jsonl", "b.jsonl"]) == ["b.jsonl"]


@pytest.mark.parametrize("op", ["SimHashDeduplicateFilter", "NgramHashDeduplicateFilter", "CCNetDeduplicateFilter"])
def test_every_method_matches_against_earlier_partitions(project: Project, op: str) -> None:
    corpus = make_corpus()
    spec = PipelineSpec.model_validate({"name": "dedup_method", "raw": {"columns": {"text": "string"}},
                                        "steps": [{"name": "dedup", "op": op}]})
    lines = {"a.jsonl": list(range(45)), "b.jsonl": list(range(45, len(corpus.texts)))}
    for name, positions in lines.items():
        project.add_raw(spec.name, name, jsonl([corpus.texts[i] for i in positions]))
        assert materialize(project, name, spec)["checks"][("dedup", "index_consistency")]
    found: dict[int, int] = {}
    for partition, positions in lines.items():
        for row_id, _, of_partition, of_row in dropped(project, "dedup", partition, spec.name):
            found[positions[row_id - 1]] = lines[of_partition][of_row - 1]
    alone = get_operator(op)().run(pa.table({"id": list(range(len(corpus.texts))), "text": corpus.texts}),
                                   OperatorContext())
    assert found == dict(zip(alone.dropped["id"].to_pylist(), alone.dropped["duplicate_of_row_id"].to_pylist(),
                             strict=True))
    assert any(row in lines["b.jsonl"] and of in lines["a.jsonl"] for row, of in found.items())
    assert score(corpus, found)[1] == 1.0
