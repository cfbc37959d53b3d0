"""``SQLDatabaseResource``: the execution databases of text-to-SQL steps (resource key ``sql``, ``ctx.sql``).

A catalog of databases by ``db_id`` in Spider/BIRD layout under ``root`` (``DATAFLOW_SQL_DATABASES``, default
``data/databases``): SQLite and DuckDB files. Every connection is read-only, every statement has a time limit
(``timeout_s``) and a row limit on what is fetched (``max_rows``), one statement per string; batches run on a
thread pool of ``workers`` threads (default: one per CPU). Each step gets its own ``SQLSession`` whose counters
become the step's metadata. A server database by URL is not supported yet.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr

from resources.sql.catalog import DatabaseCatalog
from resources.sql.engines import Limits
from resources.sql.session import SQLSession

DEFAULT_ROOT = "data/databases"


class SQLDatabaseResource(ConfigurableResource):
    """Read-only execution databases by ``db_id`` (Spider/BIRD folder layout; SQLite and DuckDB files)."""

    root: str = Field(DEFAULT_ROOT, description="Folder of <db_id>/<db_id>.sqlite (or .duckdb) databases")
    timeout_s: float = Field(5.0, gt=0, description="Time limit of one statement, seconds")
    max_rows: int = Field(10_000, ge=1, description="Most rows fetched of one result (more: the result is cut)")
    workers: int = Field(0, ge=0, description="Statements run at once (0: one per CPU)")
    sample_values: int = Field(3, ge=0, description="Distinct sample values per column in schema descriptions")

    _catalog: DatabaseCatalog | None = PrivateAttr(None)
    _pool: ThreadPoolExecutor | None = PrivateAttr(None)

    @property
    def thread_count(self) -> int:
        """Threads that run statements."""
        return self.workers or os.cpu_count() or 1

    def catalog(self) -> DatabaseCatalog:
        """The catalog (built once)."""
        if self._catalog is None:
            self._catalog = DatabaseCatalog(self.root)
        return self._catalog

    def session(self) -> SQLSession:
        """A fresh session (own counters) over the shared catalog and thread pool; new databases are seen."""
        catalog = self.catalog()
        catalog.refresh()
        if self._pool is None and self.thread_count > 1:
            self._pool = ThreadPoolExecutor(self.thread_count, thread_name_prefix="dataflow-sql")
        return SQLSession(catalog, Limits(self.timeout_s, self.max_rows), self._pool, self.thread_count,
                          self.sample_values)


def sql_from_env() -> SQLDatabaseResource:
    """The resource configured by ``DATAFLOW_SQL_*`` variables (root: ``DATAFLOW_SQL_DATABASES``)."""
    env = os.environ
    kwargs: dict[str, Any] = {"root": env.get("DATAFLOW_SQL_DATABASES") or DEFAULT_ROOT}
    for name, variable, cast in (("timeout_s", "DATAFLOW_SQL_TIMEOUT_S", float),
                                 ("max_rows", "DATAFLOW_SQL_MAX_ROWS", int), ("workers", "DATAFLOW_SQL_WORKERS", int)):
        if env.get(variable):
            kwargs[name] = cast(env[variable])
    return SQLDatabaseResource(**kwargs)
