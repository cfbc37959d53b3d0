"""Assemble Dagster definitions from specs and resources (env-configured by default)."""

from __future__ import annotations

from dagster import Definitions, in_process_executor
from dagster_duckdb import DuckDBResource

from dataflow_assets.assets.factory import FILES_KEY, WAREHOUSE_KEY, PipelineDefinitions, build_pipeline
from dataflow_assets.spec.model import PipelineSpec
from resources.embedding import EmbeddingResource, embed_from_env
from resources.files import FileStoreResource, file_store_from_env
from resources.llm import LLMResource, llm_from_env
from resources.sandbox import SandboxResource, sandbox_from_env
from resources.sql import SQLDatabaseResource, sql_from_env
from resources.warehouse import warehouse_from_env
from sensors.sql_databases import build_database_sensor, reads_database_ids


def build_definitions(
    specs: list[PipelineSpec],
    warehouse: DuckDBResource | None = None,
    files: FileStoreResource | None = None,
    llm: LLMResource | None = None,
    embed: EmbeddingResource | None = None,
    sql: SQLDatabaseResource | None = None,
    sandbox: SandboxResource | None = None,
) -> Definitions:
    """Definitions for the given specs and resources (the env-configured ones by default)."""
    pipelines: list[PipelineDefinitions] = [build_pipeline(spec) for spec in specs]
    return Definitions(
        assets=[a for p in pipelines for a in p.assets],
        jobs=[p.job for p in pipelines],
        sensors=[p.sensor for p in pipelines]
        + [build_database_sensor(p.spec) for p in pipelines if reads_database_ids(p.spec)],
        executor=in_process_executor,  # also for the UI's ad-hoc asset runs: no process per step (seconds each)
        resources={WAREHOUSE_KEY: warehouse or warehouse_from_env(), FILES_KEY: files or file_store_from_env(),
                   "llm": llm or llm_from_env(), "embed": embed or embed_from_env(),
                   "sql": sql or sql_from_env(), "sandbox": sandbox or sandbox_from_env()},
    )

