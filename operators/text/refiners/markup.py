"""DataFlow's markup refiners: HTML entities, URLs and tags, image references, wiki references.

Same names, parameters and patterns as ``dataflow.operators.general_text`` refiners, rewritten for
RE2 (``replace_substring_regex`` over the whole column) with Python's Unicode ``\\w``/``\\s``/``\\d``
classes spelled out (``py_class``), so each pattern matches what DataFlow's ``re`` pattern matches.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import pyarrow as pa
from pydantic import Field

from operators.base import OperatorConfig
from operators.registry import register
from operators.text.refiners.base import TextRefiner, py_class, re2_escape, regex_replace

_DEFAULT_ENTITIES = "nbsp lt gt amp quot apos hellip ndash mdash lsquo rsquo ldquo rdquo".split()


class HtmlEntityConfig(OperatorConfig):
    html_entities: list[str] = Field(
        default_factory=lambda: list(_DEFAULT_ENTITIES),
        description="Entity names to remove, matched literally as &name; (also full-width ＆ and ；).",
    )


@register
class HtmlEntityRefiner(TextRefiner):
    """Remove HTML entities like ``&nbsp;`` or ``&amp;``, also written with full-width ＆ or ；."""

    name: ClassVar[str] = "HtmlEntityRefiner"
    description = "Removes HTML entities (&nbsp; &lt; &amp; &mdash; ..., also with full-width ＆ or ；) from text."
    Config = HtmlEntityConfig

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        names = [name for name in self.config.html_entities if name]
        if not names:
            return text
        return regex_replace(text, f"[&＆](?:{'|'.join(map(re2_escape, names))})[;；]", "", sparse=True)


@register
class HtmlUrlRemoverRefiner(TextRefiner):
    """Remove http(s) URLs (with the line breaks right after them), then HTML tags ``<...>`` within a line."""

    name: ClassVar[str] = "HtmlUrlRemoverRefiner"
    description = "Removes http(s) URLs and HTML tags from text."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        no_urls = regex_replace(text, f"https?://[^{py_class('s')}]+[\\r\\n]*", "", sparse=True)
        return regex_replace(no_urls, "<.*?>", "", sparse=True)


@lru_cache(maxsize=1)
def _image_ref_pattern() -> str:
    space, digit = py_class("s"), py_class("d")
    return "|".join([
        r"!\[\]\(images/[0-9a-fA-F]\.jpg\)",
        r"[a-fA-F0-9]+\.[a-zA-Z]{3,4}\)",
        r"!\[\]\(images/[a-f0-9]",
        f"图[{space}]+[{digit}]+-[{digit}]+：[\\x{{4e00}}-\\x{{9fa5}}a-zA-Z0-9]+",
        r"[0-9a-zA-Z]{7,}",  # DataFlow's (?:[0-9a-zA-Z]+){7,}: any ASCII alphanumeric run of 7 or more
        "[一二三四五六七八九十零壹贰叁肆伍陆柒捌玖拾佰仟万亿]{5,}",
        "u200e",
        "&#247;",
        r"\? :",
        "[\ufffd□]",
        r"\{/U\}",
        r"U\+26[0-F][0-D]",
        r"U\+273[3-4]",
        r"U\+1F[3-6][0-4][0-F]",
        r"U\+1F6[8-F][0-F]",
    ])


@register
class RemoveImageRefsRefiner(TextRefiner):
    """Remove image references and garbage tokens with DataFlow's pattern (note: it also deletes every
    ASCII alphanumeric run of 7+ characters and every U+FFFD, as DataFlow does)."""

    name: ClassVar[str] = "RemoveImageRefsRefiner"
    description = (
        "Removes image references (![](images/...), hash-named image files, '图 1-2：...') and garbage tokens; "
        "like DataFlow it also deletes any ASCII alphanumeric run of 7+ characters."
    )

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        return regex_replace(text, _image_ref_pattern(), "")


@lru_cache(maxsize=1)
def _reference_patterns() -> tuple[str, str]:
    word, space = py_class("w"), py_class("s")
    # DataFlow's <ref\b[^>]*> with Python's Unicode \b: 'ref' then '>' or a non-word character.
    open_tag = f"<ref(?:[^>{word}][^>]*)?>"
    ref = f"{open_tag}.*?</ref>|{open_tag}[^<]*$|{open_tag}.*?/br"
    cite_head = f"\\{{\\{{cite[{space}]+[{word}]+\\|[^}}]*"
    cite = f"{cite_head}\\}}\\}}|{cite_head}$"
    return ref, cite


@register
class ReferenceRemoverRefiner(TextRefiner):
    """Remove wiki ``<ref>...</ref>`` tags (also unclosed ones) and ``{{cite ...|...}}`` templates."""

    name: ClassVar[str] = "ReferenceRemoverRefiner"
    description = "Removes wiki reference tags (<ref>...</ref>, unclosed <ref>) and {{cite ...}} templates."

    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        ref, cite = _reference_patterns()
        return regex_replace(regex_replace(text, ref, "", sparse=True), cite, "", sparse=True)


__all__ = [
    "HtmlEntityRefiner",
    "HtmlUrlRemoverRefiner",
    "ReferenceRemoverRefiner",
    "RemoveImageRefsRefiner",
]
