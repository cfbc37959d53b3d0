"""The one factory: a validated pipeline spec becomes raw, step and export assets, checks, a job and a sensor."""


import json
from dataclasses import dataclass

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DynamicPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    SensorDefinition,
    asset,
    define_asset_job,
    in_process_executor,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from dataflow_assets.checks import StepOutcome, blank_columns, check_specs, evaluate, step_checks
from dataflow_assets.export import export_columns, export_stem, write_export
from dataflow_assets.histograms import length_columns, score_candidates, step_histograms
from dataflow_assets.metadata import markdown_preview, pipeline_description, step_metadata
from dataflow_assets.profile import ProfileBuilder
from dataflow_assets.raw_stream import read_raw_chunks
from dataflow_assets.services import resource_keys, step_services
from dataflow_assets.spec import PipelineSpec, StepSpec
from dataflow_assets.step_run import run_operator
from operators.base import OperatorContext, OperatorKind
from operators.registry import get_operator
from resources.step_index import StepIndex, index_consistency
from resources.step_store import handed_off, read_step_input, step_stats, write_step_output
from resources.warehouse import connect
from sensors.raw_files import build_raw_file_sensor

WAREHOUSE_KEY = "duckdb"
FILES_KEY = "files"


@dataclass
class PipelineDefinitions:
    """Everything the factory builds for one spec."""

    spec: PipelineSpec
    partitions: DynamicPartitionsDefinition
    assets: list[AssetsDefinition]
    job: UnresolvedAssetJobDefinition
    sensor: SensorDefinition


def asset_key(spec: PipelineSpec, step: str) -> AssetKey:
    """``<pipeline>/<step>``."""
    return AssetKey([spec.name, step])


def partitions_name(pipeline: str) -> str:
    """Name of a pipeline's dynamic partitions (one partition per raw batch file)."""
    return f"{pipeline}__batches"


def partitions_for(spec: PipelineSpec) -> DynamicPartitionsDefinition:
    """The dynamic partitions of a pipeline: one per raw batch file."""
    return DynamicPartitionsDefinition(name=partitions_name(spec.name))


def build_pipeline(spec: PipelineSpec) -> PipelineDefinitions:
    """Turn a (validated) spec into Dagster definitions."""
    partitions = partitions_for(spec)
    assets = [_raw_asset(spec, partitions)]
    upstream = "raw"
    columns = set(spec.raw.columns)  # the columns known to exist before each step
    for step in spec.steps:
        assets.append(_step_asset(spec, step, upstream, partitions, columns))
        columns |= set(get_operator(step.op)(step.config, step.inputs, step.outputs).output_map.values())
        upstream = step.name
    assets.append(_export_asset(spec, upstream, partitions))
    job = define_asset_job(
        name=f"{spec.name}_job",
        selection=AssetSelection.groups(spec.name),
        executor_def=in_process_executor,
        description=f"Materialize every step of {spec.name} for one raw batch.\n\n{pipeline_description(spec)}",
    )
    sensor = build_raw_file_sensor(spec, job, partitions)
    return PipelineDefinitions(spec, partitions, assets, job, sensor)


def _raw_asset(spec: PipelineSpec, partitions: DynamicPartitionsDefinition) -> AssetsDefinition:
    @asset(
        key=asset_key(spec, "raw"),
        partitions_def=partitions,
        group_name=spec.name,
        kinds={"duckdb"},
        pool="duckdb",
        required_resource_keys={WAREHOUSE_KEY, FILES_KEY},
        description=f"Raw batch of {spec.name}: one file from its raw folder, parsed and validated "
        f"(columns {spec.raw.columns}), each row with a stable `_row_id` (line in the file).\n\n"
        + pipeline_description(spec),
    )
    def raw(context: AssetExecutionContext) -> MaterializeResult:
        files = getattr(context.resources, FILES_KEY)
        path = files.raw_file(spec.name, context.partition_key)
        batch = read_raw_chunks(path, spec.raw)
        if batch.replaced_lines:
            context.log.warning(f"{path}: invalid UTF-8 replaced with U+FFFD on lines {batch.replaced_lines[:20]}")
        with connect(getattr(context.resources, WAREHOUSE_KEY)) as conn:
            stats = {"input_rows": batch.rows.num_rows}
            write_step_output(conn, spec.name, "raw", context.partition_key, batch.rows, None, stats)
        builder = ProfileBuilder(length_columns=length_columns(spec))
        for table in batch.rows.tables():
            builder.add(table)
        profile = builder.build()
        metadata = step_metadata(profile.num_rows, profile.schema, profile.head, None, {}, {})
        metadata |= {"source": MetadataValue.path(str(path)), "sha256": batch.sha256,
                     "size_bytes": batch.size_bytes, "utf8_replaced_lines": len(batch.replaced_lines),
                     "chunks": len(batch.rows.chunks)}
        metadata |= step_histograms(files, spec.name, "raw", context.partition_key, profile.series)
        return MaterializeResult(metadata=metadata)

    return raw


