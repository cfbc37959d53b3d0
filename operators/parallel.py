"""One process-wide thread pool for work that releases the GIL (numpy ufuncs, pyarrow compute kernels).

``DATAFLOW_THREADS`` sets its size (default ``os.cpu_count()``); ``1`` runs every task inline, in order. A task
that itself calls ``parallel_map`` runs its inner tasks inline, so nested use never waits on its own pool.
Operators cut their batch into independent pieces (row slices) and join the answers in order, so the result
never depends on the thread count. ``filter_rows`` is Arrow's row filter, one row range per worker.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pyarrow as pa

THREADS_ENV = "DATAFLOW_THREADS"

Item = TypeVar("Item")
Answer = TypeVar("Answer")

_lock = threading.Lock()
_pools: dict[tuple[int, int], ThreadPoolExecutor] = {}  # (process id, size): a forked child builds its own
_inside = threading.local()


def thread_count() -> int:
    """Workers of the shared pool: ``$DATAFLOW_THREADS`` or the number of CPUs."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return os.cpu_count() or 1
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"{THREADS_ENV}={value!r}: expected a positive integer (1 = no threads)")
    return count


def _pool(size: int) -> ThreadPoolExecutor:
    key = (os.getpid(), size)
    with _lock:
        if key not in _pools:
            _pools[key] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="dataflow-cpu",
                                             initializer=_mark_worker)
        return _pools[key]


def _mark_worker() -> None:
    _inside.worker = True


def parallel_map(task: Callable[[Item], Answer], items: Iterable[Item]) -> list[Answer]:
    """``[task(item) for item in items]``, run on the shared pool; answers in the order of ``items``."""
    items = list(items)
    size = thread_count()
    if size == 1 or len(items) < 2 or getattr(_inside, "worker", False):
        return [task(item) for item in items]
    return list(_pool(size).map(task, items))


def filter_rows(table: pa.Table, mask: np.ndarray) -> pa.Table:
    """``table.filter(mask)``, in row ranges on the shared pool (Arrow's filter copies one range per core).

    Ranges end on chunk boundaries of the largest column, so its chunks are not cut further.
    """
    parts = thread_count()
    if parts == 1 or table.num_rows < 2 * parts or not table.num_columns or getattr(_inside, "worker", False):
        return table.filter(pa.array(mask))
    largest = max(table.columns, key=lambda column: column.nbytes)
    ends = np.cumsum([len(chunk) for chunk in largest.chunks])
    cuts = np.unique(np.r_[0, ends[np.searchsorted(ends, np.arange(1, parts) * table.num_rows / parts)], len(mask)])
    ranges = list(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))
    if len(ranges) < 2:
        return table.filter(pa.array(mask))
    pieces = parallel_map(lambda bounds: table.slice(bounds[0], bounds[1] - bounds[0]).filter(
        pa.array(mask[bounds[0]: bounds[1]])), ranges)
    return pa.concat_tables(pieces)
