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

from dataflow_assets.histograms import column_series, text_lengths
from dataflow_assets.metadata import PREVIEW_ROWS


def blank_count(values: pa.ChunkedArray | pa.Array) -> int:
    """Nulls, plus empty or whitespace-only strings for string columns."""
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return int(pc.sum(pc.fill_null(pc.equal(pc.utf8_trim_whitespace(values), ""), True)).as_py() or 0)
    return values.null_count


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
        self._add(table.schema, table.num_rows, table, table)

    def add_rows(self, base: pa.Table, positions: np.ndarray | None) -> None:
        """Account for the rows at ``positions`` of ``base`` (all of them when None) as the next chunk, copying
        only the first rows and the columns the profile measures."""
        if positions is None:
            self.add(base)
            return
        measured = {*self.blank_columns, *self.numeric_columns, *self.length_columns}
        rows = pa.array(positions, pa.int64())
        self._add(base.schema, len(positions), base.take(rows[:PREVIEW_ROWS]),
                  base.select([name for name in base.column_names if name in measured]).take(rows))

    def _add(self, schema: pa.Schema, num_rows: int, head: pa.Table, measured: pa.Table) -> None:
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
            if name in measured.column_names:
                profile.blanks[name] = profile.blanks.get(name, 0) + blank_count(measured.column(name))
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


def profile_of(table: pa.Table, blank_columns: Iterable[str] = (), numeric_columns: Iterable[str] = (),
               length_columns: Iterable[str] = ()) -> OutputProfile:
    """The profile of one in-memory table."""
    builder = ProfileBuilder(blank_columns, numeric_columns, length_columns)
    builder.add(table)
    return builder.build()
