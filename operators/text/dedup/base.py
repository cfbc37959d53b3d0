"""Global deduplication across partitions: the shared decision of every dedup filter.

Semantics (the same for every method):
- A method finds *links*: verified duplicate pairs inside the batch, and verified matches of batch rows
  against the kept rows of partitions that come earlier in ingest order (through ``ctx.state``, the step's
  index; without it, e.g. in unit tests, dedup is within the batch only).
- Rows linked inside the batch form clusters (connected components, union-find by min-label hooking). The
  earliest row of a cluster (by ``_row_id``) is kept, the others are dropped as duplicates of it; when any row
  of a cluster matches an earlier partition, the whole cluster is dropped as a duplicate of the earliest
  matched stored row (smallest ingest position, then ``_row_id``). So the earliest copy is always the one kept.
- The index holds one row per *kept* row (``<step>__index``, plus method tables such as ``<step>__bands``),
  written in the same transaction as the step output: index rows = kept rows.
- Every dropped row carries ``duplicate_of_partition`` and ``duplicate_of_row_id``: the kept copy it
  duplicates (for a cluster, its kept representative), in ``<step>__dropped``.
- A partition is compared with the partitions *before* it only, so re-materializing it gives the same result,
  and re-materializing an earlier partition never changes a later one: the later one keeps its result until
  it is itself re-materialized. If the earlier partition's contents changed, the later partition's dropped
  rows may point at rows no longer in the index. Each write records a digest of its index
  (``index_digest``) and of the earlier partitions' indexes it was compared with (``earlier_index_digest``);
  ``resources.warehouse.step_index.stale_partitions`` lists the partitions whose earlier indexes changed since (re-run
  them in ingest order). A partition materialized before an earlier one could not be compared with it: the
  metric ``earlier_partitions_missing`` counts such partitions and the ``index_consistency`` check fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from operators.base import REASON_COLUMN, ChunkReader, Filter, OperatorContext, OperatorResult, Verdict

PROBE = "_probe"  # batch position of a row in link and index tables
DUP_PARTITION, DUP_ROW_ID = "duplicate_of_partition", "duplicate_of_row_id"


class DedupIndex(Protocol):
    """What a dedup filter needs from ``ctx.state`` (implemented by ``resources.warehouse.step_index.StepIndex``)."""

    missing_earlier: list[str] | None
    earlier_digest: int | None

    def matches(self, table: str, probe: pa.Table, on: Sequence[str], fetch: Sequence[str] = ()) -> pa.Table:
        """Stored rows of earlier partitions equal to probe rows on ``on`` (+ _partition, _row_id, _rank)."""


@dataclass
class Links:
    """What a method found for a batch: in-batch duplicate pairs, matches in earlier partitions, index rows."""

    a: np.ndarray
    b: np.ndarray
    external: pa.Table | None = None  # columns _probe, _partition, _row_id, _rank
    index: dict[str, pa.Table] = field(default_factory=dict)  # per batch row (column _probe); kept rows are stored


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of n nodes and edges (a, b): each node's root, the smallest node of its component."""
    parent = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    while True:
        while True:  # path compression: every node points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        ra, rb = parent[a], parent[b]
        differ = ra != rb
        if not differ.any():
            return parent
        np.minimum.at(parent, np.maximum(ra, rb)[differ], np.minimum(ra, rb)[differ])  # hook onto the lower root


def row_ids(batch: pa.Table) -> np.ndarray:
    """The batch's ``_row_id`` values (positions when the batch has none, e.g. in unit tests)."""
    if "_row_id" in batch.column_names:
        return batch.column("_row_id").to_numpy().astype(np.int64)
    return np.arange(batch.num_rows, dtype=np.int64)


