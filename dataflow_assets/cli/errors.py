"""One line and one exit status for every failure the ``dataflow`` command can meet.

| status | meaning |
|---:|---|
| 0 | done |
| 1 | the run failed otherwise (a failed blocking check, an operator error) |
| 2 | the command line is wrong (an unknown option, a missing argument) |
| 3 | bad input: a raw file that cannot be read, or whose columns drifted from the stored ones |
| 4 | bad spec |
| 5 | unknown pipeline, step or partition (or a step not materialized for it) |
| 6 | the warehouse cannot be opened: locked past the wait, read-only, not a DuckDB file |
| 7 | a disk is full |
| 8 | the LLM cannot be used: its endpoint does not answer, the model is missing |

The line names the user's own file (and line and column where there is one); a traceback is printed only with
``dataflow --debug``.
"""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """``dataflow``'s exit statuses (the table above)."""

    FAILED = 1
    USAGE = 2
    BAD_INPUT = 3
    BAD_SPEC = 4
    UNKNOWN = 5
    WAREHOUSE = 6
    DISK_FULL = 7
    LLM = 8


BY_ERROR = {
    "RawFileError": ExitStatus.BAD_INPUT, "SchemaDriftError": ExitStatus.BAD_INPUT, "RunFileError": ExitStatus.USAGE,
    "SpecError": ExitStatus.BAD_SPEC,
    "ShowError": ExitStatus.UNKNOWN, "NotMaterializedError": ExitStatus.UNKNOWN,
    "WarehouseError": ExitStatus.WAREHOUSE,
    "LLMUnavailableError": ExitStatus.LLM, "LocalServerError": ExitStatus.LLM,
}


class CliError(Exception):
    """A failure the command reports in one line, with its exit status."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.FAILED) -> None:
        super().__init__(message)
        self.status = status


def status_of(error_class: str, message: str) -> ExitStatus:
    """The exit status of an error, by its class name (as Dagster records it) and, for a full disk, its text."""
    if "No space left on device" in message:
        return ExitStatus.DISK_FULL
    if error_class == "LLMFailureRateExceeded" and "cannot connect to" in message:
        return ExitStatus.LLM
    return BY_ERROR.get(error_class, ExitStatus.FAILED)


def as_cli_error(error: BaseException) -> CliError:
    """A ``CliError`` for an error raised in this process."""
    if isinstance(error, CliError):
        return error
    if isinstance(error, OSError) and error.strerror:
        return CliError(f"{error.filename + ': ' if error.filename else ''}{error.strerror}",
                        status_of("OSError", error.strerror))
    name = type(error).__name__
    return CliError(str(error) if name in BY_ERROR else f"{name}: {error}", status_of(name, str(error)))
