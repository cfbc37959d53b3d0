"""HashDeduplicateFilter: exact in-batch deduplication, first occurrence kept."""

from __future__ import annotations

import hashlib
import time

import pyarrow as pa
import pytest
import xxhash
from pydantic import ValidationError

from operators.base import REASON_COLUMN, OperatorContext
from operators.text.dedup.exact import HashDeduplicateFilter, digests


def run(op: HashDeduplicateFilter, table: pa.Table):
    return op.run(table, OperatorContext())


def texts_table(texts: list[str | None]) -> pa.Table:
    return pa.table({"id": list(range(len(texts))), "text": pa.array(texts, pa.string())})


def test_defaults_and_validation() -> None:
    config = HashDeduplicateFilter().config
    assert config.hash_func == "md5" and config.input_keys is None
    with pytest.raises(ValidationError):
        HashDeduplicateFilter({"hash_func": "crc32"})


@pytest.mark.parametrize("hash_func", ["md5", "sha256", "xxh3"])
def test_keeps_first_occurrence_and_drops_later_ones(hash_func: str) -> None:
    texts = [
        "alpha",
        "beta",
        "alpha",
        "alpha ",
        "Alpha",
        "beta",
        "\ufffd\ufffd",
        "\ufffd\ufffd",
        "   ",
        "   ",
    ]
    result = run(HashDeduplicateFilter({"hash_func": hash_func}), texts_table(texts))
    assert result.table.column("id").to_pylist() == [0, 1, 3, 4, 6, 8]
    assert result.dropped.column("id").to_pylist() == [2, 5, 7, 9]
    assert set(result.dropped.column(REASON_COLUMN).to_pylist()) == {"exact_duplicate"}
    assert result.drop_counts == {"exact_duplicate": 4}
    assert result.table.column_names == ["id", "text"]  # no hash column is added


def test_null_counts_as_empty_text() -> None:
    result = run(HashDeduplicateFilter(), texts_table([None, "", "x", None]))
    assert result.table.column("id").to_pylist() == [0, 2]


def test_digests_are_the_named_hashes_of_the_utf8_text() -> None:
    texts = ["", "héllo wörld", "\ufffd", "中文"]
    data = pa.array(texts, pa.large_binary())
    assert digests(data, "md5") == [hashlib.md5(t.encode()).digest() for t in texts]
    assert digests(data, "sha256") == [hashlib.sha256(t.encode()).digest() for t in texts]
    assert digests(data, "xxh3") == [xxhash.xxh3_128_digest(t.encode()) for t in texts]
    assert digests(data.slice(1, 2), "md5") == [hashlib.md5(t.encode()).digest() for t in texts[1:3]]


def test_input_keys_hash_several_columns() -> None:
    table = pa.table({"text": ["a", "a", "a", "b"], "lang": ["en", "de", "en", None], "n": [1, 1, 1, 2]})
    both = run(HashDeduplicateFilter({"input_keys": ["text", "lang"]}), table)
    assert both.table.column("lang").to_pylist() == ["en", "de", None]
    only_n = run(HashDeduplicateFilter({"input_keys": ["n"]}), table)
    assert only_n.table.column("n").to_pylist() == [1, 2]
    # The same text in another column layout is not a duplicate: keys are part of the hashed value.
    swapped = pa.table({"text": ["x:\ny", "x"], "lang": ["", ":\ny"]})
    assert run(HashDeduplicateFilter({"input_keys": ["text", "lang"]}), swapped).kept == 2


def test_chunked_and_sliced_batches() -> None:
    texts = ["a", "b", "a", "c", "b", "a"]
    chunked = pa.table({"text": pa.chunked_array([pa.array(texts[:3]), pa.array(texts[3:])])})
    assert run(HashDeduplicateFilter(), chunked).table.column("text").to_pylist() == ["a", "b", "c"]
    sliced = texts_table(texts).slice(1)
    assert run(HashDeduplicateFilter(), sliced).table.column("id").to_pylist() == [1, 2, 3]


def test_one_megabyte_documents() -> None:
    big = "x" * 1_000_000
    start = time.perf_counter()
    result = run(HashDeduplicateFilter({"hash_func": "sha256"}), texts_table([big, big + "y", big, "small"]))
    assert time.perf_counter() - start < 5
    assert result.table.column("id").to_pylist() == [0, 1, 3]
