"""The TextRefiner base (rows_changed, nulls, column binding), Python-exact classes and data files."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from operators.base import OperatorContext, OperatorKind
from operators.registry import all_operators, describe
from operators.text.refiners.base import TextRefiner, py_class, regex_replace, replace_each_match
from operators.text.refiners.characters import LowercaseRefiner, RemoveEmojiRefiner, RemoveExtraSpacesRefiner, emoticons
from operators.text.refiners.lexical import contraction_map

REFINERS = [
    "HtmlEntityRefiner",
    "HtmlUrlRemoverRefiner",
    "LowercaseRefiner",
    "ReferenceRemoverRefiner",
    "RemoveContractionsRefiner",
    "RemoveEmojiRefiner",
    "RemoveEmoticonsRefiner",
    "RemoveExtraSpacesRefiner",
    "RemoveImageRefsRefiner",
    "RemoveNumberRefiner",
    "RemoveRepetitionsPunctuationRefiner",
    "TextNormalizationRefiner",
]


def test_all_refiners_registered_with_contract() -> None:
    operators = all_operators()
    for name in REFINERS:
        cls = operators[name]
        assert issubclass(cls, TextRefiner)
        assert cls.kind == OperatorKind.REFINE
        assert cls.inputs == ("text",) and cls.outputs == ("text",)
        info = describe(cls)
        assert info["description"] and info["kind"] == "refine"


@pytest.mark.parametrize("name", REFINERS)
def test_edge_rows_keep_length_nulls_and_types(name: str) -> None:
    cls = all_operators()[name]
    table = pa.table({"text": ["", "   ", None, "\ufffd\ufffd", "plain"], "id": [1, 2, 3, 4, 5]})
    result = cls().run(table, OperatorContext())
    out = result.table
    assert out.num_rows == 5 and out.column("id").to_pylist() == [1, 2, 3, 4, 5]
    assert out.column("text").type == pa.string()
    texts = out.column("text").to_pylist()
    assert texts[0] == "" and texts[2] is None
    changed = sum(1 for a, b in zip(table.column("text").to_pylist(), texts, strict=True) if a is not None and a != b)
    assert result.metrics["rows_changed"] == changed
    empty = cls().run(table.slice(0, 0), OperatorContext())
    assert empty.table.num_rows == 0 and empty.metrics["rows_changed"] == 0


def test_rows_changed_counts_only_rewritten_rows() -> None:
    table = pa.table({"text": ["ABC", "abc", None, "Déjà VU", ""]})
    result = LowercaseRefiner().run(table, OperatorContext())
    assert result.table.column("text").to_pylist() == ["abc", "abc", None, "déjà vu", ""]
    assert result.metrics == {"rows_changed": 2}


def test_output_bound_to_another_column_keeps_input() -> None:
    table = pa.table({"body": ["a  b", "c"]})
    op = RemoveExtraSpacesRefiner(inputs={"text": "body"}, outputs={"text": "clean"})
    result = op.run(table, OperatorContext())
    assert result.table.column("body").to_pylist() == ["a  b", "c"]
    assert result.table.column("clean").to_pylist() == ["a b", "c"]
    assert result.metrics["rows_changed"] == 1


def test_multi_chunk_and_large_string_columns() -> None:
    chunked = pa.chunked_array([pa.array(["x😀", None]), pa.array(["😀😀y", "z"])])
    result = RemoveEmojiRefiner().run(pa.table({"text": chunked}), OperatorContext())
    assert result.table.column("text").to_pylist() == ["x", None, "y", "z"]
    assert result.metrics["rows_changed"] == 2
    large = pa.table({"text": pa.array(["A😀", "b"], pa.large_string())})
    out = LowercaseRefiner().run(large, OperatorContext())
    assert out.table.column("text").type == pa.large_string()
    assert out.table.column("text").to_pylist() == ["a😀", "b"]


def test_config_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError):
        LowercaseRefiner({"bogus": 1})


@pytest.mark.parametrize("kind", ["w", "s", "d"])
def test_py_class_matches_python_re(kind: str) -> None:
    sample = [chr(cp) for cp in range(0, 0x3100)] + ["\U0001d7ce", "\U00010400", "\U0001f600", "\u3000", "\uff10"]
    column = pa.array([ch for ch in sample if not 0xD800 <= ord(ch) <= 0xDFFF])
    got = pc.match_substring_regex(column, f"^[{py_class(kind)}]$").to_pylist()
    expected = [re.fullmatch(f"\\{kind}", ch) is not None for ch in column.to_pylist()]
    assert got == expected


def test_py_class_isdigit_and_exclude() -> None:
    column = pa.array(["7", "²", "①", "٣", "x", "½", " ", "\t"])
    got = pc.match_substring_regex(column, f"^[{py_class('isdigit')}]$").to_pylist()
    assert got == [ch.isdigit() for ch in column.to_pylist()] == [True, True, True, True, False, False, False, False]
    no_space = pc.match_substring_regex(column, f"^[{py_class('s', exclude=' ')}]$").to_pylist()
    assert no_space == [False] * 6 + [False, True]


def test_regex_replace_sparse_equals_dense() -> None:
    rows = pa.chunked_array([pa.array(["a1b22", None, "none"] * 5), pa.array(["33", "x"])])
    dense = regex_replace(rows, r"(\d)+", r"<\1>")
    assert regex_replace(rows, r"(\d)+", r"<\1>", sparse=True).to_pylist() == dense.to_pylist()
    assert regex_replace(rows, "q", "", sparse=True).to_pylist() == rows.to_pylist()


def test_replace_each_match_maps_distinct_matches() -> None:
    rows = pa.chunked_array([pa.array(["ab cd ab", None, "zz", "abab"])])
    out = replace_each_match(rows, "ab|cd", lambda found: [s.upper() + str(len(found)) for s in found])
    assert out.to_pylist() == ["AB2 CD2 AB2", None, "zz", "AB2AB2"]
    # The column already holds the first marker code point: another one is chosen.
    tricky = pa.chunked_array([pa.array(["\ufdd0ab\ufdd0"])])
    assert replace_each_match(tricky, "ab", lambda found: ["X"] * len(found)).to_pylist() == ["\ufdd0X\ufdd0"]


def test_shipped_data_files() -> None:
    items = emoticons()
    assert len(items) == 221 and len(set(items)) == 221
    assert "=_^= " in items and "#‑)" in items and ":-)))" in items
    mapping = contraction_map()
    assert len(mapping) == 633
    assert mapping["r "] == "are " and mapping["'d"] == " would" and mapping["kk"] == "okay"
    assert mapping["don't"] == "do not" and mapping["don’t"] == "do not" and mapping["jan."] == "january"
    assert all(key == key.lower() for key in mapping)
