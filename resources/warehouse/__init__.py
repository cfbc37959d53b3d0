"""The DuckDB warehouse (resource key ``duckdb``) and the storage engine under it: connections, step writes in one
transaction, drop lists and patches, dedup indexes, partitions as in-memory or spilled row chunks.

The storage engine never needs Dagster, and the parts of ``dataflow_assets`` that run without Dagster use it, so the
resource and its builder are imported from ``resources.warehouse.resource`` on first use, not with this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resources.warehouse.resource import DEFAULT_WAREHOUSE, DuckDBResource, warehouse_from_env

__all__ = ["DEFAULT_WAREHOUSE", "DuckDBResource", "warehouse_from_env"]


def __getattr__(name: str) -> Any:
    """The resource exports, imported when first asked for (PEP 562)."""
    if name in __all__:
        from resources.warehouse import resource

        return getattr(resource, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
