"""Find and load every pipeline spec: the built-in ones and those in ``DATAFLOW_SPECS_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

from dataflow_assets.spec import PipelineSpec
from dataflow_assets.spec_loader import SpecError, load_spec

BUILTIN_SPECS_DIR = Path(__file__).parent / "pipelines"


def spec_paths() -> list[Path]:
    """Spec files, built-in first, then the user folder(s) in ``DATAFLOW_SPECS_DIR`` (os.pathsep-separated)."""
    folders = [BUILTIN_SPECS_DIR]
    folders += [Path(p) for p in os.environ.get("DATAFLOW_SPECS_DIR", "").split(os.pathsep) if p]
    paths: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            paths += sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
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
