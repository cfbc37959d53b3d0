"""The raw-folder sensor: a partition and a run per new file, none for the same file, one for a changed file."""

from __future__ import annotations

import os

import duckdb
from dagster import SensorResult, build_sensor_context

from dataflow_assets.assets.factory import build_pipeline, partitions_name
from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import parse_spec
from tests.conftest import Project

SPEC = parse_spec("""\
name: watched
raw:
  formats: [jsonl, csv]
  columns: {text: string}
steps:
  - name: words
    op: WordNumberFilter
""")


def tick(project: Project, cursor: str | None) -> SensorResult:
    sensor = build_pipeline(SPEC).sensor
    context = build_sensor_context(instance=project.instance, cursor=cursor, resources={"files": project.files})
    result = sensor(context)
    assert isinstance(result, SensorResult)
    for request in result.dynamic_partitions_requests or []:  # what the daemon does with the requests
        project.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_new_same_and_changed_files(project: Project) -> None:
    first = project.add_raw("watched", "batch_1.jsonl", '{"text": "hello there world"}\n')
    project.add_raw("watched", "notes.txt", "not a raw format: ignored")
    result = tick(project, None)
    assert [r.partition_key for r in result.run_requests] == ["batch_1.jsonl"]
    assert result.run_requests[0].run_key.startswith("batch_1.jsonl:")
    assert project.instance.get_dynamic_partitions(partitions_name("watched")) == ["batch_1.jsonl"]

    again = tick(project, result.cursor)
    assert again.run_requests == [] and "no new or changed files" in str(again.skip_reason)

    os.utime(first, ns=(1, 1))  # touched but identical content: hashed again, still no run
    touched = tick(project, again.cursor)
    assert touched.run_requests == []

    first.write_text('{"text": "hello there world"}\n{"text": "a second line"}\n')
    changed = tick(project, touched.cursor)
    assert [r.partition_key for r in changed.run_requests] == ["batch_1.jsonl"]
    assert changed.run_requests[0].run_key != result.run_requests[0].run_key
    assert not changed.dynamic_partitions_requests  # the partition exists already


def test_bad_file_is_reported_and_others_go_on(project: Project) -> None:
    project.add_raw("watched", "empty.jsonl", "")
    project.add_raw("watched", "bad,name.csv", "text\nx\n")
    project.add_raw("watched", "good.csv", "text\nsome words here\n")
    result = tick(project, None)
    assert [r.partition_key for r in result.run_requests] == ["good.csv"]
    assert "empty.jsonl" not in result.cursor and "bad,name.csv" not in result.cursor


def test_missing_folder_skips(project: Project) -> None:
    sensor = build_pipeline(SPEC).sensor
    context = build_sensor_context(instance=project.instance, resources={"files": project.files})
    assert "does not exist yet" in str(sensor(context).skip_message)


def test_files_whose_exports_would_collide_are_refused(project: Project) -> None:
    project.add_raw("watched", "news.jsonl", '{"text": "hello there world"}\n')
    first = tick(project, None)
    project.add_raw("watched", "news.csv", "text\nsome other words\n")
    second = tick(project, first.cursor)
    assert [r.partition_key for r in first.run_requests] == ["news.jsonl"]
    assert second.run_requests == [] and "same name stem as 'news.jsonl'" in str(second.skip_reason)


def test_files_of_one_name_in_two_subfolders_are_two_partitions_kept_apart(project: Project) -> None:
    project.add_raw("watched", "a/part-00000.jsonl", '{"text": "one two three"}\n')
    project.add_raw("watched", "b/part-00000.jsonl", '{"text": "four five six"}\n{"text": "seven eight"}\n')
    result = tick(project, None)
    keys = [r.partition_key for r in result.run_requests]
    assert keys == ["a/part-00000.jsonl", "b/part-00000.jsonl"]
    assert result.run_requests[1].tags["dataflow/source"].endswith("watched/b/part-00000.jsonl")
    for key in keys:
        run = project.materialize(SPEC, key)
        assert run.success, failure_messages(run)
    out = project.files.export_dir("watched")
    assert all((out / key).is_file() and (out / key).with_suffix(".card.md").is_file() for key in keys)  # apart
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        assert dict(conn.sql("SELECT _partition, count(*) FROM watched.raw GROUP BY 1").fetchall()) == {
            "a/part-00000.jsonl": 1, "b/part-00000.jsonl": 2}


def test_a_file_the_pipeline_does_not_read_is_named_in_the_log_once(project: Project) -> None:
    project.add_raw("watched", "batch.jsonl.gz", b"\x1f\x8b compressed")
    logged: list[str] = []
    sensor = build_pipeline(SPEC).sensor
    cursor = None
    for _ in range(2):
        context = build_sensor_context(instance=project.instance, cursor=cursor, resources={"files": project.files})
        context.log.warning = logged.append  # type: ignore[method-assign]  # what the tick log receives
        result = sensor(context)
        cursor = result.cursor
    assert len(logged) == 1 and "batch.jsonl.gz: compressed files are not read" in logged[0]


def test_a_file_changed_after_the_sensor_saw_it_is_refused_by_the_run(project: Project) -> None:
    path = project.add_raw("watched", "growing.jsonl", '{"text": "first words here"}\n')
    request = tick(project, None).run_requests[0]
    path.write_text('{"text": "first words here"}\n{"text": "more written later"}\n')  # still being written
    job = project.definitions([SPEC]).resolve_job_def("watched_job")
    result = job.execute_in_process(partition_key="growing.jsonl", instance=project.instance, tags=request.tags,
                                    raise_on_error=False)
    assert not result.success
    (message,) = failure_messages(result)
    assert "growing.jsonl: the file changed since the sensor saw it" in message and "nothing was stored" in message
