"""Hand-made cases for the markup refiners: HTML entities, URLs and tags, image and wiki references."""

from __future__ import annotations

import pytest

from operators.text.refiners.base import TextRefiner
from operators.text.refiners.markup import (
    HtmlEntityRefiner,
    HtmlUrlRemoverRefiner,
    ReferenceRemoverRefiner,
    RemoveImageRefsRefiner,
)
from tests.operators.helpers import refine


def test_html_entities_all_width_variants() -> None:
    rows = ["a&nbsp;b", "x＆lt；y", "&amp；&quot;", "&amp without semicolon", "&copy; stays", "&NBSP; case", None]
    out, changed = refine(HtmlEntityRefiner(), rows)
    assert out == ["ab", "xy", "", "&amp without semicolon", "&copy; stays", "&NBSP; case", None]
    assert changed == 3


def test_html_entities_custom_list_literal_and_empty() -> None:
    out, _ = refine(HtmlEntityRefiner({"html_entities": ["copy", "#39", "a.b"]}), ["&copy;&#39;&nbsp;&a.b;&axb;"])
    assert out == ["&nbsp;&axb;"]
    out, changed = refine(HtmlEntityRefiner({"html_entities": []}), ["&nbsp;"])
    assert out == ["&nbsp;"] and changed == 0
    assert HtmlEntityRefiner().config.html_entities[:3] == ["nbsp", "lt", "gt"]
    assert len(HtmlEntityRefiner().config.html_entities) == 13


def test_url_and_tag_removal() -> None:
    rows = [
        "see https://example.com/a?b=1 now",
        "end http://x.org\n\nnext",
        "<p>Hello <b>world</b></p>",
        "a < b and c > d",
        "<not\nclosed> tag",
        "ftp://keep.me",
        "no markup",
    ]
    out, changed = refine(HtmlUrlRemoverRefiner(), rows)
    assert out == ["see  now", "end next", "Hello world", "a  d", "<not\nclosed> tag", "ftp://keep.me", "no markup"]
    assert changed == 4


def test_url_stops_at_unicode_whitespace() -> None:
    out, _ = refine(HtmlUrlRemoverRefiner(), ["go https://a.b/c\u3000next", "https://a.b\u00a0x"])
    assert out == ["go \u3000next", "\u00a0x"]


def test_image_refs_and_garbage_tokens() -> None:
    rows = [
        "see ![](images/a.jpg) here",
        "file 3fa9.png) done",
        "图 1-2：流程图 above",
        "U+1F600 and U+2603 codes",
        "bad \ufffd□ chars {/U} u200e &#247; ? :",
        "short words stay",
        "characteristic",
        "一二三四五 vs 一二三",
    ]
    out, changed = refine(RemoveImageRefsRefiner(), rows)
    assert out == [
        "see  here",
        "file  done",
        " above",
        " and  codes",
        "bad  chars    ",
        "short words stay",
        "",
        " vs 一二三",
    ]
    assert changed == 7


def test_reference_tags_and_cite_templates() -> None:
    rows = [
        'Fact.<ref name="a">Smith 2001</ref> More.',
        "Open <ref>never closed",
        "x<ref>a/br y",
        "x<ref>a/br y<b>",
        "<reference>kept</reference>",
        "Text {{cite web|url=x|title=y}} end",
        "Tail {{cite book|title=unfinished",
        "{{citation needed}} stays",
        "Fact.<ref>one\nline two</ref>",
    ]
    out, changed = refine(ReferenceRemoverRefiner(), rows)
    assert out == [
        "Fact. More.",
        "Open ",
        "x",
        "x y<b>",
        "<reference>kept</reference>",
        "Text  end",
        "Tail ",
        "{{citation needed}} stays",
        "Fact.<ref>one\nline two</ref>",
    ]
    assert changed == 6


@pytest.mark.parametrize(
    "op", [HtmlEntityRefiner(), HtmlUrlRemoverRefiner(), ReferenceRemoverRefiner(), RemoveImageRefsRefiner()]
)
def test_whitespace_only_and_null_untouched(op: TextRefiner) -> None:
    out, changed = refine(op, ["   ", "", None, "\n\t"])
    assert out == ["   ", "", None, "\n\t"] and changed == 0
