"""The storage shapes of a step in DuckDB: the views of a pure filter (over its drop list), the patch view of an
in-place refiner, and the table slot of a copying step; each change of shape cleans up the previous one.

A view is shown only for the partitions the step completed (``completed_partitions``): see ``step_writes``.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from operators.base import REASON_COLUMN
from resources.warehouse.catalog import SchemaCatalog, view_fingerprint
from resources.warehouse.connection import quote, table_name
from resources.warehouse.step_store import SYSTEM, completed_partitions


def drop_list_names(names: Sequence[str], upstream: Sequence[str] | set[str]) -> list[str]:
    """What a pure filter's drop list keeps of its dropped rows' columns ``names``: the system columns, the
    reason, and the columns the filter added (those its ``upstream`` lacks)."""
    return [name for name in names if name not in upstream or name in SYSTEM or name == REASON_COLUMN]


def define_view(conn: duckdb.DuckDBPyConnection, catalog: SchemaCatalog, step: str, select: str) -> None:
    """Make ``step`` the view ``select`` (a step table of that name is dropped); an unchanged view is kept."""
    if catalog.has_view(step, select):
        return
    name = table_name(catalog.schema, step)
    if catalog.kind(step) == "BASE TABLE":  # the step was a copying step before
        conn.execute(f"DROP TABLE {name}")
    conn.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
    conn.execute(f"COMMENT ON VIEW {name} IS '{view_fingerprint(select)}'")
    catalog.note_view(step, select)


def ensure_filter_views(conn: duckdb.DuckDBPyConnection, catalog: SchemaCatalog, step: str, upstream: str) -> None:
    """The step (upstream rows without the drops) and ``<step>__dropped`` (upstream rows of the drops, with
    their reason and the columns the filter added)."""
    pipeline = catalog.schema
    source, drops = table_name(pipeline, upstream), table_name(pipeline, step + "__drops")
    define_view(conn, catalog, step, f"SELECT u.* FROM {source} u SEMI JOIN {completed_partitions(pipeline, step)} c "
                                      f"USING (_partition) ANTI JOIN {drops} d USING (_partition, _row_id)")
    define_view(conn, catalog, step + "__dropped", f"SELECT u.*, d.* EXCLUDE (_partition, _row_id) FROM {source} u "
                                                    f"JOIN {drops} d USING (_partition, _row_id)")


def ensure_drop_list(conn: duckdb.DuckDBPyConnection, catalog: SchemaCatalog, step: str, upstream: str) -> None:
    """Before a pure filter's drop list is written: a ``<step>__dropped`` table (the step stored whole dropped
    rows before) becomes the drop list ``<step>__drops``, its other partitions kept, and is dropped."""
    dropped, drops = step + "__dropped", step + "__drops"
    if catalog.kind(dropped) != "BASE TABLE":
        return
    if catalog.columns(drops) is None:
        described = conn.execute(f"DESCRIBE {table_name(catalog.schema, upstream)}").fetchall()
        upstream_columns = {row[0] for row in described}
        old = catalog.columns(dropped) or {}
        kept = drop_list_names(list(old), upstream_columns)
        conn.execute(f"CREATE TABLE {table_name(catalog.schema, drops)} AS SELECT "
                     f"{', '.join(quote(name) for name in kept)} FROM {table_name(catalog.schema, dropped)}")
        catalog.note_table(drops, {name: old[name] for name in kept})
    conn.execute(f"DROP TABLE {table_name(catalog.schema, dropped)}")
    catalog.note_dropped(dropped)


def ensure_patch_view(conn: duckdb.DuckDBPyConnection, catalog: SchemaCatalog, step: str, upstream: str) -> None:
    pipeline = catalog.schema
    changes = table_name(pipeline, step + "__changes")
    columns = [name for name in catalog.columns(step + "__changes") or {} if name not in SYSTEM]
    patched = ", ".join(f"CASE WHEN c._row_id IS NULL THEN u.{quote(name)} ELSE c.{quote(name)} END AS {quote(name)}"
                        for name in columns)
    define_view(conn, catalog, step, f"SELECT u.* REPLACE ({patched}) FROM {table_name(pipeline, upstream)} u "
                                      f"SEMI JOIN {completed_partitions(pipeline, step)} k USING (_partition) "
                                      f"LEFT JOIN {changes} c ON u._partition = c._partition AND u._row_id = c._row_id")


def ensure_table_slot(conn: duckdb.DuckDBPyConnection, catalog: SchemaCatalog, step: str) -> None:
    for name in (step, step + "__dropped"):
        if catalog.kind(name) == "VIEW":  # the step was a view-backed filter before
            conn.execute(f"DROP VIEW {table_name(catalog.schema, name)}")
            catalog.note_dropped(name)
    if catalog.kind(step + "__drops") == "BASE TABLE":  # its drop list: the dropped rows are stored whole now
        conn.execute(f"DROP TABLE {table_name(catalog.schema, step + '__drops')}")
        catalog.note_dropped(step + "__drops")
