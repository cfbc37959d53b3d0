"""The asset of one pipeline step: its operator over the upstream asset's rows, stored and checked.

Consecutive filters that answer together (``Filter.joins``: the rule filters on one text column) form a chain
(``segments.filter_chains``). Its first step computes every step of the chain in one pass over the text
(``step_run.filter_chain``) and queues one write for all of them (``write_step_outputs``: their drop lists in
one transaction); each later step of the chain then only reports its asset. When the chain fails, its steps run
one by one, so the failing step fails as itself and the ones before it are written and reported.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from dagster import AssetCheckResult, MetadataValue

from dataflow_assets.assets.checks import StepOutcome, blank_columns, evaluate, step_checks, written_first
from dataflow_assets.assets.metadata import step_histograms, step_metadata
from dataflow_assets.assets.nodes import WAREHOUSE_KEY, AssetNode, JoinedStep, NodeRun, PendingAsset, storage_shape
from dataflow_assets.engine.histograms import score_candidates
from dataflow_assets.engine.profile import ProfileBuilder
from dataflow_assets.engine.services import StepServices, step_services
from dataflow_assets.engine.step_run import StepOutput, filter_chain, run_operator, verdict_only
from dataflow_assets.spec.model import PipelineSpec, StepSpec
from operators.base import Operator, OperatorContext
from operators.registry import get_operator
from resources.warehouse.step_index import StepIndex, index_consistency
from resources.warehouse.step_store import StepInput, handed_off, read_step_input
from resources.warehouse.step_writes import StepWrite, write_step_outputs


class StepNode(AssetNode):
    """One operator step over its upstream's rows; stores kept rows, a drop list or a patch (see step_store)."""

    def __init__(self, spec: PipelineSpec, step: StepSpec, upstream: str, columns: set[str]) -> None:
        self.name, self.upstream, self.step = step.name, upstream, step
        super().__init__(spec)
        order = spec.table_order
        self.downstream = tuple(order[order.index(step.name) + 1:])  # their output is removed when this one writes
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
            return StepIndex(warehouse, spec.name, step.name, partition, run.partition_order)

        services = step_services(run.context.resources, set(self.needs), state=step_index)
        ctx = OperatorContext(pipeline=spec.name, step=step.name, partition=partition, log=run.log,
                              **services.services)
        profile = ProfileBuilder(blank_columns(self.checks), score_candidates(self.op_cls, step))
        return self.op_cls(step.config, step.inputs, step.outputs), ctx, profile, services

    def compute(self, run: NodeRun, step_input: StepInput) -> StepOutput:
        """Run the operator over the input."""
        operator, ctx, profile, services = self.prepare(run)
        out = run_operator(operator, step_input.rows, ctx, profile, drops_only=self.drops_only,
                           patch_columns=self.patch_columns)
        out.metrics.update(services.metrics())
        return out

    def storage(self, out: StepOutput) -> StepWrite:
        """How the step's output is written (a drop list, a patch or the kept rows; see ``write_step_output``)."""
        stats = {"input_rows": out.input_rows, "drop_counts": dict(out.drop_counts), "metrics": dict(out.metrics)}
        return StepWrite(self.name, out.kept, out.dropped, stats, view_of=self.upstream if self.drops_only else None,
                         side_tables=out.side_tables, patch_of=self.upstream if self.patch_columns else None,
                         changes=out.changes, downstream=self.downstream)

    def start_chain(self, run: NodeRun, step_input: StepInput) -> tuple[StepOutput, StepWrite, Future] | None:
        """At the head of a filter chain: compute the chain, queue its one write, hand the members their outputs."""
        chain = [node for node in run.chains.get(self.name, ()) if isinstance(node, StepNode)]
        if not chain:
            return None
        try:
            outputs = filter_chain([node.prepare(run)[:3] for node in chain], step_input.rows)  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - each step runs alone again, so the failing one fails as itself
            run.log.warning(f"{self.name}: the filter chain from here failed; its steps run one by one")
            return None
        stop = next((position for position, (node, output) in enumerate(zip(chain, outputs, strict=True))
                     if node.must_wait(run, output)), len(chain) - 1)
        chain, outputs = chain[:stop + 1], outputs[:stop + 1]  # steps after a failing blocking check: not written
        writes = [node.storage(output) for node, output in zip(chain, outputs, strict=True)]
        spec, partition, read_from = self.spec, run.partition, (self.upstream or "raw", step_input.write_id)
        database = getattr(run.context.resources, WAREHOUSE_KEY).database
        job = run.writer.submit(lambda conn: write_step_outputs(conn, spec.name, partition, writes, read_from,
                                                                database) or {})
        for position, node in enumerate(chain[1:], start=1):
            run.joined[node.name] = JoinedStep(outputs[position - 1].kept, outputs[position], writes[position], job)
        return outputs[0], writes[0], job

    def start(self, run: NodeRun, step_input: StepInput | None) -> tuple[PendingAsset, StepInput | None]:
        spec, step, partition, upstream = self.spec, self.step, run.partition, self.upstream or "raw"
        warehouse = getattr(run.context.resources, WAREHOUSE_KEY)
        if step_input is None:
            step_input = handed_off(warehouse.database, spec.name, upstream, partition) or run.writer.call(
                lambda conn: read_step_input(conn, spec.name, upstream, partition))
        joined = run.joined.pop(self.name, None)
        if joined is not None and joined.rows is step_input.rows:  # computed and queued by the chain's head
            out, write, job = joined.output, joined.write, joined.job
        elif (started := self.start_chain(run, step_input)) is not None:
            out, write, job = started
        else:
            out = self.compute(run, step_input)
            write, stateful, read_from = self.storage(out), "state" in self.needs, (upstream, step_input.write_id)

            def write_alone(conn: Any) -> dict[str, Any]:
                write_step_outputs(conn, spec.name, partition, [write], read_from, warehouse.database)
                return index_consistency(conn, spec.name, step.name, partition) if stateful else {}

            job = run.writer.submit(write_alone)
        checks = run.selected(self.key, self.checks)

        def describe(written: dict[str, Any]) -> tuple[dict[str, Any], list[AssetCheckResult]]:
            metrics = out.metrics | written
            outcome = StepOutcome(out.profile, out.input_rows, out.drop_counts, metrics)
            metadata = step_metadata(out.profile.num_rows, out.profile.schema, out.profile.head, out.input_rows,
                                     out.drop_counts, metrics)
            metadata |= step_histograms(run.files, spec.name, step.name, partition, out.profile.series)
            return metadata, [evaluate(self.key, check, outcome) for check in checks]

        blocking = frozenset(check.check_name for check in checks if check.is_blocking)
        wait = self.must_wait(run, out)
        return PendingAsset(self.key, job, describe, wait, blocking), StepInput(out.kept, write.write_id)

    def must_wait(self, run: NodeRun, out: StepOutput) -> bool:
        """Whether the next step must wait for this one's report: a blocking check of it failed already, or
        must see its write."""
        known = StepOutcome(out.profile, out.input_rows, out.drop_counts, out.metrics)
        return any(check.is_blocking and (written_first(check) or not evaluate(self.key, check, known).passed)
                   for check in run.selected(self.key, self.checks))
