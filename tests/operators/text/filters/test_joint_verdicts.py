"""Rule filters answering together (``RuleFilter.joint_verdicts``) answer exactly as each one alone."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.registry import all_operators
from operators.text.filters import rule_base
from operators.text.filters.rule_base import RuleFilter, empty_rows, python_lower
from operators.text.filters.words import NoPuncFilter, WordNumberFilter
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.cache import shared_scans
from operators.text.scan.columns import text_slices
from tests.conftest import SAMPLES

RULE_FILTERS = sorted((cls for cls in all_operators().values() if issubclass(cls, RuleFilter)),
                      key=lambda cls: cls.name)
EDGE_TEXTS = [
    None, "", "   ", "\n\n", "İSTANBUL İS BIG", "ALL CAPS SHOUTING HERE NOW", "word " * 300,
    "Lorem ipsum dolor sit amet...\nSecond line…\n• bullet\n– dash", "{{ template }} {x} {y}",
    "visit javascript: now\nJava-Script line\nplain line\nanother line", "Copyright 2024 Confidential",
    "&amp; &nbsp; entity", "a\u00a0b\u2003c\u3000d", "x" * 5000, "emoji 😀 text 🎉 end.",
]


def corpus() -> pa.Table:
    sample = [line for line in (SAMPLES / "web_sample.jsonl").read_text().splitlines() if line]
    texts = [pa.json.read_json(pa.py_buffer(line.encode())).column("text")[0].as_py() for line in sample[:200]]
    return pa.table({"text": pa.array(texts + EDGE_TEXTS, pa.string())})


def test_every_rule_filter_answers_together_as_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rule_base, "JOINT_SLICE_BYTES", 20_000)  # many slices, each shared by all filters
    filters = [cls() for cls in RULE_FILTERS]
    assert len(filters) >= 20
    table, ctx = corpus(), OperatorContext()
    assert len(list(text_slices(filters[0].text(table), rule_base.JOINT_SLICE_BYTES))) > 5
    alone = [f.checked_verdict(table, ctx) for f in filters]
    together = filters[0].joint_verdicts(filters[1:], table, ctx)
    assert len(together) == len(filters)
    for f, (keep, reason), (joint_keep, joint_reason) in zip(filters, alone, together, strict=True):
        assert np.array_equal(keep, joint_keep), f.name
        assert list(np.asarray(reason, dtype=object)[~keep]) == list(np.asarray(joint_reason, dtype=object)[~keep])
    assert sum((~keep).sum() for keep, _ in alone) > 50  # the corpus drops rows for many filters


def test_only_rule_filters_on_one_column_join() -> None:
    first = WordNumberFilter()
    assert first.joins(NoPuncFilter())
    assert not first.joins(NoPuncFilter(inputs={"text": "title"}))  # another column: scanned apart
    from operators.text.dedup.exact import HashDeduplicateFilter

    assert not first.joins(HashDeduplicateFilter())


def test_scans_are_shared_only_inside_the_block() -> None:
    text = pa.chunked_array([["Hello World", None, ""]])
    assert ByteScan.of(text) is not ByteScan.of(text)  # a lone filter keeps nothing
    with shared_scans():
        assert ByteScan.of(text) is ByteScan.of(text)
        assert python_lower(text) is python_lower(text)
        assert ByteScan.of(python_lower(text)) is ByteScan.of(python_lower(text))
        other = pa.chunked_array([["Hello World", None, ""]])
        assert ByteScan.of(other) is not ByteScan.of(text)  # equal values, another object: its own scan
        shared = empty_rows(text)
        assert shared.tolist() == [False, True, True]
        with pytest.raises(ValueError):
            shared[0] = True  # answers shared between filters are read-only
    assert ByteScan.of(text) is not ByteScan.of(text)
