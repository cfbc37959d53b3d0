"""The export asset: files of one partition, and no silent overwrite of another partition's export."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from dataflow_assets.runner import failure_messages
from dataflow_assets.spec_loader import parse_spec
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
