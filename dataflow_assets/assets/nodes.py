"""The work behind each asset of a pipeline: the node base, the raw asset (steps: ``step_node.py``, the export:
``export_node.py``).

A node computes its asset in the op's thread and queues its warehouse write on the op's ``WarehouseWriter``;
``start`` returns at once with the rows for the next node and a ``PendingAsset``, which waits for the write and
gives the asset's ``MaterializeResult`` (metadata, histograms, check results). How nodes are grouped into ops is
``dataflow_assets/assets/segments.py``'s business.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from queue import SimpleQueue
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    DataVersion,
    MaterializeResult,
    MetadataValue,
)

from dataflow_assets.assets.metadata import pipeline_description, step_histograms, step_metadata
from dataflow_assets.engine.histograms import length_columns
from dataflow_assets.engine.profile import ProfileBuilder
from dataflow_assets.engine.step_run import StepOutput
from dataflow_assets.ingest import prefetch as raw_prefetch
from dataflow_assets.ingest.errors import RawFileError
from dataflow_assets.ingest.run_tags import SENSED_SHA256_TAG, SOURCE_TAG
from dataflow_assets.ingest.stream import read_raw_chunks
from dataflow_assets.spec.model import CheckSpec, PipelineSpec
from operators.base import Operator, OperatorKind
from resources.files import FileStoreResource
from resources.warehouse.partitions import PartitionSource
from resources.warehouse.row_chunks import RowChunks
from resources.warehouse.step_store import StepInput
from resources.warehouse.step_writes import StepWrite, write_step_output
from resources.warehouse.writer import WarehouseWriter

WAREHOUSE_KEY = "duckdb"
FILES_KEY = "files"


@dataclass
class JoinedStep:
    """A chain member's output, computed by the chain's first step from ``rows``, and the chain's write."""

    rows: RowChunks
    output: StepOutput
    write: StepWrite
    job: Future


@dataclass
class NodeRun:
    """What the nodes of one op run share: the Dagster context and the warehouse writer.

    Nodes start on the op's compute thread (``segments.run_nodes``): they log through ``log`` (relayed to
    Dagster's log by the op's thread) and read the pipeline's partitions from ``partition_order`` (fetched by the
    op's thread), never through the Dagster instance themselves."""

    context: AssetExecutionContext
    writer: WarehouseWriter
    chains: dict[str, Sequence[AssetNode]] = field(default_factory=dict)  # first step -> filters that answer with it
    joined: dict[str, JoinedStep] = field(default_factory=dict)  # a chain member's output, computed by its head
    relay: RelayLog | None = None
    partition_order: list[str] = field(default_factory=list)  # the pipeline's partitions, in ingest order

    @property
    def log(self) -> Any:
        """The log for the nodes: relayed to the op's thread when there is a relay, else Dagster's own."""
        return self.relay if self.relay is not None else self.context.log

    @property
    def partition(self) -> str:
        """The partition (raw batch) being materialized."""
        return self.context.partition_key

    @property
    def files(self) -> FileStoreResource:
        """Raw, export and artifact folders."""
        return getattr(self.context.resources, FILES_KEY)

    def selected(self, key: AssetKey, checks: list[CheckSpec]) -> list[CheckSpec]:
        """The checks of ``key`` this run evaluates."""
        chosen = self.context.selected_asset_check_keys
        return [check for check in checks if AssetCheckKey(key, check.check_name) in chosen]


class RelayLog:
    """A log that queues its messages for another thread to emit (Dagster's log is the op thread's)."""

    def __init__(self, sink: SimpleQueue) -> None:
        self.sink = sink

    def debug(self, message: str) -> None:
        """Queue a debug message."""
        self.sink.put(("log", ("debug", message)))

    def info(self, message: str) -> None:
        """Queue an info message."""
        self.sink.put(("log", ("info", message)))

    def warning(self, message: str) -> None:
        """Queue a warning."""
        self.sink.put(("log", ("warning", message)))

    def error(self, message: str) -> None:
        """Queue an error message."""
        self.sink.put(("log", ("error", message)))


