"""Loading the operators' compiled kernels ahead of a run (``operators.kernels``)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.json as pj

from operators import kernels
from operators.base import OperatorContext
from operators.registry import all_operators, get_operator
from operators.text import minhash_kernel, scan_kernels, vocab_kernel, word_kernels
from operators.text.minhash import signatures

MODULES = (minhash_kernel, scan_kernels, vocab_kernel, word_kernels)


def compiled_versions() -> dict[str, int]:
    """How many compiled versions (argument type signatures) each kernel holds in this process."""
    return {f"{module.__name__}.{name}": len(function.signatures) for module in MODULES
            for name, function in vars(module).items() if hasattr(function, "signatures")}


def test_kernel_modules_are_declared_once_each_in_order():
    classes = [get_operator(name) for name in ("MinHashDeduplicateFilter", "UniqueWordsFilter", "StopWordFilter",
                                               "RemoveEmojiRefiner")]
    assert kernels.kernel_modules(classes) == ["operators.text.minhash_kernel", "operators.text.scan_kernels",
                                               "operators.text.word_kernels", "operators.text.vocab_kernel"]
    declared = set(kernels.kernel_modules(all_operators().values()))
    assert declared == {module.__name__ for module in MODULES}  # every kernel module is warmed by someone


def test_after_warm_up_real_batches_need_no_new_compiled_version(tmp_path):
    kernels.warm_up(module.__name__ for module in MODULES)
    warmed = compiled_versions()
    sample = tmp_path / "sample.jsonl"
    sample.write_text('{"text": "Read from a FILE. It is the best!\\nA second line"}\n{"text": ""}\n', encoding="utf-8")
    in_memory = pa.table({"text": ["The cat sat. On the mat!\nA line ...", "Hello world " * 30, "", "ÉCOLE ü"]})
    for table in (in_memory, pj.read_json(sample)):  # Arrow buffers built in memory (writable) and read (read-only)
        for name, cls in sorted(all_operators().items()):
            if cls.kernels and not cls.requires and cls.__module__.startswith("operators.text"):
                get_operator(name)().run(table, OperatorContext())
        for words in (False, True):
            signatures(table["text"], 16, 5, words=words)
    assert compiled_versions() == warmed


def test_warm_up_in_background_starts_each_module_once_per_process(monkeypatch):
    warmed: list[list[str]] = []
    monkeypatch.setattr(kernels, "warm_up", lambda modules: warmed.append(list(modules)))
    monkeypatch.setattr(kernels, "_started", set())
    first = kernels.warm_up_in_background([get_operator("UniqueWordsFilter")])
    assert first is not None
    first.join()
    assert kernels.warm_up_in_background([get_operator("StopWordFilter")]) is None  # same modules: nothing new
    second = kernels.warm_up_in_background([get_operator("MinHashDeduplicateFilter")])
    assert second is not None
    second.join()
    assert warmed == [["operators.text.scan_kernels", "operators.text.word_kernels", "operators.text.vocab_kernel"],
                      ["operators.text.minhash_kernel"]]


def test_a_failing_warm_up_is_logged_not_raised(caplog):
    kernels.warm_up(["operators.no_such_kernel_module"])
    assert "warming up operators.no_such_kernel_module failed" in caplog.text
