"""The operator contract: one base class, four kinds, pure Python over pyarrow batches.

An operator reads a ``pyarrow.Table`` batch and answers with an ``OperatorResult``. It declares the
logical input and output columns it uses; a step binds those names to table columns (``inputs`` /
``outputs`` in a spec), so one operator serves any schema. Filters only answer keep/drop + reason;
the ``Filter`` base class splits the batch, counts per reason and keeps the dropped rows.
"""

from __future__ import annotations

import enum
import logging
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, model_validator

from operators.parallel import filter_rows

SYSTEM_COLUMNS = ("_partition", "_row_id")
REASON_COLUMN = "_drop_reason"
ChunkReader = Callable[[list[str] | None], Iterator[pa.Table]]  # a partition chunk by chunk (optional columns)


class OperatorKind(enum.StrEnum):
    """What an operator does to a batch."""

    GENERATE = "generate"
    FILTER = "filter"
    REFINE = "refine"
    EVALUATE = "evaluate"


class OperatorConfig(BaseModel):
    """Base for operator configs: unknown fields are an error, never silently ignored, and a ``min_<x>`` above its
    ``max_<x>`` (numbers, or dicts of numbers per key) is an error, never a filter that keeps nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _bounds_in_order(self) -> OperatorConfig:
        for name in type(self).model_fields:
            if not name.startswith("min_") or f"max_{name[4:]}" not in type(self).model_fields:
                continue
            low, high = getattr(self, name), getattr(self, f"max_{name[4:]}")
            pairs = ([(key, low[key], high[key]) for key in low if key in high]
                     if isinstance(low, dict) and isinstance(high, dict) else [("", low, high)])
            for key, lo, hi in pairs:
                if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
                    where = f"[{key!r}]" if key else ""
                    raise ValueError(f"{name}{where} ({lo}) is greater than max_{name[4:]}{where} ({hi}): "
                                     "no row could pass")
        return self


@dataclass
class OperatorContext:
    """What an operator may use besides its batch. Tests build one without Dagster."""

    pipeline: str = "adhoc"
    step: str = "adhoc"
    partition: str = "adhoc"
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("dataflow.operator"))
    llm: Any = None
    sql: Any = None
    sandbox: Any = None
    embed: Any = None
    state: Any = None


@dataclass
class OperatorResult:
    """An operator's answer for one batch: kept rows, dropped rows (filters) and drop counts."""

    table: pa.Table
    dropped: pa.Table | None = None
    drop_counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float | int] = field(default_factory=dict)
    side_tables: dict[str, pa.Table] = field(default_factory=dict)  # stored as <step>__<name>, same transaction

    @property
    def kept(self) -> int:
        """Rows the operator passed on."""
        return self.table.num_rows

    @property
    def dropped_count(self) -> int:
        """Rows the operator removed."""
        return sum(self.drop_counts.values())


class Operator(ABC):
    """Base of every operator: declared columns, a pydantic config and one batch method."""

    name: ClassVar[str]
    kind: ClassVar[OperatorKind]
    description: ClassVar[str] = ""
    inputs: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[str, ...]] = ()
    requires: ClassVar[tuple[str, ...]] = ()  # context services: "llm", "sql", "sandbox", "embed", "state"
    row_wise: ClassVar[bool] = True  # each row's answer depends on that row only: a partition may run chunk by chunk
    Config: ClassVar[type[OperatorConfig]] = OperatorConfig

    def __init__(
        self,
        config: OperatorConfig | Mapping[str, Any] | None = None,
        inputs: Mapping[str, str] | None = None,
        outputs: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config if isinstance(config, OperatorConfig) else self.Config.model_validate(config or {})
        logical_inputs = (*self.inputs, *self.dynamic_inputs(self.config))
        self.input_map = {name: name for name in logical_inputs} | dict(inputs or {})
        self.output_map = {name: name for name in self.outputs} | dict(outputs or {})

    @classmethod
    def dynamic_inputs(cls, config: OperatorConfig) -> tuple[str, ...]:
        """Inputs that depend on the config (e.g. the fields of a prompt template); none by default."""
        return ()

    def col(self, logical: str) -> str:
        """Table column bound to a logical input or output name."""
        if logical in self.input_map:
            return self.input_map[logical]
        return self.output_map[logical]

    def out(self, logical: str) -> str:
        """Table column bound to a logical output name."""
        return self.output_map[logical]

    def text(self, batch: pa.Table, logical: str = "text") -> pa.ChunkedArray:
        """An input column as strings, nulls kept as nulls."""
        column = batch.column(self.col(logical))
        return column if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) else (
            column.cast(pa.string())
        )

    @abstractmethod
    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Process one batch."""

    def run_chunks(self, chunks: ChunkReader, ctx: OperatorContext) -> Iterator[OperatorResult]:
        """Process a partition given chunk by chunk, answering chunk by chunk, in row order.

        A row-wise operator runs on each chunk; any other gets the whole partition at once, unless it overrides
        this to stream (as the dedup filters do: keys per chunk, one decision, then the rows chunk by chunk).
        """
        if self.row_wise:
            for table in chunks(None):
                yield self.run(table, ctx)
            return
        tables = list(chunks(None))
        yield self.run(pa.concat_tables(tables, promote_options="permissive"), ctx)


class Mapper(Operator):
    """Generate, refine and evaluate operators: compute output columns for every row."""

    @abstractmethod
    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array | pa.ChunkedArray]:
        """Return the new values of the output columns, keyed by logical output name."""

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Apply ``transform`` and set (or add) the bound output columns."""
        table = batch
        for logical, values in self.transform(batch, ctx).items():
            table = set_column(table, self.out(logical), values)
        return OperatorResult(table=table)


