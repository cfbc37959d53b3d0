"""DataFlow's lexical refiners: expand English contractions, normalise dates and currency.

``RemoveContractionsRefiner`` reproduces ``contractions.fix(text)`` (the library DataFlow calls) from
the shipped map operators/text/data/contractions_en.txt: whole-token, case-insensitive matches, the
expansion recased like the match (UPPER, Title, lower, Sentence). ``TextNormalizationRefiner``
rewrites numeric dates and ``$`` amounts with RE2 and parses "Month D, YYYY" / "D Month YYYY" dates
with ``datetime.strptime`` for the rows that hold one.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.registry import register
from operators.text.refiners.base import (
    TextRefiner,
    data_lines,
    py_class,
    re2_escape,
    regex_replace,
    replace_each_match,
    single_chunk,
)


@lru_cache(maxsize=1)
def contraction_map() -> dict[str, str]:
    """Lowercase contraction (or slang word) -> expansion, from operators/text/data/contractions_en.txt."""
    pairs = (line.split("\t") for line in data_lines("contractions_en.txt"))
    return {key: value for key, value in pairs}


def _key_pattern(key: str) -> str:
    """RE2 for one key: letters in either case (str.lower maps the Kelvin sign to k), token bounds."""
    chars = []
    for char in key:
        if "a" <= char <= "z":
            chars.append(f"[{char}{char.upper()}\\x{{212A}}]" if char == "k" else f"[{char}{char.upper()}]")
        else:
            chars.append(re2_escape(char))
    # contractions/textsearch only accepts a match not touching [A-Za-z0-9_] on either side: RE2's
    # ASCII \b / \B, chosen by whether the key's own first/last character is a word character.
    left = "\\b" if key[0].isascii() and (key[0].isalnum() or key[0] == "_") else "\\B"
    right = "\\b" if key[-1].isascii() and (key[-1].isalnum() or key[-1] == "_") else "\\B"
    return left + "".join(chars) + right


@lru_cache(maxsize=1)
def _contractions_pattern() -> str:
    # Longest key first: at one position the longest valid key wins, as in textsearch.
    keys = sorted(contraction_map(), key=len, reverse=True)
    return "|".join(_key_pattern(key) for key in keys)


def _recase(surface: str, expansion: str) -> str:
    """Give ``expansion`` the casing style of the matched ``surface`` (upper, title, lower, sentence)."""
    if surface == surface.upper():
        return expansion.upper()
    if surface == surface.title():
        return expansion.title()
    if surface == surface.lower():
        return expansion.lower()
    if surface == surface[0].upper() + surface[1:].lower():
        return expansion[0].upper() + expansion[1:].lower() if expansion else expansion
    return expansion


def _expand(surfaces: list[str]) -> list[str]:
    mapping = contraction_map()
    return [_recase(surface, mapping[surface.lower()]) for surface in surfaces]


@register
class RemoveContractionsRefiner(TextRefiner):
    """Expand English contractions and chat slang ("don't" -> "do not", "gonna" -> "going to")."""

    name: ClassVar[str] = "RemoveContractionsRefiner"
    description = "Expands English contractions and slang (don't -> do not, y'all -> you all, gonna -> going to)."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        return replace_each_match(text, _contractions_pattern(), _expand)


@lru_cache(maxsize=1)
def _date_patterns() -> tuple[str, list[tuple[str, str]], str]:
    word, space, digit = py_class("w"), py_class("s"), py_class("d")
    numeric = f"([{digit}]{{1,2}})[/.]([{digit}]{{1,2}})[/.]([{digit}]{{2,4}})"
    # Python's \b...\b around the date: the characters just outside must not be word characters
    # (consumed here, outside the named group, since RE2 has no lookaround).
    before, after = f"(?:^|[^{word}])", f"(?:[^{word}]|$)"
    worded = [
        (f"{before}(?P<date>[{word}]+[{space}]+[{digit}]{{1,2}},[{space}]+[{digit}]{{4}}){after}", "%B %d, %Y"),
        (f"{before}(?P<date>[{digit}]{{1,2}}[{space}]+[{word}]+[{space}]+[{digit}]{{4}}){after}", "%d %B %Y"),
    ]
    currency = f"\\$[{space}]?([{digit}]+)"
    return numeric, worded, currency


def _iso_date(found: str, fmt: str) -> str | None:
    try:
        return datetime.strptime(found, fmt).strftime("%Y-%m-%d")
    except ValueError:
        return None


def _replace_first_date(text: pa.ChunkedArray, pattern: str, fmt: str) -> pa.ChunkedArray:
    """Where the row's first match parses with ``fmt``, replace every occurrence of it by YYYY-MM-DD."""
    found = single_chunk(pc.struct_field(pc.extract_regex(text, pattern), "date"))
    if found.null_count == len(found):
        return text
    rows = np.flatnonzero(found.is_valid().to_numpy(zero_copy_only=False))
    candidates = found.take(rows)
    distinct = pc.unique(candidates)
    # strptime per distinct matched string: month names and day ranges are checked as DataFlow does.
    parsed = pa.array([_iso_date(date, fmt) for date in distinct.to_pylist()], pa.string())
    iso = pc.take(parsed, pc.index_in(candidates, value_set=distinct))
    ok = iso.is_valid().to_numpy(zero_copy_only=False)
    if not ok.any():
        return text
    text, rows = single_chunk(text), rows[ok]
    # Python str.replace per row holding a valid date: the literal to replace differs from row to row.
    new_rows = [
        row.replace(old, new)
        for row, old, new in zip(
            text.take(rows).to_pylist(), candidates.filter(ok).to_pylist(), iso.filter(ok).to_pylist(), strict=True
        )
    ]
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = True
    return pa.chunked_array([pc.replace_with_mask(text, pa.array(mask), pa.array(new_rows, text.type))])


@register
class TextNormalizationRefiner(TextRefiner):
    """Normalise dates to YYYY-MM-DD-style order and "$ 12" amounts to "12 USD", as DataFlow does."""

    name: ClassVar[str] = "TextNormalizationRefiner"
    description = (
        "Normalises dates (D/M/YYYY -> YYYY-M-D, 'January 5, 2020' and '5 January 2020' -> 2020-01-05) "
        "and dollar amounts ('$12' -> '12 USD')."
    )

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        numeric, worded, currency = _date_patterns()
        text = regex_replace(text, numeric, r"\3-\2-\1", sparse=True)
        for pattern, fmt in worded:
            text = _replace_first_date(text, pattern, fmt)
        return regex_replace(text, currency, r"\1 USD", sparse=True)


__all__ = ["RemoveContractionsRefiner", "TextNormalizationRefiner", "contraction_map"]
