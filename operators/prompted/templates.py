"""Prompt templates as data: YAML files in ``<domain>/prompts/`` beside their operators, overridable per step.

A template is Python ``str.format`` text: ``{text}`` is filled from a column or value, ``{{`` / ``}}`` are
literal braces. A step overrides any named template through its operator's ``prompts`` config.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml


class TemplateError(ValueError):
    """A prompt template that cannot be filled."""


def prompts_dir(cls: type) -> Path:
    """The ``prompts/`` folder beside the module of the class (in ``cls``'s MRO) that names the prompt file."""
    owner = next((klass for klass in cls.__mro__ if "prompt_file" in vars(klass)), cls)
    return Path(sys.modules[owner.__module__].__file__ or "").resolve().parent / "prompts"


@cache
def _load(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise TemplateError(f"{path}: a prompt file maps template names to strings")
    return data


def prompt_set(folder: Path, name: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The templates of prompt file ``folder/name.yaml`` with a step's overrides applied (unknown names: error)."""
    templates = dict(_load(folder / f"{name}.yaml"))
    for key, value in (overrides or {}).items():
        if key not in templates:
            raise TemplateError(f"prompt {name!r} has no template {key!r} (it has: {sorted(templates)})")
        templates[key] = value
    return templates


def fields(template: str) -> list[str]:
    """The field names a template uses, in order, without repeats."""
    names: list[str] = []
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None and field not in names:
            if not field.isidentifier():
                raise TemplateError(f"template field {{{field}}} must be a plain name")
            names.append(field)
    return names


def fill(template: str, values: Mapping[str, Any]) -> str:
    """The template with its fields filled; a missing field is a ``TemplateError`` naming it."""
    try:
        return template.format_map(values)
    except KeyError as exc:
        raise TemplateError(f"template field {exc.args[0]!r} has no value (have: {sorted(values)})") from exc
    except (ValueError, IndexError) as exc:
        raise TemplateError(f"bad template ({exc}); write literal braces as {{{{ and }}}}") from exc
