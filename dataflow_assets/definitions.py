"""The single Dagster entry point (workspace.yaml, [tool.dg]): every pipeline spec built by the factory."""

from dataflow_assets.assets.project import build_definitions
from dataflow_assets.spec.catalog import load_all_specs

defs = build_definitions(load_all_specs())
