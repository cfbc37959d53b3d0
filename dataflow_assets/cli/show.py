"""Read a step's stored rows back from the warehouse (``dataflow show``): kept rows or dropped rows with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from resources.warehouse.connection import quote, table_exists, table_name
from resources.warehouse.opening import open_warehouse
from resources.warehouse.step_store import STATS_TABLE

CELL_CHARS = 60


class ShowError(LookupError):
    """What was asked for is not in the warehouse; the message says what is there instead."""


@dataclass
class StepRows:
    """Rows of one step table (up to a limit) and how many there are in all."""

    table: pa.Table
    total: int
    relation: str


def _names(conn: duckdb.DuckDBPyConnection, query: str, params: list[str]) -> list[str]:
    return [row[0] for row in conn.execute(query, params).fetchall()]


def _check_relation(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, dropped: bool) -> str:
    schemas = _names(conn, "SELECT DISTINCT table_schema FROM information_schema.tables "
                           "WHERE table_schema NOT IN ('main', '_dataflow') ORDER BY 1", [])
    if pipeline not in schemas:
        raise ShowError(f"no pipeline {pipeline!r} in the warehouse; pipelines: {', '.join(schemas) or 'none yet'}")
    if not table_exists(conn, pipeline, step):
        tables = _names(conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                              "AND table_name NOT LIKE '%\\_\\_%' ESCAPE '\\' ORDER BY 1", [pipeline])
        raise ShowError(f"no step {step!r} in pipeline {pipeline!r}; steps: {', '.join(tables)}")
    relation = f"{step}__dropped" if dropped else step
    if dropped and not table_exists(conn, pipeline, relation):
        raise ShowError(f"step {pipeline}/{step} drops no rows (it is not a filter): no dropped rows to show")
    return relation


def _check_current(conn: duckdb.DuckDBPyConnection, pipeline: str, step: str, partition: str) -> None:
    """A ``ShowError`` when the partition is in the pipeline but this step's output of it is not current."""
    if not table_exists(conn, "_dataflow", "step_stats"):
        return
    steps = _names(conn, f"SELECT step FROM {STATS_TABLE} WHERE pipeline = ? AND _partition = ?", [pipeline, partition])
    if steps and step not in steps:
        raise ShowError(f"step {pipeline}/{step} is not materialized for partition {partition!r}: a step before it "
                        "was rewritten since (the raw file changed, say) or the run stopped before it; materialize "
                        "it again")


def read_step_rows(
    database: Path | str, pipeline: str, step: str, partition: str | None = None, dropped: bool = False,
    limit: int = 20,
) -> StepRows:
    """Up to ``limit`` rows of a step (or its dropped rows), in partition and row-id order, read-only."""
    with open_warehouse(str(database), read_only=True) as conn:
        relation = _check_relation(conn, pipeline, step, dropped)
        source = table_name(pipeline, relation)
        where, params = ("WHERE _partition = ?", [partition]) if partition is not None else ("", [])
        total = conn.execute(f"SELECT count(*) FROM {source} {where}", params).fetchall()[0][0]
        if partition is not None and total == 0:
            _check_current(conn, pipeline, step, partition)
            partitions = _names(conn, f"SELECT DISTINCT _partition FROM {source} ORDER BY 1", [])
            raise ShowError(f"no rows for partition {partition!r} in {pipeline}/{relation}; "
                            f"partitions: {', '.join(partitions) or 'none'}")
        columns = [row[0] for row in conn.execute(f"DESCRIBE {source}").fetchall()]
        first = [c for c in ("_partition", "_row_id", "_drop_reason") if c in columns]
        order = ", ".join(quote(c) for c in first + [c for c in columns if c not in first])
        table = conn.sql(f"SELECT {order} FROM {source} {where} ORDER BY _partition, _row_id LIMIT {int(limit)}",
                         params=params).to_arrow_table()
    return StepRows(table, total, f"{pipeline}/{relation}")


def _cell(value: object, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ⏎ ").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_rows(table: pa.Table, cell_chars: int = CELL_CHARS) -> str:
    """Rows as an aligned text table (long cells cut, newlines shown as ⏎)."""
    names = table.column_names
    cells = [[_cell(row[name], cell_chars) for name in names] for row in table.to_pylist()]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(names)]
    lines = ["  ".join(name.ljust(w) for name, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)
