"""Pattern and character rule filters (operators.text.filters.patterns), plus edge cases for all 20 rule filters."""

from __future__ import annotations

import time

import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.text.filters import lines, words
from operators.text.filters.patterns import (
    CharNumberFilter,
    ColonEndFilter,
    ContentNullFilter,
    CurlyBracketFilter,
    HtmlEntityFilter,
    IDCardFilter,
    LoremIpsumFilter,
    SentenceNumberFilter,
    SpecialCharacterFilter,
    WatermarkFilter,
)
from tests.operators.helpers import outcomes

GOOD = (
    "The quick brown fox jumps over the lazy dog near the river bank. It was a bright and sunny "
    "morning in the small village. Children were playing in the park while their parents watched "
    "from the benches.\nEveryone agreed that it was a perfect day for a picnic."
)


def test_colon_end():
    texts = ["Here is the list:", "A complete sentence.", "colon: in the middle", "ends with colon :", ":"]
    assert outcomes(ColonEndFilter(), texts) == ["colon_end", None, None, "colon_end", "colon_end"]


def test_colon_end_trailing_space_is_not_a_colon_end():
    # DataFlow tests text.endswith(':') without stripping.
    assert outcomes(ColonEndFilter(), ["Answer: ", "Answer:\n"]) == [None, None]


def test_sentence_number_counts_runs_with_word_characters():
    texts = [
        "One. Two. Three.",  # 3 sentences
        "One. Two.",  # 2
        "Line one\nline two\nline three",  # newlines split too
        "Wait... what?! Really.",  # punctuation runs close one sentence each
        "... !!! ??? . . .",  # no word characters: 0
        "数据。模型。训练",  # no . ! ? -- one run of word characters
    ]
    assert outcomes(SentenceNumberFilter(), texts) == [
        None,
        "sentence_count_below_min",
        None,
        None,
        "sentence_count_below_min",
        "sentence_count_below_min",
    ]


def test_sentence_number_bounds_are_inclusive():
    op = SentenceNumberFilter({"min_sentences": 2, "max_sentences": 3})
    texts = ["A.", "A. B.", "A. B. C.", "A. B. C. D."]
    assert outcomes(op, texts) == ["sentence_count_below_min", None, None, "sentence_count_above_max"]


def test_content_null():
    texts = [None, "", "   ", "\n\t\u3000\xa0", "x", " a "]
    assert outcomes(ContentNullFilter(), texts) == ["null_text"] + ["empty_text"] * 3 + [None, None]


def test_html_entity():
    texts = [
        "Fish &amp; chips",
        "5 &lt 6 without semicolon",
        "full width ＆nbsp； entity",
        "A plain & simple text",
        "&AMP; is upper case",  # entities are case-sensitive in DataFlow
        "&ltd. company",  # DataFlow's bare '&lt' also matches here
    ]
    expected = ["html_entity", "html_entity", "html_entity", None, None, "html_entity"]
    assert outcomes(HtmlEntityFilter(), texts) == expected


def test_id_card_counts_terms_against_threshold():
    two = "Please enter your ID number and your identity."
    three = "ID number, identity and identification are needed."
    chinese = "请提供身份证。身 份信息。身份号码"
    assert outcomes(IDCardFilter(), [two, three, chinese, "Nothing to see."]) == [None, "id_card", "id_card", None]
    assert outcomes(IDCardFilter({"threshold": 1}), [two, "Nothing to see."]) == ["id_card", None]


def test_special_character():
    texts = [
        "broken \ufffd byte",
        "box \u25a1 char",
        "literal u200e marker",
        "escaped U+1F600 emoji",
        "weird &#247; sign",
        "a {/U} tag",
        "normal text with an emoji 😀",
        "u200f is not listed",
    ]
    assert outcomes(SpecialCharacterFilter(), texts) == ["special_character"] * 6 + [None, None]


def test_watermark_is_case_sensitive_regex():
    texts = ["Copyright 2024 ACME", "this is confidential", "Confidential!", "no marks"]
    assert outcomes(WatermarkFilter(), texts) == ["watermark", None, "watermark", None]
    custom = WatermarkFilter({"watermarks": [r"all rights\s+reserved", "DRAFT"]})
    assert outcomes(custom, ["All rights reserved", "all rights   reserved", "DRAFT v2"]) == [
        None,
        "watermark",
        "watermark",
    ]


def test_watermark_words_found_by_byte_search_match_the_regex():
    texts = ["Copyright", "xWatermarky", "Confidentia", "版权所有 ok", "CopyrightWatermark", "", "Water mark", "a.b"]
    words = ["Copyright", "Watermark", "版权所有", "a b"]
    regex_twin = [f"(?:{word})" for word in words]  # the same marks, through the regex path
    assert outcomes(WatermarkFilter({"watermarks": words}), texts) == outcomes(
        WatermarkFilter({"watermarks": regex_twin}), texts)
    assert outcomes(WatermarkFilter({"watermarks": ["a.b"]}), ["axb"]) == ["watermark"]  # "." stays a regex


def test_watermark_config_rejects_bad_or_empty_patterns():
    with pytest.raises(ValueError):
        WatermarkFilter({"watermarks": ["(unclosed"]})
    with pytest.raises(ValueError):
        WatermarkFilter({"watermarks": []})


