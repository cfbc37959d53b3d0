"""A pipeline's partitions: one dynamic partition per raw batch file."""

from __future__ import annotations

from dagster import DynamicPartitionsDefinition

from dataflow_assets.spec.model import PipelineSpec


def partitions_name(pipeline: str) -> str:
    """Name of a pipeline's dynamic partitions (one partition per raw batch file)."""
    return f"{pipeline}__batches"


def partitions_for(spec: PipelineSpec) -> DynamicPartitionsDefinition:
    """The dynamic partitions of a pipeline: one per raw batch file."""
    return DynamicPartitionsDefinition(name=partitions_name(spec.name))
