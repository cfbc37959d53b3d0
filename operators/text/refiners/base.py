"""Shared pieces of the text refiners: the ``TextRefiner`` base, Python-exact RE2 classes, helpers.

DataFlow's refiners run Python ``re`` (Unicode ``\\w``, ``\\s``, ``\\d``) row by row; Arrow's RE2 has
ASCII-only shorthands. ``py_class`` builds RE2 character classes holding exactly the code points
Python puts in those classes, so the columnar patterns match what DataFlow's patterns match.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from importlib import resources
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from operators.base import Mapper, OperatorContext, OperatorKind, OperatorResult, set_column
from operators.parallel import parallel_map
from operators.text.scan.columns import SLICE_BYTES, TextColumn, text_slices

_RE2_META = frozenset("\\.+*?()|[]{}^$")
_SURROGATES = (0xD800, 0xDFFF)


class TextRefiner(Mapper):
    """A refiner rewriting one text column in place; ``run`` also reports ``rows_changed``."""

    kind = OperatorKind.REFINE
    inputs = ("text",)
    outputs = ("text",)
    slice_bytes: ClassVar[int] = SLICE_BYTES  # SCAN_SLICE_BYTES for refiners built on ByteScan (cache-sized)

    @abstractmethod
    def refine(self, text: pa.ChunkedArray) -> pa.ChunkedArray:
        """The refined column (same length and string type, nulls stay null)."""

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.ChunkedArray]:
        """Refine the bound input column into the bound output column."""
        return {"text": self.refined(self.text(batch))[0]}

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Apply the refiner and count the rows whose text changed (``metrics["rows_changed"]``)."""
        column, changed = self.refined(self.text(batch))
        table = set_column(batch, self.out("text"), column)
        return OperatorResult(table=table, metrics={"rows_changed": changed})

    def refined(self, text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
        """The refined column and its number of changed rows, refined slice by slice on the shared thread pool
        (a refiner rewrites each row on its own)."""
        if len(text) == 0:
            return text, 0
        parts = parallel_map(self._refine_slice, text_slices(text, self.slice_bytes))
        column_type = parts[0][0].type
        chunks = [chunk for after, _ in parts for chunk in (after if after.type == column_type else
                                                               after.cast(column_type)).chunks]
        return pa.chunked_array(chunks, type=column_type), sum(changed for _, changed in parts)

    def _refine_slice(self, before: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
        after = self.refine(before)
        if not isinstance(after, pa.ChunkedArray):
            after = pa.chunked_array([after])
        compared = after if after.type == before.type else after.cast(before.type)
        changed = pc.sum(pc.fill_null(pc.not_equal(before, compared), False)).as_py()
        return after, int(changed or 0)


def re2_escape(literal: str) -> str:
    """``literal`` as a RE2 pattern matching exactly that text."""
    return "".join("\\" + char if char in _RE2_META else char for char in literal)


def _class_body(codepoints: np.ndarray) -> str:
    """RE2 character-class body (no brackets) for a sorted array of code points."""
    codepoints = codepoints[(codepoints < _SURROGATES[0]) | (codepoints > _SURROGATES[1])]
    if len(codepoints) == 0:
        return ""
    breaks = np.flatnonzero(np.diff(codepoints) != 1)
    starts = np.concatenate([[codepoints[0]], codepoints[breaks + 1]])
    ends = np.concatenate([codepoints[breaks], [codepoints[-1]]])
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in zip(starts, ends, strict=True)]
    return "".join(parts)


@lru_cache(maxsize=1)
def _all_chars() -> str:
    """Every code point once, in order (surrogates included), decoded in one call: ~20x faster than chr."""
    return np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


@cache
def _py_points(kind: str) -> np.ndarray:
    if kind == "isdigit":
        # One pass over every code point, once per process (~50 ms): str.isdigit has no regex form.
        return np.array([cp for cp, ch in enumerate(_all_chars()) if ch.isdigit()], dtype=np.int64)
    if kind not in ("w", "s", "d"):
        raise ValueError(f"unknown class {kind!r}")
    spans = [m.span() for m in re.finditer(f"\\{kind}+", _all_chars())]
    return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in spans])


