"""The compiled word kernels behind NoPuncFilter and CapitalWordsFilter, against DataFlow's rules written plainly in
Python, on random text with multi-byte marks, cased and uncased letters and Unicode whitespace."""

from __future__ import annotations

import random
import re

import pytest

from operators.text.filters.words import CapitalWordsFilter, NoPuncFilter
from tests.operators.helpers import outcomes

ALPHABET = list("ab AB.,!?;/|\n\t-'") + ["–", "•", "…", "é", "É", "ß", "数", "ǅ", "Σ", "σ", "\u3000", "\xa0", "\u2028",
                                         "😀", "1", "x", "Y"]


def random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 80))) for _ in range(count)]


def longest_unpunctuated(text: str) -> int:
    """DataFlow's NoPuncFilter: the most words in a sentence split at – . ! ? , ; • / | … within a line."""
    longest = 0
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            continue
        for sentence in re.split("[–.!?,;•/|…]", paragraph):
            longest = max(longest, len(sentence.split()))
    return longest


@pytest.mark.parametrize("threshold", [0, 1, 2, 4, 8])
def test_no_punc_matches_dataflow_rule(threshold):
    texts = [text for text in random_texts(600, threshold) if text.strip()]
    expected = [None if longest_unpunctuated(text) <= threshold else "unpunctuated_words_above_max" for text in texts]
    assert outcomes(NoPuncFilter({"threshold": threshold}), texts) == expected


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.5, 0.9])
def test_capital_words_matches_dataflow_rule(threshold):
    texts = [text for text in random_texts(600, 7) if text.split()]
    expected = []
    for text in texts:
        words = text.split()
        ratio = sum(word.isupper() for word in words) / len(words)
        expected.append(None if ratio <= threshold else "capital_word_ratio_above_max")
    assert outcomes(CapitalWordsFilter({"threshold": threshold}), texts) == expected
