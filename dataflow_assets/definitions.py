"""The single Dagster entry point (workspace.yaml, [tool.dg]): every pipeline spec built by the factory."""

from dataflow_assets.catalog import load_all_specs
from dataflow_assets.project import build_definitions

defs = build_definitions(load_all_specs())
