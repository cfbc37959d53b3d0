"""The export asset: files of one partition, and no silent overwrite of another partition's export."""

from __future__ import annotations

import json
import time

import pyarrow.parquet as pq
import pytest

from dataflow_assets.assets import step_node
from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import parse_spec
from tests.conftest import Project

SPEC = parse_spec("""\
name: exported
description: Two words or more.
raw:
  columns: {text: string}
steps:
  - name: words
    op: WordNumberFilter
    config: {min_words: 2}
export:
  columns: [text]
""")


def test_export_files_and_card(project: Project) -> None:
    project.add_raw("exported", "batch.jsonl", '{"text": "keep these words", "url": "u"}\n{"text": "drop"}\n')
    assert project.materialize(SPEC, "batch.jsonl").success
    out = project.files.export_dir("exported")
    assert [json.loads(line) for line in (out / "batch.jsonl").read_text().splitlines()] == [
        {"text": "keep these words"}]  # only the declared export columns, no system columns
    assert pq.read_table(out / "batch.parquet").column_names == ["text"]
    card = (out / "batch.card.md").read_text()
    assert "Two words or more." in card and "| words | 2 | 1 | 1 | word_count_below_min (1) |" in card


def test_export_refuses_to_overwrite_a_same_stem_partition(project: Project) -> None:
    project.add_raw("exported", "batch.jsonl", '{"text": "keep these words"}\n')
    assert project.materialize(SPEC, "batch.jsonl").success
    project.add_raw("exported", "batch.csv", "text\nother kept words\n")
    result = project.materialize(SPEC, "batch.csv")
    assert not result.success
    assert any("would overwrite the export of 'batch.jsonl'" in m for m in failure_messages(result))
    out = project.files.export_dir("exported")
    assert json.loads((out / "batch.jsonl").read_text()) == {"text": "keep these words"}


def test_a_failed_write_before_the_export_leaves_the_old_export_and_no_temporary_files(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.add_raw("exported", "batch.jsonl", '{"text": "keep these words"}\n')
    assert project.materialize(SPEC, "batch.jsonl").success
    out = project.files.export_dir("exported")
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}

    def failing_write(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - fault injection: the step's write fails
        time.sleep(1.0)  # after the export has staged its files
        raise OSError("injected: disk full")

    monkeypatch.setattr(step_node, "write_step_outputs", failing_write)
    project.add_raw("exported", "batch.jsonl", '{"text": "keep these words"}\n{"text": "and these new ones"}\n')
    result = project.materialize(SPEC, "batch.jsonl")
    assert not result.success and any("injected: disk full" in m for m in failure_messages(result))
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before  # staged: discarded
