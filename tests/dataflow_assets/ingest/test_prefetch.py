"""``dataflow run`` reads its raw file while Dagster starts: the raw asset takes that read once, only for the
unchanged file and the same schema, and a bad file fails the raw asset as before."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dataflow_assets.cli.runner import run_spec
from dataflow_assets.ingest import prefetch as raw_prefetch
from dataflow_assets.ingest.reader import RawFileError
from dataflow_assets.ingest.stream import read_raw_chunks
from dataflow_assets.spec.catalog import builtin_spec
from dataflow_assets.spec.loader import load_spec
from dataflow_assets.spec.model import RawSpec
from tests.conftest import SAMPLES

SPEC = load_spec(builtin_spec("text_pretrain_filter"))
SAMPLE = SAMPLES / "web_sample.jsonl"


def test_the_raw_asset_takes_the_prefetched_read_once(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_bytes(SAMPLE.read_bytes())
    raw_prefetch.prefetch(path, SPEC.raw)
    taken = raw_prefetch.take(path, SPEC.raw)
    assert taken is not None and raw_prefetch.take(path, SPEC.raw) is None
    fresh = read_raw_chunks(path, SPEC.raw)
    assert taken.rows.to_table().equals(fresh.rows.to_table()) and taken.sha256 == fresh.sha256


def test_a_changed_file_or_another_schema_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"text": "first"}\n', encoding="utf-8")
    raw_prefetch.prefetch(path, SPEC.raw)
    path.write_text('{"text": "second, longer"}\n', encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert raw_prefetch.take(path, SPEC.raw) is None
    raw_prefetch.prefetch(path, SPEC.raw)
    assert raw_prefetch.take(path, RawSpec(columns={"text": "string", "source": "string"})) is None
    raw_prefetch.prefetch(path, SPEC.raw)
    raw_prefetch.discard(path)
    assert raw_prefetch.take(path, SPEC.raw) is None


def test_a_bad_line_read_ahead_fails_where_the_raw_asset_reads(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{"text": "unterminated\n', encoding="utf-8")
    raw_prefetch.prefetch(path, SPEC.raw)
    with pytest.raises(RawFileError) as error:
        raw_prefetch.take(path, SPEC.raw)
    assert error.value.line == 2 and str(path) in str(error.value)
    with pytest.raises(RuntimeError, match=r"bad.jsonl:2:10: invalid JSON"):
        run_spec(builtin_spec("text_pretrain_filter"), path, tmp_path / "out.jsonl")
    assert not raw_prefetch._ahead  # nothing left behind by the failed run
