"""Loading operators' compiled kernels ahead of their first batch.

Some operators call numba kernels (``Operator.kernels`` names their modules). The first call in a process pays
for importing numba (~0.4 s) and loading each kernel from its on-disk cache (MinHash: ~0.3 s), on the step's
critical path. ``warm_up_in_background`` does that on a daemon thread as soon as a run knows its operators (while
Dagster builds its instance, or while the raw file is parsed): the loading mostly runs in LLVM, without the GIL.
Each kernel module has a ``warm()`` that calls its kernels once on tiny inputs. A module is warmed once per
process; a failure is only logged (the step then loads the kernel itself and raises there, as before).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterable

import numpy as np

_lock = threading.Lock()
_started: set[str] = set()
_log = logging.getLogger("dataflow.kernels")


def kernel_modules(operator_classes: Iterable[type]) -> list[str]:
    """The kernel modules the operator classes declare, each once, in order."""
    seen: dict[str, None] = {}
    for cls in operator_classes:
        for module in getattr(cls, "kernels", ()):
            seen.setdefault(module, None)
    return list(seen)


def both_ways(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``data`` as a read-only and as a writable uint8 array: numba compiles one version per kind, and Arrow
    buffers come both ways (read from a file, built in memory)."""
    read_only = np.frombuffer(data, dtype=np.uint8)
    return read_only, read_only.copy()


def warm_up(modules: Iterable[str]) -> None:
    """Import each module and call its ``warm()`` (compiles or loads its kernels)."""
    for name in modules:
        try:
            importlib.import_module(name).warm()
        except Exception:  # noqa: BLE001 - opportunistic: the step loads the kernel itself and fails there
            _log.warning("warming up %s failed", name, exc_info=True)


def warm_up_in_background(operator_classes: Iterable[type]) -> threading.Thread | None:
    """Start ``warm_up`` of the classes' kernel modules not yet started in this process; None if none is new."""
    with _lock:
        modules = [module for module in kernel_modules(operator_classes) if module not in _started]
        _started.update(modules)
    if not modules:
        return None
    thread = threading.Thread(target=warm_up, args=(modules,), name="kernel-warm-up", daemon=True)
    thread.start()
    return thread
