"""The one factory: a validated pipeline spec becomes raw, step and export assets, checks, a job and a sensor.

Each asset's work is a node (``dataflow_assets/assets/nodes.py``); consecutive nodes share an op as a segment
(``dataflow_assets/assets/segments.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DynamicPartitionsDefinition,
    SensorDefinition,
    define_asset_job,
    in_process_executor,
)

from dataflow_assets.assets.metadata import pipeline_description
from dataflow_assets.assets.nodes import FILES_KEY, WAREHOUSE_KEY
from dataflow_assets.assets.partitions import partitions_for, partitions_name
from dataflow_assets.assets.segments import pipeline_nodes, segment_asset, segments
from dataflow_assets.spec.model import PipelineSpec
from sensors.raw_files import build_raw_file_sensor

if TYPE_CHECKING:  # define_asset_job's return type, a type hint only: it has no public name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

__all__ = ["FILES_KEY", "WAREHOUSE_KEY", "PipelineDefinitions", "asset_key", "build_pipeline", "partitions_for",
           "partitions_name"]


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


def build_pipeline(spec: PipelineSpec) -> PipelineDefinitions:
    """Turn a (validated) spec into Dagster definitions."""
    partitions = partitions_for(spec)
    assets = [segment_asset(spec, nodes, partitions) for nodes in segments(pipeline_nodes(spec))]
    job = define_asset_job(
        name=f"{spec.name}_job",
        selection=AssetSelection.groups(spec.name),
        executor_def=in_process_executor,
        description=f"Materialize every step of {spec.name} for one raw batch.\n\n{pipeline_description(spec)}",
    )
    sensor = build_raw_file_sensor(spec, job, partitions)
    return PipelineDefinitions(spec, partitions, assets, job, sensor)
