"""LexicalDiversityFilter (MTLD, HD-D) against a plain-Python statement of DataFlow's definitions."""

from __future__ import annotations

import math
import random
import string
import time
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from operators.base import OperatorContext
from operators.text.filters.lexical_diversity import LexicalDiversityFilter, lexical_scores
from tests.operators.helpers import reasons

STRIP = str.maketrans("", "", string.punctuation)
PROSE = (
    "Early on a grey Tuesday morning, the harbour master walked along the old stone pier, counting fishing "
    "boats that had returned overnight. Gulls circled above crates of mackerel while two apprentices argued "
    "about whether yesterday's storm had damaged the northern breakwater. Nobody expected the mayor, yet she "
    "arrived carrying blueprints for a modest museum celebrating local shipbuilders, sailmakers and the "
    "families who kept lighthouses burning through long winters."
)


def mtld_pass(words: list[str], threshold: float = 0.72) -> float:
    """One direction of MTLD as DataFlow defines it (factor count, partial last factor, -1 if none)."""
    seen: set[str] = set()
    tokens = factors = 0
    ttr = 1.0
    for word in words:
        seen.add(word.translate(STRIP).lower())
        tokens += 1
        ttr = len(seen) / tokens
        if ttr <= threshold:
            factors, seen, tokens, ttr = factors + 1, set(), 0, 1.0
    factors += (1.0 - ttr) / (1.0 - threshold)
    return len(words) / factors if factors else -1


def reference(text: str | None) -> tuple[float, float]:
    """(MTLD, HD-D) of a text, NaN where DataFlow leaves the score empty."""
    words = text.split() if text else []
    n = len(words)
    mtld = (mtld_pass(words) + mtld_pass(words[::-1])) / 2 if n > 50 else math.nan
    if 50 < n < 1000:
        counts = Counter(w.translate(STRIP).lower() for w in words).values()
        hdd = sum(1 - math.comb(n - c, 42) / math.comb(n, 42) for c in counts) / 42
    else:
        hdd = math.nan
    return mtld, hdd


def run(op: LexicalDiversityFilter, texts: list[str | None]):
    table = pa.table({"id": list(range(len(texts))), "text": pa.array(texts, pa.string())})
    return op.run(table, OperatorContext())



def test_defaults_and_validation() -> None:
    config = LexicalDiversityFilter().config
    assert config.min_scores == {"mtld": 50, "hdd": 0.8} and config.max_scores == {"mtld": 99999, "hdd": 1.0}
    with pytest.raises(ValidationError, match="same keys"):
        LexicalDiversityFilter({"min_scores": {"mtld": 1}, "max_scores": {"mtld": 2, "hdd": 1}})
    with pytest.raises(ValidationError, match="unknown metrics"):
        LexicalDiversityFilter({"min_scores": {"ttr": 1}, "max_scores": {"ttr": 2}})


def test_prose_kept_repetition_dropped_short_texts_pass() -> None:
    repetitive = "the cat sat on the mat and the dog sat on the log " * 6
    all_distinct = " ".join(f"word{i}" for i in range(60))
    texts = [PROSE, repetitive, all_distinct, "too short to judge", None, "", "  \n ", "\ufffd " * 40]
    mtld, hdd = reference(PROSE)
    assert mtld >= 50 and hdd >= 0.8  # the prose passes both default thresholds
    result = run(LexicalDiversityFilter(), texts)
    # All-distinct words never complete an MTLD factor: DataFlow scores -1, below the minimum.
    assert reasons(result) == {1: "mtld_below_min", 2: "mtld_below_min"}
    assert result.table.column("id").to_pylist() == [0, 3, 4, 5, 6, 7]
    assert result.drop_counts == {"mtld_below_min": 2}


def test_hdd_only_and_max_scores() -> None:
    repetitive = "the cat sat on the mat and the dog sat on the log " * 6
    hdd_only = LexicalDiversityFilter({"min_scores": {"hdd": 0.8}, "max_scores": {"hdd": 1.0}})
    assert reasons(run(hdd_only, [PROSE, repetitive])) == {1: "hdd_below_min"}
    capped = LexicalDiversityFilter(
        {"min_scores": {"mtld": 0, "hdd": 0}, "max_scores": {"mtld": 10, "hdd": 1}}
    )
    assert reasons(run(capped, [PROSE, repetitive])) == {0: "mtld_above_max"}


def test_scores_match_the_definitions_on_random_texts() -> None:
    rng = random.Random(5)
    vocab = [
        "The",
        "the",
        "cat,",
        "cat",
        "CAT!",
        "--",
        "...",
        "été",
        "Été",
        "it's",
        "its",
        "\ufffd",
        "中文",
        "😀",
    ]
    vocab += [f"w{i}" for i in range(400)]
    texts: list[str | None] = [None, "", PROSE, PROSE * 30]
    for _ in range(120):  # enough long rows for the vectorised walk, plus a few for the per-token tail
        size = rng.choice([10, 51, 52, 80, 200, 600, 999, 1000, 1500])
        words = vocab[: rng.choice([5, 14, 60, 414])]
        texts.append(" ".join(rng.choice(words) for _ in range(size)))
    scores = lexical_scores(pa.chunked_array([pa.array(texts, pa.string())]))
    expected = np.array([reference(t) for t in texts])
    assert np.allclose(scores["mtld"], expected[:, 0], rtol=1e-12, equal_nan=True)
    assert np.allclose(scores["hdd"], expected[:, 1], rtol=1e-9, equal_nan=True)


def test_frequent_words_do_not_overflow_hdd() -> None:
    text = "a " * 500 + " ".join(f"w{i}" for i in range(400))  # DataFlow's float products overflow here
    scores = lexical_scores(pa.chunked_array([pa.array([text])]))
    assert scores["hdd"][0] == pytest.approx(reference(text)[1], rel=1e-9)
    assert 0 < scores["hdd"][0] <= 1


def test_one_megabyte_document() -> None:
    rng = random.Random(11)
    common = ["the", "of", "and"]
    words = [rng.choice(common) if rng.random() < 0.3 else f"w{rng.randrange(20000)}" for _ in range(180_000)]
    big = " ".join(words)
    assert len(big) > 1_000_000
    start = time.perf_counter()
    scores = lexical_scores(pa.chunked_array([pa.array([big, PROSE])]))
    assert time.perf_counter() - start < 10
    mtld, hdd = reference(big)
    assert (
        scores["mtld"][0] == pytest.approx(mtld, rel=1e-12)
        and math.isnan(scores["hdd"][0])
        and math.isnan(hdd)
    )
    assert scores["mtld"][1] == pytest.approx(reference(PROSE)[0], rel=1e-12)
