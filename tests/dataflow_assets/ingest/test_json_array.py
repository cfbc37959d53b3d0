"""DataFlow's ``.json`` files: one JSON array of records, read as rows with errors naming the line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataflow_assets.ingest.reader import RawFileError, read_raw
from dataflow_assets.ingest.stream import read_raw_chunks
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from dataflow_assets.spec.model import RawSpec

# rows shaped like DataFlow's ReasoningPipeline example file (a pretty-printed array, as pandas writes it)
DATAFLOW_MATH = [
    {"instruction": "What is 1/2 + 1/4?", "output": None, "golden_answer": "\\frac{3}{4}", "source": "gsm8k"},
    {"instruction": "Compute 2^{10}.", "output": None, "golden_answer": "1024", "source": "math"},
    {"instruction": "Solve x^2 = 9.", "output": None, "golden_answer": "\\pm 3", "source": "math"},
]


def write(tmp_path: Path, text: str, name: str = "rows.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dataflows_math_example_reads_with_the_math_reasoning_raw_spec(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(DATAFLOW_MATH, indent=4))
    table = read_raw(path, load_spec(builtin_spec("math_reasoning")).raw).table
    assert table.column("_row_id").to_pylist() == [1, 2, 3]
    assert table.column("golden_answer").to_pylist() == [r["golden_answer"] for r in DATAFLOW_MATH]
    assert table.column("output").null_count == 3


def test_an_array_on_one_line_gets_one_row_id_per_record(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff" + json.dumps([{"text": "a"}, {"text": "b"}]))
    assert read_raw(path, RawSpec(columns={"text": "string"})).table.column("_row_id").to_pylist() == [1, 2]


def test_a_large_array_is_read_whole_not_cut_into_lines(tmp_path: Path) -> None:
    rows = [{"text": f"document {i} " * 20} for i in range(2000)]
    path = write(tmp_path, json.dumps(rows, indent=2))
    chunks = read_raw_chunks(path, RawSpec(columns={"text": "string"}), block_bytes=4096)
    assert chunks.rows.num_rows == 2000


@pytest.mark.parametrize(("text", "message", "line", "column"), [
    ('[\n  {"text": "a"},\n  {"text": "b",}\n]', "invalid JSON", 3, 16),
    ('[\n  {"text": "a"},\n  "plain"\n]', "expected a JSON object, got str", 3, 3),
    ('[\n  {"text": "a"}\n  {"text": "b"}\n]', "expected ',' or ']'", 3, 3),
    ('[\n  {"text": "a"},\n  {"text": 7}\n]', "column 'text' must be string", 3, None),
    ('[\n  {"text": "a"},\n  {"text": NaN}\n]', "is not a JSON number", 3, None),
    ('[\n  {"text": "a"}', "not closed", 2, None),
    ('[{"text": "a"}] trailing', "after the closing", 1, None),
])
def test_errors_name_the_line_and_column(tmp_path: Path, text: str, message: str, line: int,
                                         column: int | None) -> None:
    with pytest.raises(RawFileError) as caught:
        read_raw(write(tmp_path, text), RawSpec(columns={"text": "string"}))
    assert message in str(caught.value) and caught.value.line == line, str(caught.value)
    if column is not None:
        assert caught.value.column == column, str(caught.value)


def test_an_empty_array_has_no_records(tmp_path: Path) -> None:
    with pytest.raises(RawFileError, match="no records"):
        read_raw(write(tmp_path, "[ ]"), RawSpec(columns={"text": "string"}))
