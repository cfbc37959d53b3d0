"""The byte scanner, character classes and word-identity helpers behind the rule filters."""

from __future__ import annotations

import random
import re

import numpy as np
import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.text.filters.lines import LineEndWithEllipsisFilter
from operators.text.filters.patterns import SentenceNumberFilter
from operators.text.filters.words import CapitalWordsFilter, NoPuncFilter, StopWordFilter, UniqueWordsFilter
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.columns import text_slices
from operators.text.scan.vocabulary import (
    distinct_share_at_most,
    english_stopwords,
    is_member,
    member_counts,
)

SAMPLES = [
    "Hello, world! It's 3.5 o'clock.",
    "  leading and trailing  ",
    "数据 模型。训练\u3000语言",
    "naïve café — ÉCOLE straße ǅ",
    "tabs\tand\nnew\r\nlines\x1cand\x85odd\u2028spaces\xa0too",
    "emoji 😀 and 𝐀𝐁 math, combining e\u0301",
    "",
    "x",
    "don't 'quote' ''",
    "\ufffd broken \ufffd",
]


def random_texts(count: int, seed: int) -> list[str]:
    alphabet = list("aZ9_ .,'!?\n\t") + ["é", "ß", "数", "😀", "\u3000", "\xa0", "\u2028", "\u0301", "Σ", "ǅ", "…", "–"]
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def spans_text(scan: ByteScan, spans: tuple[np.ndarray, np.ndarray]) -> list[list[str]]:
    """The span strings, grouped per row."""
    starts, ends = spans
    strings = [bytes(scan.data[start:end]).decode("utf-8") for start, end in zip(starts, ends, strict=True)]
    rows = scan.row_of(starts)
    out: list[list[str]] = [[] for _ in range(scan.num_rows)]
    for row, text in zip(rows, strings, strict=True):
        out[row].append(text)
    return out


@pytest.mark.parametrize("texts", [SAMPLES, random_texts(300, 1)], ids=["samples", "random"])
def test_words_match_str_split(texts):
    scan = ByteScan(pa.array(texts))
    assert spans_text(scan, scan.words) == [text.split() for text in texts]


@pytest.mark.parametrize("texts", [SAMPLES, random_texts(300, 3), ["", "", "a"], ["b", "", ""], []],
                         ids=["samples", "random", "empty-first", "empty-last", "no-rows"])
def test_word_counts_match_str_split(texts):
    scan = ByteScan(pa.array(texts, pa.string()))
    assert scan.word_counts.tolist() == [len(text.split()) for text in texts]
    assert scan.per_row(scan.word_starts).tolist() == scan.word_counts.tolist()


@pytest.mark.parametrize("texts", [SAMPLES, random_texts(300, 5)], ids=["samples", "random"])
def test_class_runs_count_wordpunct_tokens(texts):
    from operators.text.kernels.scan import class_runs

    scan = ByteScan(pa.array(texts))
    runs = class_runs(scan.word.view(np.uint8), scan.space.view(np.uint8), scan.offsets)
    assert runs.tolist() == [len(re.findall(r"\w+|[^\w\s]+", text)) for text in texts]


@pytest.mark.parametrize("texts", [SAMPLES, random_texts(300, 6)], ids=["samples", "random"])
def test_count_per_row_counts_flagged_bytes_or_characters(texts):
    from operators.text.scan.byte_scan import ALL_BYTES

    scan = ByteScan(pa.array(texts))
    assert scan.count_per_row(_table(" \t\n")).tolist() == [sum(c in " \t\n" for c in text) for text in texts]
    spaces = scan.count_per_row(ALL_BYTES, scan.space, characters=True)
    assert spaces.tolist() == [sum(c.isspace() for c in text) for text in texts]
    space_bytes = scan.count_per_row(ALL_BYTES, scan.space)
    assert space_bytes.tolist() == [sum(len(c.encode()) for c in text if c.isspace()) for text in texts]
    assert scan.count_per_row(ALL_BYTES, characters=True).tolist() == [len(text) for text in texts]


def _table(flagged: str) -> np.ndarray:
    table = np.zeros(256, dtype=np.uint8)
    table[list(flagged.encode())] = 1
    return table


