"""Word-based rule filters (operators.text.filters.words)."""

from __future__ import annotations

import pytest

from operators.text.filters.words import (
    AlphaWordsFilter,
    CapitalWordsFilter,
    MeanWordLengthFilter,
    NoPuncFilter,
    StopWordFilter,
    SymbolWordRatioFilter,
    UniqueWordsFilter,
)
from tests.operators.helpers import outcomes


def test_dataflow_defaults():
    # AlphaWordsFilter/StopWordFilter have no defaults in DataFlow; these are its pipeline's values.
    assert AlphaWordsFilter().config.model_dump() == {"threshold": 0.6, "use_tokenizer": False}
    assert StopWordFilter().config.model_dump() == {"threshold": 0.06, "use_tokenizer": False}
    assert CapitalWordsFilter().config.model_dump() == {"threshold": 0.2, "use_tokenizer": False}
    assert SymbolWordRatioFilter().config.model_dump() == {"threshold": 0.4}
    assert MeanWordLengthFilter().config.model_dump() == {"min_length": 3, "max_length": 10}
    assert UniqueWordsFilter().config.model_dump() == {"threshold": 0.1}
    assert NoPuncFilter().config.model_dump() == {"threshold": 112}
    with pytest.raises(ValueError):
        StopWordFilter({"treshold": 0.1})


def test_symbol_word_ratio_uses_wordpunct_tokens():
    texts = [
        "#tag #tag two words",  # 4 tokens: '#', 'tag', '#', 'tag'... plus 2 words = 6; 2 symbols -> 0.33
        "# # # a",  # tokens '#','#','#','a' = 4 (runs split by spaces); 3 symbols -> 0.75
        "wait... what… ok",  # tokens wait, ..., what, …, ok = 5; symbols 2 -> 0.4 = threshold -> drop
        "!!!",  # one punctuation token, no symbol
    ]
    assert outcomes(SymbolWordRatioFilter(), texts) == [
        None,
        "symbol_word_ratio_above_max",
        "symbol_word_ratio_above_max",
        None,
    ]


def test_alpha_words_share_above_threshold():
    texts = [
        "The quick brown fox jumps over 2 dogs",  # 7 of 8 words have letters
        "123 456 789 !!! abc",  # 1 of 5
        "Hello123 World456 Test789 ABC xyz 123",  # 5 of 6
        "纯中文文本没有任何英文字母",  # no Latin letter
        "abc 1 2",  # 1/3
    ]
    assert outcomes(AlphaWordsFilter(), texts) == [
        None,
        "alpha_word_ratio_below_min",
        None,
        "alpha_word_ratio_below_min",
        "alpha_word_ratio_below_min",
    ]
    # ratio must be strictly above threshold: 3 of 5 = 0.6 is dropped at 0.6, kept at 0.59.
    three_of_five = "aa bb cc 11 22"
    assert outcomes(AlphaWordsFilter(), [three_of_five]) == ["alpha_word_ratio_below_min"]
    assert outcomes(AlphaWordsFilter({"threshold": 0.59}), [three_of_five]) == [None]


def test_alpha_words_tokenizer_splits_punctuation_off():
    # Whitespace words: 'a,', 'b,', 'c' all have letters. Tokens: a , b , c -> 3 of 5 = 0.6.
    text = "a, b, c"
    assert outcomes(AlphaWordsFilter({"threshold": 0.7}), [text]) == [None]
    assert outcomes(AlphaWordsFilter({"threshold": 0.7, "use_tokenizer": True}), [text]) == [
        "alpha_word_ratio_below_min"
    ]


def test_mean_word_length_range_is_half_open():
    texts = [
        "cat dog",  # 3.0 -> kept (min inclusive)
        "an ox",  # 2.0
        "abcdefghij klmnopqrst",  # 10.0 -> dropped (max exclusive)
        "abcdefghi abcdefghij",  # 9.5
        "a\u00e9\u00e8 bb",  # characters, not bytes: (3 + 2) / 2 = 2.5
        "ab abcd",  # 3.0
    ]
    assert outcomes(MeanWordLengthFilter(), texts) == [
        None,
        "mean_word_length_below_min",
        "mean_word_length_above_max",
        None,
        "mean_word_length_below_min",
        None,
    ]


