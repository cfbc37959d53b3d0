"""The error of a raw file that cannot be ingested."""

from __future__ import annotations

from pathlib import Path


class RawFileError(ValueError):
    """A raw file that cannot be ingested; the message names file, line and column."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column = str(path), line, column
        where = self.path + (f":{line}" if line else "") + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}")
