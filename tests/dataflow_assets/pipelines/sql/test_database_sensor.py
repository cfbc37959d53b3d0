"""A database dropped into the catalog folder starts text2sql_generation: the new-database sensor writes a raw
file, the raw-folder sensor makes it a partition and a run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dagster import SensorResult, build_sensor_context

from dataflow_assets.assets.factory import build_pipeline
from dataflow_assets.assets.project import build_definitions
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from resources.sql import SQLDatabaseResource
from sensors.sql_databases import build_database_sensor, reads_database_ids
from tests.conftest import REPO, Project

GENERATION = load_spec(builtin_spec("text2sql_generation"))
REFINE = load_spec(builtin_spec("text2sql_refine"))


def tick(project: Project, catalog: Path, cursor: str | None) -> SensorResult:
    context = build_sensor_context(instance=project.instance, cursor=cursor, resources={
        "files": project.files, "sql": SQLDatabaseResource(root=str(catalog))})
    result = build_database_sensor(GENERATION)(context)
    assert isinstance(result, SensorResult)
    return result


def test_a_new_database_becomes_a_raw_file_and_a_run(project: Project, tmp_path: Path) -> None:
    catalog = tmp_path / "databases"
    (catalog / "clinic").mkdir(parents=True)
    shutil.copyfile(REPO / "data" / "databases" / "clinic" / "clinic.sqlite", catalog / "clinic" / "clinic.sqlite")
    first = tick(project, catalog, None)  # the databases already there are recorded, not run
    assert json.loads(first.cursor or "") == ["clinic"] and not project.files.raw_dir(GENERATION.name).exists()
    same = tick(project, catalog, first.cursor)
    assert same.skip_reason is not None and same.cursor == first.cursor

    (catalog / "harbor").mkdir()
    shutil.copyfile(REPO / "data" / "databases" / "transit" / "transit.sqlite", catalog / "harbor" / "harbor.sqlite")
    (catalog / "empty_folder").mkdir()
    found = tick(project, catalog, same.cursor)
    raw = project.files.raw_dir(GENERATION.name)
    assert sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file()) == ["databases/harbor.jsonl"]
    assert json.loads((raw / "databases" / "harbor.jsonl").read_text()) == {"db_id": "harbor"}
    assert json.loads(found.cursor or "") == ["clinic", "harbor"]

    raw_sensor = build_pipeline(GENERATION).sensor
    runs = raw_sensor(build_sensor_context(instance=project.instance, resources={"files": project.files}))
    assert [r.partition_key for r in runs.run_requests] == ["databases/harbor.jsonl"]
    assert tick(project, catalog, found.cursor).skip_reason is not None  # told once


def test_only_pipelines_reading_database_ids_get_the_sensor() -> None:
    assert reads_database_ids(GENERATION) and not reads_database_ids(REFINE)
    names = {s.name for s in build_definitions([GENERATION, REFINE]).sensors}
    assert names == {"text2sql_generation__raw_files", "text2sql_generation__new_databases",
                     "text2sql_refine__raw_files"}
