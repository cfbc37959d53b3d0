"""How a pipeline's assets map onto Dagster ops: a run of consecutive steps that call no LLM shares one op.

Every asset stays its own asset (key, checks, metadata, history; the op can subset, so one asset materializes
alone from the UI), but a chain of CPU steps runs in one op: the run pays Dagster's per-op cost (step events,
input-version lookups) once per segment, not once per asset, and each step's DuckDB write (on the op's
``WarehouseWriter`` thread) overlaps the next step's compute. A step that calls an LLM is an op of its own in
the ``llm`` pool, so a slow model never holds the ``duckdb`` pool that every other segment takes.

Failure semantics are those of one op per asset: an asset is reported materialized only after its write
committed; when a step fails, the steps before it that were computed are still written and reported; a failed
blocking ERROR check stops the segment right after its asset is reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from dagster import AssetKey, AssetsDefinition, AssetSpec, Failure, MaterializeResult, multi_asset
from dagster._core.definitions.partitions.definition import DynamicPartitionsDefinition

from dataflow_assets.asset_nodes import (
    FILES_KEY,
    WAREHOUSE_KEY,
    AssetNode,
    NodeRun,
    PendingAsset,
    RawNode,
)
from dataflow_assets.checks import check_specs
from dataflow_assets.export_node import ExportNode
from dataflow_assets.services import resource_keys
from dataflow_assets.spec import PipelineSpec
from dataflow_assets.step_node import StepNode
from resources.step_store import StepInput
from resources.warehouse_writer import WarehouseWriter


def pipeline_nodes(spec: PipelineSpec) -> list[AssetNode]:
    """The assets of a pipeline in chain order: raw, one per step, export."""
    nodes: list[AssetNode] = [RawNode(spec)]
    columns = set(spec.raw.columns)  # the columns known to exist before each step
    for step in spec.steps:
        node = StepNode(spec, step, nodes[-1].name, columns)
        columns |= node.output_columns
        nodes.append(node)
    nodes.append(ExportNode(spec, nodes[-1].name))
    return nodes


def segments(nodes: list[AssetNode]) -> list[list[AssetNode]]:
    """Consecutive nodes grouped into ops: each LLM step alone, everything between them together."""
    groups: list[list[AssetNode]] = []
    for node in nodes:
        if "llm" in node.needs or not groups or "llm" in groups[-1][-1].needs:
            groups.append([node])
        else:
            groups[-1].append(node)
    return groups


def segment_op_name(spec: PipelineSpec, nodes: list[AssetNode]) -> str:
    """``<pipeline>__<first>`` for one asset, ``<pipeline>__<first>__to__<last>`` for a segment."""
    return f"{spec.name}__{nodes[0].name}" + (f"__to__{nodes[-1].name}" if len(nodes) > 1 else "")


def segment_asset(
    spec: PipelineSpec, nodes: list[AssetNode], partitions: DynamicPartitionsDefinition
) -> AssetsDefinition:
    """One op materializing ``nodes`` (any selected subset of them) in chain order."""
    needs = {name for node in nodes for name in node.needs}
    specs = [
        AssetSpec(node.key, deps=[AssetKey([spec.name, node.upstream])] if node.upstream else [],
                  group_name=spec.name, kinds=node.kinds, description=node.description, metadata=node.metadata)
        for node in nodes
    ]
    names = ", ".join(f"`{node.name}`" for node in nodes)

    @multi_asset(
        name=segment_op_name(spec, nodes),
        specs=specs,
        check_specs=[check for node in nodes for check in check_specs(node.key, node.checks)],
        can_subset=True,
        partitions_def=partitions,
        pool="llm" if "llm" in needs else "duckdb",
        required_resource_keys={WAREHOUSE_KEY, FILES_KEY, *resource_keys(needs)},
        description=f"Materializes {names} of {spec.name} for one raw batch, in chain order.",
    )
    def run_segment(context) -> Iterator[MaterializeResult]:  # noqa: ANN001 - Dagster's AssetExecutionContext
        selected = [node for node in nodes if node.key in context.selected_asset_keys]
        with WarehouseWriter(getattr(context.resources, WAREHOUSE_KEY), name=spec.name) as writer:
            yield from run_nodes(NodeRun(context, writer), selected)

    return run_segment


def filter_chains(nodes: list[AssetNode]) -> dict[str, list[StepNode]]:
    """Runs of consecutive filters that answer together (``Filter.joins``), by their first step; 2 or more each."""
    chains: list[list[StepNode]] = []
    for node in nodes:
        chain = chains[-1] if chains else []
        if (isinstance(node, StepNode) and node.joinable and chain and node.upstream == chain[-1].name
                and chain[0].operator.joins(node.operator)):
            chain.append(node)
        elif isinstance(node, StepNode) and node.joinable:
            chains.append([node])
        else:
            chains.append([])
    return {chain[0].name: chain for chain in chains if len(chain) > 1}


def run_nodes(run: NodeRun, nodes: list[AssetNode]) -> Iterator[MaterializeResult]:
    """Compute each node, overlap its write with the next node's compute, report each once written.

    The nodes of a filter chain after its first were computed with it and only queue their (shared) write, so
    they are reported after the next node that computes anything has started, while that write runs.
    """
    run.chains = filter_chains(nodes)
    handed: StepInput | None = None
    previous: AssetNode | None = None
    pending: list[PendingAsset] = []  # started, not reported yet, in chain order
    for node in nodes:
        step_input = handed if previous is not None and node.upstream == previous.name else None
        computed_already = node.name in run.joined
        try:
            current, handed = node.start(run, step_input)
        except Exception:
            for started in pending:  # the steps before were computed: they are still written and reported
                yield started.result()
            raise
        previous = node
        pending.append(current)
        if current.wait_before_next:  # a blocking check failed already or must see the write: report it now
            for started in pending:
                yield from finish(started)
            pending = []
        elif not computed_already:
            for started in pending[:-1]:
                yield from finish(started)
            pending = pending[-1:]
    for started in pending:
        yield from finish(started)


def finish(pending: PendingAsset) -> Iterator[MaterializeResult]:
    """Report a written asset; stop the segment when one of its blocking checks failed."""
    yield pending.result()
    failed = pending.failed_blocking()
    if failed:
        names = ", ".join(check.check_name for check in failed)
        raise Failure(description=f"blocking check {names} of {pending.key.to_user_string()} failed with ERROR "
                      "severity; the later steps of this run were not run")