@cache
def py_class(kind: str, exclude: str = "") -> str:
    """RE2 class body with Python's members of ``kind``: ``w``/``s``/``d`` (``re``) or ``isdigit``."""
    points = _py_points(kind)
    if exclude:
        points = points[~np.isin(points, [ord(char) for char in exclude])]
    return _class_body(points)


def data_lines(name: str, comment: str | None = "#") -> list[str]:
    """Non-empty lines of a file in operators/text/data, only the newline stripped, ``comment`` lines skipped."""
    text = resources.files("operators.text").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line and not (comment and line.startswith(comment))]


def regex_replace(text: TextColumn, pattern: str, replacement: str, sparse: bool = False) -> pa.ChunkedArray:
    """``replace_substring_regex`` over the column (RE2; ``\\0``-``\\9`` allowed in the replacement).

    ``sparse``: for patterns few rows match, find those rows first (a plain DFA scan, 2-3x cheaper
    than a replacing scan with capture groups) and rewrite only them.
    """
    if not sparse:
        return pc.replace_substring_regex(text, pattern=pattern, replacement=replacement)
    hit = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    count = pc.sum(hit).as_py() or 0
    if count == 0:
        return text if isinstance(text, pa.ChunkedArray) else pa.chunked_array([text])
    if count * 2 > len(text):
        return pc.replace_substring_regex(text, pattern=pattern, replacement=replacement)
    text, hit = single_chunk(text), single_chunk(hit)
    fixed = pc.replace_substring_regex(text.filter(hit), pattern=pattern, replacement=replacement)
    return pa.chunked_array([pc.replace_with_mask(text, hit, fixed)])


def _free_marker(text: pa.ChunkedArray) -> str:
    """A noncharacter (U+FDD0..U+FDEF) that no row contains, to delimit matches."""
    for cp in range(0xFDD0, 0xFDF0):
        if not pc.any(pc.match_substring(text, chr(cp))).as_py():
            return chr(cp)
    raise ValueError("every marker code point U+FDD0..U+FDEF occurs in the column")


def replace_each_match(
    text: pa.ChunkedArray, pattern: str, replace: Callable[[list[str]], list[str]]
) -> pa.ChunkedArray:
    """Replace every RE2 match of ``pattern`` by ``replace(distinct matches)``, whole column at once.

    Matches are wrapped in a marker, rows split on it (odd pieces are the matches), the pieces
    swapped through a lookup over the distinct matched strings, and the rows joined again.
    """
    hit = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    if not pc.any(hit).as_py():
        return text
    text, hit = single_chunk(text), single_chunk(hit)
    rows = text.filter(hit)
    marker = _free_marker(rows)
    pieces = pc.split_pattern(pc.replace_substring_regex(rows, pattern, marker + "\\0" + marker), marker)
    flat = pc.list_flatten(pieces)
    parents = pc.list_parent_indices(pieces).to_numpy()
    lengths = pc.list_value_length(pieces).to_numpy().astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    position = np.arange(len(flat), dtype=np.int64) - offsets[parents]
    is_match = pa.array(position % 2 == 1)
    matches = flat.filter(is_match)
    distinct = pc.unique(matches)
    # Python per distinct matched string (not per row): case handling needs str semantics.
    replaced = pa.array(replace(distinct.to_pylist()), flat.type)
    new_matches = pc.take(replaced, pc.index_in(matches, value_set=distinct))
    new_flat = pc.replace_with_mask(flat, is_match, new_matches)
    rebuilt = pa.LargeListArray.from_arrays(pa.array(offsets), new_flat)
    joined = pc.binary_join(rebuilt, "").cast(text.type)
    return pa.chunked_array([pc.replace_with_mask(text, hit, joined)])


def single_chunk(column: TextColumn) -> pa.Array:
    """The column as one contiguous array."""
    if isinstance(column, pa.Array):
        return column
    if column.num_chunks == 1:
        return column.chunk(0)
    return column.combine_chunks() if column.num_chunks else pa.array([], column.type)