def test_mean_word_length_rounds_to_two_decimals():
    rounds_up = " ".join(["aaa"] * 299 + ["aa"])  # 899 / 300 = 2.9967, rounded to 3.0: kept
    stays_below = " ".join(["aaa"] * 99 + ["aa"])  # 299 / 100 = 2.99: dropped
    assert outcomes(MeanWordLengthFilter(), [rounds_up, stays_below]) == [None, "mean_word_length_below_min"]


def test_stop_words_ratio_and_count():
    texts = [
        "the cat and the dog",  # 3 of 5 stop words
        "The cat and dog",  # 2 stop words only (case-insensitive): needs more than 2
        "Quantum chromodynamics lattice simulations require supercomputers",  # none
        "THIS IS IT",  # 3 of 3 after lowercasing
    ]
    assert outcomes(StopWordFilter(), texts) == [
        None,
        "stop_word_count_below_min",
        "stop_word_ratio_below_min",
        None,
    ]
    many = " ".join(["word"] * 97) + " the a an"  # 3 of 100 = 0.03
    assert outcomes(StopWordFilter(), [many]) == ["stop_word_ratio_below_min"]
    assert outcomes(StopWordFilter({"threshold": 0.02}), [many]) == [None]


def test_stop_words_contractions_and_long_entries():
    # "don't", "should've", "yourselves" are in NLTK's list; 'the,' with a comma is not a stop word.
    assert outcomes(StopWordFilter(), ["don't should've yourselves"]) == [None]
    assert outcomes(StopWordFilter(), ["the, the, the, word"]) == ["stop_word_ratio_below_min"]
    # The tokenizer splits the comma off: the , the , the , word -> 3 of 7.
    assert outcomes(StopWordFilter({"use_tokenizer": True}), ["the, the, the, word"]) == [None]


def test_stop_words_python_lowercasing_of_dotted_capital_i():
    # Python lowercases 'İ' to 'i' + U+0307, which is not the stop word 'i'.
    assert outcomes(StopWordFilter(), ["I me my", "İ me my"]) == [None, "stop_word_count_below_min"]


def test_capital_words_share():
    texts = [
        "THIS IS ALL SHOUTING",
        "Normal Title Case Words here",
        "NASA and ESA launched a probe today",  # 2 of 7 = 0.29
        "NASA launched a probe into deep space today with ESA",  # 2 of 10 = 0.2 -> kept (<=)
        "USA-2024 is 42",  # 'USA-2024' is upper (digits are uncased), '42' is not
        "ÉCOLE ÜBER straße",  # non-ASCII capitals count
    ]
    assert outcomes(CapitalWordsFilter(), texts) == [
        "capital_word_ratio_above_max",
        None,
        "capital_word_ratio_above_max",
        None,
        "capital_word_ratio_above_max",
        "capital_word_ratio_above_max",
    ]


def test_capital_words_tokenizer():
    # Whitespace words: 'OK!' is upper, 'fine.' not -> 0.5. Tokens: OK ! fine . -> 1 of 4 = 0.25.
    assert outcomes(CapitalWordsFilter({"threshold": 0.3}), ["OK! fine."]) == ["capital_word_ratio_above_max"]
    assert outcomes(CapitalWordsFilter({"threshold": 0.3, "use_tokenizer": True}), ["OK! fine."]) == [None]


def test_unique_words_ratio():
    texts = [
        "spam " * 20,  # 1 distinct of 20 = 0.05
        "Spam SPAM spam " * 3 + "eggs",  # lowercased: 2 of 10 = 0.2
        "one two three four five",
        "a a a a a a a a a b",  # 2 of 10 = 0.2
        "x x x x x x x x x x",  # 0.1 -> dropped (needs > 0.1)
    ]
    assert outcomes(UniqueWordsFilter(), texts) == [
        "unique_word_ratio_below_min",
        None,
        None,
        None,
        "unique_word_ratio_below_min",
    ]
    assert outcomes(UniqueWordsFilter({"threshold": 0.3}), ["a a a a a a a a a b"]) == ["unique_word_ratio_below_min"]