def resolve(ids: np.ndarray, partition: str, links: Links) -> tuple[np.ndarray, list[str | None], np.ndarray]:
    """Keep mask and, per row, the partition and row id of the copy it duplicates (None / -1 when kept)."""
    n = len(ids)
    order = np.argsort(ids, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    root = order[components(n, rank[links.a], rank[links.b])][rank]  # batch position of each row's cluster root
    keep = root == np.arange(n)
    dup_partition = np.full(n, None, dtype=object)
    dup_row = np.full(n, -1, dtype=np.int64)
    dup_partition[~keep], dup_row[~keep] = partition, ids[root[~keep]]
    ext = links.external
    if ext is not None and ext.num_rows:
        cluster = root[ext.column(PROBE).to_numpy()]
        ranks, stored = ext.column("_rank").to_numpy(), ext.column("_row_id").to_numpy()
        pick = np.lexsort((stored, ranks, cluster))
        first = pick[np.r_[True, cluster[pick][1:] != cluster[pick][:-1]]]  # earliest match per cluster
        clusters = cluster[first]
        members = np.isin(root, clusters)
        where = np.searchsorted(clusters, root[members])
        keep[members] = False
        dup_partition[members] = np.asarray(ext.column("_partition").to_pylist(), dtype=object)[first][where]
        dup_row[members] = stored[first][where]
    return keep, dup_partition.tolist(), dup_row


class DeduplicateFilter(Filter):
    """Base of the dedup filters: a method finds links; this class decides, records provenance and the index.

    A method that can compare rows through small per-row keys (hashes, signatures) implements ``keys`` and
    ``links_of``: a partition given in chunks is then read twice, once for the keys and once for the rows, and
    never held whole in memory. Otherwise it implements ``links`` on the whole batch.
    """

    requires: ClassVar[tuple[str, ...]] = ("state",)
    row_wise: ClassVar[bool] = False
    reason: ClassVar[str] = "duplicate"

    @classmethod
    def reasons(cls) -> tuple[str, ...]:
        """The one reason a dedup filter gives."""
        return (cls.reason,)

    def key_columns(self) -> list[str]:
        """The columns ``keys`` reads."""
        input_keys = getattr(self.config, "input_keys", None)
        return list(input_keys) if input_keys else [self.col(name) for name in self.inputs]

    def keys(self, batch: pa.Table) -> np.ndarray | pa.Array | None:
        """Per-row comparison keys of a chunk (None: this method needs the whole batch, see ``links``)."""
        return None

    def links_of(self, keys: np.ndarray | pa.Array, ctx: OperatorContext) -> Links:
        """Links from the keys of the whole partition (rows in partition order)."""
        raise NotImplementedError(f"{self.name} compares whole batches only")

    def links(self, batch: pa.Table, ctx: OperatorContext) -> Links:
        """In-batch duplicate pairs, matches in earlier partitions (via ``ctx.state``) and index rows."""
        keys = self.keys(batch)
        if keys is None:
            raise NotImplementedError(f"{self.name} implements neither links nor keys")
        return self.links_of(keys, ctx)

    def verdict(self, batch: pa.Table, ctx: OperatorContext) -> Verdict:
        """Keep the earliest copy of each cluster (see the module docstring)."""
        keep, _, _ = resolve(row_ids(batch), ctx.partition, self.links(batch, ctx))
        return Verdict(keep=keep, reason=self.reason)

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Kept rows, dropped rows with reason and provenance, and the index rows of the kept rows."""
        decision = _Decision.of(self, row_ids(batch), self.links(batch, ctx), ctx)
        return decision.result(self, batch, 0, first=True)

    def run_chunks(self, chunks: ChunkReader, ctx: OperatorContext) -> Iterator[OperatorResult]:
        """Keys chunk by chunk, one decision for the partition, then the rows chunk by chunk."""
        if type(self).keys is DeduplicateFilter.keys:
            yield from super().run_chunks(chunks, ctx)
            return
        keys, ids = [], []
        for table in chunks([*self.key_columns(), "_row_id"]):
            keys.append(self.keys(table))
            ids.append(row_ids(table))
        decision = _Decision.of(self, np.concatenate(ids), self.links_of(_stack(keys), ctx), ctx)
        offset = 0
        for index, table in enumerate(chunks(None)):
            yield decision.result(self, table, offset, first=index == 0)
            offset += table.num_rows


def _stack(parts: list) -> np.ndarray | pa.Array:
    """Per-chunk keys as one array; numpy parts are moved into place one by one (never held twice)."""
    if not isinstance(parts[0], np.ndarray):
        return pa.concat_arrays(parts)
    stacked = np.empty((sum(len(part) for part in parts), *parts[0].shape[1:]), dtype=parts[0].dtype)
    start = 0
    while parts:
        part = parts.pop(0)
        stacked[start:start + len(part)] = part
        start += len(part)
    return stacked


@dataclass
class _Decision:
    """A dedup decision for a whole partition: per row keep / kept copy, metrics and the kept rows' index."""

    keep: np.ndarray
    dup_partition: list[str | None]
    dup_row: np.ndarray
    metrics: dict[str, float | int]
    index: dict[str, pa.Table]  # per row of the partition (column _probe), as the method made them
    ids: np.ndarray

    @classmethod
    def of(cls, op: DeduplicateFilter, ids: np.ndarray, links: Links, ctx: OperatorContext) -> _Decision:
        keep, dup_partition, dup_row = resolve(ids, ctx.partition, links)
        drop = ~keep
        external = 0
        if links.external is not None and links.external.num_rows:
            external = int(np.isin(np.flatnonzero(drop), links.external.column(PROBE).to_numpy()).sum())
        metrics: dict[str, float | int] = {"duplicates_of_earlier_partitions": external,
                                           "duplicates_within_partition": int(drop.sum()) - external}
        metrics["index_digest"] = _index_digest(links.index["index"], keep) if "index" in links.index else 0
        state = ctx.state
        if state is not None and getattr(state, "missing_earlier", None) is not None:
            metrics["earlier_partitions_missing"] = len(state.missing_earlier)
            metrics["earlier_index_digest"] = state.earlier_digest
        return cls(keep, dup_partition, dup_row, metrics, links.index, ids)

    def result(self, op: DeduplicateFilter, batch: pa.Table, offset: int, first: bool) -> OperatorResult:
        """The answer for the rows ``offset .. offset + len(batch)``, with their index rows; metrics come with
        the first."""
        keep = self.keep[offset:offset + batch.num_rows]
        drop = ~keep
        dropped = batch.filter(pa.array(drop))
        dropped = dropped.append_column(REASON_COLUMN, pa.array([op.reason] * dropped.num_rows, pa.string()))
        partitions = self.dup_partition[offset:offset + batch.num_rows]
        dropped = dropped.append_column(DUP_PARTITION, pa.array(
            [p for p, d in zip(partitions, drop, strict=True) if d], pa.string()))
        dropped = dropped.append_column(DUP_ROW_ID, pa.array(self.dup_row[offset:offset + batch.num_rows][drop],
                                                             pa.int64()))
        counts = {op.reason: int(drop.sum())} if drop.any() else {}
        return OperatorResult(table=batch.filter(pa.array(keep)), dropped=dropped, drop_counts=counts,
                              metrics=dict(self.metrics) if first else {},
                              side_tables={name: _kept_index(table, self.keep, self.ids, offset, batch.num_rows)
                                           for name, table in self.index.items()})


def table_digest(table: pa.Table, rows_per_piece: int = 65536) -> int:
    """A 63-bit digest of a table's contents (its Arrow IPC stream, ``rows_per_piece`` rows at a time)."""
    state = xxhash.xxh3_64()
    for start in range(0, table.num_rows, rows_per_piece):
        _update(state, table.slice(start, rows_per_piece))
    return state.intdigest() & (2**63 - 1)


def _update(state: xxhash.xxh3_64, piece: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, piece.schema) as writer:
        writer.write_table(piece)
    state.update(memoryview(sink.getvalue()))


def _kept_index(table: pa.Table, keep: np.ndarray, ids: np.ndarray, offset: int = 0, count: int | None = None
                ) -> pa.Table:
    """The index rows of the kept rows among partition rows ``offset .. offset + count``, keyed by ``_row_id``."""
    probe = table.column(PROBE).to_numpy()
    stop = len(keep) if count is None else offset + count
    mask = keep[probe] & (probe >= offset) & (probe < stop)
    kept = table.filter(pa.array(mask)).drop_columns([PROBE])
    return kept.add_column(0, "_row_id", pa.array(ids[probe[mask]], pa.int64()))


def _index_digest(index: pa.Table, keep: np.ndarray, rows_per_piece: int = 65536) -> int:
    """``table_digest`` of the stored index (the kept rows' index rows, in order), without copying it whole."""
    state = xxhash.xxh3_64()
    probe = index.column(PROBE).to_numpy()
    kept = np.flatnonzero(keep[probe])
    for start in range(0, len(kept), rows_per_piece):
        _update(state, index.take(pa.array(kept[start:start + rows_per_piece])).drop_columns([PROBE]))
    return state.intdigest() & (2**63 - 1)


def exact_links(keys: pa.Array, state: DedupIndex | None) -> Links:
    """Links for exact keys (a hash per row): equal keys in the batch, and keys stored by earlier partitions."""
    positions = pa.array(np.arange(len(keys), dtype=np.int64))
    table = pa.table({PROBE: positions, "key": keys})
    firsts = table.group_by("key", use_threads=False).aggregate([(PROBE, "min")]).rename_columns(["key", "first"])
    joined = table.join(firsts, "key", use_threads=False)
    pairs = joined.filter(pc.not_equal(joined[PROBE], joined["first"]))
    external = None
    if state is not None:
        probe = pa.table({PROBE: firsts["first"], "key": firsts["key"]})
        external = state.matches("index", probe, on=["key"]).select([PROBE, "_partition", "_row_id", "_rank"])
    return Links(pairs[PROBE].to_numpy(), pairs["first"].to_numpy(), external, {"index": table})
