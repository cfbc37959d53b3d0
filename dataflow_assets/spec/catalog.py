"""Find and load every pipeline spec: the built-in ones (``pipelines/<domain>/*.yaml``) and those in
``DATAFLOW_SPECS_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

from dataflow_assets.spec.loader import SpecError, load_spec
from dataflow_assets.spec.model import PipelineSpec

BUILTIN_SPECS_DIR = Path(__file__).resolve().parents[1] / "pipelines"


def _specs_in(folder: Path, pattern: str) -> list[Path]:
    return sorted([*folder.glob(f"{pattern}.yaml"), *folder.glob(f"{pattern}.yml")]) if folder.is_dir() else []


def builtin_spec_paths() -> list[Path]:
    """The built-in spec files: one folder per domain under ``dataflow_assets/pipelines/``."""
    return _specs_in(BUILTIN_SPECS_DIR, "*/*")


def builtin_spec(name: str) -> Path:
    """The file of the built-in spec ``name`` (its file name without ``.yaml``)."""
    found = [path for path in builtin_spec_paths() if path.stem == name]
    if not found:
        raise FileNotFoundError(f"no built-in spec {name!r} under {BUILTIN_SPECS_DIR}")
    return found[0]


def spec_paths() -> list[Path]:
    """Spec files, built-in first, then the user folder(s) in ``DATAFLOW_SPECS_DIR`` (os.pathsep-separated)."""
    paths = builtin_spec_paths()
    for folder in [Path(p) for p in os.environ.get("DATAFLOW_SPECS_DIR", "").split(os.pathsep) if p]:
        paths += _specs_in(folder, "*")
    return paths


def load_all_specs() -> list[PipelineSpec]:
    """Every spec, validated; one ``SpecError`` listing every broken file, or two specs with one name."""
    specs: list[PipelineSpec] = []
    errors: list[str] = []
    names: dict[str, Path] = {}
    for path in spec_paths():
        try:
            spec = load_spec(path)
        except SpecError as exc:
            errors.append(str(exc))
            continue
        if spec.name in names:
            errors.append(f"{path}: pipeline name {spec.name!r} is already used by {names[spec.name]}")
            continue
        names[spec.name] = path
        specs.append(spec)
    if errors:
        raise ValueError("\n".join(errors))
    return specs