def test_unique_words_long_and_non_ascii_words():
    long_words = " ".join(["internationalisation", "Internationalisation", "INTERNATIONALISATION"] * 4)
    assert outcomes(UniqueWordsFilter({"threshold": 0.05}), [long_words]) == [None]  # 1 of 12 = 0.083
    assert outcomes(UniqueWordsFilter({"threshold": 0.09}), [long_words]) == ["unique_word_ratio_below_min"]
    # 'eight888' (8 bytes) and 'eight88' (7 bytes) must stay distinct from each other.
    mixed = "eight888 eight88 eight888 eight88 École école"  # 3 distinct of 6 = 0.5
    assert outcomes(UniqueWordsFilter({"threshold": 0.49}), [mixed]) == [None]
    assert outcomes(UniqueWordsFilter({"threshold": 0.5}), [mixed]) == ["unique_word_ratio_below_min"]


def test_no_punc_longest_unpunctuated_run():
    run_of = lambda n: " ".join(["word"] * n)  # noqa: E731
    texts = [
        run_of(112),
        run_of(113),
        run_of(60) + ", " + run_of(60),  # a comma splits
        run_of(60) + " – " + run_of(60),  # so does an en dash
        run_of(60) + "\n" + run_of(60),  # and a newline
        run_of(60) + " - " + run_of(60),  # an ASCII hyphen does not: 121 words
        "a.b " * 200,  # many short sentences
    ]
    assert outcomes(NoPuncFilter(), texts) == [
        None,
        "unpunctuated_words_above_max",
        None,
        None,
        None,
        "unpunctuated_words_above_max",
        None,
    ]
    assert outcomes(NoPuncFilter({"threshold": 2}), ["one two. three four five"]) == ["unpunctuated_words_above_max"]


def test_megabyte_single_line_without_punctuation():
    text = "word " * 200_000
    assert outcomes(NoPuncFilter(), [text, "Short. Text."]) == ["unpunctuated_words_above_max", None]
    assert outcomes(MeanWordLengthFilter(), ["x" * 1_000_000]) == ["mean_word_length_above_max"]
    assert outcomes(UniqueWordsFilter(), [text]) == ["unique_word_ratio_below_min"]
    assert outcomes(StopWordFilter(), [("the " * 3 + "word ") * 200_000]) == [None]


@pytest.mark.parametrize(
    "cls",
    [AlphaWordsFilter, CapitalWordsFilter, MeanWordLengthFilter, StopWordFilter, SymbolWordRatioFilter,
     UniqueWordsFilter],
)
def test_unicode_whitespace_separates_words(cls):
    # Python's str.split() splits on U+3000, U+00A0, U+2028 and \x1c..\x1f too; RE2's \s would not.
    ascii_spaced = "Alpha beta gamma the delta"
    unicode_spaced = "Alpha\u3000beta\xa0gamma\u2028the\x1cdelta"
    ascii_result, unicode_result = outcomes(cls(), [ascii_spaced, unicode_spaced])
    assert ascii_result == unicode_result


@pytest.mark.parametrize("mark", list(".!?,;/|\n") + ["\u2013", "\u2022", "\u2026"])
def test_no_punc_marks_split_runs(mark):
    text = " ".join(["word"] * 60) + mark + " ".join(["word"] * 60)
    assert outcomes(NoPuncFilter(), [text, text.replace(mark, " ")]) == [None, "unpunctuated_words_above_max"]


def test_symbol_word_ratio_sees_each_symbol_alone():
    # The symbol pattern only runs on rows holding one of its symbols' bytes; each symbol alone must still count.
    texts = ["wait… what… ok", "so... so... ok", "#a #b ok", "plain words only here"]
    assert outcomes(SymbolWordRatioFilter(), texts) == ["symbol_word_ratio_above_max"] * 3 + [None]
