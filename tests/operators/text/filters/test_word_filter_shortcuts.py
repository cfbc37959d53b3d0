"""The shortcuts of the word filters give exactly the brute-force answer.

``UniqueWordsFilter`` keys only a prefix of each row's words first; ``BlocklistFilter`` compares long
words as strings only when their first 8 bytes begin a long blocklisted word. Both are checked against
plain Python on rows built to defeat the shortcuts.
"""

from __future__ import annotations

import random

import pytest

from operators.text.filters.blocklist import BlocklistFilter, _single_words
from operators.text.filters.words import UniqueWordsFilter
from tests.operators.helpers import outcomes


def unique_rows() -> list[str]:
    rng = random.Random(9)
    vocabulary = [f"w{i}" for i in range(400)] + ["Élan", "élan", "ÉLAN", "naïve", "straße", "a", "longerwordsarehere"]
    rows = [" ".join(rng.choice(vocabulary[:k]) for _ in range(n)) for k in (1, 3, 12, 60, 400) for n in (5, 40, 300)]
    for distinct in (9, 10, 11, 12):  # 100 words: the answer flips between 10 and 11 distinct words
        rows.append(" ".join(["same"] * (100 - distinct + 1) + [f"d{i}" for i in range(distinct - 1)]))
    rows.append(" ".join(["x"] * 500 + [f"late{i}" for i in range(60)]))  # the distinct words come last
    rows.append(" ".join(["Élan", "élan", "ÉLAN"] * 40))  # equal once lowercased
    rows += ["", "   ", "one", "\u3000".join(["ab", "ab", "cd"])]
    return rows


@pytest.mark.parametrize("threshold", [0.0, 0.05, 0.1, 0.3, 0.6, 1.0, float("nan")])
def test_unique_words_prefix_shortcut_is_exact(threshold):
    rows = unique_rows()
    found = outcomes(UniqueWordsFilter({"threshold": threshold}), rows)
    expected = []
    for text in rows:
        words = text.lower().split()
        if not words:
            expected.append("empty_text")
        else:
            expected.append("unique_word_ratio_below_min" if len(set(words)) / len(words) <= threshold else None)
    assert found == expected
    assert threshold in (0.0, 1.0) or threshold != threshold or None in found and "unique_word_ratio_below_min" in found


def test_blocklist_long_word_prefilter_is_exact():
    listed = sorted(_single_words("en"))
    long_words = [w for w in listed if len(w.encode("utf-8")) > 7][:12]
    short_words = [w for w in listed if 2 < len(w.encode("utf-8")) <= 7][:12]
    decoys = [w + "z" for w in long_words] + [w[:8] + "q" * 3 for w in long_words] + [w[:-1] for w in long_words]
    decoys = [d for d in decoys if d not in listed]
    rng = random.Random(4)
    pool = long_words + short_words + decoys + ["plain", "words", "extraordinarily", "ordinary"]
    rows = [" ".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    rows += [w.upper() + " " + w for w in long_words] + [" ".join(decoys)] + ["", None]
    found = outcomes(BlocklistFilter(), rows)
    single = set(listed)
    expected = []
    for text in rows:
        if text is None:
            expected.append("null_text")
        elif not text:
            expected.append("empty_text")
        else:
            hits = sum(word in single for word in text.lower().split())
            expected.append("blocklist_count_above_threshold" if hits > 1 else None)
    assert found == expected
    assert None in found and "blocklist_count_above_threshold" in found