def test_curly_bracket_ratio():
    # threshold 0.025: 1 bracket in 40 chars is exactly 0.025 -> dropped (keep needs ratio < threshold).
    exactly = "{" + "a" * 39
    below = "{" + "a" * 40
    assert outcomes(CurlyBracketFilter(), [exactly, below, "{}" * 5, "no brackets"]) == [
        "curly_bracket_ratio_above_max",
        None,
        "curly_bracket_ratio_above_max",
        None,
    ]


def test_lorem_ipsum_any_case():
    texts = ["Lorem Ipsum dolor sit amet", "LOREM IPSUM", "lorem  ipsum (two spaces)", "ipsum lorem"]
    assert outcomes(LoremIpsumFilter(), texts) == ["lorem_ipsum", "lorem_ipsum", None, None]
    lenient = LoremIpsumFilter({"threshold": 0.1})  # 1 occurrence in 26 chars = 0.038
    assert outcomes(lenient, ["Lorem Ipsum dolor sit amet"]) == [None]


def test_char_number_ignores_spaces_newlines_tabs_and_stripped_whitespace():
    op = CharNumberFilter({"threshold": 5})
    texts = [
        "a b c d e",  # 5 chars once spaces go
        "a b\nc\td",  # 4
        "\r\n  abcd \xa0",  # strip() removes \r and \xa0 at the edges: 4
        "ab\rcd",  # an inner \r is kept by DataFlow: 5
        "ab\xa0cd",  # so is an inner no-break space: 5
    ]
    assert outcomes(op, texts) == [None, "char_count_below_min", "char_count_below_min", None, None]
    assert outcomes(CharNumberFilter(), ["x" * 99, "x" * 100]) == ["char_count_below_min", None]


ALL_RULE_FILTERS = [
    CharNumberFilter, ColonEndFilter, ContentNullFilter, CurlyBracketFilter, HtmlEntityFilter, IDCardFilter,
    LoremIpsumFilter, SentenceNumberFilter, SpecialCharacterFilter, WatermarkFilter,
    words.AlphaWordsFilter, words.CapitalWordsFilter, words.MeanWordLengthFilter, words.NoPuncFilter,
    words.StopWordFilter, words.SymbolWordRatioFilter, words.UniqueWordsFilter,
    lines.LineEndWithEllipsisFilter, lines.LineStartWithBulletpointFilter, lines.LineWithJavascriptFilter,
]

# DataFlow's answer for whitespace-only text, which its ``if text:`` lets through to the rule itself.
WHITESPACE_ONLY = {
    "CharNumberFilter": "char_count_below_min",
    "ContentNullFilter": "empty_text",
    "SentenceNumberFilter": "sentence_count_below_min",
    "AlphaWordsFilter": "empty_text",
    "MeanWordLengthFilter": "empty_text",
    "StopWordFilter": "empty_text",
    "SymbolWordRatioFilter": "empty_text",
    "UniqueWordsFilter": "empty_text",
    "LineEndWithEllipsisFilter": "empty_text",
    "LineStartWithBulletpointFilter": "empty_text",
    "LineWithJavascriptFilter": "empty_text",
}

# A ~1 MB document: GOOD repeated. It has 16000 sentences and few distinct words.
MEGABYTE = "\n".join([GOOD] * 4000)
MEGABYTE_DROPS = {
    "SentenceNumberFilter": "sentence_count_above_max",
    "UniqueWordsFilter": "unique_word_ratio_below_min",
}


def test_twenty_rule_filters_are_registered_under_dataflow_names():
    from operators.registry import all_operators

    registered = all_operators()
    for cls in ALL_RULE_FILTERS:
        assert registered.get(cls.name) is cls
        assert cls.description and cls.inputs == ("text",)
    assert len({cls.name for cls in ALL_RULE_FILTERS}) == 20


@pytest.mark.parametrize("cls", ALL_RULE_FILTERS, ids=lambda cls: cls.name)
def test_edge_cases(cls):
    texts = [None, "", " \n\t \u3000", GOOD, GOOD.replace("quick", "qu\ufffdck")]
    expected = ["null_text", "empty_text", WHITESPACE_ONLY.get(cls.name), None, None]  # null: said apart from ""
    if cls is SpecialCharacterFilter:
        expected[4] = "special_character"  # U+FFFD is one of DataFlow's garbage markers
    assert outcomes(cls(), texts) == expected


@pytest.mark.parametrize("cls", ALL_RULE_FILTERS, ids=lambda cls: cls.name)
def test_megabyte_document(cls):
    start = time.perf_counter()
    reasons = outcomes(cls(), [MEGABYTE, GOOD])
    assert time.perf_counter() - start < 5
    assert reasons == [MEGABYTE_DROPS.get(cls.name), None]


@pytest.mark.parametrize("cls", ALL_RULE_FILTERS, ids=lambda cls: cls.name)
def test_input_column_binding_and_chunked_input(cls):
    table = pa.table({"body": pa.chunked_array([pa.array([GOOD, None]), pa.array(["", GOOD])])})
    result = cls(inputs={"text": "body"}).run(table, OperatorContext())
    assert result.table["body"].to_pylist() == [GOOD, GOOD]
    assert result.drop_counts == {"null_text": 1, "empty_text": 1}


def test_special_character_markers_each_alone():
    # The pattern only runs on rows holding one of its markers' bytes; each marker alone must still match.
    texts = ["why ? : this", "code U+2600 here", "U+2734 star", "U+1F680 rocket", "u200e", "&#247;", "{/U}",
             "\ufffd", "\u25a1", "U+2700 is not listed", "plain"]
    assert outcomes(SpecialCharacterFilter(), texts) == ["special_character"] * 9 + [None, None]
