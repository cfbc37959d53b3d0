"""The work behind each asset of a pipeline: the raw asset, one asset per step, the export asset.

A node computes its asset in the op's thread and queues its warehouse write on the op's ``WarehouseWriter``;
``start`` returns at once with the rows for the next node and a ``PendingAsset``, which waits for the write and
gives the asset's ``MaterializeResult`` (metadata, histograms, check results). How nodes are grouped into ops is
``dataflow_assets/segments.py``'s business.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
)

from dataflow_assets.checks import StepOutcome, blank_columns, evaluate, step_checks, written_first
from dataflow_assets.histograms import length_columns, score_candidates, step_histograms
from dataflow_assets.metadata import pipeline_description, step_metadata
from dataflow_assets.partitions import partitions_name
from dataflow_assets.profile import ProfileBuilder
from dataflow_assets.raw_stream import read_raw_chunks
from dataflow_assets.services import StepServices, step_services
from dataflow_assets.spec import CheckSpec, PipelineSpec, StepSpec
from dataflow_assets.step_run import StepOutput, filter_chain, run_operator, verdict_only
from operators.base import Operator, OperatorContext, OperatorKind
from operators.registry import get_operator
from resources.files import FileStoreResource
from resources.row_chunks import RowChunks
from resources.step_index import StepIndex, index_consistency
from resources.step_store import StepInput, handed_off, read_step_input, write_step_output
from resources.warehouse_writer import WarehouseWriter

WAREHOUSE_KEY = "duckdb"
FILES_KEY = "files"


@dataclass
class NodeRun:
    """What the nodes of one op run share: the Dagster context and the warehouse writer."""

    context: AssetExecutionContext
    writer: WarehouseWriter
    chains: dict[str, list[StepNode]] = field(default_factory=dict)  # first step -> filters that answer with it
    joined: dict[str, tuple[RowChunks, StepOutput]] = field(default_factory=dict)  # step -> (its input, output)

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


@dataclass
class PendingAsset:
    """An asset computed, its warehouse job queued; ``result`` waits for the job and describes the asset."""

    key: AssetKey
    job: Future
    describe: Callable[[Any], tuple[dict[str, Any], list[AssetCheckResult]]]
    wait_before_next: bool = False  # a blocking check failed already, or must see the write's result
    blocking: frozenset[str] = frozenset()  # names of the checks that stop later steps when they fail
    checks: list[AssetCheckResult] = field(default_factory=list)

    def result(self) -> MaterializeResult:
        """The materialization (after the write committed), with its check results."""
        metadata, self.checks = self.describe(self.job.result())
        return MaterializeResult(asset_key=self.key, metadata=metadata, check_results=self.checks)

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
        batch = read_raw_chunks(path, spec.raw)
        if batch.replaced_lines:
            run.context.log.warning(f"{path}: invalid UTF-8 replaced with U+FFFD on lines {batch.replaced_lines[:20]}")
        write_id, stats = uuid.uuid4().hex, {"input_rows": batch.rows.num_rows}
        database = getattr(run.context.resources, WAREHOUSE_KEY).database
        job = run.writer.submit(lambda conn: write_step_output(conn, spec.name, "raw", partition, batch.rows, None,
                                                               stats, write_id=write_id, database=database))
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

        return PendingAsset(self.key, job, describe), StepInput(batch.rows, write_id)


def storage_shape(op_cls: type[Operator], operator: Operator, columns: set[str]) -> tuple[bool, list[str] | None]:
    """How a step stores its output: (only its drop list, the columns it patches in place or None)."""
    drops_only = op_cls.kind == OperatorKind.FILTER and not op_cls.outputs
    written = sorted(operator.output_map.values())
    in_place = op_cls.kind == OperatorKind.REFINE and op_cls.row_wise and written and set(written) <= columns
    return drops_only, (written if in_place else None)


class StepNode(AssetNode):
    """One operator step over its upstream's rows; stores kept rows, a drop list or a patch (see step_store)."""

    def __init__(self, spec: PipelineSpec, step: StepSpec, upstream: str, columns: set[str]) -> None:
        self.name, self.upstream, self.step = step.name, upstream, step
        super().__init__(spec)
        self.op_cls = get_operator(step.op)
        self.needs = frozenset(self.op_cls.requires)
        self.checks = step_checks(step, stateful="state" in self.needs)
        self.operator = self.op_cls(step.config, step.inputs, step.outputs)
        self.output_columns = set(self.operator.output_map.values())
        self.drops_only, self.patch_columns = storage_shape(self.op_cls, self.operator, columns)
        self.kinds = {"duckdb", *sorted(self.needs & {"llm", "sql"})}
        self.description = (step.description or self.op_cls.description or step.op) + (
            f"\n\nOperator `{step.op}` ({self.op_cls.kind}).")
        self.metadata = {"operator": step.op, "kind": str(self.op_cls.kind), "config": MetadataValue.json(step.config),
                         "inputs": MetadataValue.json(step.inputs), "outputs": MetadataValue.json(step.outputs)}

    @property
    def joinable(self) -> bool:
        """A filter that stores only its drops and answers only a verdict, with no service: may run in a chain."""
        return self.drops_only and not self.needs and verdict_only(self.operator)

    def prepare(self, run: NodeRun) -> tuple[Operator, OperatorContext, ProfileBuilder, StepServices]:
        """A fresh operator, its context (with the services the step needs) and its output profile."""
        spec, step, partition = self.spec, self.step, run.partition
        warehouse = getattr(run.context.resources, WAREHOUSE_KEY)

        def step_index() -> StepIndex:  # ctx.state of dedup steps: the partitions before this one, in ingest order
            order = run.context.instance.get_dynamic_partitions(partitions_name(spec.name))
            return StepIndex(warehouse, spec.name, step.name, partition, order)

        services = step_services(run.context.resources, set(self.needs), state=step_index)
        ctx = OperatorContext(pipeline=spec.name, step=step.name, partition=partition, log=run.context.log,
                              **services.services)
        profile = ProfileBuilder(blank_columns(self.checks), score_candidates(self.op_cls, step))
        return self.op_cls(step.config, step.inputs, step.outputs), ctx, profile, services

    def compute(self, run: NodeRun, step_input: StepInput) -> StepOutput:
        """Run the operator over the input; at the head of a filter chain, compute the whole chain."""
        chain = run.chains.get(self.name)
        if chain:
            prepared = [node.prepare(run)[:3] for node in chain]
            try:
                outputs = filter_chain(prepared, step_input.rows)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - each step runs alone again, so the failing one fails as itself
                run.context.log.warning(f"{self.name}: the filter chain from here failed; its steps run one by one")
            else:
                for before, node, output in zip(outputs, chain[1:], outputs[1:]):  # noqa: B905 - one shorter
                    run.joined[node.name] = (before.kept, output)
                return outputs[0]
        operator, ctx, profile, services = self.prepare(run)
        out = run_operator(operator, step_input.rows, ctx, profile, drops_only=self.drops_only,
                           patch_columns=self.patch_columns)
        out.metrics.update(services.metrics())
        return out

    def joined_output(self, run: NodeRun, step_input: StepInput) -> StepOutput | None:
        """This step's output computed by the chain it belongs to, if it was computed from ``step_input``."""
        joined = run.joined.pop(self.name, None)
        return joined[1] if joined is not None and joined[0] is step_input.rows else None

    def start(self, run: NodeRun, step_input: StepInput | None) -> tuple[PendingAsset, StepInput | None]:
        spec, step, partition, upstream = self.spec, self.step, run.partition, self.upstream or "raw"
        warehouse = getattr(run.context.resources, WAREHOUSE_KEY)
        if step_input is None:
            step_input = handed_off(warehouse.database, spec.name, upstream, partition) or run.writer.call(
                lambda conn: read_step_input(conn, spec.name, upstream, partition))
        out = self.joined_output(run, step_input) or self.compute(run, step_input)
        stats = {"input_rows": out.input_rows, "drop_counts": dict(out.drop_counts), "metrics": dict(out.metrics)}
        write_id, stateful = uuid.uuid4().hex, "state" in self.needs

        def write(conn: Any) -> dict[str, Any]:
            write_step_output(conn, spec.name, step.name, partition, out.kept, out.dropped, stats,
                              view_of=upstream if self.drops_only else None, read_from=(upstream, step_input.write_id),
                              side_tables=out.side_tables, patch_of=upstream if self.patch_columns else None,
                              changes=out.changes, write_id=write_id, database=warehouse.database)
            return index_consistency(conn, spec.name, step.name, partition) if stateful else {}

        job = run.writer.submit(write)
        checks = run.selected(self.key, self.checks)
        known = StepOutcome(out.profile, out.input_rows, out.drop_counts, out.metrics)
        wait = any(check.is_blocking and (written_first(check) or not evaluate(self.key, check, known).passed)
                   for check in checks)

        def describe(written: dict[str, Any]) -> tuple[dict[str, Any], list[AssetCheckResult]]:
            metrics = out.metrics | written
            outcome = StepOutcome(out.profile, out.input_rows, out.drop_counts, metrics)
            metadata = step_metadata(out.profile.num_rows, out.profile.schema, out.profile.head, out.input_rows,
                                     out.drop_counts, metrics)
            metadata |= step_histograms(run.files, spec.name, step.name, partition, out.profile.series)
            return metadata, [evaluate(self.key, check, outcome) for check in checks]

        blocking = frozenset(check.check_name for check in checks if check.is_blocking)
        return PendingAsset(self.key, job, describe, wait, blocking), StepInput(out.kept, write_id)