def _step_asset(
    spec: PipelineSpec, step: StepSpec, upstream: str, partitions: DynamicPartitionsDefinition, columns: set[str]
) -> AssetsDefinition:
    op_cls = get_operator(step.op)
    key = asset_key(spec, step.name)
    checks = step_checks(step, stateful="state" in op_cls.requires)
    needs = set(op_cls.requires)
    stores_only_drops = op_cls.kind == OperatorKind.FILTER and not op_cls.outputs
    written = sorted(op_cls(step.config, step.inputs, step.outputs).output_map.values())
    in_place = op_cls.kind == OperatorKind.REFINE and op_cls.row_wise and written and set(written) <= columns
    patch_columns = written if in_place else None  # stores only the rows it changed, as a patch view
    description = (step.description or op_cls.description or step.op) + f"\n\nOperator `{step.op}` ({op_cls.kind})."

    @asset(
        key=key,
        deps=[asset_key(spec, upstream)],
        partitions_def=partitions,
        group_name=spec.name,
        kinds={"duckdb", *sorted(needs & {"llm", "sql"})},
        pool="llm" if "llm" in needs else "duckdb",
        required_resource_keys={WAREHOUSE_KEY, FILES_KEY, *resource_keys(needs)},
        check_specs=check_specs(key, checks),
        description=description,
        metadata={"operator": step.op, "kind": str(op_cls.kind),
                  "config": MetadataValue.json(step.config), "inputs": MetadataValue.json(step.inputs),
                  "outputs": MetadataValue.json(step.outputs)},
    )
    def run_step(context: AssetExecutionContext) -> MaterializeResult:
        partition = context.partition_key
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        step_input = handed_off(warehouse.database, spec.name, upstream, partition)
        if step_input is None:
            with connect(warehouse) as conn:
                step_input = read_step_input(conn, spec.name, upstream, partition)
        operator = op_cls(step.config, step.inputs, step.outputs)

        def step_index() -> StepIndex:  # ctx.state of dedup steps: the partitions before this one, in ingest order
            order = context.instance.get_dynamic_partitions(partitions_name(spec.name))
            return StepIndex(warehouse, spec.name, step.name, partition, order)

        services = step_services(context.resources, needs, state=step_index)
        ctx = OperatorContext(pipeline=spec.name, step=step.name, partition=partition, log=context.log,
                              **services.services)
        profile = ProfileBuilder(blank_columns(checks), score_candidates(op_cls, step))
        out = run_operator(operator, step_input.rows, ctx, profile, drops_only=stores_only_drops,
                           patch_columns=patch_columns)
        out.metrics.update(services.metrics())
        stats = {"input_rows": out.input_rows, "drop_counts": out.drop_counts, "metrics": out.metrics}
        with connect(warehouse) as conn:
            write_step_output(conn, spec.name, step.name, partition, out.kept, out.dropped, stats,
                              view_of=upstream if stores_only_drops else None,
                              read_from=(upstream, step_input.write_id), side_tables=out.side_tables,
                              patch_of=upstream if patch_columns else None, changes=out.changes)
            if "state" in needs:
                out.metrics.update(index_consistency(conn, spec.name, step.name, partition))
        outcome = StepOutcome(out.profile, out.input_rows, out.drop_counts, out.metrics)
        return MaterializeResult(
            metadata=step_metadata(out.profile.num_rows, out.profile.schema, out.profile.head, out.input_rows,
                                   out.drop_counts, out.metrics)
            | step_histograms(getattr(context.resources, FILES_KEY), spec.name, step.name, partition,
                              out.profile.series),
            check_results=[evaluate(key, check, outcome) for check in checks],
        )

    return run_step


def _export_asset(spec: PipelineSpec, upstream: str, partitions: DynamicPartitionsDefinition) -> AssetsDefinition:
    @asset(
        key=asset_key(spec, "export"),
        deps=[asset_key(spec, upstream)],
        partitions_def=partitions,
        group_name=spec.name,
        kinds={"duckdb", "parquet"},
        pool="duckdb",
        required_resource_keys={WAREHOUSE_KEY, FILES_KEY},
        description=f"Training-set export of {spec.name}: {', '.join(spec.export.formats)} of the final rows "
        "and a dataset card with counts and drop reasons per step.",
    )
    def export(context: AssetExecutionContext) -> MaterializeResult:
        partition = context.partition_key
        twins = [key for key in context.instance.get_dynamic_partitions(partitions_name(spec.name))
                 if key != partition and export_stem(key) == export_stem(partition)]
        if twins:
            raise ValueError(f"export of {partition!r} would overwrite the export of {twins[0]!r} "
                             "(same file name stem); rename one raw file")
        with connect(getattr(context.resources, WAREHOUSE_KEY)) as conn:
            rows = read_step_input(conn, spec.name, upstream, partition).rows
            stats = step_stats(conn, spec.name, partition, spec.table_order)
        files = getattr(context.resources, FILES_KEY)
        paths = write_export(spec, partition, rows, files.export_dir(spec.name), stats)
        builder = ProfileBuilder(length_columns=length_columns(spec))
        for table in rows.tables():
            builder.add(export_columns(table, spec))
        profile = builder.build()
        card = paths["card"].read_text(encoding="utf-8")
        metadata = {f"path/{kind}": MetadataValue.path(str(path)) for kind, path in paths.items()}
        metadata |= {"dagster/row_count": profile.num_rows, "dataset_card": MetadataValue.md(card),
                     "preview": MetadataValue.md(markdown_preview(profile.head)),
                     "steps": MetadataValue.json(json.loads(json.dumps(stats, default=str)))}
        metadata |= step_histograms(files, spec.name, "export", partition, profile.series)
        return MaterializeResult(metadata=metadata)

    return export
