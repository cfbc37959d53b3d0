"""What an operator sees of the execution databases: results, schemas and the ``SQLService`` protocol (``ctx.sql``).

Operators hand whole batches of ``(db_id, sql)`` pairs to the service (``resources/sql/``), which checks each
statement (one read-only statement per string), runs it on a read-only connection within a time and a row limit,
in parallel, and answers per pair. A failure never raises: it comes back as a result with ``reason`` set, in the
words a dropped row carries (``not_read_only: DELETE``, ``multiple_statements``, ``syntax_error: …``, ``timeout``,
``unknown_db_id``, ``execution_error: …``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one statement: its rows (at most the row limit) or why it did not run."""

    rows: tuple[tuple[Any, ...], ...] = ()
    columns: tuple[str, ...] = ()
    reason: str | None = None  # None: it ran
    ordered: bool = False  # the statement has a top-level ORDER BY: row order is part of its result
    truncated: bool = False  # more rows than the row limit; ``rows`` holds the first ones
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the statement ran."""
        return self.reason is None


def _canonical(value: Any) -> Any:
    """A value as compared across results: floats rounded (engines differ in the last bits), ints as floats."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        return round(float(value), 9)
    return value


def _row_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(_canonical(value) for value in row)


def same_result(first: ExecResult, second: ExecResult) -> bool:
    """Whether two statements' results are the same: equal rows as a multiset, and in the same order when either
    statement orders (a top-level ORDER BY). Column names do not matter; failed results are never the same."""
    if not (first.ok and second.ok) or first.truncated != second.truncated or len(first.rows) != len(second.rows):
        return False
    a, b = [_row_key(r) for r in first.rows], [_row_key(r) for r in second.rows]
    if first.ordered or second.ordered:
        return a == b
    return Counter(a) == Counter(b)


def result_key(result: ExecResult) -> tuple[Any, ...] | None:
    """A hashable key equal for results that ``same_result`` calls the same when neither orders (None: failed)."""
    if not result.ok:
        return None
    keys = [_row_key(r) for r in result.rows]
    rows = tuple(keys) if result.ordered else tuple(sorted(Counter(keys).items(), key=repr))
    return (result.ordered, result.truncated, rows)


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a table: name, declared type, key flags and a few distinct sample values."""

    name: str
    type: str
    primary_key: bool = False
    samples: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ForeignKey:
    """``table.column`` references ``ref_table.ref_column``."""

    table: str
    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class DatabaseSchema:
    """What a prompt needs of a database: CREATE statements, columns with sample values, foreign keys."""

    db_id: str
    engine: str  # "SQLite" or "DuckDB"
    create_statements: tuple[str, ...]
    tables: dict[str, tuple[ColumnInfo, ...]] = field(default_factory=dict)
    foreign_keys: tuple[ForeignKey, ...] = ()

    def compact(self, sample_values: bool = True) -> str:
        """The schema in few tokens: one line per table, ``name TYPE`` per column, keys and sample values inline."""
        references = {(fk.table, fk.column): f"{fk.ref_table}.{fk.ref_column}" for fk in self.foreign_keys}
        lines = []
        for table, columns in self.tables.items():
            parts = []
            for c in columns:
                part = f"{c.name} {c.type}".strip() + (" PRIMARY KEY" if c.primary_key else "")
                if (table, c.name) in references:
                    part += f" REFERENCES {references[(table, c.name)]}"
                if sample_values and c.samples:
                    part += " e.g. " + ", ".join(repr(v) for v in c.samples)
                parts.append(part)
            lines.append(f"{table}({'; '.join(parts)})")
        return "\n".join(lines)

    def describe(self, sample_values: bool = True) -> str:
        """The schema as prompt text: each CREATE statement, then sample values per column and the foreign keys."""
        parts = [statement.strip().rstrip(";") + ";" for statement in self.create_statements]
        if sample_values:
            for table, columns in self.tables.items():
                samples = [f"  {table}.{c.name}: {', '.join(repr(v) for v in c.samples)}" for c in columns if c.samples]
                if samples:
                    parts.append(f"-- sample values of {table}\n" + "\n".join(samples))
        if self.foreign_keys:
            parts.append("-- foreign keys\n" + "\n".join(
                f"  {fk.table}.{fk.column} -> {fk.ref_table}.{fk.ref_column}" for fk in self.foreign_keys))
        return "\n\n".join(parts)


@runtime_checkable
class SQLService(Protocol):
    """The execution databases as operators use them; ``resources.sql.session.SQLSession`` implements it."""

    def db_ids(self) -> list[str]:
        """The catalog's database ids, sorted."""
        ...

    def check(self, pairs: Sequence[tuple[str, str]]) -> list[str | None]:
        """For each ``(db_id, sql)``: None when it is one read-only statement whose plan succeeds, else the reason."""
        ...

    def execute(self, pairs: Sequence[tuple[str, str]], need_order: bool = True,
                keep_rows: bool = True) -> list[ExecResult]:
        """Run each ``(db_id, sql)`` within the limits (in parallel), answers in order (``need_order`` False: skip
        finding whether each statement orders its rows; ``keep_rows`` False: answer without the rows)."""
        ...

    def schema(self, db_id: str) -> DatabaseSchema:
        """The schema of one database (``KeyError`` for an unknown id)."""
        ...


def require_sql(sql: object, operator: str) -> SQLService:
    """The context's SQL service, or a clear error when the step was built without one."""
    if sql is None:
        raise RuntimeError(f"{operator} needs the execution databases (ctx.sql is None): give the step a sql resource")
    return sql  # type: ignore[return-value]
