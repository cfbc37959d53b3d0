"""The layout's rules hold: import-linter's contracts pass, each contract catches a forbidden import added to a copy of
the tree, and the Dagster-free parts load no Dagster at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("operators", "resources", "dataflow_assets", "sensors")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the packages under ``root``, with the project's contracts."""
    return subprocess.run([str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120)


def test_the_contracts_hold() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("operators/base.py", "import dagster", "operators never import dagster, resources or dataflow_assets"),
    ("operators/text/filters/words.py", "import resources.warehouse.step_store",
     "operators never import dagster, resources or dataflow_assets"),
    ("resources/warehouse/step_store.py", "import dataflow_assets.spec.model",
     "resources never import dataflow_assets or sensors"),
    ("dataflow_assets/engine/export.py", "import dagster", "spec, ingest, engine and the storage engine never import"),
    ("resources/warehouse/row_chunks.py", "from dagster_duckdb import DuckDBResource",
     "spec, ingest, engine and the storage engine never import"),
    ("dataflow_assets/spec/model.py", "import dataflow_assets.assets.factory", "operators <- resources <- "),
    ("sensors/raw_files.py", "import dataflow_assets.cli.runner", "operators <- resources <- "),
    ("dataflow_assets/assets/nodes.py", "import dataflow_assets.assets.segments", "no import cycle"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # added by the test\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


def test_the_dagster_free_parts_load_no_dagster() -> None:
    modules = ["dataflow_assets.spec.catalog", "dataflow_assets.ingest.stream", "dataflow_assets.ingest.prefetch",
               "dataflow_assets.engine.step_run", "dataflow_assets.engine.export", "dataflow_assets.engine.profile",
               "dataflow_assets.engine.services", "resources.warehouse.step_writes", "resources.warehouse.step_index",
               "resources.warehouse.writer", "operators.registry"]
    code = (f"import importlib, sys\nfor name in {modules!r}: importlib.import_module(name)\n"
            "import operators.registry as r; r.all_operators()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_duckdb')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
