"""Hand-made cases for the character refiners: spaces, emoji, emoticons, case, digits, punctuation runs."""

from __future__ import annotations

import random
import time

import pyarrow as pa

from operators.base import OperatorContext
from operators.text.refiners.characters import (
    LowercaseRefiner,
    RemoveEmojiRefiner,
    RemoveEmoticonsRefiner,
    RemoveExtraSpacesRefiner,
    RemoveNumberRefiner,
    RemoveRepetitionsPunctuationRefiner,
)
from tests.operators.helpers import refine


def test_extra_spaces_python_split_semantics() -> None:
    rows = ["  a   b\t\tc\n", "one two", "x\u3000\u00a0y", "tab\there", "   ", "", None, "a\x1cb", "zero\u200bwidth"]
    out, changed = refine(RemoveExtraSpacesRefiner(), rows)
    assert out == ["a b c", "one two", "x y", "tab here", "", "", None, "a b", "zero\u200bwidth"]
    assert changed == 5


def test_extra_spaces_match_python_on_random_unicode_rows_of_both_string_types() -> None:
    rng = random.Random(11)
    alphabet = list("ab ,\n\t\r") + ["\x1c", "\x85", "\xa0", "\u1680", "\u2028", "\u3000", "\u200b", "é", "数", "😀"]
    rows = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))) for _ in range(400)] + [None, ""]
    expected = [None if row is None else " ".join(row.split()) for row in rows]
    for kind in (pa.string(), pa.large_string()):
        refined, _ = RemoveExtraSpacesRefiner().refined(pa.chunked_array([pa.array(rows, kind)]))
        assert refined.type == kind and refined.to_pylist() == expected


def test_emoji_ranges_are_dataflows() -> None:
    rows = ["hi 😀🎉 there", "flag 🇫🇷!", "scissors ✂ ok", "🤣 not in the ranges", "❤️ heart", "plain", "♥"]
    out, changed = refine(RemoveEmojiRefiner(), rows)
    # U+1F923 lies outside DataFlow's ranges; U+2764 (dingbat) goes but its U+FE0F selector stays.
    assert out == ["hi  there", "flag !", "scissors  ok", "🤣 not in the ranges", "\ufe0f heart", "plain", "♥"]
    assert changed == 4


def test_emoticons_removed_whole() -> None:
    rows = ["Great :-) thanks", "lol XD", "so happy :-)))", "(^_^) hi", "=_^= cat", "no faces here", "time 10:30"]
    out, changed = refine(RemoveEmoticonsRefiner(), rows)
    # One leftmost-longest pass: ':-)))' and '(^_^)' go whole, where DataFlow's key-by-key replace
    # leaves ')' and '()'. Like DataFlow, a time such as '10:30' loses an emoticon ('0:3').
    assert out == ["Great  thanks", "lol ", "so happy ", " hi", "cat", "no faces here", "time 10"]
    assert changed == 6


def test_lowercase_python_semantics() -> None:
    rows = ["Hello WORLD", "ΟΔΟΣ ΣΟΦΟΣ", "İstanbul", "ÀÉÎ ß", "already lower", "123 !?", "Σ"]
    out, changed = refine(LowercaseRefiner(), rows)
    assert out == [s.lower() for s in rows]
    assert out[1] == "οδος σοφος" and out[2] == "i\u0307stanbul" and out[6] == "σ"
    assert changed == 5


def test_remove_number_uses_isdigit() -> None:
    rows = ["abc123", "x² + y³", "①②", "٣٤ Arabic", "½ stays", "no digits", "𝟎 math"]
    out, changed = refine(RemoveNumberRefiner(), rows)
    assert out == ["abc", "x + y", "", " Arabic", "½ stays", "no digits", " math"]
    assert changed == 5


def test_repeated_punctuation_collapses_only_identical_runs() -> None:
    rows = [
        "Wow!!! Really???",
        "a...b --- c",
        "snake___case__x",
        "mixed?!?! stays",
        "aa bb 11 stay",
        "。。。！！",
        "😀😀😀 ok",
        "e\u0301\u0301 marks",
        "space  tab\t\t",
        "single ! . _",
    ]
    out, changed = refine(RemoveRepetitionsPunctuationRefiner(), rows)
    assert out == [
        "Wow! Really?",
        "a.b - c",
        "snake_case_x",
        "mixed?!?! stays",
        "aa bb 11 stay",
        "。！",
        "😀 ok",
        "e\u0301 marks",
        "space  tab\t\t",
        "single ! . _",
    ]
    assert changed == 6


def test_repeated_punctuation_never_spans_rows() -> None:
    rows = ["ends with !", "!starts", "é", "é", "😀", "😀x", "", "!", "!"]
    out, changed = refine(RemoveRepetitionsPunctuationRefiner(), rows)
    assert out == rows and changed == 0


def test_repeated_punctuation_sliced_and_null_input() -> None:
    table = pa.table({"text": ["pad!!", None, "x??", "y..", None]}).slice(1, 3)
    result = RemoveRepetitionsPunctuationRefiner().run(table, OperatorContext())
    assert result.table.column("text").to_pylist() == [None, "x?", "y."]
    assert result.metrics["rows_changed"] == 2


def test_replacement_characters() -> None:
    rows = ["bad\ufffd\ufffd\ufffdbytes", "\ufffd"]
    assert refine(RemoveRepetitionsPunctuationRefiner(), rows)[0] == ["bad\ufffdbytes", "\ufffd"]
    assert refine(LowercaseRefiner(), ["A\ufffdB"])[0] == ["a\ufffdb"]
    assert refine(RemoveExtraSpacesRefiner(), [" \ufffd  \ufffd "])[0] == ["\ufffd \ufffd"]


def test_one_megabyte_document_repetitions() -> None:
    document = "Hello!!! world... ok 😀😀 __x " * 36_000
    start = time.perf_counter()
    out, changed = refine(RemoveRepetitionsPunctuationRefiner(), [document])
    assert time.perf_counter() - start < 5
    expected = document.replace("!!!", "!").replace("...", ".").replace("😀😀", "😀").replace("__", "_")
    assert out == [expected] and changed == 1
