"""MinHashDeduplicateFilter and its building blocks on a hand-made corpus with known duplicate clusters."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from operators.base import REASON_COLUMN, OperatorContext
from operators.text.dedup.base import DUP_ROW_ID, components
from operators.text.dedup.minhash import MinHashDeduplicateFilter
from operators.text.dedup.minhash_lsh import lsh_params, signatures
from tests.operators.text.dedup.corpus import make_corpus, score


def shingles(text: str, n: int = 5) -> set[str]:
    return {text[i: i + n] for i in range(len(text) - n + 1)} if len(text) >= n else {text}


def jaccard(a: str, b: str) -> float:
    left, right = shingles(a), shingles(b)
    return len(left & right) / len(left | right)


def dropped_map(result) -> dict[int, int]:  # noqa: ANN001 - an OperatorResult
    return dict(zip(result.dropped["id"].to_pylist(), result.dropped[DUP_ROW_ID].to_pylist(), strict=True))


def corpus_table(texts: list[str]) -> pa.Table:
    return pa.table({"id": list(range(len(texts))), "text": texts})


def test_defaults_are_dataflows() -> None:
    config = MinHashDeduplicateFilter().config
    assert (config.num_perm, config.threshold, config.use_n_gram, config.ngram) == (128, 0.9, True, 5)
    with pytest.raises(ValidationError):
        MinHashDeduplicateFilter({"threshold": 1.5})


def test_components_are_union_find_clusters_rooted_at_their_smallest_member() -> None:
    roots = components(8, np.array([5, 3, 7, 1]), np.array([3, 1, 6, 0]))
    assert roots.tolist() == [0, 0, 2, 0, 4, 0, 6, 6]
    assert components(3, np.array([], np.int64), np.array([], np.int64)).tolist() == [0, 1, 2]


def test_signature_agreement_estimates_jaccard() -> None:
    corpus = make_corpus()
    sig = signatures(pa.array(corpus.texts), 128, 5)
    errors = [abs((sig[i] == sig[j]).mean() - jaccard(corpus.texts[i], corpus.texts[j]))
              for i, j in itertools.combinations(range(0, len(corpus.texts), 3), 2)]
    assert np.mean(errors) < 0.02 and max(errors) < 0.12
    same = [i for i, c in enumerate(corpus.cluster) if c != i]
    near = [abs((sig[i] == sig[corpus.cluster[i]]).mean() - jaccard(corpus.texts[i], corpus.texts[corpus.cluster[i]]))
            for i in same]
    assert np.mean(near) < 0.03


def test_signatures_of_short_empty_and_chunked_texts() -> None:
    texts = pa.chunked_array([pa.array(["abc", "", None]), pa.array(["abc", "abd", "héllo wörld 中文字符"])])
    sig = signatures(texts, 64, 5)
    assert (sig[0] == sig[3]).all() and (sig[1] == sig[2]).all() and not (sig[0] == sig[4]).all()
    alone = signatures(pa.array(["héllo wörld 中文字符"]), 64, 5)
    assert (alone[0] == sig[5]).all()  # a text's signature does not depend on its neighbours


def test_lsh_bands_fit_the_signature() -> None:
    bands, rows = lsh_params(0.9, 128)
    assert bands * rows <= 128 and bands >= 2


def test_finds_every_planted_copy_and_nothing_else() -> None:
    corpus = make_corpus()
    result = MinHashDeduplicateFilter().run(corpus_table(corpus.texts), OperatorContext())
    recall, precision = score(corpus, dropped_map(result))
    assert recall == 1.0 and precision == 1.0
    assert set(result.dropped[REASON_COLUMN].to_pylist()) == {"near_duplicate"}
    for kept, original in dropped_map(result).items():  # provenance: the earliest copy, which is kept
        assert original < kept and original in result.table["id"].to_pylist()
    index = result.side_tables["index"]
    assert sorted(index["_row_id"].to_pylist()) == result.table["id"].to_pylist()  # no _row_id: positions
    bands, _ = lsh_params(0.9, 128, 0.9)
    assert result.side_tables["bands"].num_rows == bands * result.kept


@pytest.mark.parametrize("kind", ["edit", "reorder", "boilerplate"])
def test_each_kind_of_near_copy_is_found_per_kind(kind: str) -> None:
    corpus = make_corpus()
    keep = [i for i in range(len(corpus.texts)) if corpus.kind[i] in ("original", kind)]
    texts = [corpus.texts[i] for i in keep]
    result = MinHashDeduplicateFilter().run(corpus_table(texts), OperatorContext())
    expected = {keep.index(i) for i in keep if corpus.kind[i] == kind}
    assert set(dropped_map(result)) == expected and expected


def test_word_ngrams_and_a_lower_threshold() -> None:
    corpus = make_corpus()
    words = MinHashDeduplicateFilter({"tokenization": "word", "ngram": 2, "threshold": 0.8})
    recall, precision = score(corpus, dropped_map(words.run(corpus_table(corpus.texts), OperatorContext())))
    assert recall >= 0.95 and precision == 1.0
    strict = MinHashDeduplicateFilter({"threshold": 1.0})
    recall, precision = score(corpus, dropped_map(strict.run(corpus_table(corpus.texts), OperatorContext())))
    assert precision == 1.0 and recall == pytest.approx(corpus.kind.count("exact") / 20)


def test_row_ids_order_the_copies_not_batch_positions() -> None:
    text = "the same paragraph of text repeated in several places " * 3
    table = pa.table({"_row_id": pa.array([9, 4, 7], pa.int64()), "text": [text, text, text]})
    result = MinHashDeduplicateFilter().run(table, OperatorContext(partition="p"))
    assert result.table["_row_id"].to_pylist() == [4]
    assert result.dropped[DUP_ROW_ID].to_pylist() == [4, 4]
    assert result.dropped["duplicate_of_partition"].to_pylist() == ["p", "p"]
