"""The shared thread pool, and that operators answer the same on it as inline and unsliced."""

from __future__ import annotations

import random
import threading

import numpy as np
import pyarrow as pa
import pytest

from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from operators import parallel
from operators.base import REASON_COLUMN, Filter, OperatorContext, Verdict
from operators.parallel import filter_rows, parallel_map, thread_count
from operators.registry import get_operator
from operators.text.filters.rule_base import RuleFilter
from operators.text.refiners.base import TextRefiner
from operators.text.scan.columns import text_slices

SPEC = builtin_spec("text_pretrain_filter")


def spec_operators(kind: type) -> list:
    spec = load_spec(SPEC)
    ops = [get_operator(step.op)(step.config, step.inputs, step.outputs) for step in spec.steps]
    return [op for op in ops if isinstance(op, kind)]


def mixed_rows(count: int, seed: int) -> list[str | None]:
    """Rows that trip every filter of the spec now and then: words, lines, markup, repetition, unicode."""
    rng = random.Random(seed)
    pieces = ["The quick brown fox.", "SHOUTING LOUDLY", "lorem ipsum", "Copyright 2024", "&nbsp;", "{x}",
              "var x = 1; javascript", "• item", "wait...", "é数😀\u3000", "sex", "http://a.b/c", "<b>bold</b>",
              "word " * 30, "\n", "  ", "#tag", ":"]
    rows: list[str | None] = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))) for _ in range(count)]
    rows[3], rows[7] = None, ""
    return rows


def test_parallel_map_keeps_order_and_uses_pool_threads(monkeypatch):
    monkeypatch.setenv(parallel.THREADS_ENV, "2")
    names: set[str] = set()

    def task(item: int) -> int:
        names.add(threading.current_thread().name)
        return item * item

    assert parallel_map(task, range(50)) == [i * i for i in range(50)]
    assert names and all(name.startswith("dataflow-cpu") for name in names)


def test_one_thread_runs_inline_in_order(monkeypatch):
    monkeypatch.setenv(parallel.THREADS_ENV, "1")
    seen: list[tuple[int, str]] = []
    parallel_map(lambda item: seen.append((item, threading.current_thread().name)), range(5))
    assert seen == [(i, threading.current_thread().name) for i in range(5)]


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_bad_thread_count_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(parallel.THREADS_ENV, value)
    with pytest.raises(ValueError, match="DATAFLOW_THREADS"):
        thread_count()


def test_nested_calls_run_inline_instead_of_waiting_on_the_pool(monkeypatch):
    monkeypatch.setenv(parallel.THREADS_ENV, "2")
    answers: list[list[list[int]]] = []
    outer = threading.Thread(target=lambda: answers.append(
        parallel_map(lambda i: parallel_map(lambda j: i * 10 + j, range(3)), range(6))))
    outer.start()
    outer.join(timeout=30)
    assert not outer.is_alive(), "nested parallel_map deadlocked"
    assert answers == [[[i * 10 + j for j in range(3)] for i in range(6)]]


def test_a_failing_task_raises_its_error(monkeypatch):
    monkeypatch.setenv(parallel.THREADS_ENV, "2")

    def task(item: int) -> int:
        if item == 7:
            raise KeyError("seven")
        return item

    with pytest.raises(KeyError, match="seven"):
        parallel_map(task, range(10))


@pytest.mark.parametrize("op", spec_operators(RuleFilter), ids=lambda op: op.name)
def test_rule_filters_of_the_spec_answer_the_same_threaded_inline_and_unsliced(monkeypatch, op):
    table = pa.table({"text": pa.array(mixed_rows(300, 5), pa.string())})
    whole = op.verdict(table, OperatorContext())
    monkeypatch.setattr(op, "slice_bytes", 400)  # a few dozen slices
    assert len(list(text_slices(op.text(table), op.slice_bytes))) > 20
    answers = []
    for threads in ("1", "3"):
        monkeypatch.setenv(parallel.THREADS_ENV, threads)
        answers.append(op.verdict(table, OperatorContext()))
    for verdict in answers:
        assert verdict.keep.tolist() == whole.keep.tolist()
        assert verdict.reason.tolist() == whole.reason.tolist()
    assert 0 < whole.keep.sum() < len(table) or op.name in {"ContentNullFilter", "ColonEndFilter"}


@pytest.mark.parametrize("op", spec_operators(TextRefiner), ids=lambda op: op.name)
def test_refiners_of_the_spec_answer_the_same_threaded_inline_and_unsliced(monkeypatch, op):
    table = pa.table({"text": pa.array(mixed_rows(300, 6), pa.string()), "id": list(range(300))})
    whole = op.run(table, OperatorContext())
    monkeypatch.setattr(op, "slice_bytes", 400)
    assert len(list(text_slices(op.text(table), op.slice_bytes))) > 20
    for threads in ("1", "3"):
        monkeypatch.setenv(parallel.THREADS_ENV, threads)
        result = op.run(table, OperatorContext())
        assert result.table.column("text").to_pylist() == whole.table.column("text").to_pylist()
        assert result.table.column("text").type == pa.string()
        assert result.metrics == whole.metrics and whole.metrics["rows_changed"] > 0


class _EveryOther(Filter):
    """A test-only filter: drops odd ``id`` rows (reason per row) or none, as told."""

    name = "EveryOther"
    inputs = ("text",)

    def __init__(self, drop_any: bool) -> None:
        super().__init__()
        self.drop_any = drop_any

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        ids = batch.column("id").to_pylist()
        keep = [not (self.drop_any and i % 2) for i in ids]
        return Verdict(keep=keep, reason=[None if k else f"odd_{i % 3}" for i, k in zip(ids, keep, strict=True)])


def test_filter_run_keeps_the_batch_itself_when_nothing_is_dropped():
    table = pa.table({"id": list(range(6)), "text": ["a"] * 6})
    result = _EveryOther(drop_any=False).run(table, OperatorContext())
    assert result.table is table
    assert result.dropped.num_rows == 0 and result.dropped.schema.field(REASON_COLUMN).type == pa.string()
    assert result.drop_counts == {}


def test_filter_run_splits_rows_and_counts_reasons():
    table = pa.table({"id": list(range(7)), "text": list("abcdefg")})
    result = _EveryOther(drop_any=True).run(table, OperatorContext())
    assert result.table.column("id").to_pylist() == [0, 2, 4, 6]
    assert result.dropped.column("id").to_pylist() == [1, 3, 5]
    assert result.dropped.column(REASON_COLUMN).to_pylist() == ["odd_1", "odd_0", "odd_2"]
    assert result.drop_counts == {"odd_0": 1, "odd_1": 1, "odd_2": 1}


@pytest.mark.parametrize("threads", ["1", "3"])
def test_filter_rows_equals_arrow_filter(monkeypatch, threads):
    monkeypatch.setenv(parallel.THREADS_ENV, threads)
    rows = mixed_rows(500, 8)
    table = pa.Table.from_batches(pa.table({"id": list(range(500)), "text": pa.array(rows, pa.string())}).to_batches(
        max_chunksize=37))
    rng = np.random.default_rng(1)
    for mask in (rng.random(500) < 0.7, np.ones(500, bool), np.zeros(500, bool)):
        got = filter_rows(table, mask)
        assert got.equals(table.filter(pa.array(mask)))
        assert got.column("text").num_chunks <= table.column("text").num_chunks
