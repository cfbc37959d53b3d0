"""Run one operator over a partition given as chunks, and gather what the step writes and reports.

The operator answers chunk by chunk (``Operator.run_chunks``); each answer is folded in at once (kept rows,
dropped rows, side tables, drop counts, metrics, the output profile) and then let go, so a spilled partition is
never whole in memory. When the input is spilled, outputs are spilled too; a filter that stores only its drop
list hands its kept rows on as its input's chunks plus row positions, not as a copy.

Metrics of chunk answers are summed when numeric (``rows_changed`` of a refiner); an operator whose metrics
are not sums (a dedup decision) reports them with its first answer only.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dataflow_assets.engine.profile import OutputProfile, ProfileBuilder, blank_rows
from operators.base import Filter, Operator, OperatorContext, OperatorResult, dropped_rows
from resources.warehouse.row_chunks import Chunk, RowChunks, SpillFile, select_rows

COMPACT_BELOW = float(os.environ.get("DATAFLOW_COMPACT_BELOW", "0.9"))  # selection density that triggers a copy


@dataclass
class StepOutput:
    """Everything a step run produced for one partition."""

    kept: RowChunks
    dropped: RowChunks | None
    changes: RowChunks | None  # an in-place refiner's changed rows (``_row_id`` + its output columns)
    side_tables: dict[str, RowChunks]
    drop_counts: dict[str, int]
    metrics: dict[str, Any]
    profile: OutputProfile
    input_rows: int


@dataclass
class _Fold:
    spill: bool
    kept: RowChunks = field(default_factory=RowChunks)
    dropped: RowChunks | None = None
    side: dict[str, RowChunks] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    metrics: dict[str, Any] = field(default_factory=dict)
    kept_positions: list[np.ndarray] = field(default_factory=list)
    changes: RowChunks | None = None

    def add(self, result: OperatorResult, kept_positions: np.ndarray | None) -> None:
        if kept_positions is not None:  # a drops-only filter: the kept rows are positions in the input chunk
            self.kept_positions.append(kept_positions)
        else:
            self.kept.append(result.table, self.spill)
        if result.dropped is not None:
            self.dropped = self.dropped or RowChunks()
            self.dropped.append(result.dropped, self.spill)
        for name, table in result.side_tables.items():
            self.side.setdefault(name, RowChunks()).append(table, self.spill)
        self.counts.update(result.drop_counts)
        for name, value in result.metrics.items():
            summable = isinstance(value, int | float) and isinstance(self.metrics.get(name), int | float)
            self.metrics[name] = self.metrics[name] + value if summable else value


def run_operator(
    operator: Operator, rows: RowChunks, ctx: OperatorContext, profile: ProfileBuilder, drops_only: bool = False,
    patch_columns: list[str] | None = None,
) -> StepOutput:
    """Run ``operator`` over ``rows`` chunk by chunk.

    ``drops_only``: a filter whose output is its kept input. ``patch_columns``: a row-wise refiner that rewrites
    these existing columns in place; the rows it changed are gathered as ``changes``.
    """
    if drops_only and verdict_only(operator):
        return filter_chain([(operator, ctx, profile)], rows)[0]  # type: ignore[list-item]
    fold = _Fold(spill=rows.spilled)
    answers_per_chunk = operator.row_wise or type(operator).run_chunks is not Operator.run_chunks
    by_position = drops_only and rows.spilled and answers_per_chunk
    patching = patch_columns is not None and operator.row_wise
    chunk_ids: list[np.ndarray] = []
    last: list[pa.Table] = []

    def chunks(columns: list[str] | None) -> Iterator[pa.Table]:
        for table in rows.tables():
            if columns is not None:
                yield table.select([name for name in columns if name in table.column_names])
                continue
            if by_position:
                chunk_ids.append(table.column("_row_id").to_numpy())
            if patching:
                last[:] = [table]
            yield table
            last.clear()

    if patching:
        fold.changes = RowChunks()
    for answered, result in enumerate(operator.run_chunks(chunks, ctx)):
        profile.add(result.table)
        fold.add(result, _kept_positions(operator, result, chunk_ids, answered) if by_position else None)
        if patching:
            fold.changes.append(changed_rows(last[0], result.table, patch_columns), fold.spill)  # type: ignore
    kept = rows.select(fold.kept_positions) if by_position else fold.kept
    return StepOutput(kept, fold.dropped, fold.changes, fold.side, dict(fold.counts), fold.metrics, profile.build(),
                      rows.num_rows)


def changed_rows(before: pa.Table, after: pa.Table, columns: list[str]) -> pa.Table:
    """``_row_id`` and ``columns`` of the rows of ``after`` whose ``columns`` differ from ``before`` (same rows)."""
    if not before.column("_row_id").equals(after.column("_row_id")):
        raise RuntimeError("an in-place refiner must answer with its input rows, in order")
    changed = np.zeros(after.num_rows, dtype=bool)
    for name in columns:
        old, new = before.column(name), after.column(name)
        if old.type != new.type:
            changed[:] = True
            break
        same = pc.or_kleene(pc.fill_null(pc.equal(old, new), False), pc.and_(pc.is_null(old), pc.is_null(new)))
        changed |= ~same.to_numpy(zero_copy_only=False)
    return after.filter(pa.array(changed)).select(["_row_id", *columns])


def _kept_positions(
    operator: Operator, result: OperatorResult, chunk_ids: list[np.ndarray], answered: int
) -> np.ndarray:
    """Positions of an answer's kept rows in the input chunk it belongs to (the last one read), checked."""
    if len(chunk_ids) != answered + 1:
        raise RuntimeError(f"{operator.name}: answer {answered} does not follow its input chunk")
    ids = chunk_ids[answered]
    kept = result.table.column("_row_id").to_numpy()
    positions = np.searchsorted(ids, kept)
    if positions.size and (positions.max() >= len(ids) or not np.array_equal(ids[positions], kept)):
        raise RuntimeError(f"{operator.name}: kept rows of answer {answered} are not rows of its input chunk")
    return positions


