"""WordNumberFilter, NgramFilter and BlocklistFilter on hand-made rows, checked against DataFlow's rules."""

from __future__ import annotations

import random
import re
import time

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from operators.base import OperatorContext
from operators.registry import get_operator
from operators.text.filters.blocklist import BlocklistFilter, load_blocklist
from operators.text.filters.repetition import NgramFilter
from operators.text.filters.words import WordNumberFilter
from tests.operators.helpers import reasons

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U000323af]")
MB = 1_000_000


def run(op, texts: list[str | None]):
    table = pa.table({"id": list(range(len(texts))), "text": pa.array(texts, pa.string())})
    return op.run(table, OperatorContext())


def kept_ids(result) -> list[int]:
    return result.table.column("id").to_pylist()



def ngram_reference(text: str | None, n: int, language: str) -> float:
    """DataFlow's NgramSampleEvaluator score, restated in plain Python."""
    if not text:
        return 0.0
    content = re.sub(r"[^\w\s]", "", text.lower())
    if language == "zh" or (language == "auto" and HAN.search(content)):
        tokens = list(re.sub(r"\s+", "", content))
    else:
        tokens = content.split()
    if len(tokens) < n:
        return 0.0
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) / len(grams)


def random_docs(seed: int, count: int) -> list[str | None]:
    """Texts mixing cases, punctuation, Han characters, emoji, U+FFFD and unusual whitespace."""
    vocab = [
        "the",
        "a",
        "Cat",
        "cat.",
        "CAT",
        "été",
        "ÉTÉ",
        "straße",
        "it's",
        "--",
        "...",
        "中",
        "文",
        "中文",
        "😀",
        "x_y",
        "a-b",
        "\ufffd",
        "(see)",
        "3.14",
        "über",
        "fuck",
        "Shit",
        "ass,",
        "ball",
        "gag",
    ]
    seps = [" ", " ", " ", "  ", "\n", "\t", "\xa0", "\u3000", "\u2003", "\x1c"]
    rng = random.Random(seed)
    docs: list[str | None] = [None, "", "   ", "\ufffd"]
    for _ in range(count):
        words = vocab[: rng.randint(3, len(vocab))]
        size = rng.choice([0, 1, 2, 4, 5, 9, 30, 120])
        docs.append("".join(rng.choice(words) + rng.choice(seps) for _ in range(size)))
    return docs


# --- WordNumberFilter -------------------------------------------------------------------------------------


def test_word_number_defaults_match_dataflow() -> None:
    config = WordNumberFilter().config
    assert (config.min_words, config.max_words) == (20, 100000)
    assert get_operator("WordNumberFilter") is WordNumberFilter


def test_word_number_range_is_min_inclusive_max_exclusive() -> None:
    op = WordNumberFilter({"min_words": 3, "max_words": 6})
    texts = [
        "one two three",
        "one two",
        "a b c d e",
        "a b c d e f",
        "  spaced   out\twords\n",
        None,
        "",
        " \n\t ",
    ]
    result = run(op, texts)
    assert kept_ids(result) == [0, 2, 4]
    assert reasons(result) == {
        1: "word_count_below_min",
        3: "word_count_above_max",
        5: "null_text",  # no text at all: said so, not "too few words"
        6: "word_count_below_min",
        7: "word_count_below_min",
    }
    assert result.drop_counts == {"word_count_below_min": 3, "word_count_above_max": 1, "null_text": 1}


def test_word_number_uses_python_whitespace() -> None:
    op = WordNumberFilter({"min_words": 3, "max_words": 100})
    # NBSP, ideographic space and U+001C split words for str.split(); zero-width space does not.
    texts = ["a\xa0b\u3000c", "a\x1cb c", "a\u200bb c", "\ufffd \ufffd \ufffd", "\ufffd\ufffd \ufffd"]
    assert [len(t.split()) for t in texts] == [3, 3, 2, 3, 2]
    assert kept_ids(run(op, texts)) == [0, 1, 3]


