"""The `dataflow` command line as a user scripts it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dataflow_assets.cli.errors import ExitStatus
from dataflow_assets.cli.main import main
from dataflow_assets.spec.catalog import builtin_spec
from operators.base import OperatorKind
from operators.registry import get_operator
from tests.conftest import SAMPLES


def test_operators_json_lists_the_registry() -> None:
    result = CliRunner().invoke(main, ["operators", "--json"])
    assert result.exit_code == 0, result.output
    listed = {op["name"]: op for op in json.loads(result.output)}
    assert {"ColonEndFilter", "WordNumberFilter", "HtmlUrlRemoverRefiner", "HashDeduplicateFilter"} <= set(listed)
    for op in listed.values():
        assert op["kind"] in {k.value for k in OperatorKind}
        assert op["description"] and op["config_schema"]["type"] == "object"
        assert op["module"] == get_operator(op["name"]).__module__
    assert "min_words" in listed["WordNumberFilter"]["config_schema"]["properties"]


def test_operators_text_and_unknown() -> None:
    runner = CliRunner()
    one = runner.invoke(main, ["operators", "WordNumberFilter"])
    assert one.exit_code == 0 and "WordNumberFilter" in one.output and "config: min_words=" in one.output
    assert f"module: {get_operator('WordNumberFilter').__module__}" in one.output
    assert runner.invoke(main, ["operators", "NoSuchOperator"]).exit_code != 0


def test_run_spec_on_a_file(tmp_path: Path) -> None:
    out = tmp_path / "kept.jsonl"
    result = CliRunner().invoke(main, [
        "run", str(builtin_spec("text_pretrain_filter")), str(SAMPLES / "web_sample_2.jsonl"),
        "--out", str(out), "--warehouse", str(tmp_path / "w.duckdb"),
    ])
    assert result.exit_code == 0, result.output
    kept = out.read_text(encoding="utf-8").splitlines()
    assert kept and f"exported {len(kept)} rows" in result.output
    assert (tmp_path / "kept.card.md").exists() and (tmp_path / "w.duckdb").exists()


def test_run_reports_bad_input_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": 3}\n')
    result = CliRunner().invoke(main, [
        "run", str(builtin_spec("text_pretrain_filter")), str(bad), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == ExitStatus.BAD_INPUT
    assert f"error: RawFileError: {bad}:2: column 'text' must be string, got int" in result.output
