"""Pipeline specs: the YAML contract (see DESIGN.md) as pydantic models."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED_STEP_NAMES = {"raw", "export"}
# json: any JSON value, stored as JSON text; any: no type check (one type per column still)
ColumnType = Literal["string", "integer", "number", "boolean", "list", "object", "any", "json"]
RawFormat = Literal["jsonl", "csv", "parquet"]
CheckKind = Literal["non_empty", "retention", "null_rate", "metric", "drop_reason_share", "index_consistency"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckSpec(_Strict):
    """One asset check on a step: what to measure, the accepted band, and how bad a failure is."""

    check: CheckKind
    name: str | None = Field(None, description="Check name; defaults to the check kind.")
    min: float | None = None
    max: float | None = None
    columns: list[str] = Field(default_factory=list, description="null_rate: columns to measure.")
    metric: str | None = Field(None, description="metric: an operator metric name, e.g. rows_changed.")
    reason: str | None = Field(None, description="drop_reason_share: the drop reason to measure.")
    severity: Literal["WARN", "ERROR"] = "ERROR"
    blocking: bool | None = Field(None, description="Stop downstream steps on failure; default: ERROR checks.")

    @model_validator(mode="after")
    def _needs_fields(self) -> CheckSpec:
        if self.check == "metric" and not self.metric:
            raise ValueError("a 'metric' check needs 'metric'")
        if self.check == "drop_reason_share" and not self.reason:
            raise ValueError("a 'drop_reason_share' check needs 'reason'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    @property
    def check_name(self) -> str:
        """The Dagster asset-check name."""
        return self.name or self.check

    @property
    def is_blocking(self) -> bool:
        """Whether a failure stops downstream steps."""
        return self.severity == "ERROR" if self.blocking is None else self.blocking


class StepSpec(_Strict):
    """One operator step: asset key ``<pipeline>/<name>``."""

    name: str
    op: str
    description: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict, description="operator input -> table column")
    outputs: dict[str, str] = Field(default_factory=dict, description="operator output -> table column")
    config: dict[str, Any] = Field(default_factory=dict)
    checks: list[CheckSpec] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"step name {value!r} must be lower_snake_case (letters, digits, _)")
        if value in RESERVED_STEP_NAMES:
            raise ValueError(f"step name {value!r} is reserved")
        if "__" in value:
            raise ValueError(f"step name {value!r} may not contain '__' (a step's own tables are named <step>__…)")
        return value


class RawSpec(_Strict):
    """What a raw file must contain; extra columns pass through."""

    formats: list[RawFormat] = Field(default_factory=lambda: ["jsonl", "csv", "parquet"])
    columns: dict[str, ColumnType] = Field(default_factory=dict)
    encoding_errors: Literal["replace", "error"] = Field(
        "replace", description="Invalid UTF-8: replace with U+FFFD (counted in metadata) or fail the file."
    )

    @field_validator("columns")
    @classmethod
    def _no_system_columns(cls, value: dict[str, ColumnType]) -> dict[str, ColumnType]:
        for column in value:
            if column.startswith("_"):
                raise ValueError(f"column {column!r}: names starting with '_' are reserved for the system")
        return value


class ExportSpec(_Strict):
    """The training-set export: formats and the columns to keep (default: every non-system column)."""

    formats: list[Literal["jsonl", "parquet"]] = Field(default_factory=lambda: ["jsonl", "parquet"])
    columns: list[str] | None = None


class PipelineSpec(_Strict):
    """A pipeline: raw schema, ordered steps, export. Its name is the Dagster group and key prefix."""

    name: str
    description: str = ""
    raw: RawSpec = Field(default_factory=RawSpec)
    steps: list[StepSpec]
    export: ExportSpec = Field(default_factory=ExportSpec)

    @property
    def table_order(self) -> list[str]:
        """The pipeline's tables in flow order: raw, then each step."""
        return ["raw", *(step.name for step in self.steps)]

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"pipeline name {value!r} must be lower_snake_case (letters, digits, _)")
        return value

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, value: list[StepSpec]) -> list[StepSpec]:
        if not value:
            raise ValueError("a pipeline needs at least one step")
        seen: set[str] = set()
        for step in value:
            if step.name in seen:
                raise ValueError(f"step name {step.name!r} is used twice")
            seen.add(step.name)
        return value