def test_word_number_one_megabyte_document() -> None:
    big = "abcd " * (MB // 5)  # 200,000 words
    start = time.perf_counter()
    dropped = run(WordNumberFilter(), [big, "short"])
    kept = run(WordNumberFilter({"min_words": 1, "max_words": 200001}), [big])
    assert time.perf_counter() - start < 5
    assert reasons(dropped) == {0: "word_count_above_max", 1: "word_count_below_min"}
    assert kept.kept == 1


# --- NgramFilter ------------------------------------------------------------------------------------------


def test_ngram_defaults_and_validation() -> None:
    config = NgramFilter().config
    assert (config.min_score, config.max_score, config.ngrams, config.language) == (0.8, 1.0, 5, "en")
    with pytest.raises(ValidationError):
        NgramFilter({"language": "fr"})
    with pytest.raises(ValidationError):
        NgramFilter({"ngrams": 0})


def test_ngram_scores_lowercase_and_strip_punctuation() -> None:
    op = NgramFilter({"ngrams": 2})
    texts = ["a b c d e", "a b a b a b", "A, b. a b!", "x\ufffdy z", "one", "!!! ... ---", None, "", "   "]
    scores = op.scores(pa.chunked_array([pa.array(texts, pa.string())]))
    # "a b a b a b": ab ba ab ba ab -> 2/5; "a b a b": ab ba ab -> 2/3; U+FFFD is removed: "xy z" -> 1/1.
    assert scores.tolist() == pytest.approx([1.0, 0.4, 2 / 3, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    result = run(op, texts)
    assert kept_ids(result) == [0, 3]
    assert reasons(result)[6] == "null_text"  # no text at all
    assert set(reasons(result).values()) == {"ngram_score_below_min", "null_text"}
    assert result.drop_counts == {"ngram_score_below_min": 6, "null_text": 1}


def test_ngram_max_score_drops_fully_distinct_text() -> None:
    result = run(
        NgramFilter({"ngrams": 2, "min_score": 0.0, "max_score": 0.5}), ["a b c d e", "a b a b a b", ""]
    )
    assert reasons(result) == {0: "ngram_score_above_max"}
    assert kept_ids(result) == [1, 2]  # score 0.4, and 0.0 for the empty text (>= min 0.0)


def test_ngram_character_modes() -> None:
    texts = ["你好你好你好", "the cat the cat the cat", "中文 mixed with words words"]
    column = pa.chunked_array([pa.array(texts)])
    zh = NgramFilter({"ngrams": 2, "language": "zh"}).scores(column)
    auto = NgramFilter({"ngrams": 2, "language": "auto"}).scores(column)
    en = NgramFilter({"ngrams": 2, "language": "en"}).scores(column)
    # "thecatthecatthecat": 17 bigrams, 6 distinct; "中文mixedwithwordswords": 20 bigrams, 16 distinct.
    assert zh.tolist() == pytest.approx([0.4, 6 / 17, 0.8])
    assert auto.tolist() == pytest.approx([0.4, 0.4, 0.8])
    assert en.tolist() == pytest.approx([0.0, 0.4, 1.0])


@pytest.mark.parametrize("language", ["en", "zh", "auto"])
@pytest.mark.parametrize("n", [1, 3, 5])
def test_ngram_matches_dataflow_rules_on_random_texts(language: str, n: int) -> None:
    docs = random_docs(seed=n, count=300)
    scores = NgramFilter({"ngrams": n, "language": language}).scores(pa.chunked_array([pa.array(docs)]))
    expected = [ngram_reference(doc, n, language) for doc in docs]
    assert scores.tolist() == pytest.approx(expected, abs=1e-12)


def test_ngram_one_megabyte_documents() -> None:
    repetitive = "the cat sat on the mat " * (MB // 23)
    distinct = " ".join(f"w{i}" for i in range(150_000))
    start = time.perf_counter()
    result = run(NgramFilter(), [repetitive, distinct])
    assert time.perf_counter() - start < 10
    assert reasons(result) == {0: "ngram_score_below_min"} and kept_ids(result) == [1]


# --- BlocklistFilter --------------------------------------------------------------------------------------


def test_blocklist_file_is_the_english_list() -> None:
    words = load_blocklist("en")
    assert {"fuck", "shit", "2 girls 1 cup", "s&m", "🖕"} <= words
    assert not any(w.startswith("#") for w in words) and len(words) > 390
    config = BlocklistFilter().config
    assert (config.language, config.threshold, config.use_tokenizer, config.match_phrases) == (
        "en",
        1,
        False,
        False,
    )
    with pytest.raises(ValidationError, match="no blocklist"):
        BlocklistFilter({"language": "xx"})


def test_blocklist_counts_whole_lowercased_words_above_threshold() -> None:
    texts = [
        "this is fuck and shit",  # 2 hits > 1
        "only one fuck here",  # 1 hit
        "FUCK SHIT",  # case-insensitive
        "an assessment of classy bass",  # substrings never count
        "fuck, shit.",  # split() keeps the punctuation: no whole-word match
        "🖕 🖕",  # non-ASCII entry
        "fuck\ufffd shit",  # U+FFFD makes the first word different
        "   ",  # whitespace only: kept, as in DataFlow
        "",
        None,
    ]
    result = run(BlocklistFilter(), texts)
    assert kept_ids(result) == [1, 3, 4, 6, 7]
    assert reasons(result) == {
        0: "blocklist_count_above_threshold",
        2: "blocklist_count_above_threshold",
        5: "blocklist_count_above_threshold",
        8: "empty_text",
        9: "null_text",
    }
    assert result.drop_counts == {"blocklist_count_above_threshold": 3, "empty_text": 1, "null_text": 1}


def test_blocklist_threshold_tokenizer_and_phrases() -> None:
    assert kept_ids(run(BlocklistFilter({"threshold": 0}), ["only one fuck here", "clean"])) == [1]
    tokenized = run(BlocklistFilter({"use_tokenizer": True}), ["fuck, shit.", "it's fine"])
    assert kept_ids(tokenized) == [1]
    texts = ["a ball gag and a ball gag", "a ball and a gag"]
    assert kept_ids(run(BlocklistFilter(), texts)) == [0, 1]  # DataFlow: multi-word entries never match
    phrases = run(BlocklistFilter({"match_phrases": True}), texts)
    assert kept_ids(phrases) == [1] and reasons(phrases) == {0: "blocklist_count_above_threshold"}


def test_blocklist_hits_match_dataflow_rules_on_random_texts() -> None:
    docs = random_docs(seed=7, count=300)
    column = pa.chunked_array([pa.array(docs)])
    words = load_blocklist("en")
    split = [sum(w in words for w in d.lower().split()) if d else 0 for d in docs]
    tokens = [sum(w in words for w in re.findall(r"\w+|'\w+|[^\w\s]", d.lower())) if d else 0 for d in docs]
    assert BlocklistFilter().hits(column).tolist() == split
    assert BlocklistFilter({"use_tokenizer": True}).hits(column).tolist() == tokens
    assert max(split) >= 2 and min(split) == 0


def test_blocklist_one_megabyte_document() -> None:
    clean = "lorem words without anything bad " * (MB // 33)
    start = time.perf_counter()
    result = run(BlocklistFilter(), [clean, clean + " fuck shit", clean + " fuck"])
    assert time.perf_counter() - start < 5
    assert kept_ids(result) == [0, 2] and reasons(result) == {1: "blocklist_count_above_threshold"}


def test_multi_chunk_batches_give_the_same_answer() -> None:
    docs = random_docs(seed=3, count=200)
    table = pa.table({"text": pa.chunked_array([pa.array(docs[:50]), pa.array(docs[50:])])})
    single = pa.table({"text": pa.array(docs)})
    for op in (
        WordNumberFilter({"min_words": 3}),
        NgramFilter({"ngrams": 2}),
        BlocklistFilter({"threshold": 0}),
    ):
        ctx = OperatorContext()
        assert op.run(table, ctx).table.equals(op.run(single, ctx).table)
    assert np.isclose(
        NgramFilter().scores(table.column("text")), NgramFilter().scores(single.column("text"))
    ).all()
