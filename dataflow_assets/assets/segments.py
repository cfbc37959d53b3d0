"""How a pipeline's assets map onto Dagster ops: a run of consecutive steps that call no LLM shares one op.

Every asset stays its own asset (key, checks, metadata, history; the op can subset, so one asset materializes
alone from the UI), but a chain of CPU steps runs in one op: the run pays Dagster's per-op cost (step events,
input-version lookups) once per segment, not once per asset. The steps compute on the op's compute thread, each
step's DuckDB write runs on the op's ``WarehouseWriter`` thread, and the op's own thread reports the assets, so
writes and Dagster's per-asset work overlap the next steps' compute. A step that calls an LLM is an op of its own in
the ``llm`` pool, so a slow model never holds the ``duckdb`` pool that every other segment takes.

Failure semantics are those of one op per asset: an asset is reported materialized only after its write
committed; when a step fails, the steps before it that were computed are still written and reported; a failed
blocking ERROR check stops the segment right after its asset is reported.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from queue import SimpleQueue

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    multi_asset,
)

from dataflow_assets.assets.checks import check_specs
from dataflow_assets.assets.export_node import ExportNode
from dataflow_assets.assets.nodes import (
    FILES_KEY,
    WAREHOUSE_KEY,
    AssetNode,
    NodeRun,
    RawNode,
    RelayLog,
)
from dataflow_assets.assets.partitions import partitions_name
from dataflow_assets.assets.step_node import StepNode
from dataflow_assets.engine.services import resource_keys
from dataflow_assets.spec.model import PipelineSpec
from resources.warehouse.step_store import StepInput
from resources.warehouse.writer import WarehouseWriter


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


RUN_AHEAD = 3  # computed nodes that may wait for their report at once (each holds its output until then)


def run_nodes(run: NodeRun, nodes: list[AssetNode]) -> Iterator[MaterializeResult]:
    """Start the nodes in order on a compute thread while this (the op's) thread reports them.

    The compute thread starts each node (computes it, queues its write) and hands it over; this thread waits for
    each write, reports the asset (metadata, check results, Dagster's event handling) and stops the segment after
    a failed blocking check, so Dagster's per-asset work overlaps the next steps' compute. At most ``RUN_AHEAD``
    computed nodes wait for their report (each holds its output), and a node whose report must come before the
    next node starts (``wait_before_next``: a blocking check failed already or must see the write) holds the
    compute thread until it is reported. When a node fails, the nodes before it are still written and reported,
    then its error is raised here.
    """
    run.chains = filter_chains(nodes)
    if nodes:
        run.partition_order = run.context.instance.get_dynamic_partitions(partitions_name(nodes[0].spec.name))
    handoff: SimpleQueue = SimpleQueue()  # ("asset", pending, computed), ("log", (level, text)), ("error", e), "done"
    reported: SimpleQueue[bool] = SimpleQueue()  # for a node that waits: go on (True) or stop
    stop, ahead = threading.Event(), threading.Semaphore(RUN_AHEAD)
    run.relay = RelayLog(handoff)
    thread = threading.Thread(target=_start_nodes, args=(run, nodes, handoff, reported, stop, ahead), daemon=True,
                              name=f"{nodes[0].spec.name}-compute" if nodes else "compute")
    thread.start()
    try:
        while (item := handoff.get())[0] != "done":
            kind, value = item[:2]
            if kind == "log":
                getattr(run.context.log, value[0])(value[1])
            elif kind == "error":
                raise value
            else:
                yield value.result()
                if item[2]:  # a computed node: the compute thread may start another
                    ahead.release()
                failed = value.failed_blocking()
                if value.wait_before_next:
                    reported.put(not failed)
                if failed:
                    names = ", ".join(check.check_name for check in failed)
                    raise Failure(description=f"blocking check {names} of {value.key.to_user_string()} failed "
                                  "with ERROR severity; the later steps of this run were not run")
    finally:
        stop.set()
        reported.put(False)  # a compute thread waiting for a report that will not come stops
        ahead.release()  # ... and so does one waiting for room ahead
        thread.join()


def _start_nodes(run: NodeRun, nodes: list[AssetNode], handoff: SimpleQueue, reported: SimpleQueue,
                 stop: threading.Event, ahead: threading.Semaphore) -> None:
    """The compute thread of ``run_nodes``: start each node, hand it over, wait where the node asks to."""
    handed: StepInput | None = None
    previous: AssetNode | None = None
    try:
        for node in nodes:
            computes = node.name not in run.joined  # a chain member was computed by the chain's head
            if computes:
                ahead.acquire()
            if stop.is_set():
                return
            step_input = handed if previous is not None and node.upstream == previous.name else None
            current, handed = node.start(run, step_input)
            previous = node
            handoff.put(("asset", current, computes))
            if current.wait_before_next and not reported.get():
                return
    except BaseException as error:  # noqa: BLE001 - raised again on the op's thread, after the earlier reports
        handoff.put(("error", error))
    finally:
        handoff.put(("done", None))