@dataclass
class PendingAsset:
    """An asset computed, its warehouse job queued; ``result`` waits for the job and describes the asset."""

    key: AssetKey
    job: Future
    describe: Callable[[Any], tuple[dict[str, Any], list[AssetCheckResult]]]
    wait_before_next: bool = False  # a blocking check failed already, or must see the write's result
    blocking: frozenset[str] = frozenset()  # names of the checks that stop later steps when they fail
    checks: list[AssetCheckResult] = field(default_factory=list)
    data_version: str | None = None  # raw: the file's content hash, so Dagster marks later steps stale on a change

    def result(self) -> MaterializeResult:
        """The materialization (after the write committed), with its check results."""
        metadata, self.checks = self.describe(self.job.result())
        version = DataVersion(self.data_version) if self.data_version else None
        return MaterializeResult(asset_key=self.key, metadata=metadata, check_results=self.checks,
                                 data_version=version)

    def failed_blocking(self) -> list[AssetCheckResult]:
        """Checks of this asset that failed with ERROR severity and guard later steps (after ``result``)."""
        error = AssetCheckSeverity.ERROR
        return [check for check in self.checks
                if check.check_name in self.blocking and not check.passed and check.severity == error]


class AssetNode(ABC):
    """One asset of a pipeline: its name, upstream node, services, checks and how to compute it."""

    name: str
    upstream: str | None
    needs: frozenset[str] = frozenset()
    checks: list[CheckSpec]
    kinds: set[str]
    description: str
    metadata: dict[str, Any]

    def __init__(self, spec: PipelineSpec) -> None:
        self.spec = spec
        self.key = AssetKey([spec.name, self.name])

    @abstractmethod
    def start(self, run: NodeRun, step_input: StepInput | None) -> tuple[PendingAsset, StepInput | None]:
        """Compute the asset and queue its write; the rows for the next node and the pending materialization."""


class RawNode(AssetNode):
    """Parse and validate one raw file; rows keep their line number as ``_row_id``."""

    name, upstream = "raw", None

    def __init__(self, spec: PipelineSpec) -> None:
        super().__init__(spec)
        self.checks, self.kinds, self.metadata = [], {"duckdb"}, {}
        self.description = (f"Raw batch of {spec.name}: one file from its raw folder, parsed and validated "
                            f"(columns {spec.raw.columns}), each row with a stable `_row_id` (line in the file)."
                            f"\n\n{pipeline_description(spec)}")

    def start(self, run: NodeRun, step_input: StepInput | None) -> tuple[PendingAsset, StepInput | None]:
        spec, partition = self.spec, run.partition
        path = run.files.raw_file(spec.name, partition)
        batch = raw_prefetch.take(path, spec.raw) or read_raw_chunks(path, spec.raw)
        tags = run.context.run.tags
        seen = tags.get(SENSED_SHA256_TAG)
        if seen and seen != batch.sha256:  # the sensor hashed the file before: it changed since (still being written?)
            raise RawFileError(path, f"the file changed since the sensor saw it (sha256 {seen[:12]}…, now "
                               f"{batch.sha256[:12]}…): still being written? The sensor starts a new run once it "
                               "stops changing; nothing was stored")
        if batch.replaced_lines:
            run.log.warning(f"{path}: invalid UTF-8 replaced with U+FFFD on lines {batch.replaced_lines[:20]}")
        write_id, stats = uuid.uuid4().hex, {"input_rows": batch.rows.num_rows}
        database = getattr(run.context.resources, WAREHOUSE_KEY).database
        found = PartitionSource(tags.get(SOURCE_TAG, str(path)), batch.sha256)
        job = run.writer.submit(lambda conn: write_step_output(conn, spec.name, "raw", partition, batch.rows, None,
                                                               stats, write_id=write_id, database=database,
                                                               downstream=spec.table_order[1:], source=found))
        builder = ProfileBuilder(length_columns=length_columns(spec))
        for table in batch.rows.tables():
            builder.add(table)
        profile = builder.build()

        def describe(_: Any) -> tuple[dict[str, Any], list[AssetCheckResult]]:
            metadata = step_metadata(profile.num_rows, profile.schema, profile.head, None, {}, {})
            metadata |= {"source": MetadataValue.path(str(path)), "sha256": batch.sha256,
                         "size_bytes": batch.size_bytes, "utf8_replaced_lines": len(batch.replaced_lines),
                         "chunks": len(batch.rows.chunks)}
            return metadata | step_histograms(run.files, spec.name, "raw", partition, profile.series), []

        pending = PendingAsset(self.key, job, describe, data_version=batch.sha256)
        return pending, StepInput(batch.rows, write_id)


def storage_shape(op_cls: type[Operator], operator: Operator, columns: set[str]) -> tuple[bool, list[str] | None]:
    """How a step stores its output: (only its drop list, the columns it patches in place or None)."""
    drops_only = op_cls.kind == OperatorKind.FILTER and not op_cls.outputs
    written = sorted(operator.output_map.values())
    in_place = op_cls.kind == OperatorKind.REFINE and op_cls.row_wise and written and set(written) <= columns
    return drops_only, (written if in_place else None)