@pytest.mark.parametrize("texts", [SAMPLES, random_texts(300, 4)], ids=["samples", "random"])
def test_segments_with_counts_pieces_holding_content(texts):
    scan = ByteScan(pa.array(texts))
    lines = scan.segments_with(scan.space, _table("\n"), content_when=False)
    assert lines.tolist() == [sum(1 for line in text.split("\n") if line.strip()) for text in texts]
    no_punct = scan.segments_with(scan.space, _table("\n"), _table(".,'!?"), content_when=False)
    assert no_punct.tolist() == [sum(1 for line in text.split("\n") if line.strip(" .,'!?\t\r\x0b\x0c\x1c\x1d\x1e\x1f"
                                                                                   "\x85\xa0\u2028\u3000"))
                                 for text in texts]
    sentences = scan.segments_with(scan.word, _table(".!?\n"))
    assert sentences.tolist() == [len(re.findall(r"[^.!?\n]*\w[^.!?\n]*", text)) for text in texts]


@pytest.mark.parametrize("texts", [SAMPLES, random_texts(300, 2)], ids=["samples", "random"])
def test_tokens_match_the_documented_regex(texts):
    scan = ByteScan(pa.array(texts))
    assert spans_text(scan, scan.tokens) == [re.findall(r"\w+|'\w+|[^\w\s]", text) for text in texts]


def test_character_classes_follow_python():
    chars = ["\x1c", "\x85", "\xa0", "\u2028", "\u3000", "\u200b", "é", "数", "²", "_", "\u0301", "ǅ", "Σ", "😀", "𝐀"]
    scan = ByteScan(pa.array(chars))
    first = scan.offsets[:-1]
    assert scan.space[first].tolist() == [c.isspace() for c in chars]
    assert scan.word[first].tolist() == [c.isalnum() or c == "_" for c in chars]
    assert scan.upper[first].tolist() == [c.isupper() for c in chars]
    # Every byte of a multi-byte character carries its class.
    assert scan.space.sum() == sum(len(c.encode()) for c in chars if c.isspace())


def test_space_mask_flags_every_byte_of_exactly_the_whitespace_characters():
    from operators.text.scan.unicode_classes import PY_SPACES

    chars = sorted({chr(c) for point in (*range(128), *PY_SPACES) for c in (point - 1, point, point + 1)
                    if 0 < c < 0x110000 and not 0xD800 <= c < 0xE000} | {"😀", "𝐀", "\U0010ffff"})
    text = "".join(chars)
    expected = [char.isspace() for char in chars for _ in char.encode()]
    assert ByteScan(pa.array([text, text[::-1]])).space.tolist() == expected + [
        char.isspace() for char in reversed(chars) for _ in char.encode()]


def test_scan_of_sliced_large_string_column_with_nulls():
    array = pa.array(["skip me", "a b", None, "c d e"], pa.large_string()).slice(1)
    scan = ByteScan(array)
    assert scan.num_rows == 3
    assert scan.per_row(scan.word_starts).tolist() == [2, 0, 3]


def test_stopword_list_is_nltks_english_list():
    words = english_stopwords()
    assert len(words) == 179
    assert {"i", "the", "don't", "should've", "yourselves", "wouldn't", "ma"} <= words
    assert "he'd" not in words and "" not in words


def test_is_member_is_exact_for_short_and_long_words():
    texts = ["the thee th yourselves yourselve yourselvesx a\x00 a mightn't mightn"]
    scan = ByteScan(pa.array(texts))
    starts, ends = scan.words
    member = is_member(scan, starts, ends, english_stopwords())
    assert member.tolist() == [True, False, False, True, False, False, False, True, True, True]


@pytest.mark.parametrize("vocabulary", [
    frozenset(), frozenset({"a"}), frozenset({"ab", "数据", "é", "x" * 40, "ab\x00"}) | english_stopwords()])
def test_is_member_matches_python_sets_on_random_words(vocabulary):
    rng = random.Random(5)
    pool = ["a", "ab", "abc", "数据", "数", "é", "e\u0301", "x" * 40, "x" * 39, "ab\x00", "the", "The", "yourselves"]
    texts = [" ".join(rng.choice(pool) for _ in range(rng.randrange(0, 30))) for _ in range(100)]
    scan = ByteScan(pa.array(texts))
    starts, ends = scan.words
    expected = [word in vocabulary for text in texts for word in text.split()]
    assert is_member(scan, starts, ends, vocabulary).tolist() == expected


