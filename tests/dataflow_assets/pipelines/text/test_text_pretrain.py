"""text_pretrain_filter end to end on a real Dagster instance and a real DuckDB file."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import ExecuteInProcessResult, instance_for_test

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from tests.conftest import SAMPLES, Project

SPEC = load_spec(builtin_spec("text_pretrain_filter"))
PARTITIONS = ("web_sample.jsonl", "web_sample_2.jsonl")


def partition_counts(project: Project, table: str) -> dict[str, int]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.sql(f'SELECT _partition, count(*) FROM text_pretrain_filter."{table}" GROUP BY 1').fetchall()
    return dict(rows)


def sample_lines(name: str) -> int:
    return sum(1 for line in (SAMPLES / name).read_text(encoding="utf-8").splitlines() if line.strip())


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, dict[str, ExecuteInProcessResult]]]:
    """Both sample partitions materialized once for the module (each run is ~25 steps)."""
    with instance_for_test() as instance:
        project = Project(tmp_path_factory.mktemp("pipeline"), instance)
        results = {}
        for name in PARTITIONS:
            project.add_raw(SPEC.name, name, SAMPLES / name)
            results[name] = project.materialize(SPEC, name)
            assert results[name].success, failure_messages(results[name])
        yield project, results


def test_two_partitions_flow_to_export(loaded: tuple[Project, dict]) -> None:
    loaded, _ = loaded
    raw = partition_counts(loaded, "raw")
    assert raw == {name: sample_lines(name) for name in PARTITIONS}
    previous = raw
    for step in SPEC.steps:
        kept = partition_counts(loaded, step.name)
        dropped = partition_counts(loaded, f"{step.name}__dropped") if step.op.endswith("Filter") else {}
        for name in PARTITIONS:  # every input row is either kept or dropped with a reason
            assert kept.get(name, 0) + dropped.get(name, 0) == previous[name], step.name
        previous = {name: kept.get(name, 0) for name in PARTITIONS}
    final = previous
    assert all(0 < final[name] < raw[name] for name in PARTITIONS)  # the sample has both good and bad rows
    out = loaded.files.export_dir(SPEC.name)
    for name in PARTITIONS:
        stem = name.removesuffix(".jsonl")
        lines = (out / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == final[name] and all("text" in json.loads(line) for line in lines)
        assert pq.read_table(out / f"{stem}.parquet").num_rows == final[name]
        card = (out / f"{stem}.card.md").read_text(encoding="utf-8")
        assert f"exported rows: **{final[name]}**" in card and "| raw |" in card


def test_rematerializing_a_partition_changes_no_counts(loaded: tuple[Project, dict]) -> None:
    loaded, _ = loaded
    tables = ["raw", *(s.name for s in SPEC.steps)]
    before = {t: partition_counts(loaded, t) for t in tables}
    result = loaded.materialize(SPEC, PARTITIONS[0])
    assert result.success
    assert {t: partition_counts(loaded, t) for t in tables} == before


def test_materialization_metadata_and_checks(loaded: tuple[Project, dict]) -> None:
    result = loaded[1][PARTITIONS[0]]
    metadata = {e.materialization.asset_key.path[-1]: e.materialization.metadata
                for e in result.get_asset_materialization_events()}
    assert set(metadata) == {"raw", "export", *(s.name for s in SPEC.steps)}
    for step in SPEC.steps:
        meta = metadata[step.name]
        assert {"dagster/row_count", "dagster/column_schema", "preview", "kept", "dropped", "drop_reasons"} <= set(meta)
        assert meta["kept"].value == meta["dagster/row_count"].value
        assert meta["dropped"].value == sum(meta["drop_reasons"].value.values())
        assert "text" in [c.name for c in meta["dagster/column_schema"].schema.columns]
        assert meta["preview"].value.startswith("| ")
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= len(SPEC.steps)
    assert {e.check_name for e in evaluations} >= {"non_empty", "retention"}


def test_malformed_jsonl_fails_with_line_and_stores_nothing(project: Project) -> None:
    project.add_raw(SPEC.name, "good.jsonl", SAMPLES / PARTITIONS[1])
    assert project.materialize(SPEC, "good.jsonl").success
    lines = (SAMPLES / PARTITIONS[0]).read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6][:-5]  # cut the end of line 7: invalid JSON
    project.add_raw(SPEC.name, "bad.jsonl", "\n".join(lines) + "\n")
    result = project.materialize(SPEC, "bad.jsonl")
    assert not result.success
    errors = failure_messages(result)
    assert any("bad.jsonl:7:" in message and "invalid JSON" in message for message in errors), errors
    assert "bad.jsonl" not in partition_counts(project, "raw")
    assert partition_counts(project, "raw") == {"good.jsonl": sample_lines(PARTITIONS[1])}
