"""Column types across batches: a stored column is widened losslessly to hold a new batch, or the write stops.

DuckDB casts an inserted value to the stored column's type without a word: a ``0.75`` becomes ``1`` in a ``BIGINT``
column, an ``ok: 1`` becomes ``true`` in a ``BOOLEAN`` one, a struct field the stored struct lacks disappears. So a
write compares each incoming column type with the stored one first (``widened``): equal types, and a batch whose
values fit the stored type without loss (an integer into a floating-point column, a struct with fewer fields), go in
as they are; a stored type that can hold both after a lossless change (a wider integer, integer to ``DOUBLE``, a
struct gaining fields, the same rules inside lists and structs) is changed first; anything else is a
``SchemaDriftError`` naming the batch, the column, the stored type and the new one.
"""

from __future__ import annotations

import duckdb

INTEGERS = ("tinyint", "smallint", "integer", "bigint", "hugeint")  # signed, by width
UNSIGNED = ("utinyint", "usmallint", "uinteger", "ubigint")
FLOATS = ("float", "double")


class SchemaDriftError(ValueError):
    """A batch whose column type the stored column cannot take without losing or changing values."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def widened(stored: str, incoming: str) -> str | None:
    """The type (as DuckDB writes it) a column must have to hold its stored values and a batch of type ``incoming``
    without loss, or None when no such type exists. Returns ``stored`` itself when the batch fits as it is."""
    if stored == incoming:
        return stored
    merged = _merge(duckdb.sqltype(stored), duckdb.sqltype(incoming))
    if merged is None:
        return None
    return stored if str(merged) == str(duckdb.sqltype(stored)) else str(merged)


def _merge(stored: duckdb.DuckDBPyType, incoming: duckdb.DuckDBPyType) -> duckdb.DuckDBPyType | None:
    kind, new = stored.id, incoming.id
    if str(stored) == str(incoming) or new == "null":
        return stored
    if kind == "null":
        return incoming
    if kind in INTEGERS + UNSIGNED + FLOATS and new in INTEGERS + UNSIGNED + FLOATS:
        return _merge_numbers(stored, incoming)
    if kind == new == "list":
        child = _merge(stored.children[0][1], incoming.children[0][1])
        return None if child is None else duckdb.sqltype(f"{child}[]")
    if kind == new == "struct":
        return _merge_structs(stored, incoming)
    return None


def _merge_numbers(stored: duckdb.DuckDBPyType, incoming: duckdb.DuckDBPyType) -> duckdb.DuckDBPyType | None:
    kind, new = stored.id, incoming.id
    if kind in FLOATS or new in FLOATS:  # an integer beside floating point: DOUBLE holds both (up to 2**53)
        return stored if kind == "double" else duckdb.sqltype("DOUBLE")
    if kind in INTEGERS and new in INTEGERS:
        return stored if INTEGERS.index(kind) >= INTEGERS.index(new) else incoming
    if kind in UNSIGNED and new in UNSIGNED:
        return stored if UNSIGNED.index(kind) >= UNSIGNED.index(new) else incoming
    signed, unsigned = (kind, new) if kind in INTEGERS else (new, kind)  # a signed type wider than the unsigned one
    wide = INTEGERS[max(INTEGERS.index(signed), UNSIGNED.index(unsigned) + 1)]
    return duckdb.sqltype(wide.upper())


def _merge_structs(stored: duckdb.DuckDBPyType, incoming: duckdb.DuckDBPyType) -> duckdb.DuckDBPyType | None:
    fields = dict(stored.children)
    for name, field_type in incoming.children:
        if name in fields:
            merged = _merge(fields[name], field_type)
            if merged is None:
                return None
            fields[name] = merged
        else:
            fields[name] = field_type
    return duckdb.sqltype("STRUCT(" + ", ".join(f"{_quote(name)} {kind}" for name, kind in fields.items()) + ")")


def drift_message(where: str, partition: str, column: str, stored: str, incoming: str) -> str:
    """The error for a column whose new type the stored column cannot take."""
    return (f"{partition}: column {column!r} of {where} is stored as {stored}, but this batch has {incoming}; a stored "
            "column is only widened without loss (a wider integer, integer to DOUBLE, a struct gaining fields). "
            "Make the column's type match the earlier batches, or declare it `json` in the spec's raw columns to "
            "store any JSON value as text")
