"""A stored column takes a new batch's type only when no value changes: widened, or refused with both types."""

from __future__ import annotations

import pytest

from resources.warehouse.column_types import widened

CASES = [
    ("BIGINT", "BIGINT", "BIGINT"),
    ("BIGINT", '"NULL"', "BIGINT"),  # an all-null batch fits anything
    ('"NULL"', "VARCHAR", "VARCHAR"),  # a column that only held nulls takes the first real type
    ("BIGINT", "DOUBLE", "DOUBLE"),  # 0.75 into integers: widen, never round
    ("DOUBLE", "BIGINT", "DOUBLE"),  # integers into floating point: fit as they are
    ("INTEGER", "BIGINT", "BIGINT"),
    ("BIGINT", "INTEGER", "BIGINT"),
    ("FLOAT", "DOUBLE", "DOUBLE"),
    ("UINTEGER", "INTEGER", "BIGINT"),  # a signed type wide enough for both
    ("BIGINT[]", "DOUBLE[]", "DOUBLE[]"),
    ("STRUCT(a BIGINT)", "STRUCT(a BIGINT, b VARCHAR)", "STRUCT(a BIGINT, b VARCHAR)"),  # a field is added
    ("STRUCT(a BIGINT, b VARCHAR)", "STRUCT(a BIGINT)", "STRUCT(a BIGINT, b VARCHAR)"),  # a field missing: null
    ("STRUCT(a BIGINT)", "STRUCT(a DOUBLE)", "STRUCT(a DOUBLE)"),
    ("STRUCT(a BIGINT)[]", "STRUCT(b VARCHAR)[]", "STRUCT(a BIGINT, b VARCHAR)[]"),
    ("BOOLEAN", "BIGINT", None),  # ok: 1 into booleans would become true
    ("BIGINT", "BOOLEAN", None),
    ("BIGINT", "VARCHAR", None),
    ("VARCHAR", "BIGINT", None),  # 1 into text would become '1'
    ("STRUCT(a BIGINT)", "STRUCT(a VARCHAR)", None),
    ("BIGINT[]", "BIGINT", None),
    ("TIMESTAMP", "DATE", None),
]


@pytest.mark.parametrize(("stored", "incoming", "expected"), CASES)
def test_widened(stored: str, incoming: str, expected: str | None) -> None:
    assert widened(stored, incoming) == expected
