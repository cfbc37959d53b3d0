"""What the UI metadata, the checks and the histograms read from a step's output, gathered chunk by chunk.

A large partition's output is never one table in memory, so a step describes it as it goes: row count,
schema, the first rows (preview), null-or-blank counts of the columns checks look at, and the values of the
numeric and text-length series that get histograms. A small partition is one chunk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dataflow_assets.engine.histograms import column_series, text_lengths

PREVIEW_ROWS = 5  # rows of a step's output kept for its preview


def blank_count(values: pa.ChunkedArray | pa.Array) -> int:
    """Nulls, plus empty or whitespace-only strings for string columns."""
    return int(blank_rows(values).sum())


def blank_rows(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Per row, whether ``blank_count`` counts it (for many selections of one table: count ``mask[rows]``)."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(values), ""), True)
    else:
        blank = pc.is_null(values)
    return np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)


@dataclass
class OutputProfile:
    """A step output's row count, schema, first rows, blank counts and histogram series."""

    num_rows: int = 0
    schema: pa.Schema = field(default_factory=lambda: pa.schema([]))
    head: pa.Table = field(default_factory=lambda: pa.table({}))
    blanks: dict[str, int] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)

    def blank_rate(self, column: str) -> float:
        """Share of rows whose ``column`` is null or blank (0 for an empty output)."""
        return self.blanks.get(column, 0) / self.num_rows if self.num_rows else 0.0


class ProfileBuilder:
    """Builds an ``OutputProfile`` from the output's chunks, in order."""

    def __init__(self, blank_columns: Iterable[str] = (), numeric_columns: Iterable[str] = (),
                 length_columns: Iterable[str] = ()) -> None:
        self.blank_columns = list(dict.fromkeys(blank_columns))
        self.numeric_columns = list(numeric_columns)
        self.length_columns = list(length_columns)
        self.profile = OutputProfile()
        self._heads: list[pa.Table] = []
        self._series: dict[str, list[np.ndarray]] = {}
        self._seen = False

    def add(self, table: pa.Table) -> None:
        """Account for the next chunk of the output."""
        self._add(table.schema, table.num_rows, table, table, {})

    def add_rows(self, base: pa.Table, positions: np.ndarray | None,
                 row_blanks: dict[str, np.ndarray] | None = None) -> None:
        """Account for the rows at ``positions`` of ``base`` (all of them when None) as the next chunk, copying
        only the first rows and the columns the profile measures. ``row_blanks``: ``blank_rows`` of columns of
        ``base``, computed once for several selections of it (a filter chain), so those are not copied."""
        row_blanks = {name: mask for name, mask in (row_blanks or {}).items() if name in self.blank_columns}
        if positions is None and not row_blanks:
            self.add(base)
            return
        blanks = {name: int(mask.sum() if positions is None else mask[positions].sum())
                  for name, mask in row_blanks.items()}
        measured = {*self.blank_columns, *self.numeric_columns, *self.length_columns} - set(blanks)
        selected = base.select([name for name in base.column_names if name in measured])
        if positions is None:
            self._add(base.schema, base.num_rows, base, selected, blanks)
            return
        measured_rows = selected.take(pa.array(positions, pa.int64())) if selected.num_columns else selected
        self._add(base.schema, len(positions), _first_rows(base, positions), measured_rows, blanks)

    def _add(self, schema: pa.Schema, num_rows: int, head: pa.Table, measured: pa.Table,
             blanks: dict[str, int]) -> None:
        profile = self.profile
        if not self._seen:
            profile.schema, self._seen = schema, True
        elif schema != profile.schema:
            try:  # a column all-null in one chunk is typed by the others
                profile.schema = pa.unify_schemas([profile.schema, schema], promote_options="permissive")
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass
        held = sum(table.num_rows for table in self._heads)
        if held < PREVIEW_ROWS:
            self._heads.append(head.slice(0, PREVIEW_ROWS - held))
        profile.num_rows += num_rows
        for name in self.blank_columns:
            if name in blanks or name in measured.column_names:
                found = blanks[name] if name in blanks else blank_count(measured.column(name))
                profile.blanks[name] = profile.blanks.get(name, 0) + found
        found = column_series(measured, self.numeric_columns) | text_lengths(measured, self.length_columns)
        for label, values in found.items():
            self._series.setdefault(label, []).append(values)

    def build(self) -> OutputProfile:
        """The profile of everything added."""
        heads = [head for head in self._heads if head.num_rows]
        if heads:
            self.profile.head = pa.concat_tables(heads, promote_options="permissive")
        else:
            self.profile.head = self.profile.schema.empty_table()
        self.profile.series = {label: np.concatenate(parts) for label, parts in self._series.items()}
        return self.profile


def _first_rows(base: pa.Table, positions: np.ndarray) -> pa.Table:
    """The rows at the first ``PREVIEW_ROWS`` (sorted) positions, as slices: Arrow's ``take`` would first join
    a many-chunk column whole."""
    rows = [base.slice(int(position), 1) for position in positions[:PREVIEW_ROWS]]
    return pa.concat_tables(rows) if rows else base.schema.empty_table()


def profile_of(table: pa.Table, blank_columns: Iterable[str] = (), numeric_columns: Iterable[str] = (),
               length_columns: Iterable[str] = ()) -> OutputProfile:
    """The profile of one in-memory table."""
    builder = ProfileBuilder(blank_columns, numeric_columns, length_columns)
    builder.add(table)
    return builder.build()
