"""The export asset's work: JSONL/Parquet of a partition's final rows and its dataset card (see asset_nodes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster import AssetCheckResult, MetadataValue

from dataflow_assets.assets.metadata import markdown_preview, step_histograms
from dataflow_assets.assets.nodes import AssetNode, NodeRun, PendingAsset
from dataflow_assets.engine.export import export_columns, export_stem, stage_export
from dataflow_assets.engine.histograms import length_columns
from dataflow_assets.engine.profile import OutputProfile, ProfileBuilder
from dataflow_assets.spec.model import PipelineSpec
from resources.warehouse.row_chunks import RowChunks
from resources.warehouse.step_store import StepInput, read_step_input, step_stats


def export_profile(spec: PipelineSpec, rows: RowChunks) -> OutputProfile:
    """The profile of the exported columns of ``rows`` (row count, preview, length series)."""
    builder = ProfileBuilder(length_columns=length_columns(spec))
    for table in rows.tables():
        builder.add(export_columns(table, spec))
    return builder.build()


class ExportNode(AssetNode):
    """JSONL/Parquet of the final rows and a dataset card with counts and drop reasons per step."""

    name = "export"

    def __init__(self, spec: PipelineSpec, upstream: str) -> None:
        self.upstream = upstream
        super().__init__(spec)
        self.checks, self.kinds, self.metadata = [], {"duckdb", "parquet"}, {}
        self.description = (f"Training-set export of {spec.name}: {', '.join(spec.export.formats)} of the final "
                            "rows and a dataset card with counts and drop reasons per step.")

    def start(self, run: NodeRun, step_input: StepInput | None) -> tuple[PendingAsset, StepInput | None]:
        spec, partition, upstream = self.spec, run.partition, self.upstream or "raw"
        twins = [key for key in run.partition_order
                 if key != partition and export_stem(key) == export_stem(partition)]
        if twins:
            raise ValueError(f"export of {partition!r} would overwrite the export of {twins[0]!r} "
                             "(same file name stem); rename one raw file")
        files, handed = run.files, step_input.rows if step_input is not None else None
        # Rows handed over in this run: the data files and the profile are made now, on the compute thread,
        # while earlier writes still run; the writer only publishes them after the last write.
        staged = stage_export(spec, partition, handed, files.export_dir(spec.name)) if handed is not None else None
        profile_now = export_profile(spec, handed) if handed is not None else None

        def export(conn: Any) -> tuple[RowChunks, list[dict[str, Any]], dict[str, Path]]:  # after the last write
            rows = handed if handed is not None else read_step_input(conn, spec.name, upstream, partition).rows
            stats = step_stats(conn, spec.name, partition, spec.table_order)
            ready = staged or stage_export(spec, partition, rows, files.export_dir(spec.name))
            return rows, stats, ready.publish(stats)

        def describe(done: tuple) -> tuple[dict[str, Any], list[AssetCheckResult]]:
            rows, stats, paths = done
            profile = profile_now or export_profile(spec, rows)
            card = paths["card"].read_text(encoding="utf-8")
            metadata: dict[str, Any] = {f"path/{kind}": MetadataValue.path(str(path)) for kind, path in paths.items()}
            metadata |= {"dagster/row_count": profile.num_rows, "dataset_card": MetadataValue.md(card),
                         "preview": MetadataValue.md(markdown_preview(profile.head)),
                         "steps": MetadataValue.json(json.loads(json.dumps(stats, default=str)))}
            return metadata | step_histograms(files, spec.name, "export", partition, profile.series), []

        job = run.writer.submit(export)
        if staged is not None:  # a failed or skipped publish leaves no temporary files behind
            job.add_done_callback(lambda done: staged.discard() if done.exception() is not None else None)
        return PendingAsset(self.key, job, describe), None
