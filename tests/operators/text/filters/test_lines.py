"""Line-based rule filters (operators.text.filters.lines)."""

from __future__ import annotations

from operators.text.filters.lines import (
    LineEndWithEllipsisFilter,
    LineStartWithBulletpointFilter,
    LineWithJavascriptFilter,
)
from tests.operators.helpers import outcomes


def test_ellipsis_line_ratio():
    texts = [
        "First line...\nSecond line.\nThird line.\nFourth line.",  # 1 of 4 = 0.25
        "First line...\nSecond line…\nThird line.",  # 2 of 3
        "One...\n\n   \n\nTwo.\nThree.\nFour.",  # blank lines do not count: 1 of 4
        "trailing spaces...   \t\nx\ny\nz",  # rstrip() first: 1 of 4
        "dots... in the middle\nb\nc",  # only line ends count
        "Only line...",  # 1 of 1
        "x\n" * 7 + "end...\n" * 3,  # 3 of 10 = 0.3 = threshold -> dropped (needs < 0.3)
    ]
    assert outcomes(LineEndWithEllipsisFilter(), texts) == [
        None,
        "ellipsis_line_ratio_above_max",
        None,
        None,
        None,
        "ellipsis_line_ratio_above_max",
        "ellipsis_line_ratio_above_max",
    ]


def test_bullet_line_ratio():
    bullets = "\n".join(f"{mark} item" for mark in "•‣▶◀◦■□▪▫–")
    texts = [
        bullets,  # every line starts with one of DataFlow's ten bullets
        bullets + "\nA closing sentence.",  # 10 of 11 = 0.909 > 0.9
        "\n".join(["• item"] * 9 + ["plain"]),  # 9 of 10 = 0.9 -> kept (<=)
        "\n".join(["  \t• indented"] * 5),  # lstrip() first
        "\n".join(["- dash", "* star", "1. number"]),  # ASCII markers are not bullets
        "• one • two • three",  # only line starts count: 1 of 1
    ]
    assert outcomes(LineStartWithBulletpointFilter(), texts) == [
        "bullet_line_ratio_above_max",
        "bullet_line_ratio_above_max",
        None,
        "bullet_line_ratio_above_max",
        None,
        "bullet_line_ratio_above_max",
    ]
    assert outcomes(LineStartWithBulletpointFilter({"threshold": 0.5}), ["• a\n• b\nc\nd"]) == [None]


def test_several_bullets_on_one_line_count_once():
    # Two bullets on the first line, none on the other two: 1 of 3 lines.
    assert outcomes(LineStartWithBulletpointFilter({"threshold": 0.4}), ["• □ a\nb\nc"]) == [None]


def test_javascript_lines():
    js = "Please enable JavaScript to view this page."
    texts = [
        "\n".join([js] * 5),  # 5 lines, none free of javascript
        "\n".join([js] * 2 + ["Article text."] * 3),  # 3 lines without: enough
        "\n".join([js] * 3 + ["Article text."] * 2),  # only 2 without
        "\n".join([js] * 3),  # 3 lines or fewer are always kept
        "\n".join(["Java-Script!"] * 2 + ["a", "b"]),  # punctuation is dropped before matching: 2 free
        "\n".join(["java script"] * 4),  # a space still separates: no mention
        "\n".join([js] * 2 + ["...", "---", "a"]),  # punctuation-only lines are blank: 3 lines, kept
        "\n".join([js] * 3 + ["---", "***", "a"]),  # 4 lines, 1 free of javascript
    ]
    assert outcomes(LineWithJavascriptFilter(), texts) == [
        "javascript_lines",
        None,
        "javascript_lines",
        None,
        "javascript_lines",
        None,
        None,
        "javascript_lines",
    ]
    assert outcomes(LineWithJavascriptFilter({"threshold": 1}), ["\n".join([js] * 4 + ["ok"])]) == [None]


def test_megabyte_of_lines():
    lines = "\n".join(["A line that ends normally."] * 20_000 + ["but this one trails off..."] * 20_000)
    bullets = "\n".join(["• a bullet point"] * 60_000)
    assert outcomes(LineEndWithEllipsisFilter(), [lines]) == ["ellipsis_line_ratio_above_max"]
    assert outcomes(LineStartWithBulletpointFilter(), [bullets, lines]) == ["bullet_line_ratio_above_max", None]
    assert outcomes(LineWithJavascriptFilter(), [lines, "javascript\n" * 100_000]) == [None, "javascript_lines"]


def test_each_marker_alone_is_seen_though_rows_without_marker_bytes_are_skipped():
    # The pattern only runs on rows holding one of its markers' bytes; each marker alone must still count.
    ellipsis = LineEndWithEllipsisFilter()
    assert outcomes(ellipsis, ["one…\ntwo…\nthree", "one...\ntwo...\nthree", "one\ntwo\nthree"]) == [
        "ellipsis_line_ratio_above_max", "ellipsis_line_ratio_above_max", None]
    bullets = LineStartWithBulletpointFilter()
    marks = "\u2022\u2023\u25b6\u25c0\u25e6\u25a0\u25a1\u25aa\u25ab\u2013"
    marked = ["\n".join(f"{mark} item {i}" for i in range(4)) for mark in marks]
    assert outcomes(bullets, [*marked, "- item\n- item"]) == ["bullet_line_ratio_above_max"] * 10 + [None]


def test_javascript_lines_in_lower_and_upper_case():
    for mention in ("enable javascript", "ENABLE JAVASCRIPT", "Enable JavaScript"):
        text = "\n".join([mention] * 4 + ["other"])
        assert outcomes(LineWithJavascriptFilter(), [text, "a\nb\nc\nd\ne"]) == ["javascript_lines", None], mention
