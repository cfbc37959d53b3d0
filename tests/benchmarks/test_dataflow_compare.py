"""The DataFlow side-by-side of ``make bench`` (benchmarks/dataflow_compare.py, benchmarks/dataflow_reference.py).

The last test runs DataFlow itself and needs ``make bench-dataflow-venv`` (opt-in, ~7.5 GB); it is skipped without it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import run_all
from benchmarks.corpus import write_corpus
from benchmarks.dataflow_compare import DATAFLOW_PYTHON, default_differences, render_table, run_reference
from dataflow_assets.ingest.reader import read_raw
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from operators.base import OperatorContext
from operators.registry import get_operator
from tests.conftest import REPO

SPEC = builtin_spec("text_pretrain_filter")


def _step(step: str, op: str, rows_in: int, kept: int, seconds: float, at_s: float) -> dict:
    return {"step": step, "op": op, "input_rows": rows_in, "kept": kept, "seconds": seconds, "io_seconds": 0.5,
            "rows_per_s": rows_in / seconds, "compute_rows_per_s": rows_in / (seconds - 0.5), "snapshot_mb": 9.0,
            "at_s": at_s, "peak_rss_mb": 900}


def _reference() -> dict:
    """A record shaped as benchmarks.dataflow_reference prints it (two steps, so 'first8' is both)."""
    steps = [_step("near_dedup", "MinHashDeduplicateFilter", 1000, 900, 10.4, 10.4),
             _step("word_count", "WordNumberFilter", 900, 800, 1.0, 11.4)]
    variant = {"operators": [s["op"] for s in steps], "rows": 1000, "seconds": 11.4, "rows_per_s": 1000 / 11.4,
               "exported_rows": 800, "peak_rss_mb": 900, "snapshots_mb": 18.0}
    config = {"MinHashDeduplicateFilter": {"passed": {"num_perm": 128}, "dataflow_defaults": {}, "ignored": []},
              "WordNumberFilter": {"passed": {}, "dataflow_defaults": {"min_words": 20, "max_words": 100000},
                                   "ignored": []}}
    return {"dataflow_version": "1.0.13", "rows": 1000, "import_seconds": 5.0, "rss_after_import_mb": 690,
            "steps": steps, "variants": {"first8": variant, "all": variant}, "config": config,
            "notes": ["a known difference"], "missing": []}


def _ours() -> tuple[dict, dict, dict]:
    operators = {"steps": [
        {"step": "near_dedup", "op": "MinHashDeduplicateFilter", "input_rows": 1000, "rows_per_s": 20_000.0,
         "kept": 890},
        {"step": "word_count", "op": "WordNumberFilter", "input_rows": 890, "rows_per_s": 890_000.0, "kept": 790},
    ]}
    chain = {"rows_per_s": 1000 / 11.4 * 40, "seconds": 0.3, "exported_rows": 790, "cpu_seconds": 0.5,
             "peak_rss_mb": 300}
    dagster = {"rows_per_s": 1000 / 11.4 * 10, "seconds": 1.2, "exported_rows": 790, "cpu_seconds": 2.2,
               "peak_rss_mb": 400, "fixed_seconds": 0.5, "assets": 4, "command_seconds": 3.0}
    return operators, chain, dagster


def test_without_the_venv_it_says_how_to_install(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_reference(tmp_path / "corpus.jsonl", python=tmp_path / "no-venv" / "bin" / "python") is None
    assert "make bench-dataflow-venv" in capsys.readouterr().out


def test_our_venv_cannot_run_the_reference_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 20, seed=1)
    assert run_reference(corpus, python=Path(sys.executable)) is None  # our venv has no open-dataflow
    out = capsys.readouterr().out
    assert "DataFlow side-by-side failed (exit 1)" in out and "No module named 'dataflow'" in out
    assert "dataflow" not in sys.modules  # nothing on our side imported it either


@pytest.mark.parametrize(("lines", "where"), [
    ('{"text": "fine"}\n{"text": "cut\n', "corpus.jsonl:2:14: not JSON"),
    ('{"text": "fine"}\n\n{"body": "x"}\n', "corpus.jsonl:3:1: no column text"),
])
def test_a_bad_corpus_fails_before_dataflow_loads_naming_the_line(tmp_path: Path, lines: str, where: str) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(lines, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "benchmarks.dataflow_reference", str(corpus)],
                          capture_output=True, text=True, cwd=REPO)  # our venv: it must stop before `import dataflow`
    assert done.returncode == 2 and where in done.stderr and "No module named" not in done.stderr


def test_default_differences_name_mismatches_and_one_sided_parameters() -> None:
    ours_min_words = get_operator("WordNumberFilter").Config().min_words
    reference = {"config": {
        "WordNumberFilter": {"passed": {}, "dataflow_defaults": {"min_words": ours_min_words + 5, "max_words": 100000},
                             "ignored": []},
        "HashDeduplicateFilter": {"passed": {}, "dataflow_defaults": {"hash_func": "md5", "salt": ""}, "ignored": []},
        "MinHashDeduplicateFilter": {"passed": {"num_perm": 128, "threshold": 0.9, "use_n_gram": True, "ngram": 5},
                                     "dataflow_defaults": {}, "ignored": [],
                                     "run_parameters": ["input_key", "input_keys", "output_key"]},
    }}
    notes = default_differences(reference)
    assert (f"WordNumberFilter: default `min_words` is {ours_min_words} here, {ours_min_words + 5} in DataFlow"
            in notes)
    assert not any("max_words" in note for note in notes)
    assert not any("`hash_func` is" in note for note in notes)  # same default on both sides
    assert "HashDeduplicateFilter: DataFlow parameter `salt` (default '') has no counterpart here" in notes
    assert "HashDeduplicateFilter: parameters only here, at their defaults: `input_keys`=None" in notes
    tokenization = get_operator("MinHashDeduplicateFilter").Config().tokenization  # input_keys: DataFlow's run() arg
    only_here = "MinHashDeduplicateFilter: parameters only here, at their defaults: "
    assert f"{only_here}`tokenization`={tokenization!r}" in notes


def test_table_ratios_kept_rows_and_where_they_diverge() -> None:
    operators, chain, dagster = _ours()
    table = "\n".join(render_table(_reference(), operators, chain, dagster))
    assert "### DataFlow (open-dataflow 1.0.13) vs this project: rows/s and ratio" in table
    assert "| 88 | 3,509 | 40.0× | 900 MB | 18 MB |" in table  # in-memory chain: 40× DataFlow's 88 rows/s
    assert "| 88 | 877 | 10.0× | 900 MB | 18 MB |" in table  # through Dagster
    # first 8 here = the sum of our operator times (0.05 s + 0.001 s) over the 1,000 raw rows
    assert "| 88 | 19,608 | 223.5× |" in table
    assert "| MinHashDeduplicateFilter | 96 | 101 | 20,000 | 198.0× | 900 / 890 |" in table
    assert "Kept rows first differ at `near_dedup` (MinHashDeduplicateFilter): DataFlow keeps 900" in table
    assert "slowest operator is MinHashDeduplicateFilter (10 s of its 11 s chain, 101 rows/s)" in table
    assert "- a known difference" in table


def test_run_all_section_has_the_table_only_with_a_reference(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("{}\n", encoding="utf-8")
    args = argparse.Namespace(docs=1000, seed=0)
    operators, chain, dagster = _ours()
    without = run_all.render(args, corpus, operators, chain, dagster)
    with_reference = run_all.render(args, corpus, operators, chain, dagster, _reference())
    assert "open-dataflow" not in without
    assert "imports included) | 333 | 3.0 |" in without  # 1,000 rows in the command's 3.0 s
    assert "export) | 877 | 1.2 | 2.2 | 400 MB |" in without  # the Dagster run's CPU seconds, in their column
    assert with_reference.startswith(without.removesuffix(run_all.END))
    assert with_reference.endswith(run_all.END) and "vs this project" in with_reference


@pytest.mark.skipif(not DATAFLOW_PYTHON.exists(), reason="needs `make bench-dataflow-venv` (open-dataflow, opt-in)")
def test_dataflow_operators_keep_what_ours_keep_on_the_same_input(tmp_path: Path) -> None:
    """Each of our operators on DataFlow's own input for that step keeps the same rows with the same text."""
    corpus, cache = tmp_path / "corpus.jsonl", tmp_path / "cache"
    write_corpus(corpus, 300, seed=3)
    done = subprocess.run([str(DATAFLOW_PYTHON), "-m", "benchmarks.dataflow_reference", str(corpus),
                           "--cache-dir", str(cache)], capture_output=True, text=True, cwd=REPO, check=True)
    reference = json.loads(done.stdout.strip().splitlines()[-1])
    spec = load_spec(SPEC)
    assert [row["op"] for row in reference["steps"]] == [step.op for step in spec.steps]
    assert reference["missing"] == [] and reference["variants"]["all"]["rows"] == 300
    assert not [note for note in default_differences(reference) if "default `" in note]  # same default thresholds
    for index, (step, row) in enumerate(zip(spec.steps, reference["steps"], strict=True)):
        source = corpus if index == 0 else cache / f"dataflow_cache_step_step{index}.jsonl"
        table = read_raw(source, spec.raw).table
        assert table.num_rows == row["input_rows"]
        kept = get_operator(step.op)(step.config, step.inputs, step.outputs).run(table, OperatorContext()).table
        theirs = read_raw(cache / f"dataflow_cache_step_step{index + 1}.jsonl", spec.raw).table
        assert theirs.num_rows == row["kept"]
        if step.op == "MinHashDeduplicateFilter":  # LSH is probabilistic: different hash families, a few rows apart
            ours_ids, their_ids = set(kept.column("id").to_pylist()), set(theirs.column("id").to_pylist())
            assert len(ours_ids ^ their_ids) <= 0.02 * table.num_rows
        else:
            assert kept.column("text").to_pylist() == theirs.column("text").to_pylist(), step.name