def verdict_only(operator: Operator) -> bool:
    """A row-wise filter that only answers ``verdict`` (its rows, counts and drops are the base class's)."""
    cls = type(operator)
    return (isinstance(operator, Filter) and operator.row_wise and cls.run is Filter.run
            and cls.run_chunks is Operator.run_chunks)


def filter_chain(
    steps: Sequence[tuple[Filter, OperatorContext, ProfileBuilder]], rows: RowChunks
) -> list[StepOutput]:
    """Consecutive verdict-only filters whose outputs are their kept inputs, without copying the kept rows.

    Each chunk's kept rows are handed on as a selection (row positions) of the table they come from; the next
    filter answers on that whole table and only the selected rows count, so a chain of filters that each drop a
    few rows copies the corpus once per ``COMPACT_BELOW`` of rows dropped, not once per step. Answers, drops and
    counts are those of ``Filter.run`` on the selected rows, because a row-wise verdict depends on its row only.
    Filters that ``join`` the first answer together on each chunk (``Filter.joint_verdicts``); the outputs are
    those of running them one after another.
    """
    first = steps[0][0]
    outputs = [_Selected() for _ in steps]
    for chunk in rows.chunks:
        base, selection = chunk.base(), chunk.rows
        if selection is not None and len(selection) < COMPACT_BELOW * base.num_rows:  # mostly dropped: copy out
            base, selection = select_rows(base, selection), None
            chunk = Chunk(file=SpillFile(base)) if chunk.file is not None else Chunk(table=base)
        verdicts = first.joint_verdicts([op for op, _, _ in steps[1:]], base, steps[0][1])
        measured = {name for _, _, profile in steps for name in profile.blank_columns} & set(base.column_names)
        row_blanks = {name: blank_rows(base.column(name)) for name in measured} if len(steps) > 1 else {}
        selected = None  # the rows still selected, as a mask of ``base`` (None: all of them)
        if selection is not None:
            selected = np.zeros(base.num_rows, dtype=bool)
            selected[selection] = True
        for (_, _, profile), output, (keep, reason) in zip(steps, outputs, verdicts, strict=True):
            if selected is not None:
                drop, keep = ~keep & selected, keep & selected
            else:
                drop = ~keep
            table, reasons = dropped_rows(base, drop, reason)
            output.dropped.append(table, rows.spilled)
            output.counts.update(reasons)
            if drop.any() or selected is not None:
                selected, selection = keep, np.flatnonzero(keep)
            output.kept.chunks.append(Chunk(table=chunk.table, file=chunk.file, rows=selection))
            profile.add_rows(base, selection, row_blanks)
    return [StepOutput(output.kept, output.dropped, None, {}, dict(output.counts), {}, profile.build(), input_rows)
            for output, (_, _, profile), input_rows in zip(
                outputs, steps, [rows.num_rows, *(output.kept.num_rows for output in outputs[:-1])], strict=True)]


@dataclass
class _Selected:
    kept: RowChunks = field(default_factory=RowChunks)
    dropped: RowChunks = field(default_factory=RowChunks)
    counts: Counter = field(default_factory=Counter)
