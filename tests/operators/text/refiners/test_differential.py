"""Each refiner against DataFlow's per-row Python semantics, on random rows built to hit the patterns.

The oracles below are DataFlow's refiner rules written as plain per-row Python ``re``/``str`` code;
the vectorised operators must give the same text for every row and count the same changed rows.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from datetime import datetime

import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.registry import all_operators

_ENTITIES = ["nbsp", "lt", "gt", "amp", "quot", "apos", "hellip", "ndash", "mdash", "lsquo", "rsquo", "ldquo", "rdquo"]
_ENTITY_RE = re.compile("|".join(f"{a}{e}{b}" for e in _ENTITIES for a in "&＆" for b in ";；"))
_EMOJI_RE = re.compile(
    "[\U0001F600-\U0001F64F\U0001F300-\U0001F5FF\U0001F680-\U0001F6FF\U0001F1E0-\U0001F1FF\u2702-\u27B0]+"
)
_IMAGE_RE = re.compile(
    r"!\[\]\(images\/[0-9a-fA-F]\.jpg\)|[a-fA-F0-9]+\.[a-zA-Z]{3,4}\)|!\[\]\(images\/[a-f0-9]|"
    r"图\s+\d+-\d+：[\u4e00-\u9fa5a-zA-Z0-9]+|(?:[0-9a-zA-Z]+){7,}|"
    r"(?:[一二三四五六七八九十零壹贰叁肆伍陆柒捌玖拾佰仟万亿]+){5,}|u200e|&#247;|\? :|[\ufffd□]|\{\/U\}|"
    r"U\+26[0-F][0-D]|U\+273[3-4]|U\+1F[3-6][0-4][0-F]|U\+1F6[8-F][0-F]"
)
_REF_RE = re.compile(r"<ref\b[^>]*>.*?</ref>|<ref\b[^>]*>[^<]*$|<ref\b[^>]*>.*?/br")
_CITE_RE = re.compile(r"\{\{cite\s+\w+\|[^}]*\}\}|\{\{cite\s+\w+\|[^}]*$")
_WORDED_DATES = [(r"\b(\w+)\s+(\d{1,2}),\s+(\d{4})\b", "%B %d, %Y"), (r"\b(\d{1,2})\s+(\w+)\s+(\d{4})\b", "%d %B %Y")]


def _text_normalization(text: str) -> str:
    text = re.sub(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})", r"\3-\2-\1", text)
    for pattern, fmt in _WORDED_DATES:
        match = re.search(pattern, text)
        if match:
            try:
                text = text.replace(match.group(0), datetime.strptime(match.group(0), fmt).strftime("%Y-%m-%d"))
            except ValueError:
                pass
    return re.sub(r"\$\s?(\d+)", r"\1 USD", text)


ORACLES: dict[str, Callable[[str], str]] = {
    "HtmlEntityRefiner": lambda s: _ENTITY_RE.sub("", s),
    "HtmlUrlRemoverRefiner": lambda s: re.sub(r"<.*?>", "", re.sub(r"https?:\/\/\S+[\r\n]*", "", s)),
    "RemoveExtraSpacesRefiner": lambda s: " ".join(s.split()),
    "RemoveEmojiRefiner": lambda s: _EMOJI_RE.sub("", s),
    "LowercaseRefiner": str.lower,
    "RemoveRepetitionsPunctuationRefiner": lambda s: re.sub(r"([^\w\s_])\1+|(_)\2+", r"\1\2", s),
    "RemoveNumberRefiner": lambda s: "".join(c for c in s if not c.isdigit()),
    "RemoveImageRefsRefiner": lambda s: _IMAGE_RE.sub("", s),
    "ReferenceRemoverRefiner": lambda s: _CITE_RE.sub("", _REF_RE.sub("", s)),
    "TextNormalizationRefiner": _text_normalization,
}

_CHARS = list("aAbZ019_ .,!!??--__\n\t\r\x0b\x1c\xa0\u2003'’\"<>/=&;；＆:()[]{}|$#@*^~") + [
    "😀", "😀", "🚀", "✂", "\u200d", "\ufe0f", "。", "。", "！", "…", "★", "★", "é", "\u0301", "\u0301",
    "Σ", "İ", "ß", "²", "①", "٣", "一", "二", "图", "：", "\ufffd", "□", "\U0001F1E6", "\U0001d7ce",
]
_TOKENS = [
    "&nbsp;", "＆lt；", "&amp", "https://x.y/z?q=1", "http://a", "<b>", "</i>", "<ref name=a>", "</ref>", "/br",
    "<ref>", "<refx>", "<refé>", "{{cite web|", "}}", "{{cite  x|a", "{{cite é|", "![](images/a.jpg)", "![](images/f",
    "abc.png)", "图 1-2：图片", "12345678", "一二三四五", "u200e", "&#247;", "? :", "{/U}", "U+2600", "U+1F600",
    "U+1F680", "12/3/2024", "1.2.99", "January 5, 2020", "5 March 2021", "February 30, 2020", "june  7,\n 1999",
    "$ 12", "$5", "٣/٤/٢٠٢٠", "Mai 3, 2020", "ΟΔΟΣ", "Σ.", "...", "!!!", "___", "😀😀",
]


def _random_rows(seed: int, count: int) -> list[str | None]:
    rng = random.Random(seed)
    rows: list[str | None] = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 25)):
            if rng.random() < 0.35:
                parts.append(rng.choice(_TOKENS))
            else:
                parts.append("".join(rng.choice(_CHARS) for _ in range(rng.randint(1, 4))))
        rows.append("".join(parts))
    return rows + ["", " \t\n", None, "\ufffd", "\ufffd\ufffd x"]


@pytest.mark.parametrize("name", sorted(ORACLES))
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_dataflow_semantics_on_random_rows(name: str, seed: int) -> None:
    rows = _random_rows(seed, 1500)
    oracle = ORACLES[name]
    result = all_operators()[name]().run(pa.table({"text": rows}), OperatorContext())
    got = result.table.column("text").to_pylist()
    expected = [None if row is None else oracle(row) for row in rows]
    mismatches = [(row, g, e) for row, g, e in zip(rows, got, expected, strict=True) if g != e]
    assert not mismatches, mismatches[:3]
    assert result.metrics["rows_changed"] == sum(1 for row in rows if row is not None and oracle(row) != row)
    assert 0 < result.metrics["rows_changed"] < len(rows)


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_one_megabyte_document(name: str) -> None:
    rng = random.Random(7)
    pieces, size = [], 0
    while size < 1_000_000:
        pieces.append(rng.choice(_TOKENS) if rng.random() < 0.2 else rng.choice(["word ", "Longerword ", "x  y\n"]))
        size += len(pieces[-1])
    document = "".join(pieces)
    table = pa.table({"text": [document, "short"]})
    start = time.perf_counter()
    result = all_operators()[name]().run(table, OperatorContext())
    assert time.perf_counter() - start < 10
    assert result.table.column("text").to_pylist() == [ORACLES[name](document), ORACLES[name]("short")]
