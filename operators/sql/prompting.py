"""``Text2SQLPromptGenerator``: the training prompt of each row: schema with sample values, question, evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pyarrow as pa
from pydantic import Field

from operators.base import Mapper, OperatorConfig, OperatorContext, OperatorKind
from operators.prompted.base import row_values
from operators.prompted.templates import fill, prompt_set, prompts_dir
from operators.registry import register
from operators.services.sql import require_sql
from operators.sql.common import SchemaTexts


class PromptConfig(OperatorConfig):
    """Text2SQLPromptGenerator settings."""

    prompts: dict[str, str] = Field(default_factory=dict, description="Override templates of the prompt file")
    schema_style: Literal["create", "compact"] = "create"
    sample_values: bool = True


@register
class Text2SQLPromptGenerator(Mapper):
    """Build the text-to-SQL prompt of each row (no LLM call): schema, sample values, question and evidence."""

    name = "Text2SQLPromptGenerator"
    kind = OperatorKind.GENERATE
    description = ("Builds the text-to-SQL training prompt of each row from its database's schema (CREATE "
                   "statements, sample values, foreign keys), the question and the evidence.")
    inputs = ("question", "db_id", "evidence")
    outputs = ("prompt",)
    requires = ("sql",)
    prompt_file = "text2sql_prompt_generator"
    Config = PromptConfig

    def transform(self, batch: pa.Table, ctx: OperatorContext) -> Mapping[str, pa.Array]:
        """One prompt per row (null when the question or the database is missing)."""
        templates = prompt_set(prompts_dir(type(self)), self.prompt_file, self.config.prompts)
        schemas = SchemaTexts(require_sql(ctx.sql, self.name), self.config)
        prompts = []
        for row in row_values(batch, dict(self.input_map)):
            schema = schemas(row["db_id"])
            if schema is None or not row["question"]:
                prompts.append(None)
                continue
            evidence = fill(templates["evidence_line"], {"evidence": row["evidence"]}) if row.get("evidence") else ""
            prompts.append(fill(templates["user"], {"engine": schemas.engine(row["db_id"]), "schema": schema,
                                                    "question": row["question"], "evidence_line": evidence}))
        return {"prompt": pa.array(prompts, pa.string())}
