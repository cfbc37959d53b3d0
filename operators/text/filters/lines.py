"""DataFlow's line-based rule filters. A line is a newline-separated piece with a non-blank character."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from operators.base import OperatorConfig
from operators.registry import register
from operators.text.filters.rule_base import EMPTY, WS_NO_NL, Checks, RuleFilter
from operators.text.scan.byte_scan import ByteScan
from operators.text.scan.cache import memo
from operators.text.scan.columns import count_regex_in

_BULLETS = "\u2022\u2023\u25b6\u25c0\u25e6\u25a0\u25a1\u25aa\u25ab\u2013"  # • ‣ ▶ ◀ ◦ ■ □ ▪ ▫ –
_ASCII_PUNCT = r"!-/:-@\[-`{-~"  # string.punctuation as RE2 ranges
# A line mentioning "javascript" in any case, ASCII punctuation allowed between the letters.
_JAVASCRIPT = r"[^\n]*" + f"[{_ASCII_PUNCT}]*".join(f"[{c}{c.upper()}]" for c in "javascript") + r"[^\n]*"


_NEWLINE = np.zeros(256, dtype=np.uint8)
_NEWLINE[10] = 1
_PUNCT = np.zeros(256, dtype=np.uint8)
_PUNCT[np.frombuffer(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", dtype=np.uint8)] = 1  # string.punctuation


def content_lines(scan: ByteScan, excluded: np.ndarray | None = None) -> np.ndarray:
    """Per row, the newline-separated lines holding a byte that is not whitespace (nor flagged in the 256-entry
    ``excluded`` table)."""
    if excluded is None:  # shared by the filters judging one slice together (``memo``)
        return memo("content_lines", scan, lambda scan: scan.segments_with(scan.space, _NEWLINE, content_when=False))
    return scan.segments_with(scan.space, _NEWLINE, excluded, content_when=False)


class LineEndWithEllipsisConfig(OperatorConfig):
    threshold: float = Field(0.3, description="Keep a text while lines ending in '...' or '…' / lines is below this.")


@register
class LineEndWithEllipsisFilter(RuleFilter):
    """Drop texts where the share of lines ending with an ellipsis reaches the threshold (truncated text)."""

    name: ClassVar[str] = "LineEndWithEllipsisFilter"
    description = "Drops texts where threshold or more of the lines end with '...' or '…'."
    drop_reasons = ("empty_text", "ellipsis_line_ratio_above_max")
    Config = LineEndWithEllipsisConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(text)
        lines = content_lines(scan)
        candidates = scan.rows_containing(b"...", "…".encode())
        ellipsis = count_regex_in(text, rf"(?:\.\.\.|…)[{WS_NO_NL}]*(?:\n|$)", candidates)
        return [
            (lines == 0, EMPTY),
            (ellipsis / np.maximum(lines, 1) >= self.config.threshold, "ellipsis_line_ratio_above_max"),
        ]


class LineStartWithBulletpointConfig(OperatorConfig):
    threshold: float = Field(0.9, description="Keep a text while lines starting with a bullet / lines is at most this.")


@register
class LineStartWithBulletpointFilter(RuleFilter):
    """Drop list-only texts: the share of lines starting with a bullet (• ‣ ▶ ◀ ◦ ■ □ ▪ ▫ –) is above threshold."""

    name: ClassVar[str] = "LineStartWithBulletpointFilter"
    description = "Drops texts where more than threshold of the lines start with a bullet point."
    drop_reasons = ("empty_text", "bullet_line_ratio_above_max")
    Config = LineStartWithBulletpointConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        scan = ByteScan.of(text)
        lines = content_lines(scan)
        # Whole-line matches: Arrow re-anchors "^" after each match, so "(?m)^" alone would overcount.
        candidates = scan.rows_containing(*(bullet.encode() for bullet in _BULLETS))
        bullets = count_regex_in(text, rf"(?:^|\n)[{WS_NO_NL}]*[{_BULLETS}][^\n]*", candidates)
        return [
            (lines == 0, EMPTY),
            (bullets / np.maximum(lines, 1) > self.config.threshold, "bullet_line_ratio_above_max"),
        ]


class LineWithJavascriptConfig(OperatorConfig):
    threshold: int = Field(3, description="Fewest lines without 'javascript' a text of more than 3 lines must have.")


@register
class LineWithJavascriptFilter(RuleFilter):
    """Drop texts of more than 3 lines with fewer than threshold lines free of 'javascript'."""

    name: ClassVar[str] = "LineWithJavascriptFilter"
    description = "Drops texts (over 3 lines) with fewer than threshold lines that do not mention 'javascript'."
    drop_reasons = ("empty_text", "javascript_lines")
    Config = LineWithJavascriptConfig

    def checks(self, text: pa.ChunkedArray) -> Checks:
        # DataFlow normalises each line first (drops ASCII punctuation, lowercases), so a line made of
        # punctuation only is blank and "Java-Script" mentions javascript.
        scan = ByteScan.of(text)
        lines = content_lines(scan, _PUNCT)
        javascript = count_regex_in(text, _JAVASCRIPT, scan.rows_containing(b"j", b"J"))
        return [
            (lines == 0, EMPTY),
            ((lines > 3) & (lines - javascript < self.config.threshold), "javascript_lines"),
        ]


__all__ = ["LineEndWithEllipsisFilter", "LineStartWithBulletpointFilter", "LineWithJavascriptFilter"]
