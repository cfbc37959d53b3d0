"""`dataflow run` progress and `dataflow show` on a warehouse written by a real run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dataflow_assets.cli.errors import ExitStatus
from dataflow_assets.cli.main import main
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from tests.conftest import SAMPLES

SPEC_PATH = builtin_spec("text_pretrain_filter")
SPEC = load_spec(SPEC_PATH)
PARTITION = "web_sample_2.jsonl"


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One `dataflow run` into a kept warehouse file; its combined output."""
    root = tmp_path_factory.mktemp("cli_show")
    warehouse = root / "w.duckdb"
    result = CliRunner().invoke(main, ["run", str(SPEC_PATH), str(SAMPLES / PARTITION), "--out",
                                       str(root / "kept.jsonl"), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    return warehouse, result.output


def counts(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.sql(sql).fetchall()


def test_run_reports_progress_per_asset_in_order(ran: tuple[Path, str]) -> None:
    warehouse, output = ran
    progress = re.findall(r"^\[\s*(\d+)/(\d+)\] (\S+)\s+(\d+) rows$", output, flags=re.M)
    total = len(SPEC.steps) + 2
    assert [int(done) for done, *_ in progress] == list(range(1, total + 1))
    assert {int(t) for _, t, *_ in progress} == {total}
    assert [step for _, _, step, _ in progress] == ["raw", *(s.name for s in SPEC.steps), "export"]
    stored = dict(counts(warehouse, "SELECT step, output_rows FROM _dataflow.step_stats"))
    for _, _, step, rows in progress[:-1]:
        assert int(rows) == stored[step], step
    assert "top drop reasons" in output  # the summary table follows


def test_show_kept_rows_and_limit(ran: tuple[Path, str]) -> None:
    warehouse, _ = ran
    result = CliRunner().invoke(main, ["show", SPEC.name, "word_count", "--limit", "3", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    total = counts(warehouse, 'SELECT count(*) FROM text_pretrain_filter."word_count"')[0][0]
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["_partition", "_row_id", "id"] and "text" in lines[0].split()
    assert len(lines) == 2 + 3 + 1 and lines[-1] == f"(3 of {total} rows of text_pretrain_filter/word_count)"
    first_ids = [row[0] for row in counts(
        warehouse, 'SELECT _row_id FROM text_pretrain_filter."word_count" ORDER BY _row_id LIMIT 3')]
    assert [int(line.split()[1]) for line in lines[2:5]] == first_ids


def test_show_dropped_rows_with_reason_as_json(ran: tuple[Path, str]) -> None:
    warehouse, _ = ran
    result = CliRunner().invoke(main, ["show", SPEC.name, "word_count", "--dropped", "--json", "--limit", "1000",
                                       "--partition", PARTITION, "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    expected = counts(warehouse, 'SELECT _row_id, _drop_reason FROM text_pretrain_filter."word_count__dropped" '
                                 "ORDER BY _row_id")
    assert rows and [(r["_row_id"], r["_drop_reason"]) for r in rows] == expected
    assert all(r["_partition"] == PARTITION and r["_drop_reason"].startswith("word_count_") for r in rows)


def test_show_warehouse_from_environment(ran: tuple[Path, str]) -> None:
    warehouse, _ = ran
    runner = CliRunner(env={"DATAFLOW_WAREHOUSE": str(warehouse)})
    result = runner.invoke(main, ["show", SPEC.name, "raw", "--limit", "0"])
    assert result.exit_code == 0, result.output
    raw_rows = counts(warehouse, f"SELECT count(*) FROM {SPEC.name}.raw")[0][0]
    assert result.output.splitlines()[-1] == f"(0 of {raw_rows} rows of {SPEC.name}/raw)"


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "raw"], "no pipeline 'nope' in the warehouse; pipelines: text_pretrain_filter"),
    ([SPEC.name, "nope"], "no step 'nope' in pipeline 'text_pretrain_filter'; steps: blocklist,"),
    ([SPEC.name, "remove_emoji", "--dropped"], "drops no rows (it is not a filter)"),
    ([SPEC.name, "raw", "--partition", "other.jsonl"], f"no rows for partition 'other.jsonl' in {SPEC.name}/raw; "
                                                       f"partitions: {PARTITION}"),
])
def test_show_says_what_exists_when_asked_for_what_does_not(ran: tuple[Path, str], args: list[str],
                                                            message: str) -> None:
    result = CliRunner().invoke(main, ["show", *args, "--warehouse", str(ran[0])])
    assert result.exit_code == ExitStatus.UNKNOWN and "error: " in result.output and message in result.output


def test_show_without_a_warehouse(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["show", SPEC.name, "raw", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == ExitStatus.WAREHOUSE and "error: no warehouse at" in result.output
    assert not (tmp_path / "none.duckdb").exists()