@dataclass
class Verdict:
    """A filter's answer: which rows to keep and, for the others, why they are dropped."""

    keep: np.ndarray
    reason: str | np.ndarray


class Filter(Operator):
    """Filters answer keep/drop + reason; this class splits the batch and does the bookkeeping."""

    kind = OperatorKind.FILTER
    drop_reasons: ClassVar[tuple[str, ...]] = ()  # every reason the filter can give a dropped row

    @classmethod
    def reasons(cls) -> tuple[str, ...]:
        """The reasons this filter can give (specs' ``drop_reason_share`` checks name one of them)."""
        return cls.drop_reasons

    @abstractmethod
    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Decide, for each row, keep (True) or drop (False) and the drop reason."""

    def checked_verdict(self, batch: pa.Table, ctx: OperatorContext) -> tuple[np.ndarray, str | np.ndarray]:
        """The verdict as a boolean keep mask of one entry per row (checked) and its reason."""
        return self.checked(self.verdict(batch, ctx), batch.num_rows)

    def checked(self, decision: Verdict, num_rows: int) -> tuple[np.ndarray, str | np.ndarray]:
        """A verdict on ``num_rows`` rows as a boolean keep mask (its shape checked) and its reason."""
        keep = np.asarray(decision.keep, dtype=bool)
        if keep.shape != (num_rows,):
            raise ValueError(f"{self.name}: verdict has {keep.shape} rows, batch has {num_rows}")
        return keep, decision.reason

    def joins(self, other: Filter) -> bool:
        """Whether ``other`` may answer together with this filter in ``joint_verdicts`` (none by default)."""
        return False

    def joint_verdicts(
        self, others: Sequence[Filter], batch: pa.Table, ctx: OperatorContext
    ) -> list[tuple[np.ndarray, str | np.ndarray]]:
        """``checked_verdict`` of this filter and of ``others`` (each of which it ``joins``) on one batch.

        A row-wise verdict depends on its row only, so filters run one after another may all answer on the
        first one's input; a subclass shares work between them here (``RuleFilter``: one scan per text slice).
        """
        return [f.checked_verdict(batch, ctx) for f in (self, *others)]

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Apply the verdict: kept rows, dropped rows with reason, counts per reason."""
        keep, reason = self.checked_verdict(batch, ctx)
        dropped, counts = dropped_rows(batch, ~keep, reason)
        kept = batch if dropped.num_rows == 0 else filter_rows(batch, keep)  # nothing dropped: no copy
        return OperatorResult(table=kept, dropped=dropped, drop_counts=counts)


def dropped_rows(batch: pa.Table, drop: np.ndarray, reason: str | np.ndarray) -> tuple[pa.Table, dict[str, int]]:
    """The rows of ``batch`` where ``drop`` is set, with their reason column, and the count per reason
    (``reason``: one for all rows, or one per row of ``batch``)."""
    dropped = batch.filter(pa.array(drop))  # few rows: cheap
    if isinstance(reason, str):
        reasons = pa.repeat(pa.scalar(reason, pa.string()), dropped.num_rows)
        counts = {reason: dropped.num_rows} if dropped.num_rows else {}
    else:
        dropped_reasons = np.asarray(reason, dtype=object)[drop]
        reasons = pa.array(dropped_reasons, pa.string())
        counts = dict(Counter(dropped_reasons.tolist()))
    return dropped.append_column(REASON_COLUMN, reasons), counts


def set_column(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Replace column ``name`` or append it when the table lacks it."""
    index = table.schema.get_field_index(name)
    if index == -1:
        return table.append_column(name, values)
    return table.set_column(index, name, values)
