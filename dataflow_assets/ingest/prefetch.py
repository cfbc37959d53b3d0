"""Read a raw file ahead of its run: ``dataflow run`` knows its input before Dagster has started.

``prefetch`` starts ``read_raw_chunks`` on a background thread (the Arrow parse and the hash mostly run without the
GIL), while Dagster builds its instance and the job; the raw asset then ``take``s the result instead of reading
the file again. An entry is used only for the same path, size, modification time and raw schema, and only once;
an error of the read is raised by ``take``, where the raw asset would have raised it.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from dataflow_assets.ingest.stream import RawChunks, read_raw_chunks
from dataflow_assets.spec.model import RawSpec

_lock = threading.Lock()
_ahead: dict[tuple[str, int, int], tuple[RawSpec, Future[RawChunks]]] = {}


def _key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def prefetch(path: Path, spec: RawSpec) -> None:
    """Start reading ``path`` as ``read_raw_chunks(path, spec)`` on a background thread."""
    read: Future[RawChunks] = Future()

    def work() -> None:
        if read.set_running_or_notify_cancel():
            try:
                read.set_result(read_raw_chunks(path, spec))
            except BaseException as error:  # noqa: BLE001 - raised by ``take``, in the raw asset
                read.set_exception(error)

    with _lock:
        _ahead[_key(path)] = (spec, read)
    threading.Thread(target=work, name="raw-prefetch", daemon=True).start()


def take(path: Path, spec: RawSpec) -> RawChunks | None:
    """The prefetched read of the unchanged ``path`` with the same schema (once), or None."""
    try:
        key = _key(path)
    except OSError:
        return None
    with _lock:
        entry = _ahead.pop(key, None)
    if entry is None or entry[0] != spec:
        return None
    return entry[1].result()


def discard(path: Path) -> None:
    """Forget a prefetch that was not taken (the run failed before its raw asset)."""
    with _lock:
        for key in [key for key in _ahead if key[0] == str(path.resolve())]:
            _ahead.pop(key)
