"""The execution databases by ``db_id``, in Spider/BIRD layout: ``<root>/<db_id>/<db_id>.sqlite``.

Also found: ``.db`` and ``.sqlite3`` (SQLite) and ``.duckdb`` (DuckDB) files under the same layout. A ``db_id``
is a plain name (letters, digits, ``_ . -``, no path separators, not ``.`` or ``..``) and its file must resolve
inside the root, symlinks included: anything else is an unknown id, never a path outside the catalog.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

DB_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
SUFFIXES = ((".sqlite", "SQLite"), (".db", "SQLite"), (".sqlite3", "SQLite"), (".duckdb", "DuckDB"))


@dataclass(frozen=True)
class DatabaseFile:
    """One catalog entry."""

    db_id: str
    path: Path
    engine: str  # "SQLite" | "DuckDB"


class DatabaseCatalog:
    """Resolves ``db_id`` to a database file under ``root`` (answers cached; ``refresh`` forgets them)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self._found: dict[str, DatabaseFile | None] = {}
        self._lock = threading.Lock()

    def resolve(self, db_id: object) -> DatabaseFile | None:
        """The database of ``db_id``, or None when there is none (or the id is not a plain name)."""
        if not isinstance(db_id, str):
            return None
        with self._lock:
            if db_id in self._found:
                return self._found[db_id]
        found = self._lookup(db_id)
        with self._lock:
            self._found[db_id] = found
        return found

    def _lookup(self, db_id: str) -> DatabaseFile | None:
        if not DB_ID.match(db_id) or db_id.strip(".") == "":
            return None
        for suffix, engine in SUFFIXES:
            candidate = self.root / db_id / f"{db_id}{suffix}"
            try:
                resolved = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if resolved.is_file() and resolved.is_relative_to(self.root):
                return DatabaseFile(db_id, resolved, engine)
        return None

    def db_ids(self) -> list[str]:
        """Every database id in the catalog, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.resolve(p.name) is not None)

    def refresh(self) -> None:
        """Forget cached answers (a database was added or removed)."""
        with self._lock:
            self._found.clear()