def test_member_counts_count_vocabulary_words_per_row():
    vocabulary = frozenset({"ab", "数据", "é", "x" * 40, "ab\x00"}) | english_stopwords()
    rng = random.Random(6)
    pool = ["a", "ab", "abc", "数据", "数", "é", "e\u0301", "x" * 40, "x" * 41, "ab\x00", "the", "The", "yourselves"]
    texts = [" ".join(rng.choice(pool) for _ in range(rng.randrange(0, 30))) for _ in range(100)] + ["", " "]
    scan = ByteScan(pa.array(texts))
    starts, ends = scan.words
    expected = [sum(word in vocabulary for word in text.split()) for text in texts]
    assert member_counts(scan, starts, ends, scan.word_counts, vocabulary).tolist() == expected


def test_is_member_is_exact_on_a_large_vocabulary_of_near_miss_words():
    rng = random.Random(8)
    vocabulary = frozenset("".join(rng.choice("ab\x00é") for _ in range(rng.randrange(1, 21))) for _ in range(3000))
    near = [word[:-1] + ("a" if word[-1] != "a" else "b") for word in sorted(vocabulary)[:500]]
    words = sorted(vocabulary)[:1500] + near + ["", "a" * 16, "a" * 17]
    rng.shuffle(words)
    scan = ByteScan(pa.array([" ".join(words[i : i + 50]) for i in range(0, len(words), 50)]))
    starts, ends = scan.words
    expected = [word in vocabulary for text in (" ".join(words[i : i + 50]) for i in range(0, len(words), 50))
                for word in text.split()]
    assert is_member(scan, starts, ends, vocabulary).tolist() == expected


def test_distinct_share_counts_exactly_equal_words():
    words = ["ab", "ab\x00", "abcdefg", "abcdefgh", "abcdefgh", "abcdefgi", "ab", "é", "e\u0301"]
    scan = ByteScan(pa.array([" ".join(words)]))
    starts, ends = scan.words
    counts = scan.per_row(starts)
    share = len(set(words)) / len(words)  # 7 of 9: equal bytes only (no Unicode normalization)
    for threshold in (share - 1e-9, share, share + 1e-9):
        assert distinct_share_at_most(scan, starts, ends, counts, threshold).tolist() == [share <= threshold]


@pytest.mark.parametrize("threshold", [-0.1, 0.0, 0.05, 0.1, 0.25, 0.5, 0.99, 1.0])
def test_distinct_share_matches_python_on_random_rows(threshold):
    rng = random.Random(3)
    vocabulary = ["a", "bb", "ccc", "dddddddd", "é", "数据", "x" * 40, "The", "the"]
    texts = [" ".join(rng.choice(vocabulary[: rng.randrange(1, 10)]) for _ in range(rng.randrange(0, 300)))
             for _ in range(200)] + ["", "   ", "same same same same same same same same same same"]
    scan = ByteScan(pa.array(texts))
    starts, ends = scan.words
    counts = scan.per_row(starts)
    expected = [len(set(text.split())) / max(len(text.split()), 1) <= threshold for text in texts]
    assert distinct_share_at_most(scan, starts, ends, counts, threshold).tolist() == expected


@pytest.mark.parametrize(
    "op",
    [SentenceNumberFilter(), LineEndWithEllipsisFilter({"threshold": 0.5}), NoPuncFilter({"threshold": 4}),
     StopWordFilter({"threshold": 0.1}), UniqueWordsFilter({"threshold": 0.5}), CapitalWordsFilter()],
    ids=lambda op: op.name,
)
def test_verdict_does_not_depend_on_slicing(monkeypatch, op):
    texts = random_texts(400, 4) + ["The end. Of it. All...\nYES NO", None]
    table = pa.table({"text": pa.array(texts)})
    whole = op.verdict(table, OperatorContext())
    monkeypatch.setattr(op, "slice_bytes", 50)
    assert len(list(text_slices(op.text(table), op.slice_bytes))) > 50
    sliced = op.verdict(table, OperatorContext())
    assert whole.keep.tolist() == sliced.keep.tolist()
    assert whole.reason.tolist() == sliced.reason.tolist()


