"""The registry finds every operator module by itself: each concrete operator is registered once, with a description,
and a module dropped into a domain folder is registered with no other edit."""

from __future__ import annotations

import inspect
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import operators
from dataflow_assets.spec.loader import parse_spec
from operators import registry
from operators.base import Operator
from tests.conftest import SAMPLES


def subclasses(cls: type) -> Iterator[type]:
    """Every subclass of ``cls``, recursively."""
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_every_concrete_operator_is_registered_once_with_a_description() -> None:
    known = registry.all_operators()
    concrete = {cls for cls in subclasses(Operator) if not inspect.isabstract(cls) and "name" in dir(cls)
                and cls.__module__.startswith("operators.")}
    assert len(concrete) >= 50
    for cls in concrete:
        assert known.get(cls.name) is cls, f"{cls.__module__}.{cls.__qualname__} is not registered as {cls.name!r}"
        described = registry.describe(cls)
        assert described["description"], cls.name
        assert described["module"] == cls.__module__
    assert len({cls.name for cls in concrete}) == len(concrete), "two operator classes share a name"


def test_discovery_walks_every_public_module_and_skips_private_ones() -> None:
    modules = registry.operator_modules()
    assert "operators.text.filters.words" in modules and "operators.text_synthesis.sft" in modules
    assert not [name for name in modules if any(part.startswith("_") for part in name.split("."))]
    assert "operators.text.kernels._scan" not in modules  # the compiled extension: private


SHOUTING = '''
    import numpy as np

    from operators.base import Filter, Verdict
    from operators.registry import register


    @register
    class ShoutingFilter(Filter):
        """Drop rows written in capitals."""

        name = "ShoutingFilter"
        description = "Drop rows written in capitals."
        inputs = ("text",)

        def verdict(self, batch, ctx):
            texts = batch.column(self.col("text")).to_pylist()
            return Verdict(np.array([not text.isupper() for text in texts]), "shouting")
'''


@pytest.fixture
def plugin_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A domain folder on the ``operators`` package's path, and a registry as a fresh process starts it."""
    monkeypatch.setattr(operators, "__path__", [*operators.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_DISCOVERED", set())
    domain = tmp_path / "shouting_domain"
    domain.mkdir()
    (domain / "__init__.py").write_text('"""A domain the test drops in."""\n')
    yield domain
    for name in [name for name in sys.modules if name.startswith("operators.shouting_domain")]:
        del sys.modules[name]


def test_a_module_dropped_into_a_domain_folder_is_registered(plugin_folder: Path) -> None:
    (plugin_folder / "shouting.py").write_text(textwrap.dedent(SHOUTING))
    found = registry.get_operator("ShoutingFilter")
    assert found.__module__ == "operators.shouting_domain.shouting"
    assert registry.describe(found)["module"] == "operators.shouting_domain.shouting"
    spec = parse_spec(textwrap.dedent("""
        name: shouting
        raw: {columns: {text: string}}
        steps:
          - {name: no_shouting, op: ShoutingFilter}
    """), "shouting.yaml")
    assert spec.steps[0].op == "ShoutingFilter"


def test_a_private_module_in_a_domain_folder_is_not_imported(plugin_folder: Path) -> None:
    (plugin_folder / "_scratch.py").write_text("raise RuntimeError('a private module was imported')\n")
    (plugin_folder / "shouting.py").write_text(textwrap.dedent(SHOUTING))
    assert "ShoutingFilter" in registry.all_operators()


def test_every_filter_declares_the_reasons_it_gives() -> None:
    """Each filter names its drop reasons; run on the web sample plus edge texts, every rule filter and dedup filter
    gives only reasons it declared (LLM filters: the four of their base, tested with the local model elsewhere)."""
    import pyarrow as pa

    from operators.base import Filter, OperatorContext

    lines = [json.loads(line)["text"] for line in (SAMPLES / "web_sample.jsonl").read_text().splitlines()]
    texts = [*lines, *lines[:20], None, "", "   ", "a", "word " * 3000, "{{{ }}} ...\n...\n..."]
    table = pa.table({"text": pa.array(texts, pa.string()), "_row_id": pa.array(range(len(texts)), pa.int64())})
    seen: dict[str, set[str]] = {}
    for cls in registry.all_operators().values():
        if not issubclass(cls, Filter):
            continue
        assert cls.reasons() and len(set(cls.reasons())) == len(cls.reasons()), cls.name
        if "llm" in cls.requires or "embed" in cls.requires or "sql" in cls.requires:  # sql: tests/operators/sql/
            continue
        result = cls(inputs={name: "text" for name in cls.inputs}).run(table, OperatorContext())  # any input: text
        seen[cls.name] = set(result.drop_counts)
        assert seen[cls.name] <= set(cls.reasons()), (cls.name, seen[cls.name] - set(cls.reasons()))
    assert len(seen) >= 25 and {"null_text", "exact_duplicate", "empty_text"} <= set().union(*seen.values())
