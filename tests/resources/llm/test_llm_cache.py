"""The SQLite response cache: stable keys, and many processes writing at once without losing an answer."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from resources.llm.cache import CachedResponse, ResponseCache, cache_key


def _writer(path: str, worker: int, count: int) -> None:
    cache = ResponseCache(path)
    for i in range(count):
        cache.put(cache_key({"worker": worker, "i": i}), "m", CachedResponse(f"{worker}-{i}", 1, 2))


def test_key_is_stable_and_order_independent() -> None:
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_concurrent_processes_write_without_loss(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.sqlite")
    ResponseCache(path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 150)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    cache = ResponseCache(path)
    assert len(cache) == 600
    keys = [cache_key({"worker": 2, "i": i}) for i in range(150)]
    found = cache.get_many(keys)
    assert [found[k].text for k in keys] == [f"2-{i}" for i in range(150)]
    assert found[keys[0]] == CachedResponse("2-0", 1, 2)
