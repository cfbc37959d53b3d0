"""Raw files: stable row ids, and bad input rejected with file, line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataflow_assets.ingest.arrow_jsonl import is_blank, is_utf8
from dataflow_assets.ingest.reader import RawFileError, read_raw
from dataflow_assets.ingest.stream import read_raw_chunks
from dataflow_assets.spec.model import RawSpec

SPEC = RawSpec(columns={"text": "string"})


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_jsonl_row_ids_are_line_numbers_and_extra_columns_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", '{"text": "one", "url": "u1"}\n\n{"text": "two"}\n')
    batch = read_raw(path, SPEC)
    assert batch.table.column("_row_id").to_pylist() == [1, 3]
    assert batch.table.column("url").to_pylist() == ["u1", None]
    assert len(batch.sha256) == 64


def test_malformed_jsonl_line_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", '{"text": "ok"}\n{"text": "broken\n')
    with pytest.raises(RawFileError) as err:
        read_raw(path, SPEC)
    assert str(err.value).startswith(f"{path}:2:10: invalid JSON")


def test_missing_and_mistyped_required_columns(tmp_path: Path) -> None:
    with pytest.raises(RawFileError, match=r"a.jsonl:2: record lacks required column 'text'"):
        read_raw(write(tmp_path, "a.jsonl", '{"text": "x"}\n{"body": "y"}\n'), SPEC)
    with pytest.raises(RawFileError, match=r"b.jsonl:1: column 'text' must be string, got int"):
        read_raw(write(tmp_path, "b.jsonl", '{"text": 5}\n'), SPEC)
    with pytest.raises(RawFileError, match=r"c.jsonl:1:1: expected a JSON object, got list"):
        read_raw(write(tmp_path, "c.jsonl", "[1, 2]\n"), SPEC)


def test_invalid_utf8_is_replaced_or_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "u.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9 au lait"}\n')
    batch = read_raw(path, SPEC)
    assert batch.table.column("text").to_pylist() == ["ok", "caf\ufffd au lait"]
    assert batch.replaced_lines == [2]
    with pytest.raises(RawFileError, match=r"u.jsonl:2:14: invalid UTF-8 byte 0xe9"):
        read_raw(path, RawSpec(columns={"text": "string"}, encoding_errors="error"))


def test_empty_and_whitespace_files_are_rejected(tmp_path: Path) -> None:
    for name, content in (("e.jsonl", ""), ("w.jsonl", "  \n\n")):
        with pytest.raises(RawFileError, match="file is empty"):
            read_raw(write(tmp_path, name, content), SPEC)


def test_csv_rows_numbers_and_ragged_rows(tmp_path: Path) -> None:
    spec = RawSpec(columns={"text": "string", "score": "number"})
    ok = read_raw(write(tmp_path, "a.csv", 'text,score\n"multi\nline",1.5\nplain,2\n'), spec)
    assert ok.table.column("_row_id").to_pylist() == [2, 4]
    assert ok.table.column("score").to_pylist() == [1.5, 2.0]
    with pytest.raises(RawFileError, match=r"b.csv:3: expected 2 fields \(header\), got 3"):
        read_raw(write(tmp_path, "b.csv", "text,score\nx,1\ny,2,3\n"), spec)
    with pytest.raises(RawFileError, match=r"c.csv:2: column 'score' must be number, got 'high'"):
        read_raw(write(tmp_path, "c.csv", "text,score\nx,high\n"), spec)


def test_parquet_schema_is_checked(tmp_path: Path) -> None:
    good = tmp_path / "g.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "n": [1, 2]}), good)
    assert read_raw(good, SPEC).table.column("_row_id").to_pylist() == [1, 2]
    bad = tmp_path / "b.parquet"
    pq.write_table(pa.table({"body": ["a"]}), bad)
    with pytest.raises(RawFileError, match=r"b.parquet: Parquet schema lacks required column 'text'"):
        read_raw(bad, SPEC)
    wrong = tmp_path / "w.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), wrong)
    with pytest.raises(RawFileError, match=r"column 'text' must be string, Parquet type is int64"):
        read_raw(wrong, SPEC)


def test_unsupported_format(tmp_path: Path) -> None:
    with pytest.raises(RawFileError, match="unsupported format '.txt'"):
        read_raw(write(tmp_path, "a.txt", "hello"), SPEC)
    with pytest.raises(RawFileError, match="this pipeline takes"):
        read_raw(write(tmp_path, "a.csv", "text\nx\n"), RawSpec(formats=["jsonl"], columns={"text": "string"}))


def test_fast_and_checking_paths_agree(tmp_path: Path) -> None:
    lines = ['{"text": "a", "n": 1, "tags": ["x"]}', '{"text": "b", "n": 2.5, "tags": []}', '{"text": "c"}']
    clean = read_raw(write(tmp_path, "clean.jsonl", "\n".join(lines) + "\n"), SPEC)  # Arrow's reader
    blank = read_raw(write(tmp_path, "blank.jsonl", "\n".join(lines) + "\n\n"), SPEC)  # trailing blank line
    spaced = read_raw(write(tmp_path, "spaced.jsonl", lines[0] + "\n\n" + "\n".join(lines[1:])), SPEC)
    assert clean.table.to_pylist() == blank.table.to_pylist()
    assert clean.table.column("n").to_pylist() == [1.0, 2.5, None]
    assert spaced.table.column("_row_id").to_pylist() == [1, 3, 4]  # a blank line inside keeps line numbers
    dated = read_raw(write(tmp_path, "dated.jsonl", '{"text": "a", "when": "2020-01-01T10:00:00"}\n'), SPEC)
    assert dated.table.column("when").to_pylist() == ["2020-01-01T10:00:00"]  # never turned into a timestamp


def test_blank_first_line_keeps_line_numbers(tmp_path: Path) -> None:
    batch = read_raw(write(tmp_path, "lead.jsonl", ' \n{"text": "a"}\n{"text": "b"}\n'), SPEC)
    assert batch.table.column("_row_id").to_pylist() == [2, 3]


@pytest.mark.parametrize("sequence", [
    "é".encode(), "日本".encode(), "🙂".encode(), b"\xef\xbb\xbf", b"\xe9", b"\xc0\x80", b"\xc1\xbf", b"\xed\xa0\x80",
    b"\xed\x9f\xbf", b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf0\x9f", b"\xe2\x82", b"\xff",
    b"\x80", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf",
])
def test_vectorised_utf8_check_agrees_with_python(sequence: bytes) -> None:
    for data in (sequence, b"ascii " * 3 + sequence, sequence + b"x" * 17, b"y" * 9 + sequence + b"z" * 40):
        try:
            data.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        assert is_utf8(pa.py_buffer(data)) is valid, data


def test_blank_check_matches_bytes_strip() -> None:
    for data in (b"", b" \t\r\n\x0b\x0c", b"\n\n", b"\xc2\xa0\n", b"  x ", b"\x00", b"{}"):
        assert is_blank(data) is (not data.strip()), data
        assert is_blank(data + b"{}", len(data)) is (not data.strip()), data


def test_streamed_blocks_match_the_whole_file_and_cut_at_the_last_newline_before_each_block_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps({"text": f"doc {i} " + "w" * (i * 37 % 300)}) for i in range(120)]
    lines[50] = json.dumps({"text": "long " * 400})  # longer than the small blocks: read on to its newline
    lines[90] = '{"text": "caf\xe9 au lait"}'  # replaced (a Latin-1 byte) far into the file
    data = "\n".join(lines).encode("latin-1")  # no newline at the end
    path = write(tmp_path, "s.jsonl", data)
    whole = read_raw(path, SPEC)
    assert whole.replaced_lines == [91]
    for threads in ("1", "2"):
        monkeypatch.setenv("DATAFLOW_THREADS", threads)
        for block in (97, 1000, 4096):
            streamed = read_raw_chunks(path, SPEC, block_bytes=block)
            ends = sorted({data.rfind(b"\n", 0, k) + 1 for k in range(block, len(data) + block, block)} - {0})
            ends = [end for end in ends if end < len(data)] + [len(data)]
            starts = [0, *ends[:-1]]
            assert [c.num_rows for c in streamed.rows.chunks] == [
                data.count(b"\n", start, end) + (end == len(data)) for start, end in zip(starts, ends, strict=True)]
            assert streamed.rows.to_table().equals(whole.table), (threads, block)
            assert (streamed.sha256, streamed.replaced_lines) == (whole.sha256, [91])


def test_a_column_mixing_types_names_its_first_offending_line(tmp_path: Path) -> None:
    lines = ['{"text": "a", "n": 1}', '{"text": "b", "n": null}', '{"text": "c", "n": 2.5}', '{"text": "d", "n": "x"}']
    path = write(tmp_path, "mixed.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(RawFileError, match=r"mixed.jsonl:4: column 'n' mixes types: str here, double on the lines "
                                           r"before; .*declare it `json`"):
        read_raw(path, SPEC)  # integers beside floating point unify; a string does not
    nested = write(tmp_path, "nested.jsonl", '{"text": "a", "m": {"k": 1}}\n{"text": "b", "m": {"k": "one"}}\n')
    with pytest.raises(RawFileError, match=r"nested.jsonl:2: column 'm' mixes types"):
        read_raw(nested, SPEC)
    for block in (20, 40):  # the same across the blocks of a file read in chunks
        with pytest.raises(RawFileError, match=r"mixed.jsonl:4: column 'n' mixes types"):
            read_raw_chunks(path, SPEC, block_bytes=block)


def test_a_json_column_keeps_any_value_as_json_text(tmp_path: Path) -> None:
    spec = RawSpec(columns={"text": "string", "n": "json"})
    lines = ['{"text": "a", "n": 1}', '{"text": "b", "n": "x"}', '{"text": "c", "n": {"k": [1, "é"]}}',
             '{"text": "d", "n": null}']
    jsonl = read_raw(write(tmp_path, "j.jsonl", "\n".join(lines) + "\n"), spec).table
    assert jsonl.column("n").to_pylist() == ["1", '"x"', '{"k": [1, "é"]}', None]
    csv = read_raw(write(tmp_path, "j.csv", 'text,n\na,1\nb,"""x"""\nc,\n'), spec).table
    assert csv.column("n").to_pylist() == ["1", '"x"', None]
    with pytest.raises(RawFileError, match=r"bad.csv:2: column 'n' is declared json, but 'x' is not JSON"):
        read_raw(write(tmp_path, "bad.csv", "text,n\na,x\n"), spec)
    parquet = tmp_path / "j.parquet"
    pq.write_table(pa.table({"text": ["a"], "n": [{"k": 1}]}), parquet)
    assert read_raw(parquet, spec).table.column("n").to_pylist() == ['{"k": 1}']


def test_nan_and_infinity_are_not_json_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "nan.jsonl", '{"text": "a", "x": 1.5}\n{"text": "b", "x": NaN}\n')
    with pytest.raises(RawFileError, match=r"nan.jsonl:2:20: invalid JSON: NaN is not a JSON number"):
        read_raw(path, SPEC)
    with pytest.raises(RawFileError, match=r"inf.jsonl:1:20: invalid JSON: -Infinity is not a JSON number"):
        read_raw(write(tmp_path, "inf.jsonl", '{"text": "a", "x": -Infinity}\n'), SPEC)


def test_column_names_differing_only_by_case_or_empty_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RawFileError, match=r"case.jsonl: columns 'text' and 'Text' differ only by case"):
        read_raw(write(tmp_path, "case.jsonl", '{"text": "a", "Text": "b"}\n'), SPEC)
    with pytest.raises(RawFileError, match=r"case.csv: columns 'text' and 'TEXT' differ only by case"):
        read_raw(write(tmp_path, "case.csv", "text,TEXT\na,b\n"), SPEC)
    with pytest.raises(RawFileError, match=r"empty.jsonl: a column has an empty name"):
        read_raw(write(tmp_path, "empty.jsonl", '{"text": "a", "": 1}\n{"text": "b", "": 2}\n'), SPEC)
    parquet = tmp_path / "case.parquet"
    pq.write_table(pa.table({"text": ["a"], "TEXT": ["b"]}), parquet)
    with pytest.raises(RawFileError, match=r"case.parquet: columns 'text' and 'TEXT' differ only by case"):
        read_raw(parquet, SPEC)
