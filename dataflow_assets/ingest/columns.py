"""Column rules of raw files: names, one type per column across a file, and ``json`` columns kept as JSON text.

A column must have one type in a whole file (integers beside floating point, and nulls, unify): a file that mixes
them is refused, naming the first line that breaks the type, unless the spec declares the column ``json``, whose
values are stored as their JSON text. Names must be non-empty and differ in more than case (DuckDB and the export
treat ``Text`` and ``text`` as one column).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dataflow_assets.ingest.errors import RawFileError
from dataflow_assets.spec.model import RawSpec


def check_column_names(path: Path, names: list[str]) -> None:
    """Refuse an empty column name and names that differ only by case (DuckDB and the export would merge them)."""
    if "" in names:
        raise RawFileError(path, "a column has an empty name; name it")
    seen: dict[str, str] = {}
    for name in names:
        twin = seen.setdefault(name.lower(), name)
        if twin != name:
            raise RawFileError(path, f"columns {twin!r} and {name!r} differ only by case: the warehouse and the export "
                               "treat them as one column; rename one")


def json_text(values: list[Any]) -> pa.Array:
    """Values of a ``json`` column as JSON text (nulls stay null)."""
    return pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in values], pa.string())


def json_columns(table: pa.Table, spec: RawSpec) -> pa.Table:
    """A typed table (Parquet) with its ``json``-declared columns as JSON text."""
    for name, kind in spec.columns.items():
        if kind == "json" and name in table.column_names:
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, json_text(table.column(name).to_pylist()))
    return table


def mixed_types(path: Path, column: str, values: list[Any], lines: list[int]) -> RawFileError:
    """The error for a column whose values have no one Arrow type: the first line that breaks it (the shortest
    prefix of the values Arrow cannot type), and the type the lines before it had."""
    low, high = 1, len(values)  # values[:high] fails; find the smallest such prefix
    while low < high:
        middle = (low + high) // 2
        try:
            pa.array(values[:middle])
            low = middle + 1
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            high = middle
    before = pa.array(values[:high - 1]).type if high > 1 else pa.null()
    return RawFileError(path, _mixed(column, type(values[high - 1]).__name__, before), lines[high - 1])


def _mixed(column: str, found: str, before: pa.DataType) -> str:
    return (f"column {column!r} mixes types: {found} here, {before} on the lines before; every row must give it one "
            "type (declare it `json` in the spec's raw columns to keep any JSON value as text)")


def same_types(path: Path, schema: pa.Schema | None, block: pa.Table) -> pa.Schema:
    """The file's column types so far, with ``block``'s added: a column whose type in this block cannot be unified
    with the blocks before (a string where earlier lines had numbers, say) is a ``RawFileError`` naming the first
    line of this block that has the new type. Integers beside floating point, and nulls, unify."""
    if schema is None:
        return block.schema
    try:
        return pa.unify_schemas([schema, block.schema], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    for column_field in block.schema:
        if column_field.name not in schema.names or column_field.name == "_row_id":
            continue
        before = schema.field(column_field.name)
        try:
            pa.unify_schemas([pa.schema([before]), pa.schema([column_field])], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            column = block.column(column_field.name)
            first = int(pc.index(pc.is_valid(column), True).as_py())
            line = block.column("_row_id")[first].as_py()
            raise RawFileError(path, _mixed(column_field.name, str(column_field.type), before.type), line) from None
    raise RawFileError(path, "the file's blocks have column types that cannot be unified")
