"""The warehouse as a Dagster resource (key ``duckdb``): dagster-duckdb's ``DuckDBResource`` on one DuckDB file."""

from __future__ import annotations

import os

from dagster_duckdb import DuckDBResource

__all__ = ["DEFAULT_WAREHOUSE", "DuckDBResource", "warehouse_from_env"]

DEFAULT_WAREHOUSE = "data/warehouse/dataflow.duckdb"


def warehouse_from_env() -> DuckDBResource:
    """The DuckDB warehouse at ``DATAFLOW_WAREHOUSE`` (default data/warehouse/dataflow.duckdb)."""
    return DuckDBResource(database=os.environ.get("DATAFLOW_WAREHOUSE", DEFAULT_WAREHOUSE))
