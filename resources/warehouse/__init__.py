"""The DuckDB warehouse (resource key ``duckdb``) and the storage engine under it: connections, step writes in one
transaction, drop lists and patches, dedup indexes, partitions as in-memory or spilled row chunks."""

from dagster_duckdb import DuckDBResource

from resources.warehouse.resource import DEFAULT_WAREHOUSE, warehouse_from_env

__all__ = ["DEFAULT_WAREHOUSE", "DuckDBResource", "warehouse_from_env"]
