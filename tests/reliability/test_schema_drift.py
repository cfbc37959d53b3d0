"""Column types across batches through Dagster: a stored column widens without loss or the batch stops with the
file, the column and both types; the warehouse and the export always hold the same values."""

from __future__ import annotations

import json

import duckdb

from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import parse_spec
from tests.conftest import Project

SPEC = parse_spec("""\
name: drift
raw:
  columns: {text: string}
steps:
  - name: words
    op: WordNumberFilter
    config: {min_words: 1}
""")
BATCHES = {
    "a.jsonl": [{"text": "alpha beta", "score": 1, "meta": {"a": 1}, "ok": True},
                {"text": "gamma", "score": 2, "meta": {"a": 2}, "ok": False}],
    "b.jsonl": [{"text": "delta", "score": 0.75, "meta": {"a": 3, "b": "x"}, "ok": True}],  # widens two columns
    "c.jsonl": [{"text": "epsilon", "score": "high", "meta": {"a": 4}, "ok": True}],  # text into a number column
    "d.jsonl": [{"text": "zeta", "score": 3, "meta": {"a": 5}, "ok": 1}],  # 1 into a boolean column
}


def stored(project: Project, partition: str) -> list[dict]:
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        return conn.sql("SELECT * EXCLUDE (_partition, _row_id) FROM drift.raw WHERE _partition = ? ORDER BY _row_id",
                        params=[partition]).to_arrow_table().to_pylist()


def exported(project: Project, partition: str) -> list[dict]:
    path = project.files.export_dir("drift") / partition
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def same_values(export_row: dict, warehouse_row: dict) -> bool:
    """Equal values; a struct field the warehouse added later is null where the export never had it."""
    for key, value in warehouse_row.items():
        mine = export_row.get(key)
        if isinstance(value, dict):
            if not same_values(mine or {}, value):
                return False
        elif mine != value:
            return False
    return set(export_row) <= set(warehouse_row)


def test_widening_works_narrowing_refuses_and_warehouse_equals_export(project: Project) -> None:
    for name, rows in BATCHES.items():
        project.add_raw("drift", name, "".join(json.dumps(row) + "\n" for row in rows))
    for name in ("a.jsonl", "b.jsonl"):
        result = project.materialize(SPEC, name)
        assert result.success, failure_messages(result)
    assert stored(project, "a.jsonl") == [
        {"text": "alpha beta", "score": 1.0, "meta": {"a": 1, "b": None}, "ok": True},
        {"text": "gamma", "score": 2.0, "meta": {"a": 2, "b": None}, "ok": False}]
    assert stored(project, "b.jsonl") == [{"text": "delta", "score": 0.75, "meta": {"a": 3, "b": "x"}, "ok": True}]
    for name in ("a.jsonl", "b.jsonl"):
        assert all(same_values(e, w) for e, w in zip(exported(project, name), stored(project, name), strict=True))

    for name, column, stored_type, new_type in (("c.jsonl", "score", "DOUBLE", "VARCHAR"),
                                                ("d.jsonl", "ok", "BOOLEAN", "BIGINT")):
        result = project.materialize(SPEC, name)
        assert not result.success
        (message,) = failure_messages(result)
        assert message.startswith("SchemaDriftError: ") and f"{name}: column {column!r}" in message
        assert f"is stored as {stored_type}, but this batch has {new_type}" in message
        assert stored(project, name) == []  # nothing of the batch is stored
    assert len(stored(project, "a.jsonl")) == 2 and len(stored(project, "b.jsonl")) == 1