def test_empty_batch():
    table = pa.table({"text": pa.array([], pa.string())})
    for op in (SentenceNumberFilter(), UniqueWordsFilter(), StopWordFilter()):
        result = op.run(table, OperatorContext())
        assert result.table.num_rows == 0 and result.drop_counts == {}


@pytest.mark.parametrize(
    "text", ["a" * 500 + "é ü", "é" * 300 + " 数据 x", "😀" * 100 + " ǅ"], ids=["few", "many", "astral"]
)
def test_multibyte_characters_are_classed_on_every_byte(text):
    # Few non-ASCII characters are painted one by one, many by propagation: both must agree with Python.
    scan = ByteScan(pa.array([text]))
    expected = np.concatenate([np.full(len(c.encode()), c.isalnum() or c == "_") for c in text])
    assert scan.word.tolist() == expected.tolist()


def test_span_any_gathers_or_reduces_alike():
    rng = random.Random(5)
    text = "".join(rng.choice("aB1 .") for _ in range(4000))
    scan = ByteScan(pa.array([text]))
    starts, ends = scan.words
    expected = [any(c.isupper() for c in word) for word in text.split()]
    assert scan.span_any(scan.upper, starts, ends).tolist() == expected  # most bytes: reduceat
    few = np.arange(0, len(starts), 50)
    assert scan.span_any(scan.upper, starts[few], ends[few]).tolist() == [expected[i] for i in few]  # gather


@pytest.mark.parametrize("needles", [("#", "...", "…"), ("...", "…"), ("#",), ("u200e", "&#247;", "? :", "□", "U+")],
                         ids=["three-first-bytes", "two", "one", "many"])
def test_rows_containing_flags_exactly_the_rows_holding_a_needle(needles: tuple[str, ...]) -> None:
    # "no dots..", ".", "..", ".x" would spell "..." across rows: a needle never runs from one row into the next
    texts = ["a...b", "no dots..", ".", "..", ".x", "#tag", None, "", "ok…", "• item", "plain", "…", "x" * 999 + "#",
             "u200", "e", "U+26A0 &#247; ? : □"]
    found = ByteScan(pa.chunked_array([texts], pa.string())).rows_containing(*(n.encode() for n in needles))
    assert found.tolist() == [any(needle in (text or "") for needle in needles) for text in texts]
    assert ByteScan(pa.array(["abc", ""])).rows_containing().tolist() == [False, False]


@pytest.mark.parametrize("seed", range(5))
def test_patterns_skipping_rows_without_their_bytes_count_as_on_all_rows(seed: int) -> None:
    from operators.text.filters.rule_base import WS_NO_NL
    from operators.text.scan.columns import count_regex, count_regex_in, matches_regex, matches_regex_in

    rng = random.Random(seed)
    pieces = ["word", " ", "\n", "...", "…", "#", "&amp;", "&", "＆nbsp", "•", "–", "\t", ".", "..", "x…\n"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(400)]
    text = pa.chunked_array([texts[:150], texts[150:]], pa.string())
    scan = ByteScan(text)
    bullets = "\u2022\u2023\u25b6\u25c0\u25e6\u25a0\u25a1\u25aa\u25ab\u2013"
    counted = [
        (rf"(?:\.\.\.|…)[{WS_NO_NL}]*(?:\n|$)", (b"...", "…".encode())),
        (r"#|\.\.\.|…", (b"#", b"...", "…".encode())),
        (rf"(?:^|\n)[{WS_NO_NL}]*[{bullets}][^\n]*", tuple(bullet.encode() for bullet in bullets)),
    ]
    for pattern, needles in counted:
        assert np.array_equal(count_regex_in(text, pattern, scan.rows_containing(*needles)),
                              count_regex(text, pattern)), pattern
    entity = "[&＆](?:nbsp|amp)"
    assert np.array_equal(matches_regex_in(text, entity, scan.rows_containing(b"&", "＆".encode())),
                          matches_regex(text, entity))
