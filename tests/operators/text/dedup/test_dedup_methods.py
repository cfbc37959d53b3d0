"""SimHash, n-gram-hash and CCNet dedup on a hand-made corpus with known duplicate clusters."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.text.dedup.base import DUP_ROW_ID
from operators.text.dedup.exact import CCNetDeduplicateFilter, ccnet_normalize
from operators.text.dedup.ngram import NgramHashDeduplicateFilter, pieces
from operators.text.dedup.simhash import SimHashDeduplicateFilter, blocks, fingerprints
from tests.operators.text.dedup.corpus import make_corpus, score


def run(op, texts: list[str]):  # noqa: ANN001, ANN201 - an operator, its OperatorResult
    return op.run(pa.table({"id": list(range(len(texts))), "text": texts}), OperatorContext())


def dropped_map(result) -> dict[int, int]:  # noqa: ANN001 - an OperatorResult
    return dict(zip(result.dropped["id"].to_pylist(), result.dropped[DUP_ROW_ID].to_pylist(), strict=True))


def detected_kinds(corpus, found: dict[int, int]) -> set[str]:  # noqa: ANN001 - a Corpus
    return {corpus.kind[i] for i in found}


def test_simhash_defaults_distance_and_pigeonhole_blocks() -> None:
    op = SimHashDeduplicateFilter()
    assert (op.config.fingerprint_size, op.config.bound, op.max_distance) == (64, 0.1, 6)
    assert [width for _, width in blocks(64, 6)] == [10, 9, 9, 9, 9, 9, 9]
    assert sum(width for _, width in blocks(32, 3)) == 32


def test_simhash_fingerprint_is_majority_of_feature_bits() -> None:
    prints = fingerprints(pa.array(["Hello, World!", "hello world", "HELLO   world??", "something else entirely"]))
    assert prints[0] == prints[1] == prints[2] and prints[3] != prints[0]  # case and non-word characters ignored
    assert fingerprints(pa.array(["abc"]))[0] == fingerprints(pa.array(["xyz", "abc"]))[1]


def test_simhash_finds_close_copies_with_full_precision() -> None:
    corpus = make_corpus()
    prints = fingerprints(pa.array(corpus.texts))
    close = {i for i, c in enumerate(corpus.cluster) if c != i and np.bitwise_count(prints[i] ^ prints[c]) <= 6}
    found = dropped_map(run(SimHashDeduplicateFilter(), corpus.texts))
    recall, precision = score(corpus, found)
    assert set(found) == close and precision == 1.0 and recall >= 0.85
    assert {"exact", "reorder"} <= detected_kinds(corpus, found)


def test_ngram_pieces_follow_dataflow_and_short_texts_are_one_piece() -> None:
    parts, owner = pieces(["abcdefgh", "ab", ""], 3)
    assert parts == ["ab", "cd", "ef", "ab", ""] and owner.tolist() == [0, 0, 0, 1, 2]
    result = run(NgramHashDeduplicateFilter(), ["ab", "cd", "xyxyxyxyxy", "ab"])
    assert result.table["id"].to_pylist() == [0, 1, 2]  # DataFlow would also drop "cd" (three empty pieces)


@pytest.mark.parametrize(("diff_size", "kinds"), [(1, {"exact", "reorder"}), (2, {"exact"})])
def test_ngram_hash_finds_copies_that_keep_whole_pieces(diff_size: int, kinds: set[str]) -> None:
    corpus = make_corpus()
    found = dropped_map(run(NgramHashDeduplicateFilter({"diff_size": diff_size}), corpus.texts))
    _, precision = score(corpus, found)
    assert precision == 1.0 and detected_kinds(corpus, found) == kinds
    assert len(found) == sum(1 for kind in corpus.kind if kind in kinds)


def test_ccnet_hashes_a_sha1_prefix_and_can_normalise() -> None:
    corpus = make_corpus()
    found = dropped_map(run(CCNetDeduplicateFilter(), corpus.texts))
    assert detected_kinds(corpus, found) == {"exact"} and score(corpus, found)[1] == 1.0
    assert len(found) == corpus.kind.count("exact")
    texts = ["Héllo, World 2024!", "hello world 1999", "hello world"]
    assert run(CCNetDeduplicateFilter(), texts).kept == 3
    assert run(CCNetDeduplicateFilter({"normalize": True}), texts).table["id"].to_pylist() == [0, 2]
    assert ccnet_normalize(pa.array(["  Ünïcode — “quotes”, 42 ..."])).to_pylist() == ["unicode quotes 00"]
    index = run(CCNetDeduplicateFilter({"bit_length": 32}), ["same", "same"]).side_tables["index"]
    digest = hashlib.sha1(b"same").digest()[:4]
    assert index["key"].to_pylist() == [digest]
