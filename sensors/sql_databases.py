"""A new execution database starts the pipelines that read database ids (``text2sql_generation``).

For a pipeline whose raw rows are only ``db_id``, this sensor watches the ``sql`` resource's catalog. The first
tick records the databases already there; each later new ``<root>/<db_id>/<db_id>.sqlite`` (or ``.duckdb``)
becomes a one-row raw file ``<raw>/<pipeline>/databases/<db_id>.jsonl``, which the pipeline's raw-folder sensor
turns into a partition and a run, as for any raw file.
"""

from __future__ import annotations

import json

from dagster import SensorDefinition, SensorEvaluationContext, SensorResult, SkipReason, sensor

from dataflow_assets.spec.model import PipelineSpec
from resources.files import FileStoreResource
from resources.sql import SQLDatabaseResource
from sensors.raw_files import _default_status

SUBFOLDER = "databases"


def reads_database_ids(spec: PipelineSpec) -> bool:
    """Whether a pipeline's raw rows are database ids (its only required raw column is ``db_id``)."""
    return set(spec.raw.columns) == {"db_id"}


def build_database_sensor(spec: PipelineSpec) -> SensorDefinition:
    """The new-database sensor of one pipeline."""

    @sensor(
        name=f"{spec.name}__new_databases",
        minimum_interval_seconds=30,
        default_status=_default_status(),
        description=f"Watches the execution-database catalog: a new database becomes a raw file of {spec.name} "
        f"({SUBFOLDER}/<db_id>.jsonl), run by its raw-folder sensor.",
    )
    def new_databases(context: SensorEvaluationContext, files: FileStoreResource,
                      sql: SQLDatabaseResource) -> SensorResult | SkipReason:
        catalog = sql.catalog()
        catalog.refresh()
        found = catalog.db_ids()
        if context.cursor is None:
            return SensorResult(cursor=json.dumps(found),
                                skip_reason=f"recorded {len(found)} databases in {catalog.root}; new ones will run")
        known = set(json.loads(context.cursor))
        folder = files.raw_dir(spec.name) / SUBFOLDER
        written = []
        for db_id in (d for d in found if d not in known):
            target = folder / f"{db_id}.jsonl"
            if not target.exists():
                folder.mkdir(parents=True, exist_ok=True)
                staged = target.with_name(f".{db_id}.jsonl.tmp")  # hidden: the raw sensor never reads it half-written
                staged.write_text(json.dumps({"db_id": db_id}) + "\n", encoding="utf-8")
                staged.replace(target)
                written.append(db_id)
                context.log.info(f"new database {db_id!r}: wrote {target}")
        skip = None if written else f"no new database in {catalog.root}"
        return SensorResult(cursor=json.dumps(sorted(known | set(found))), skip_reason=skip)

    return new_databases
