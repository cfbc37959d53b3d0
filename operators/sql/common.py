"""Shared by the text-to-SQL LLM operators: SQL out of a reply, schema text per database, rows fanned out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pyarrow as pa
from pydantic import Field

from operators.base import set_column
from operators.prompted.base import LLMConfig
from operators.services.llm import LLMReply
from operators.services.sql import SQLService

SQL_BLOCK = re.compile(r"```\s*sql\s*\n?(.*?)(?:```|$)", re.DOTALL | re.IGNORECASE)
ANY_BLOCK = re.compile(r"```[A-Za-z]*\s*\n(.*?)(?:```|$)", re.DOTALL)
BARE_QUERY = re.compile(r"\b(?:SELECT|WITH)\b.*", re.DOTALL | re.IGNORECASE)


def extract_sql(text: str | None) -> str | None:
    """The SQL of a reply: the last fenced ``sql`` block (else the last fenced block, else the text from the first
    SELECT / WITH), up to its first ``;`` or blank line; None when there is none."""
    if not text:
        return None
    blocks = SQL_BLOCK.findall(text) or ANY_BLOCK.findall(text)
    if blocks:
        candidate = blocks[-1]
    else:
        found = BARE_QUERY.search(text)
        candidate = re.split(r"\n\s*\n", found.group(0))[0] if found else ""
    candidate = candidate.split(";")[0].strip()
    return candidate if BARE_QUERY.match(candidate) or candidate.startswith("(") else None


class SchemaConfig(LLMConfig):
    """Settings of operators that show the model a database schema."""

    schema_style: Literal["create", "compact"] = Field(
        "create", description="create: CREATE statements + sample values + foreign keys; compact: one line per table")
    sample_values: bool = Field(True, description="Show a few distinct values per column")


class SchemaTexts:
    """Schema prompt text per ``db_id``, read once per batch; None for an unknown id."""

    def __init__(self, service: SQLService, config: Any) -> None:  # any config with schema_style, sample_values
        self.service, self.config = service, config
        self.found: dict[str, str | None] = {}

    def __call__(self, db_id: Any) -> str | None:
        """The schema text of ``db_id``."""
        if not isinstance(db_id, str):
            return None
        if db_id not in self.found:
            try:
                schema = self.service.schema(db_id)
            except KeyError:
                self.found[db_id] = None
            else:
                self.found[db_id] = (schema.compact(self.config.sample_values) if self.config.schema_style == "compact"
                                     else schema.describe(self.config.sample_values))
        return self.found[db_id]

    def engine(self, db_id: str) -> str:
        """The database engine's name for prompts."""
        return self.service.schema(db_id).engine if self(db_id) is not None else "SQLite"


def fan_out(batch: pa.Table, plan: Sequence[tuple[int, int]], stride: int,
            columns: Mapping[str, tuple[Sequence[Any], pa.DataType]]) -> pa.Table:
    """Rows ``plan`` = (input row, copy number) taken from ``batch`` with new column values; ``_row_id`` becomes
    ``input _row_id * stride + copy`` so every new row stays unique and traceable to its input row."""
    table = batch.take(pa.array([index for index, _ in plan], pa.int64()))
    if "_row_id" in table.column_names:
        ids = batch.column("_row_id").to_pylist()
        new_ids = pa.array([ids[index] * stride + copy for index, copy in plan], pa.int64())
        table = table.set_column(table.schema.get_field_index("_row_id"), "_row_id", new_ids)
    for name, (values, kind) in columns.items():
        table = set_column(table, name, pa.array(list(values), kind))
    return table


def pick(options: Sequence[str], row_id: int, copy: int, seed: int) -> str:
    """A deterministic choice among ``options`` for one generated row (spread evenly over copies)."""
    return options[(row_id * 7919 + copy + seed) % len(options)]


def per_row(replies: Sequence[LLMReply], n: int) -> list[LLMReply]:
    """One reply per row of ``n`` samples: its first answered one, else its first (a row fails only when every
    sample failed, so the step's failure rate counts rows, not samples)."""
    groups = [replies[i: i + n] for i in range(0, len(replies), n)]
    return [next((r for r in group if r.ok), group[0]) for group in groups]
