"""benchmarks/RESULTS.md: each benchmark owns one section between its own BEGIN/END markers."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(section: str, begin: str, end: str, results: Path = RESULTS) -> None:
    """Replace the section between ``begin`` and ``end`` (or append it), keeping the rest of the file."""
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    results.write_text(text, encoding="utf-8")
