"""Opening the warehouse file: a lock is waited for, visibly and for a bounded time; anything else fails at once.

DuckDB lets one process write a database file. dagster-duckdb retried every open error ten times with backoff, so a
read-only, damaged or busy file made a run wait 104 s in silence. Here a lock held by another process is waited for
(``DATAFLOW_LOCK_WAIT_S``, default 60 s) with one warning naming the holder; a read-only file system, a file that is
not a DuckDB database or a full disk fail at once, each with one line that names the file.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

import duckdb

LOCK_WAIT_ENV = "DATAFLOW_LOCK_WAIT_S"
log = logging.getLogger("dataflow.warehouse")


class WarehouseError(RuntimeError):
    """The warehouse file cannot be opened: locked past the wait, read-only, not a DuckDB file, a full disk."""


def lock_wait_seconds() -> float:
    """How long to wait for another process's lock (``DATAFLOW_LOCK_WAIT_S``)."""
    return float(os.environ.get(LOCK_WAIT_ENV, "60"))


def open_warehouse(database: str, read_only: bool = False, config: dict[str, Any] | None = None
                   ) -> duckdb.DuckDBPyConnection:
    """A connection to ``database``, after waiting for another process's lock if need be."""
    deadline: float | None = None
    while True:
        try:
            return duckdb.connect(database, read_only=read_only, config=config or {})
        except duckdb.IOException as error:
            text = str(error)
            if "Could not set lock" not in text:
                raise WarehouseError(open_problem(database, text)) from error
            found = re.search(r"held in (.+?) \(PID (\d+)\)", text)
            holder = f"process {found.group(2)} ({found.group(1)})" if found else "another process"
            wait = lock_wait_seconds()
            if deadline is None:
                deadline = time.monotonic() + wait
                log.warning("the warehouse %s is locked by %s; waiting up to %g s for it (%s)", database, holder, wait,
                            LOCK_WAIT_ENV)
            if time.monotonic() >= deadline:
                raise WarehouseError(f"the warehouse {database} is locked by {holder}: waited {wait:g} s; stop that "
                                     f"process, or wait longer with {LOCK_WAIT_ENV}") from error
            time.sleep(0.2)


def open_problem(database: str, text: str) -> str:
    """One line for an error DuckDB gave opening (or writing) ``database``."""
    if "Read-only file system" in text:
        return f"the warehouse {database} is on a read-only file system: point DATAFLOW_WAREHOUSE (or --warehouse) " \
               "at a writable place"
    if "not a valid DuckDB database file" in text:
        return f"the warehouse {database} is not a DuckDB database (or it is damaged): move it away, or point " \
               "DATAFLOW_WAREHOUSE (or --warehouse) at another file"
    if "No space left on device" in text:
        return f"the disk of the warehouse {database} is full (No space left on device)"
    if "Permission denied" in text:
        return f"the warehouse {database} cannot be opened: permission denied"
    return f"the warehouse {database} cannot be opened: {text.splitlines()[0] if text else 'unknown error'}"
