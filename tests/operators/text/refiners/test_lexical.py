"""Hand-made cases for contraction expansion and date/currency normalisation.

Expected contraction outputs are what ``contractions.fix`` (0.1.73, the call DataFlow makes) returns.
"""

from __future__ import annotations

import time

import pytest

from operators.text.refiners.lexical import RemoveContractionsRefiner, TextNormalizationRefiner
from tests.operators.helpers import refine

CONTRACTIONS = [
    ("I'm sure you'll like it", "I am sure you will like it"),
    ("DON'T stop", "DO NOT stop"),
    ("Don't stop", "Do not stop"),
    ("dOn'T stop", "do not stop"),
    ("y'all're gonna love it", "you all are going to love it"),
    ("Y'ALL", "YOU ALL"),
    ("u r  great", "you are  great"),
    ("see u.", "see you."),
    ("Jan. 5 at 3 o'clock", "January 5 at 3 of the clock"),
    ("it's its", "it is its"),
    ("She'd've known", "She would have known"),
    ("don’t worry", "do not worry"),
    ("Whatcha doing", "What Are You doing"),
    ("kk thx", "okay thanks"),
    ("dont cant wont", "do not cannot will not"),
    ("the 'em and ’em", "the them and  them"),
    ("Let's go", "Let us go"),
    ("LET'S GO", "LET US GO"),
    ("I'M", "I AM"),
    ("shed", "she would"),
    ("'d", " would"),
    ("don't.", "do not."),
]

UNCHANGED = ["trees", "do_n't", "xdon't", "don'tx", "sure'd", "Kelvin ſo", "unrelated words only", ""]


def test_contractions_match_the_library() -> None:
    rows = [source for source, _ in CONTRACTIONS] + UNCHANGED + [None]
    out, changed = refine(RemoveContractionsRefiner(), rows)
    assert out == [expected for _, expected in CONTRACTIONS] + UNCHANGED + [None]
    assert changed == len(CONTRACTIONS)


def test_contractions_many_rows_and_repeated_surfaces() -> None:
    rows = ["We're here, we're there, WE'RE everywhere"] * 3 + ["plain"] * 3
    out, changed = refine(RemoveContractionsRefiner(), rows)
    assert out[:3] == ["We are here, we are there, WE ARE everywhere"] * 3 and out[3:] == ["plain"] * 3
    assert changed == 3


def test_contractions_one_megabyte_document() -> None:
    document = "I can't say it's easy, y'all. " * 34_000
    start = time.perf_counter()
    out, changed = refine(RemoveContractionsRefiner(), [document])
    assert time.perf_counter() - start < 10
    assert out == ["I cannot say it is easy, you all. " * 34_000] and changed == 1


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Due 12/3/2024 or 1.2.99", "Due 2024-3-12 or 99-2-1"),
        ("Published January 5, 2020 and again January 5, 2020", "Published 2020-01-05 and again 2020-01-05"),
        ("On 5 March 2021 we met", "On 2021-03-05 we met"),
        ("Costs $ 12 or $5.50", "Costs 12 USD or 5 USD.50"),
        ("Chapter 5, 2020 then January 5, 2020", "Chapter 5, 2020 then January 5, 2020"),
        ("February 30, 2020", "February 30, 2020"),
        ("june  7,\n 1999", "1999-06-07"),
        ("In 3 weeks 2020 comes", "In 3 weeks 2020 comes"),
        ("٣/٤/٢٠٢٠", "٢٠٢٠-٤-٣"),
        ("no dates here", "no dates here"),
        ("Jan 5, 2020", "Jan 5, 2020"),
    ],
)
def test_text_normalization(source: str, expected: str) -> None:
    out, changed = refine(TextNormalizationRefiner(), [source])
    assert out == [expected] and changed == int(expected != source)


def test_text_normalization_first_worded_date_only_per_pattern() -> None:
    # Like DataFlow's re.search: only the first "Month D, YYYY" of a row is tried and replaced.
    out, _ = refine(TextNormalizationRefiner(), ["March 1, 2001 then April 2, 2002", "x\ufffd 1 May 2003", None, "  "])
    assert out == ["2001-03-01 then April 2, 2002", "x\ufffd 2003-05-01", None, "  "]
