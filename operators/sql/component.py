"""``SQLComponentClassifier``: Spider's official hardness of each SQL, from its syntax tree (see ``hardness.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pyarrow as pa
from pydantic import Field, field_validator

from operators.base import Mapper, OperatorConfig, OperatorContext, OperatorKind, OperatorResult
from operators.registry import register
from operators.sql.hardness import CLASSES, spider_hardness


class ComponentConfig(OperatorConfig):
    """SQLComponentClassifier settings (DataFlow's ``difficulty_labels``; its lite score thresholds do not apply:
    the classes come from Spider's rules)."""

    difficulty_labels: list[str] = Field(list(CLASSES), description="Names of easy, medium, hard and extra")
    dialect: str = Field("sqlite", description="sqlglot dialect the SQL is written in")

    @field_validator("difficulty_labels")
    @classmethod
    def _four(cls, value: list[str]) -> list[str]:
        if len(value) != len(CLASSES):
            raise ValueError(f"difficulty_labels needs {len(CLASSES)} names (for {', '.join(CLASSES)})")
        return value


@register
class SQLComponentClassifier(Mapper):
    """Label each SQL easy / medium / hard / extra by Spider's hardness rules (null when it does not parse)."""

    name = "SQLComponentClassifier"
    kind = OperatorKind.EVALUATE
    description = ("Spider's official SQL hardness (easy/medium/hard/extra) from the counts of components, nesting, "
                   "set operations, aggregates and conditions in the sqlglot syntax tree.")
    inputs = ("SQL",)
    outputs = ("sql_component_difficulty",)
    Config = ComponentConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        """Classify every statement."""
        names = dict(zip(CLASSES, self.config.difficulty_labels, strict=True))
        found = [spider_hardness(sql, self.config.dialect) if isinstance(sql, str) else None
                 for sql in self.text(batch, "SQL").to_pylist()]
        return {"sql_component_difficulty": pa.array([names.get(c) if c else None for c in found], pa.string())}

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Classify and count the rows per class (``component_<class>`` metrics) and the unparsed ones."""
        result = super().run(batch, ctx)
        counts = Counter(result.table.column(self.out("sql_component_difficulty")).to_pylist())
        result.metrics |= {f"component_{label}": counts.get(label, 0) for label in self.config.difficulty_labels}
        result.metrics["component_unparsed"] = counts.get(None, 0)
        return result
