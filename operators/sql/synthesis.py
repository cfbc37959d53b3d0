"""SQL synthesis by the LLM: ``SQLGenerator``, ``SQLByColumnGenerator`` and ``SQLVariationGenerator``.

Each input row fans out into several generated rows (``_row_id`` = input ``_row_id`` * 10000 + copy). The model
sees the database's schema (``ctx.sql``) with sample values and answers with one query; a reply without SQL in
it adds no row (counted as ``unparsed``). Choices that DataFlow draws at random (complexity level, variation type,
column count) are spread deterministically over the copies, so a re-run asks the same prompts (and hits the cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import pyarrow as pa
from pydantic import Field

from operators.base import Operator, OperatorContext, OperatorKind, OperatorResult
from operators.prompted.base import LLMOperatorMixin, blank, row_values
from operators.prompted.templates import fill
from operators.registry import register
from operators.services.llm import ChatRequest
from operators.services.sql import require_sql
from operators.sql.common import SchemaConfig, SchemaTexts, extract_sql, fan_out, pick

STRIDE = 10_000
COMPLEXITIES = ("Simple", "Moderate", "Complex", "Highly Complex")
VARIATIONS = ("data_value", "structure", "business_logic", "complexity", "advanced", "performance")


@dataclass
class Planned:
    """One request of a fan-out: its input row, copy number, request and the values its row gets besides SQL."""

    index: int
    copy: int
    request: ChatRequest
    values: dict[str, Any] = field(default_factory=dict)


class FanOutSQL(LLMOperatorMixin, Operator):
    """Base of the generators: plan requests per input row, ask once, keep the replies that hold SQL."""

    kind = OperatorKind.GENERATE
    requires = ("llm", "sql")
    extra_outputs: ClassVar[tuple[str, ...]] = ()
    keep_inputs: ClassVar[bool] = False

    def plan(self, rows: list[dict[str, Any]], row_ids: list[int], schemas: SchemaTexts) -> list[Planned]:
        """The requests for a batch."""
        raise NotImplementedError

    def request_for(self, template: str, values: dict[str, Any], sample: int = 0) -> ChatRequest:
        """A request from the named user template (system from the file); ``sample``: its own seed and cache entry."""
        templates = self.templates()
        request = ChatRequest.of(fill(templates[template], values), fill(templates["system"], values),
                                 sampling=self.sampling())
        return replace(request, sample_index=sample)

    def originals(self, batch: pa.Table) -> tuple[list[tuple[int, int]], dict[str, list[Any]]]:
        """Input rows kept as they are (copy 0), with their values of the extra outputs."""
        return [], {name: [] for name in self.extra_outputs}

    def run(self, batch: pa.Table, ctx: OperatorContext) -> OperatorResult:
        """Plan, ask, parse and fan out."""
        schemas = SchemaTexts(require_sql(ctx.sql, self.name), self.config)
        rows = row_values(batch, dict(self.input_map))
        row_ids = batch.column("_row_id").to_pylist() if "_row_id" in batch.column_names else list(range(len(rows)))
        planned = self.plan(rows, row_ids, schemas)
        replies = self.ask(ctx, [p.request for p in planned])
        failed = self.enforce_failure_rate(replies, ctx)
        plan, values = self.originals(batch)
        sql_values = [rows[index].get("SQL") for index, _ in plan]
        unparsed = 0
        for item, reply in zip(planned, replies, strict=True):
            sql = extract_sql(reply.text) if reply.ok else None
            if sql is None:
                unparsed += reply.ok
                continue
            plan.append((item.index, item.copy))
            sql_values.append(sql)
            for name in self.extra_outputs:
                values[name].append(item.values.get(name))
        columns = {self.out("SQL"): (sql_values, pa.string())}
        columns |= {self.out(name): (vals, pa.string()) for name, vals in values.items()}
        table = fan_out(batch, plan, STRIDE, columns)
        return OperatorResult(table=table, metrics={"requests": len(planned), "generated": len(planned) - failed
                                                    - unparsed, "unparsed": unparsed, "failed_requests": failed})


class GeneratorConfig(SchemaConfig):
    """SQLGenerator settings (DataFlow: ``generate_num``)."""

    generate_num: int = Field(300, ge=1, lt=STRIDE, description="Queries per database (input row)")
    complexities: list[str] = Field(list(COMPLEXITIES), min_length=1, description="Levels spread over the queries")
    max_tokens: int = 320


@register
class SQLGenerator(FanOutSQL):
    """Write ``generate_num`` queries per database, spread over four complexity levels."""

    name = "SQLGenerator"
    description = ("Per database id, generate_num new SQL queries from its schema and sample values, at the "
                   "complexity levels Simple / Moderate / Complex / Highly Complex (sql_complexity_type).")
    inputs = ("db_id",)
    outputs = ("SQL", "sql_complexity_type")
    extra_outputs = ("sql_complexity_type",)
    prompt_file = "sql_generator"
    Config = GeneratorConfig

    def plan(self, rows: list[dict[str, Any]], row_ids: list[int], schemas: SchemaTexts) -> list[Planned]:
        """``generate_num`` requests per known database."""
        planned = []
        criteria = self.templates()
        for index, (row, row_id) in enumerate(zip(rows, row_ids, strict=True)):
            schema = schemas(row["db_id"])
            for copy in range(self.config.generate_num if schema is not None else 0):
                level = pick(self.config.complexities, row_id, copy, self.config.seed)
                key = level.lower().replace(" ", "_")
                values = {"engine": schemas.engine(row["db_id"]), "schema": schema, "complexity": level,
                          "criterion": criteria.get(key, level), "column_count": 1 + (row_id + copy) % 3}
                planned.append(Planned(index, copy, self.request_for("user", values, copy),
                                       {"sql_complexity_type": level}))
        return planned


class ByColumnConfig(SchemaConfig):
    """SQLByColumnGenerator settings (DataFlow: ``generate_num`` per column)."""

    generate_num: int = Field(5, ge=1, description="Queries per chosen column")
    column_types: list[str] = Field(["TEXT"], description="Declared types whose columns get queries (prefix match)")
    max_columns: int = Field(4, ge=1, description="Columns per database at most (in schema order)")
    max_tokens: int = 320


@register
class SQLByColumnGenerator(FanOutSQL):
    """Write ``generate_num`` queries centred on each chosen column of each database."""

    name = "SQLByColumnGenerator"
    description = ("Per database id, generate_num SQL queries for each of its columns of the chosen types (TEXT by "
                   "default), each query filtering, grouping, sorting or aggregating on that column.")
    inputs = ("db_id",)
    outputs = ("SQL",)
    prompt_file = "sql_by_column_generator"
    Config = ByColumnConfig

    def plan(self, rows: list[dict[str, Any]], row_ids: list[int], schemas: SchemaTexts) -> list[Planned]:
        """``generate_num`` requests per chosen column."""
        planned = []
        prefixes = tuple(t.upper() for t in self.config.column_types)
        for index, row in enumerate(rows):
            if schemas(row["db_id"]) is None:
                continue
            schema = schemas.service.schema(row["db_id"])
            chosen = [(table, c.name) for table, columns in schema.tables.items() for c in columns
                      if c.type.upper().startswith(prefixes) and not c.primary_key][: self.config.max_columns]
            for number, (table, column) in enumerate(chosen):
                values = {"engine": schema.engine, "schema": schemas(row["db_id"]), "table": table, "column": column}
                for repeat in range(self.config.generate_num):
                    planned.append(Planned(index, number * self.config.generate_num + repeat,
                                           self.request_for("user", values, repeat)))
        return planned


class VariationConfig(SchemaConfig):
    """SQLVariationGenerator settings (DataFlow: ``num_variations``)."""

    num_variations: int = Field(10, ge=1, lt=STRIDE, description="Variations per input query")
    variation_types: list[str] = Field(list(VARIATIONS), min_length=1, description="Kinds spread over variations")
    keep_original: bool = Field(False, description="Also pass each input row on (sql_variation_type 'original')")
    max_tokens: int = 320


@register
class SQLVariationGenerator(FanOutSQL):
    """Rewrite each query into ``num_variations`` variations of six kinds."""

    name = "SQLVariationGenerator"
    description = ("Per (db_id, SQL), num_variations new queries of six kinds (data values, structure, business "
                   "logic, complexity, advanced features, performance) in sql_variation_type.")
    inputs = ("SQL", "db_id")
    outputs = ("SQL", "sql_variation_type")
    extra_outputs = ("sql_variation_type",)
    prompt_file = "sql_variation_generator"
    Config = VariationConfig

    def plan(self, rows: list[dict[str, Any]], row_ids: list[int], schemas: SchemaTexts) -> list[Planned]:
        """``num_variations`` requests per query on a known database."""
        planned = []
        templates = self.templates()
        for index, (row, row_id) in enumerate(zip(rows, row_ids, strict=True)):
            schema = schemas(row["db_id"])
            if schema is None or blank(row["SQL"]):
                continue
            for copy in range(1, self.config.num_variations + 1):
                kind = pick(self.config.variation_types, row_id, copy, self.config.seed)
                values = {"engine": schemas.engine(row["db_id"]), "schema": schema, "sql": row["SQL"],
                          "variation": templates.get(kind, kind)}
                planned.append(Planned(index, copy, self.request_for("user", values, copy),
                                       {"sql_variation_type": kind}))
        return planned

    def originals(self, batch: pa.Table) -> tuple[list[tuple[int, int]], dict[str, list[Any]]]:
        """With ``keep_original``, every input row as copy 0."""
        if not self.config.keep_original:
            return super().originals(batch)
        return [(i, 0) for i in range(batch.num_rows)], {"sql_variation_type": ["original"] * batch.num_rows}
