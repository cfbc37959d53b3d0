"""A throwaway deployment for the reliability suite: DAGSTER_HOME from the project's dagster.yaml, a small spec,
raw batch files, a DuckDB warehouse, and `dagster` processes started in their own sessions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tests.conftest import REPO, SAMPLES

PIPELINE = "reliable"
SPEC_YAML = f"""\
name: {PIPELINE}
description: Two steps (a filter that stores only its drops, a refiner that stores a copy) for the reliability suite.
raw:
  formats: [jsonl, csv, parquet]
  columns: {{text: string}}
steps:
  - name: word_count
    op: WordNumberFilter
    config: {{min_words: 20, max_words: 100000}}
  - name: spaces
    op: RemoveExtraSpacesRefiner
    outputs: {{text: clean_text}}  # a new column: the step stores a copy (an in-place refiner stores a patch)
"""
VENV_BIN = Path(sys.executable).parent


@dataclass
class Deployment:
    """Folders and environment of one throwaway deployment."""

    root: Path
    warehouse_at: Path | None = None  # the DuckDB file, when not root/warehouse.duckdb

    @property
    def home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_at or self.root / "warehouse.duckdb"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw" / PIPELINE

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAFLOW_", "DAGSTER_"))}
        return env | {"DAGSTER_HOME": str(self.home), "DATAFLOW_WAREHOUSE": str(self.warehouse),
                      "DATAFLOW_RAW_DIR": str(self.root / "raw"), "DATAFLOW_EXPORT_DIR": str(self.root / "out"),
                      "DATAFLOW_SPECS_DIR": str(self.root / "specs")}

    def write_batches(self, count: int, lines_each: int) -> list[str]:
        """Split the web sample into ``count`` JSONL batches of ``lines_each`` lines; their names."""
        lines = (SAMPLES / "web_sample.jsonl").read_text(encoding="utf-8").splitlines()
        assert count * lines_each <= len(lines)
        names = [f"batch_{i:02d}.jsonl" for i in range(count)]
        for i, name in enumerate(names):
            (self.raw_dir / name).write_text("\n".join(lines[i * lines_each:(i + 1) * lines_each]) + "\n")
        return names

    def counts(self, table: str) -> dict[str, int]:
        """Rows per partition of a step table (or view)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            return dict(conn.sql(f'SELECT _partition, count(*) FROM {PIPELINE}."{table}" GROUP BY 1').fetchall())

    def duplicates(self, table: str) -> int:
        """Rows of a step table that share (partition, row id) with another row."""
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            return conn.sql(f'SELECT count(*) - count(DISTINCT (_partition, _row_id)) FROM {PIPELINE}."{table}"'
                            ).fetchall()[0][0]

    def start(self, command: list[str], log_name: str) -> subprocess.Popen:
        """Start a command of this venv (``dagster``, ``dagster-daemon``) in its own session; output to a log."""
        with (self.root / log_name).open("wb") as log:
            return subprocess.Popen([str(VENV_BIN / command[0]), *command[1:]], cwd=REPO, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def make_deployment(root: Path, spec_yaml: str = SPEC_YAML, warehouse: Path | None = None) -> Deployment:
    """Create the folders, the instance config and the spec (``warehouse``: elsewhere than ``root``)."""
    deployment = Deployment(root, warehouse)
    deployment.home.mkdir(parents=True)
    deployment.raw_dir.mkdir(parents=True)
    (root / "specs").mkdir()
    (root / "specs" / f"{PIPELINE}.yaml").write_text(spec_yaml)
    shutil.copyfile(REPO / "dagster.yaml", deployment.home / "dagster.yaml")
    return deployment
