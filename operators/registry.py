"""The operator registry: every operator by name, with kind, columns and config schema."""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from operators.base import Operator

_REGISTRY: dict[str, type[Operator]] = {}
_BUILTIN_MODULES = (
    "operators.prompted.generic",
    "operators.text_synthesis.condor",
    "operators.text_synthesis.pretrain",
    "operators.text_synthesis.sft",
    "operators.text.dedup.exact",
    "operators.text.dedup.minhash",
    "operators.text.dedup.ngram",
    "operators.text.dedup.semantic",
    "operators.text.dedup.simhash",
    "operators.text.filters.repetition",
    "operators.text.filters.lexical_diversity",
    "operators.text.refiners.characters",
    "operators.text.refiners.lexical",
    "operators.text.refiners.markup",
    "operators.text.filters.patterns",
    "operators.text.filters.lines",
    "operators.text.filters.words",
)
OperatorT = TypeVar("OperatorT", bound=type[Operator])


def register(cls: OperatorT) -> OperatorT:
    """Class decorator: add an operator to the registry under its ``name``."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise ValueError(f"operator name {cls.name!r} is registered twice ({existing} and {cls})")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def all_operators() -> dict[str, type[Operator]]:
    """Every registered operator, sorted by name."""
    _load_builtins()
    return dict(sorted(_REGISTRY.items()))


def get_operator(name: str) -> type[Operator]:
    """The operator class registered as ``name``; KeyError lists close names."""
    operators = all_operators()
    if name not in operators:
        close = [known for known in operators if name.lower()[:6] in known.lower()]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
        raise KeyError(f"unknown operator {name!r}{hint}")
    return operators[name]


def describe(cls: type[Operator]) -> dict[str, Any]:
    """A JSON-ready description of one operator, as the CLI, the UI and the agent see it."""
    return {
        "name": cls.name,
        "kind": str(cls.kind),
        "description": cls.description or (cls.__doc__ or "").strip().splitlines()[0],
        "inputs": list(cls.inputs),
        "outputs": list(cls.outputs),
        "requires": list(cls.requires),
        "config_schema": cls.Config.model_json_schema(),
    }
