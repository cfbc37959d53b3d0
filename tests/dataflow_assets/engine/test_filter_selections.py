"""A chain of filters handing on row selections instead of copies answers exactly as Filter.run does."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from dataflow_assets.engine import step_run
from dataflow_assets.engine.profile import ProfileBuilder
from dataflow_assets.ingest.reader import read_raw
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from operators.base import OperatorContext
from operators.registry import get_operator
from resources.warehouse.row_chunks import Chunk, RowChunks
from tests.conftest import SAMPLES

SPEC = load_spec(builtin_spec("text_pretrain_filter"))
FILTERS = [step for step in SPEC.steps
           if step_run.verdict_only(get_operator(step.op)(step.config, step.inputs, step.outputs))]


def chunked(table: pa.Table, size: int, spill: bool) -> RowChunks:
    rows = RowChunks()
    for start in range(0, table.num_rows, size):
        rows.append(table.slice(start, size), spill)
    return rows


def whole(table: pa.Table) -> list[tuple[pa.Table, pa.Table, dict]]:
    """The reference: Filter.run on the whole table, step after step, copying the kept rows each time."""
    answers = []
    for step in FILTERS:
        result = get_operator(step.op)(step.config, step.inputs, step.outputs).run(table, OperatorContext())
        answers.append((result.table, result.dropped, result.drop_counts))
        table = result.table
    return answers


@pytest.mark.parametrize(("compact_below", "spill"), [(0.0, False), (0.9, False), (0.97, True), (1.01, False)])
def test_selections_answer_as_copies(compact_below: float, spill: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(step_run, "COMPACT_BELOW", compact_below)  # 0: never copy, 1.01: copy at every drop
    table = read_raw(SAMPLES / "web_sample.jsonl", SPEC.raw).table
    expected = whole(table)
    rows = chunked(table, 37, spill)
    assert len(FILTERS) >= 15
    for step, (kept, dropped, counts) in zip(FILTERS, expected, strict=True):
        operator = get_operator(step.op)(step.config, step.inputs, step.outputs)
        out = step_run.run_operator(operator, rows, OperatorContext(), ProfileBuilder(["text"]), drops_only=True)
        assert out.kept.to_table().equals(kept), step.name
        assert out.dropped is not None and out.dropped.to_table().equals(dropped), step.name
        assert out.drop_counts == counts and out.input_rows == rows.num_rows, step.name
        assert out.profile.num_rows == kept.num_rows and out.profile.head.equals(kept.slice(0, 5)), step.name
        blank = int(np.sum([not (text or "").strip() for text in kept.column("text").to_pylist()]))
        assert out.profile.blanks.get("text", 0) == blank, step.name
        rows = out.kept
    assert sum(len(counts) for _, _, counts in expected) > 5  # the sample drops rows for many reasons
    if compact_below == 0.0:  # nothing was copied: every chunk still selects from its first table
        assert all(chunk.rows is not None for chunk in rows.chunks)


@pytest.mark.parametrize(("compact_below", "spill"), [(0.9, False), (0.97, True)])
def test_a_chain_answers_as_its_filters_one_after_another(
    compact_below: float, spill: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(step_run, "COMPACT_BELOW", compact_below)
    table = read_raw(SAMPLES / "web_sample.jsonl", SPEC.raw).table
    expected = whole(table)
    operators = [get_operator(step.op)(step.config, step.inputs, step.outputs) for step in FILTERS]
    assert all(operators[0].joins(op) for op in operators[1:])  # the spec's rule filters form one chain
    rows = chunked(table, 37, spill)
    outputs = step_run.filter_chain([(op, OperatorContext(), ProfileBuilder(["text"])) for op in operators], rows)
    input_rows = rows.num_rows
    for step, out, (kept, dropped, counts) in zip(FILTERS, outputs, expected, strict=True):
        assert out.kept.to_table().equals(kept), step.name
        assert out.dropped is not None and out.dropped.to_table().equals(dropped), step.name
        assert out.drop_counts == counts and out.input_rows == input_rows, step.name
        assert out.profile.num_rows == kept.num_rows and out.profile.head.equals(kept.slice(0, 5)), step.name
        blank = int(np.sum([not (text or "").strip() for text in kept.column("text").to_pylist()]))
        assert out.profile.blanks.get("text", 0) == blank, step.name  # counted on the chain's shared blank mask
        input_rows = kept.num_rows


def test_a_chunk_reads_its_selected_rows_in_their_order() -> None:
    table = pa.table({"i": pa.chunked_array([[0, 1], [2, 3, 4]])})
    for rows in ([1, 3, 4], [4, 0, 2], [2], []):
        chunk = Chunk(table=table, rows=np.array(rows, dtype=np.int64))
        assert chunk.read().column("i").to_pylist() == rows
