"""Bad raw files end to end: the run fails with an error naming the file (and line), nothing is stored for the bad
partition, and the partition already stored is untouched. (Parser details:
tests/dataflow_assets/ingest/test_reader.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import SensorResult, build_sensor_context, instance_for_test

from dataflow_assets.assets.factory import build_pipeline, partitions_name
from dataflow_assets.cli.runner import failure_messages
from dataflow_assets.spec.loader import parse_spec
from tests.conftest import SAMPLES, Project
from tests.reliability.harness import PIPELINE, SPEC_YAML

SPEC = parse_spec(SPEC_YAML)
STRICT_SPEC = parse_spec(SPEC_YAML.replace("  formats: [jsonl, csv, parquet]\n",
                                           "  formats: [jsonl, csv, parquet]\n  encoding_errors: error\n"))
GOOD = "good.jsonl"
TABLES = ("raw", "word_count__dropped", "spaces")
SAMPLE_LINES = (SAMPLES / "web_sample_2.jsonl").read_text(encoding="utf-8").splitlines()


def stored(project: Project) -> dict[str, dict[str, int]]:
    """Rows per partition of every stored table, and the partitions with step stats."""
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        counts = {t: dict(conn.sql(f'SELECT _partition, count(*) FROM {PIPELINE}."{t}" GROUP BY 1').fetchall())
                  for t in TABLES}
        counts["step_stats"] = dict(conn.sql("SELECT _partition, count(*) FROM _dataflow.step_stats "
                                             "GROUP BY 1").fetchall())
    return counts


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, dict]]:
    """One good partition stored; its counts."""
    with instance_for_test() as instance:
        project = Project(tmp_path_factory.mktemp("bad_inputs"), instance)
        project.add_raw(PIPELINE, GOOD, "\n".join(SAMPLE_LINES[:30]) + "\n")
        result = project.materialize(SPEC, GOOD)
        assert result.success, failure_messages(result)
        yield project, stored(project)


def _truncated(path: Path) -> None:
    text = "\n".join(SAMPLE_LINES[:12])
    path.write_text(text[: len(text) - len(SAMPLE_LINES[11]) // 2])  # the last record cut in half, no newline


def _invalid_utf8_strict(path: Path) -> None:
    lines = [line.encode() for line in SAMPLE_LINES[:5]]
    lines[3] = lines[3].replace(b'"text": "', b'"text": "\xff\xfe', 1)
    path.write_bytes(b"\n".join(lines) + b"\n")


def _ragged_csv(path: Path) -> None:
    texts = [" ".join(json.loads(line)["text"].split()[:8]) for line in SAMPLE_LINES[:4]]
    path.write_text("text,source\n" + "".join(f'"{text}",web\n' for text in texts) + "one,two,three\n")


def _wrong_parquet(path: Path) -> None:
    pq.write_table(pa.table({"body": ["a document"], "text_len": [10]}), path)


BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated.jsonl": (_truncated, r"truncated.jsonl:12:\d+: invalid JSON"),
    "strict_utf8.jsonl": (_invalid_utf8_strict, r"strict_utf8.jsonl:4:\d+: invalid UTF-8 byte 0xff"),
    "ragged.csv": (_ragged_csv, r"ragged.csv:6: expected 2 fields \(header\), got 3"),
    "wrong.parquet": (_wrong_parquet, r"wrong.parquet: Parquet schema lacks required column 'text'"),
    "empty.jsonl": (lambda path: path.write_text(""), r"empty.jsonl: file is empty"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_fails_clearly_and_stores_nothing(loaded: tuple[Project, dict], name: str) -> None:
    project, good_counts = loaded
    write, message = BAD_FILES[name]
    write(project.files.raw_dir(PIPELINE) / name)
    spec = STRICT_SPEC if name == "strict_utf8.jsonl" else SPEC
    result = project.materialize(spec, name)
    assert not result.success
    errors = failure_messages(result)
    assert len(errors) == 1 and errors[0].startswith("RawFileError: "), errors  # the reader's own error
    assert str(project.files.raw_dir(PIPELINE) / name) in errors[0]
    assert re.search(message, errors[0]), errors[0]
    assert stored(project) == good_counts  # nothing for the bad partition, the good one untouched


def test_invalid_utf8_is_replaced_and_counted_by_default(loaded: tuple[Project, dict]) -> None:
    project, good_counts = loaded
    _invalid_utf8_strict(project.files.raw_dir(PIPELINE) / "lenient.jsonl")
    result = project.materialize(SPEC, "lenient.jsonl")
    assert result.success, failure_messages(result)
    raw = next(e.materialization.metadata for e in result.get_asset_materialization_events()
               if e.materialization.asset_key.path[-1] == "raw")
    assert raw["utf8_replaced_lines"].value == 1 and raw["dagster/row_count"].value == 5
    counts = stored(project)
    assert counts["raw"]["lenient.jsonl"] == 5 and counts["raw"][GOOD] == good_counts["raw"][GOOD]


def test_50_mb_single_line(loaded: tuple[Project, dict]) -> None:
    project, good_counts = loaded
    record = {"text": "Some words here. " * 3_000_000}  # 51 MB on one line
    (project.files.raw_dir(PIPELINE) / "huge.jsonl").write_text(json.dumps(record) + "\n")
    result = project.materialize(SPEC, "huge.jsonl")
    assert result.success, failure_messages(result)
    counts = stored(project)
    assert counts["raw"]["huge.jsonl"] == 1
    assert counts["word_count__dropped"].get("huge.jsonl", 0) + counts["spaces"].get("huge.jsonl", 0) == 1
    assert counts["raw"][GOOD] == good_counts["raw"][GOOD]


def test_file_gone_between_sensor_tick_and_run(loaded: tuple[Project, dict]) -> None:
    project, _ = loaded
    path = project.add_raw(PIPELINE, "fleeting.jsonl", "\n".join(SAMPLE_LINES[:3]) + "\n")
    context = build_sensor_context(instance=project.instance, resources={"files": project.files})
    tick = build_pipeline(SPEC).sensor(context)
    assert isinstance(tick, SensorResult)
    assert "fleeting.jsonl" in [r.partition_key for r in tick.run_requests]
    for request in tick.dynamic_partitions_requests or []:
        project.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    before = stored(project)
    path.unlink()
    result = project.materialize(SPEC, "fleeting.jsonl")
    assert not result.success
    (error,) = failure_messages(result)
    assert error.endswith(f"RawFileError: {path}: cannot read file: No such file or directory"), error
    assert stored(project) == before
    assert "fleeting.jsonl" in project.instance.get_dynamic_partitions(partitions_name(PIPELINE))


def test_column_null_in_one_batch_and_typed_in_the_next(loaded: tuple[Project, dict]) -> None:
    """An extra column that is null in every row of the first batch (Arrow type null) gets its type from a later
    batch instead of failing its insert (found by the backfill test: `dup_of` is null in most web batches)."""
    project, _ = loaded
    lines = [json.loads(line) for line in SAMPLE_LINES[:6]]
    for name, value in (("nulls.jsonl", None), ("ints.jsonl", 7)):
        project.add_raw(PIPELINE, name, "".join(json.dumps(row | {"maybe": value}) + "\n" for row in lines))
        result = project.materialize(SPEC, name)
        assert result.success, failure_messages(result)
    with duckdb.connect(str(project.root / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.sql(f"SELECT _partition, count(maybe), count(*) FROM {PIPELINE}.raw "
                        "WHERE _partition IN ('nulls.jsonl', 'ints.jsonl') GROUP BY 1 ORDER BY 1").fetchall()
        column_type = conn.sql(f"SELECT data_type FROM information_schema.columns WHERE table_schema = '{PIPELINE}' "
                               "AND table_name = 'raw' AND column_name = 'maybe'").fetchall()
    assert rows == [("ints.jsonl", 6, 6), ("nulls.jsonl", 0, 6)] and column_type == [("BIGINT",)]
