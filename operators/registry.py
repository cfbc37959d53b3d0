"""The operator registry: every operator by name, with kind, columns and config schema.

Operators register themselves (``@register``) when their module is imported; the registry imports every module
under the ``operators`` package (``discover``), so an operator module dropped into a domain folder is found with no
other edit. Modules and packages whose name starts with ``_`` are private and skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, TypeVar

import operators
from operators.base import Filter, Operator

_REGISTRY: dict[str, type[Operator]] = {}
_DISCOVERED: set[str] = set()
OperatorT = TypeVar("OperatorT", bound=type[Operator])


def register(cls: OperatorT) -> OperatorT:
    """Class decorator: add an operator to the registry under its ``name``."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise ValueError(f"operator name {cls.name!r} is registered twice ({existing} and {cls})")
    _REGISTRY[cls.name] = cls
    return cls


def operator_modules() -> list[str]:
    """Every public module under the ``operators`` package (on its current ``__path__``), by name."""
    found = pkgutil.walk_packages(operators.__path__, prefix="operators.", onerror=_raise)
    return sorted(info.name for info in found if not any(part.startswith("_") for part in info.name.split(".")))


def _raise(name: str) -> None:
    raise ImportError(f"cannot import operator package {name}")


def discover() -> None:
    """Import every operator module not imported yet, so each registers its operators."""
    for module in operator_modules():
        if module not in _DISCOVERED:
            importlib.import_module(module)
            _DISCOVERED.add(module)


def all_operators() -> dict[str, type[Operator]]:
    """Every registered operator, sorted by name."""
    if not _DISCOVERED:
        discover()
    return dict(sorted(_REGISTRY.items()))


def get_operator(name: str) -> type[Operator]:
    """The operator class registered as ``name``; KeyError lists close names."""
    registered = all_operators()
    if name not in registered:
        close = [known for known in registered if name.lower()[:6] in known.lower()]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
        raise KeyError(f"unknown operator {name!r}{hint}")
    return registered[name]


def describe(cls: type[Operator]) -> dict[str, Any]:
    """A JSON-ready description of one operator, as the CLI, the UI and the agent see it."""
    return {
        "name": cls.name,
        "kind": str(cls.kind),
        "module": cls.__module__,
        "description": cls.description or (cls.__doc__ or "").strip().splitlines()[0],
        "inputs": list(cls.inputs),
        "outputs": list(cls.outputs),
        "requires": list(cls.requires),
        "drop_reasons": list(cls.reasons()) if issubclass(cls, Filter) else [],
        "config_schema": cls.Config.model_json_schema(),
    }
